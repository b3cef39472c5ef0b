// The life-circle map: the area's communities shaded by the share of their people within the
// threshold (now, or with the proposed sites), its walkable ways, every demand point coloured by
// whether it lies within the threshold (now, or thanks to a proposed site), the facilities that
// count, and the proposed sites in order. Drawn on a canvas so tens of thousands of points stay
// quick, on the background every map of Linli shares (core/maps.js).
(function () {
  const el = document.getElementById("planning-map");
  if (!el || !window.LinliMap) return;
  const labels = el.dataset.labels ? JSON.parse(el.dataset.labels) : {};
  const colours = { covered: "#2e7d32", uncovered: "#c62828", new: "#1565c0" };
  // Coverage classes of a community, from the share of its people within the threshold.
  const classes = [[0.95, "#1a9850"], [0.85, "#91cf60"], [0.7, "#fee08b"], [0.5, "#fc8d59"], [0, "#d73027"]];
  const shade = (share) => (share === null || share === undefined ? "#d9d9d9" : classes.find(([least]) => share >= least)[1]);
  const percent = (share) => (share === null || share === undefined ? "—" : `${(share * 100).toFixed(1)}%`);
  const map = LinliMap.create(el, { preferCanvas: true });
  const get = (url) => (url ? fetch(url, { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null)) : Promise.resolve(null));
  const text = (...parts) => { const s = document.createElement("span"); parts.forEach((p, i) => { if (i) s.append(document.createElement("br")); s.append(p); }); return s; };
  const layerOf = (scenario, name) => ({ type: "FeatureCollection", features: scenario.features.filter((f) => f.properties.layer === name) });
  const dot = (colour, round) => {
    const d = document.createElement("span");
    d.style.cssText = `display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px;border:1px solid #555;background:${colour}`
      + (round ? ";border-radius:50%" : "");
    return d;
  };
  Promise.all([get(el.dataset.boundaries), get(el.dataset.network), get(el.dataset.scenario)]).then(([areas, ways, scenario]) => {
    const overlays = {};
    let bounds = L.latLngBounds([]);
    const communities = scenario ? layerOf(scenario, "community") : null;
    const shaded = communities && communities.features.length > 0;
    if (shaded) {
      // One shading for now and, where the scenario proposes sites, one with them; the layer control switches.
      const withSites = communities.features.some((f) => f.properties.share_after !== null);
      map.createPane("shading").style.zIndex = 350;  // under the points and sites, whichever shading is on
      const choropleth = (key) => L.geoJSON(communities, {
        pane: "shading",
        style: (f) => ({ color: "#5f6b76", weight: 1, fillColor: shade(f.properties[key]), fillOpacity: 0.55 }),
        onEachFeature: (f, layer) => layer.bindTooltip(text(f.properties.name,
          `${labels.share_now || ""} ${percent(f.properties.share)}`,
          ...(f.properties.share_after === null ? [] : [`${labels.share_after || ""} ${percent(f.properties.share_after)}`]),
          `${f.properties.population.toLocaleString()} ${labels.people || ""}`), { sticky: true }),
      });
      const now = choropleth("share").addTo(map);
      bounds = bounds.extend(now.getBounds());
      const shadings = { [labels.share_now || "now"]: now };
      if (withSites) shadings[labels.share_after || "after"] = choropleth("share_after");
      if (withSites) L.control.layers(shadings, null, { collapsed: false, position: "topright" }).addTo(map);
      const key = L.control({ position: "bottomleft" });
      key.onAdd = () => {
        const box = L.DomUtil.create("div", "bg-white p-1 small rounded shadow-sm planning-choropleth-key");
        box.style.maxWidth = "15rem";
        const title = document.createElement("div");
        title.className = "fw-semibold";
        title.textContent = el.dataset.choroplethTitle || "";
        box.appendChild(title);
        const bands = [["≥ 95%", classes[0][1]], ["85–95%", classes[1][1]], ["70–85%", classes[2][1]], ["50–70%", classes[3][1]],
                       ["< 50%", classes[4][1]], [labels.no_people || "—", "#d9d9d9"]];
        bands.forEach(([words, colour]) => { const row = document.createElement("div"); row.append(dot(colour, false), words); box.appendChild(row); });
        return box;
      };
      key.addTo(map);
      el.dataset.shaded = String(communities.features.length);
    }
    if (areas) {
      const outline = L.geoJSON(areas, {
        style: (f) => f.properties.role === "self" ? { color: "#6d1313", weight: 2, dashArray: "4 3", fill: false }
                                                   : { color: "#9aa1a9", weight: 1, fill: !shaded, fillColor: "#f3efe9", fillOpacity: 0.35 },
        pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 2, color: "#9aa1a9" }),
        onEachFeature: (f, layer) => { if (!shaded) layer.bindTooltip(text(f.properties.name)); },
        interactive: !shaded,
      }).addTo(map);
      bounds = bounds.extend(outline.getBounds());
    }
    if (ways && ways.features.length) {
      const network = L.geoJSON(ways, { style: { color: "#8d99a6", weight: 1, opacity: 0.6 }, interactive: false }).addTo(map);
      overlays[labels.network || "network"] = network;
      if (!scenario) bounds = bounds.extend(network.getBounds());
    }
    if (scenario) {
      const demand = L.geoJSON(layerOf(scenario, "demand"), {
        pointToLayer: (f, latlng) => L.circleMarker(latlng, {
          radius: Math.max(2, Math.min(9, Math.sqrt(f.properties.population) / 3)), stroke: false, fillOpacity: 0.75,
          fillColor: colours[f.properties.state] }),
        onEachFeature: (f, layer) => layer.bindTooltip(text(`${Math.round(f.properties.population)} ${labels.people || ""}`,
          f.properties.minutes === null ? "—" : `${f.properties.minutes} ${labels.minutes || ""}`, labels[f.properties.state] || "")),
      });
      if (!shaded) demand.addTo(map);  // with the communities shaded the points are one click away
      const facilities = L.geoJSON(layerOf(scenario, "facility"), {
        pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: f.properties.source === "osm" ? 5 : 7, weight: 2, color: "#1f2933",
                                                               fillColor: "#ffd54f", fillOpacity: 1 }),
        onEachFeature: (f, layer) => layer.bindTooltip(text(f.properties.name || labels.facility || "")),
      }).addTo(map);
      const proposed = L.geoJSON(layerOf(scenario, "proposed"), {
        pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 10, weight: 3, color: "#1565c0", fillColor: "#fff", fillOpacity: 1 }),
        onEachFeature: (f, layer) => layer.bindTooltip(text(`${f.properties.order}. ${f.properties.name}`,
          ...(f.properties.gain === null ? [] : [`+${f.properties.gain} ${labels.people || ""}`]),
          ...(f.properties.walk_saved_km === null ? [] : [`${f.properties.walk_saved_km} ${labels.walk_saved || ""}`])),
                                                       { permanent: true, direction: "right", className: "small" }),
      }).addTo(map);
      overlays[labels.points || "demand"] = demand;
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
        rows.forEach(([name, colour]) => { const row = document.createElement("div"); row.append(dot(colour, true), labels[name] || name); box.appendChild(row); });
        return box;
      };
      legend.addTo(map);
      el.dataset.loaded = String(demand.getLayers().length);
    }
    if (Object.keys(overlays).length) L.control.layers(null, overlays, { collapsed: true }).addTo(map);
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8] }); else map.setView([30, 115], 4);
  });
})();
