// The division page: a map of the children's boundaries (no tile server needed) and a chart of
// communities by type. Data comes from the page (json_script) and from the API.
(function () {
  const palette = ["#b22222", "#e07b39", "#e9b949", "#4c9a6a", "#3f7cac", "#7b5ea7", "#8a8f98"];
  const mapEl = document.getElementById("division-map");
  if (mapEl && window.L) {
    const map = L.map(mapEl, { zoomControl: true, attributionControl: !!mapEl.dataset.tiles });
    if (mapEl.dataset.tiles) {
      L.tileLayer(mapEl.dataset.tiles, { attribution: mapEl.dataset.attribution || "" }).addTo(map);
    }
    fetch(mapEl.dataset.geojson, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((data) => {
        const types = [...new Set(data.features.map((f) => f.properties.community_type || f.properties.level))];
        const layer = L.geoJSON(data, {
          style: (f) => ({ color: "#6d1313", weight: 1, fillOpacity: 0.35,
                           fillColor: palette[types.indexOf(f.properties.community_type || f.properties.level) % palette.length] }),
          pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 6 }),
          onEachFeature: (f, l) => {
            l.bindTooltip(`${f.properties.name}<br>${f.properties.population.toLocaleString()} 人`, { sticky: true });
            l.on("click", () => { window.location.href = `/divisions/${f.properties.code}/`; });
          },
        }).addTo(map);
        if (data.features.length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
        else { map.setView([30, 115], 4); }
      });
  }
  const typesData = document.getElementById("types-data");
  const canvas = document.getElementById("types-chart");
  if (typesData && canvas && window.Chart) {
    const rows = JSON.parse(typesData.textContent);
    new Chart(canvas, {
      type: "doughnut",
      data: { labels: rows.map((r) => r.label), datasets: [{ data: rows.map((r) => r.count), backgroundColor: palette }] },
      options: { maintainAspectRatio: false, plugins: { legend: { position: "right" } } },
    });
  }
})();
