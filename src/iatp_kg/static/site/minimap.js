// A small map of one resource's point over the bundled country outlines (no tile server).
(function () {
  var el = document.getElementById("minimap");
  if (!el || typeof L === "undefined") { return; }
  var lat = Number(el.dataset.lat), lon = Number(el.dataset.long);
  var map = L.map(el, { zoomControl: true, attributionControl: false, minZoom: 2, maxZoom: 12 })
    .setView([lat, lon], 5);
  fetch("/static/vendor/world-atlas/countries-110m.json")
    .then(function (r) { return r.json(); })
    .then(function (world) {
      var land = topojson.feature(world, world.objects.countries);
      function crosses(ring) {  // a ring over the antimeridian would draw a line across
        for (var i = 1; i < ring.length; i++) {
          if (Math.abs(ring[i][0] - ring[i - 1][0]) > 180) { return true; }
        }
        return false;
      }
      land.features.forEach(function (f) {
        var g = f.geometry;
        if (g && g.type === "Polygon" && g.coordinates.some(crosses)) { f.geometry = null; }
        if (g && g.type === "MultiPolygon") {
          g.coordinates = g.coordinates.filter(function (p) { return !p.some(crosses); });
        }
      });
      land.features = land.features.filter(function (f) { return f.geometry; });
      L.geoJSON(land, { style: { color: "#6b7d8c", weight: 1, fillColor: "#e9eef2", fillOpacity: 1 } })
        .addTo(map).bringToBack();
    })
    .catch(function () {});
  L.marker([lat, lon], { title: el.dataset.name, alt: el.dataset.name }).addTo(map);
  document.body.setAttribute("data-minimap-ready", "1");
})();
