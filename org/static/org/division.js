// The division page: a map of the children's boundaries (on the deployment's background) and a chart of
// communities by type. Data comes from the page (json_script) and from the API.
(function () {
  const palette = ["#b22222", "#e07b39", "#e9b949", "#4c9a6a", "#3f7cac", "#7b5ea7", "#8a8f98"];
  const mapEl = document.getElementById("division-map");
  if (mapEl && window.LinliMap) {
    const map = LinliMap.create(mapEl, { zoomControl: true });
    fetch(mapEl.dataset.geojson, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((data) => {
        const kind = (f) => f.properties.community_type || f.properties.level;
        const types = [...new Set(data.features.filter((f) => f.properties.role === "child").map(kind))];
        const layer = L.geoJSON(data, {
          style: (f) => f.properties.role === "self"
            ? { color: "#6d1313", weight: 2, dashArray: "4 3", fill: false }
            : { color: "#6d1313", weight: 1, fillOpacity: 0.35, fillColor: palette[types.indexOf(kind(f)) % palette.length] },
          pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: f.properties.role === "self" ? 8 : 6 }),
          onEachFeature: (f, l) => {
            const label = document.createElement("span");
            label.append(f.properties.name, document.createElement("br"), `${f.properties.population.toLocaleString()} 人`);
            l.bindTooltip(label, { sticky: true });
            if (f.properties.role === "child") {
              l.on("click", () => { window.location.href = `/divisions/${encodeURIComponent(f.properties.code)}/`; });
            }
          },
        }).addTo(map);
        const bounds = layer.getBounds();
        if (!data.features.length) { map.setView([30, 115], 4); }
        else if (bounds.getNorthEast().equals(bounds.getSouthWest())) { map.setView(bounds.getCenter(), 15); }
        else { map.fitBounds(bounds, { padding: [10, 10] }); }
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
