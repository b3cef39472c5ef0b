// The life-circle map: the area's boundaries and walkable ways, every demand point coloured by
// whether it lies within the threshold (now, or thanks to a proposed site), the facilities that
// count, and the proposed sites in order. Drawn on a canvas so tens of thousands of points stay quick.
(function () {
  const el = document.getElementById("planning-map");
  if (!el || !window.L) return;
  const labels = el.dataset.labels ? JSON.parse(el.dataset.labels) : {};
  const colours = { covered: "#2e7d32", uncovered: "#c62828", new: "#1565c0" };
  const map = L.map(el, { maxZoom: 19, preferCanvas: true, attributionControl: !!el.dataset.tiles });
  if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "" }).addTo(map);
  const get = (url) => (url ? fetch(url, { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null)) : Promise.resolve(null));
  const text = (...parts) => { const s = document.createElement("span"); parts.forEach((p, i) => { if (i) s.append(document.createElement("br")); s.append(p); }); return s; };
  Promise.all([get(el.dataset.boundaries), get(el.dataset.network), get(el.dataset.scenario)]).then(([areas, ways, scenario]) => {
    const overlays = {};
    let bounds = L.latLngBounds([]);
    if (areas) {
      const outline = L.geoJSON(areas, {
        style: (f) => f.properties.role === "self" ? { color: "#6d1313", weight: 2, dashArray: "4 3", fill: false }
                                                   : { color: "#9aa1a9", weight: 1, fillColor: "#f3efe9", fillOpacity: 0.35 },
        pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 2, color: "#9aa1a9" }),
        onEachFeature: (f, layer) => layer.bindTooltip(text(f.properties.name)),
      }).addTo(map);
      bounds = bounds.extend(outline.getBounds());
    }
    if (ways && ways.features.length) {
      const network = L.geoJSON(ways, { style: { color: "#8d99a6", weight: 1, opacity: 0.6 }, interactive: false }).addTo(map);
      overlays[labels.network || "network"] = network;
      if (!scenario) bounds = bounds.extend(network.getBounds());
    }
    if (scenario) {
      const demand = L.geoJSON({ type: "FeatureCollection", features: scenario.features.filter((f) => f.properties.layer === "demand") }, {
        pointToLayer: (f, latlng) => L.circleMarker(latlng, {
          radius: Math.max(2, Math.min(9, Math.sqrt(f.properties.population) / 3)), stroke: false, fillOpacity: 0.75,
          fillColor: colours[f.properties.state] }),
        onEachFeature: (f, layer) => layer.bindTooltip(text(`${Math.round(f.properties.population)} ${labels.people || ""}`,
          f.properties.minutes === null ? "—" : `${f.properties.minutes} ${labels.minutes || ""}`, labels[f.properties.state] || "")),
      }).addTo(map);
      const facilities = L.geoJSON({ type: "FeatureCollection", features: scenario.features.filter((f) => f.properties.layer === "facility") }, {
        pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: f.properties.source === "osm" ? 5 : 7, weight: 2, color: "#1f2933",
                                                               fillColor: "#ffd54f", fillOpacity: 1 }),
        onEachFeature: (f, layer) => layer.bindTooltip(text(f.properties.name || labels.facility || "")),
      }).addTo(map);
      const proposed = L.geoJSON({ type: "FeatureCollection", features: scenario.features.filter((f) => f.properties.layer === "proposed") }, {
        pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 10, weight: 3, color: "#1565c0", fillColor: "#fff", fillOpacity: 1 }),
        onEachFeature: (f, layer) => layer.bindTooltip(text(`${f.properties.order}. ${f.properties.name}`,
          ...(f.properties.gain === null ? [] : [`+${f.properties.gain} ${labels.people || ""}`]),
          ...(f.properties.walk_saved_km === null ? [] : [`${f.properties.walk_saved_km} ${labels.walk_saved || ""}`])),
                                                       { permanent: true, direction: "right", className: "small" }),
      }).addTo(map);
      overlays[labels.covered || "demand"] = demand;
      overlays[labels.facility || "facilities"] = facilities;
      if (proposed.getLayers().length) overlays[labels.proposed || "proposed"] = proposed;
      bounds = bounds.extend(demand.getBounds());
      const legend = L.control({ position: "bottomright" });
      legend.onAdd = () => {
        const box = L.DomUtil.create("div", "bg-white p-1 small rounded shadow-sm");
        const rows = [["covered", colours.covered], ["uncovered", colours.uncovered]];
        if (scenario.features.some((f) => f.properties.state === "new")) rows.push(["new", colours.new]);
        rows.push(["facility", "#ffd54f"]);
        if (proposed.getLayers().length) rows.push(["proposed", "#fff"]);
        rows.forEach(([key, colour]) => {
          const row = document.createElement("div");
          const dot = document.createElement("span");
          dot.style.cssText = `display:inline-block;width:.7rem;height:.7rem;border-radius:50%;margin-right:.3rem;border:1px solid #555;background:${colour}`;
          row.append(dot, labels[key] || key);
          box.appendChild(row);
        });
        return box;
      };
      legend.addTo(map);
      el.dataset.loaded = String(demand.getLayers().length);
    }
    if (Object.keys(overlays).length) L.control.layers(null, overlays, { collapsed: true }).addTo(map);
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] }); else map.setView([30, 115], 4);
  });
})();
