// Sites of the register on a map: the division's outline and its children's boundaries (on the
// deployment's background, core/maps.js), with every site as a point coloured by its kind.
(function () {
  const el = document.getElementById("sites-map");
  if (!el || !window.LinliMap) return;
  const palette = ["#b22222", "#e07b39", "#e9b949", "#4c9a6a", "#3f7cac", "#7b5ea7", "#8a8f98", "#2f4858", "#c2185b", "#00897b", "#6d4c41"];
  const map = LinliMap.create(el);
  const get = (url) => fetch(url, { credentials: "same-origin" }).then((r) => r.json());
  Promise.all([get(el.dataset.boundaries), get(el.dataset.sites)]).then(([areas, sites]) => {
    const outline = L.geoJSON(areas, {
      style: (f) => f.properties.role === "self" ? { color: "#6d1313", weight: 2, dashArray: "4 3", fill: false }
                                                 : { color: "#9aa1a9", weight: 1, fillColor: "#f3efe9", fillOpacity: 0.6 },
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 3, color: "#9aa1a9" }),
      onEachFeature: (f, layer) => { const s = document.createElement("span"); s.textContent = f.properties.name; layer.bindTooltip(s); },
    }).addTo(map);
    const kinds = [...new Set(sites.features.map((f) => f.properties.kind))];
    const points = L.geoJSON(sites, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 6, weight: 1, color: "#fff", fillOpacity: 0.9,
                                                             fillColor: palette[kinds.indexOf(f.properties.kind) % palette.length] }),
      onEachFeature: (f, layer) => {
        const label = document.createElement("span");
        label.append(f.properties.name, document.createElement("br"), `${f.properties.kind_label} · ${Math.round(f.properties.floor_area)} m²`);
        layer.bindTooltip(label);
        layer.on("click", () => { window.location.href = `/registry/sites/${f.properties.id}/`; });
      },
    }).addTo(map);
    const legend = L.control({ position: "bottomright" });
    legend.onAdd = () => {
      const box = L.DomUtil.create("div", "bg-white p-1 small rounded shadow-sm");
      sites.features.forEach((f) => {
        if (box.querySelector(`[data-kind="${f.properties.kind}"]`)) return;
        const row = document.createElement("div");
        row.dataset.kind = f.properties.kind;
        const dot = document.createElement("span");
        dot.style.cssText = `display:inline-block;width:.7rem;height:.7rem;border-radius:50%;margin-right:.3rem;background:${palette[kinds.indexOf(f.properties.kind) % palette.length]}`;
        row.append(dot, f.properties.kind_label);
        box.appendChild(row);
      });
      return box;
    };
    if (sites.features.length) legend.addTo(map);
    const bounds = outline.getBounds().extend(points.getBounds());
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] }); else map.setView([30, 115], 4);
  });
})();
