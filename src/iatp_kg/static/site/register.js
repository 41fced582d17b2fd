// With JavaScript, the form posts JSON to the registration API itself and shows its answer
// in place; without it, the browser posts the form to /register, which does the same.
(function () {
  var form = document.getElementById("register");
  if (!form || !window.fetch) { return; }
  var problemsBox = document.getElementById("problems");
  var confirmation = document.getElementById("confirmation");
  function value(name) {
    var el = form.elements[name];
    if (!el) { return undefined; }
    if (el.multiple) {
      var out = [];
      for (var i = 0; i < el.options.length; i++) { if (el.options[i].selected) { out.push(el.options[i].value); } }
      return out.length ? out : undefined;
    }
    var v = (el.value || "").trim();
    if (!v) { return undefined; }
    if (el.type === "number") { var n = Number(v); return isNaN(n) ? v : n; }
    if (name === "members") {
      return v.split("\n").map(function (line) {
        var p = line.split("|").map(function (s) { return s.trim(); });
        var m = { name: p[0] };
        if (p[1]) { m.sector = p[1]; }
        if (p[2]) { m.size = p[2]; }
        return m;
      }).filter(function (m) { return m.name; });
    }
    return v;
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var doc = {};
    Array.prototype.forEach.call(form.querySelectorAll("[data-field]"), function (box) {
      var name = box.getAttribute("data-field");
      var v = value(name);
      if (v !== undefined) { doc[name] = v; }
      box.classList.remove("invalid");
      box.querySelector(".error").textContent = "";
    });
    fetch(form.getAttribute("data-api"), {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(doc)
    }).then(function (r) {
      return r.json().then(function (body) { return { status: r.status, body: body }; });
    }).then(function (answer) {
      problemsBox.innerHTML = "";
      if (answer.status === 202) {
        form.hidden = true;
        problemsBox.hidden = true;
        confirmation.hidden = false;
        var p = document.createElement("p");
        p.textContent = answer.body.message + " ";
        var a = document.createElement("a");
        a.href = "/api/v1/registrations/" + answer.body.id;
        a.textContent = a.href;
        p.appendChild(a);
        confirmation.appendChild(p);
        confirmation.focus();
        return;
      }
      var error = answer.body.error || {};
      var list = document.createElement("ul");
      (error.problems || [{ message: error.message }]).forEach(function (p) {
        var field = String(p.field || "").split(".")[0].split("[")[0];
        var box = field && form.querySelector('[data-field="' + field + '"]');
        var li = document.createElement("li");
        li.textContent = (box ? box.querySelector("label").textContent.replace(" *", "") + ": " : "") + p.message;
        list.appendChild(li);
        if (box) {
          box.classList.add("invalid");
          box.querySelector(".error").textContent = p.message;
        }
      });
      problemsBox.appendChild(list);
      problemsBox.hidden = false;
      problemsBox.setAttribute("data-answered", String(answer.status));
      problemsBox.scrollIntoView();
    });
  });
})();
