// The map: bundled country outlines (world-atlas), optionally a tile layer (a setting), and
// one clustered marker per georeferenced initiative, filtered in the page.
(function () {
  if (typeof L === "undefined") { return; }
  var el = document.getElementById("map");
  var data = JSON.parse(document.getElementById("features").textContent);
  var map = L.map(el, { minZoom: 2, maxZoom: 14 }).setView([-8, -70], 3);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "" }).addTo(map);
  }
  fetch("/static/vendor/world-atlas/countries-110m.json")
    .then(function (r) { return r.json(); })
    .then(function (world) {
      var land = topojson.feature(world, world.objects.countries);
      // Polygons that cross the antimeridian (Fiji, Russia) would draw a line across the map.
      function crosses(ring) {
        for (var i = 1; i < ring.length; i++) {
          if (Math.abs(ring[i][0] - ring[i - 1][0]) > 180) { return true; }
        }
        return false;
      }
      land.features.forEach(function (f) {
        var g = f.geometry;
        if (!g) { return; }
        if (g.type === "Polygon" && g.coordinates.some(crosses)) { f.geometry = null; }
        if (g.type === "MultiPolygon") {
          g.coordinates = g.coordinates.filter(function (p) { return !p.some(crosses); });
        }
      });
      land.features = land.features.filter(function (f) { return f.geometry; });
      L.geoJSON(land, { style: { color: "#6b7d8c", weight: 1, fillColor: "#e9eef2", fillOpacity: 1 } })
        .addTo(map).bringToBack();
    })
    .catch(function () {});
  var cluster = L.markerClusterGroup();
  map.addLayer(cluster);
  var form = document.getElementById("filters");
  var shown = document.getElementById("shown");
  function matches(f, kind, sector, country) {
    var p = f.properties;
    return (!kind || p.kind === kind) && (!country || p.country === country) &&
      (!sector || p.sections.indexOf(sector) >= 0);
  }
  function draw() {
    var kind = form.kind.value, sector = form.sector.value, country = form.country.value;
    cluster.clearLayers();
    var markers = [];
    data.features.forEach(function (f) {
      if (!matches(f, kind, sector, country)) { return; }
      var c = f.geometry.coordinates;
      var m = L.marker([c[1], c[0]], { title: f.properties.name, alt: f.properties.name });
      var a = document.createElement("a");
      a.href = f.properties.url;
      a.textContent = f.properties.name;
      m.bindPopup(a);
      m.feature = f;
      markers.push(m);
    });
    cluster.addLayers(markers);
    shown.textContent = String(markers.length);
    window.iatpMap = { map: map, cluster: cluster, count: markers.length };
    document.body.setAttribute("data-map-ready", String(markers.length));
  }
  ["kind", "sector", "country"].forEach(function (name) {
    form[name].addEventListener("change", draw);
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); draw(); });
  var params = new URLSearchParams(location.search);
  ["kind", "sector", "country"].forEach(function (name) {
    if (params.get(name)) { form[name].value = params.get(name); }
  });
  draw();
})();
