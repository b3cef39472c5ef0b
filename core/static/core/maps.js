// Every map of Linli is made here, on the background the deployment chose (settings.MAP_BACKGROUND,
// put on the page by {% map_scripts %}): none by default — the page's own boundaries on a plain
// background, nothing fetched from outside —, or tile layers (天地图's vector map and its
// annotation, or any XYZ server) credited to whose map they are, with the map's approval number
// (审图号) in the lower left corner where the deployment gave one.
window.LinliMap = (function () {
  const source = document.getElementById("linli-map-config");
  const config = source ? JSON.parse(source.textContent) : { layers: [], attribution: "", review_number: "", max_zoom: 18 };
  const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  function create(el, options) {
    const map = L.map(el, Object.assign({ maxZoom: config.max_zoom || 18 }, options || {}, { attributionControl: false }));
    config.layers.forEach((layer) => {
      L.tileLayer(layer.url, { subdomains: layer.subdomains || "abc", maxZoom: config.max_zoom || 18 }).addTo(map);
    });
    if (config.attribution) {
      L.control.attribution({ prefix: false }).addAttribution(escape(config.attribution)).addTo(map);
    }
    if (config.review_number) {
      const review = L.control({ position: "bottomleft" });
      review.onAdd = () => {
        const box = L.DomUtil.create("div", "leaflet-control-attribution linli-map-review");
        box.textContent = `${config.review_label}：${config.review_number}`;
        return box;
      };
      review.addTo(map);
    }
    el.dataset.background = config.layers.length ? "tiles" : "plain";
    return map;
  }

  return { create, config };
})();
