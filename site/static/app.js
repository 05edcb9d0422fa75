// slotradar: progressive enhancement only. Without this script every list is in the HTML.
// Time-relative text ("checked 3 min ago") is computed here, from status files, so that
// pages stay byte-identical while their content is unchanged.
(function () {
  "use strict";
  var body = document.body;
  var root = body.getAttribute("data-root") || "";
  var lroot = body.getAttribute("data-lroot") || "";
  var page = body.getAttribute("data-page") || "";
  var T = {};
  try { T = JSON.parse(document.getElementById("i18n").textContent); } catch (e) { T = {}; }
  var lang = document.documentElement.lang || "fr";

  function fmt(key, values) {
    var text = T[key] || key;
    Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
    return text;
  }
  function getJSON(path) {
    return fetch(root + path, { cache: "no-cache" }).then(function (r) {
      if (!r.ok) throw new Error(path + ": " + r.status);
      return r.json();
    });
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function safeUrl(url) { return /^https?:\/\//i.test(url || "") ? url : ""; }

  // -- freshness ---------------------------------------------------------------------
  function ago(iso) {
    var seconds = (Date.now() - Date.parse(iso)) / 1000;
    if (!isFinite(seconds)) return null;
    if (seconds < 90) return T.js_just_now;
    var minutes = Math.round(seconds / 60);
    if (minutes < 90) return fmt("js_min_ago", { n: minutes });
    return fmt("js_h_ago", { n: Math.round(minutes / 60) });
  }
  var checked = {};
  var generatedAt = null;
  var providers = {};
  function paintFreshness() {
    document.querySelectorAll("[data-checked-for]").forEach(function (node) {
      var iso = checked[node.getAttribute("data-checked-for")];
      var text = iso && ago(iso);
      if (text) node.textContent = T.js_checked + " " + text;
    });
    document.querySelectorAll("[data-last-success]").forEach(function (node) {
      var p = providers[node.getAttribute("data-last-success")];
      var text = p && p.last_success && ago(p.last_success);
      if (text) node.textContent = text;
    });
    var footer = document.getElementById("freshness");
    if (footer && generatedAt) footer.textContent = "· " + T.js_published + " " + ago(generatedAt);
  }
  function loadStatus(area) {
    getJSON("status.json").then(function (s) {
      generatedAt = s.generated_at; providers = s.providers || {}; paintFreshness();
    })
      .catch(function () {});
    if (area) {
      getJSON("status/" + area + ".json").then(function (s) {
        Object.assign(checked, s.checked); paintFreshness();
      }).catch(function () {});
    }
  }

  // -- filters -----------------------------------------------------------------------
  function horizonEnd(horizon) {
    var now = new Date();
    if (horizon === "today") return new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1).getTime();
    if (horizon === "tomorrow") return new Date(now.getFullYear(), now.getMonth(), now.getDate() + 2).getTime();
    if (horizon === "7d") return now.getTime() + 7 * 86400000;
    return Infinity;
  }
  function readFilters(scope) {
    var box = document.getElementById("filters-" + scope);
    if (!box) return { type: "", horizon: "any" };
    var checkedRadio = box.querySelector("input[data-filter=horizon]:checked");
    return { type: box.querySelector("select[data-filter=type]").value,
             horizon: checkedRadio ? checkedRadio.value : "any" };
  }
  // slots of a place matching the filters (null: no filter active, show everything)
  function matching(loc, filters) {
    if (!filters.type && filters.horizon === "any") return null;
    var end = horizonEnd(filters.horizon), now = Date.now(), n = 0, first = null;
    (loc.types || []).forEach(function (t) {
      if (filters.type && t.appointment_type !== filters.type) return;
      t.starts.forEach(function (iso) {
        var at = Date.parse(iso);
        if (at >= now && at < end) { n += 1; if (first === null || at < first) first = at; }
      });
    });
    return { count: n, first: first };
  }
  function onFilterChange(scope, callback) {
    var box = document.getElementById("filters-" + scope);
    if (box) box.addEventListener("change", callback);
  }

  // -- cards (search results) --------------------------------------------------------
  // same shape as the server's dates: "lun. 2 mars 09:30" / "Mon 2 Mar 09:30"
  var intl = new Intl.DateTimeFormat(lang === "fr" ? "fr-FR" : "en-GB", {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    hourCycle: "h23", timeZone: "Europe/Paris" });
  var timeFormat = { format: function (date) {
    var p = {};
    intl.formatToParts(date).forEach(function (part) { p[part.type] = part.value; });
    return p.weekday + " " + p.day + " " + p.month + " " + p.hour + ":" + p.minute;
  } };
  function card(loc) {
    var li = el("li", "card" + (loc.stale ? " stale" : ""));
    li.setAttribute("data-id", loc.id);
    var h = el("h3", "name"), a = el("a", "", loc.name);
    a.href = lroot + loc.page; h.appendChild(a); li.appendChild(h);
    li.appendChild(el("p", "address", [loc.address, (loc.postcode + " " + loc.city).trim()].filter(Boolean).join(", ")));
    var meta = T.via + " " + loc.platform;
    if (loc.distance !== undefined) meta += " · " + fmt("distance", { km: loc.distance.toLocaleString(lang, { maximumFractionDigits: 1 }) });
    li.appendChild(el("p", "meta", meta));
    if (loc.phone_only) {
      var p = el("p", "phone-only", T.phone_only);
      if (loc.phone) {
        var tel = el("a", "", loc.phone); tel.href = "tel:" + loc.phone.replace(/\s/g, "");
        p.appendChild(document.createTextNode(" · ")); p.appendChild(tel);
      }
      li.appendChild(p);
    } else if (loc.next_slot) {
      var next = el("p", "next", T.next_slot + T.colon + " ");
      var strong = el("strong"), time = el("time", "", timeFormat.format(new Date(loc.shown_first || loc.next_slot)));
      time.setAttribute("datetime", loc.shown_first ? new Date(loc.shown_first).toISOString() : loc.next_slot);
      strong.appendChild(time); next.appendChild(strong);
      var count = loc.shown_count !== undefined ? loc.shown_count : loc.slot_count;
      next.appendChild(document.createTextNode(" · " + count + " " + (count === 1 ? T.slot : T.slots)));
      li.appendChild(next);
      var url = safeUrl(loc.booking_url);
      if (url) {
        var bp = el("p"), book = el("a", "book", fmt("book_on", { platform: loc.platform }));
        book.href = url; book.rel = "noopener nofollow"; bp.appendChild(book); li.appendChild(bp);
      }
    } else {
      li.appendChild(el("p", "none", T.no_slot));
    }
    if (loc.failing) li.appendChild(el("p", "warn", T.failing));
    if (loc.stale && !loc.hidden) li.appendChild(el("p", "warn stale-label", T.stale));
    var c = el("p", "checked"); c.setAttribute("data-checked-for", loc.id); li.appendChild(c);
    return li;
  }

  // -- geography ---------------------------------------------------------------------
  function km(lat1, lon1, lat2, lon2) {
    var rad = Math.PI / 180, dLat = (lat2 - lat1) * rad, dLon = (lon2 - lon1) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 12742 * Math.asin(Math.sqrt(h));
  }
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }

  // -- home: search, autocomplete, near me, results -------------------------------------
  function home() {
    var form = document.getElementById("search");
    var input = document.getElementById("q");
    var list = document.getElementById("suggestions");
    var results = document.getElementById("results");
    var resultsList = document.getElementById("results-list");
    var statusLine = document.getElementById("results-status");
    var title = document.getElementById("results-title");
    form.hidden = false;
    var index = null, indexPromise = null, shards = {}, options = [], active = -1, current = null;

    function loadIndex() {
      if (!indexPromise) indexPromise = getJSON("data/search.json").then(function (d) { index = d; return d; });
      return indexPromise;
    }
    // the places are split by prefix (aggregator/search_index.py): typing downloads the
    // shard of the longest published key that starts the query, not every city
    function loadPlaces(query) {
      var q = fold(query);
      return loadIndex().then(function (d) {
        var keys = {};
        d.keys.forEach(function (k) { keys[k] = true; });
        for (var n = q.length; n > 0; n--) {
          var key = q.slice(0, n).replace(/[^a-z0-9]/g, "_");
          if (!keys[key]) continue;
          if (!shards[key]) {
            shards[key] = getJSON("data/search/" + key + ".json")
              .then(function (s) { return s.places; }, function () { delete shards[key]; return []; });
          }
          return shards[key];
        }
        return [];
      });
    }
    function suggestionsFor(query, places) {
      var q = fold(query);
      if (!q || !index) return [];
      var found = [], seen = {};
      index.areas.forEach(function (a) {
        if (fold(a.name).indexOf(q) === 0 || fold(a.code) === q) {
          found.push({ label: a.name + " (" + a.code + ")", area: a.code, lat: null, lon: null });
        }
      });
      places.forEach(function (p) {
        var key = p[0] + "|" + p[1];
        if (seen[key]) return;
        if (fold(p[0]).indexOf(q) === 0 || p[1].indexOf(q) === 0) {
          seen[key] = true;
          found.push({ label: p[0] + " " + p[1], area: p[2], lat: p[3], lon: p[4] });
        }
      });
      return found.slice(0, 8);
    }
    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; input.removeAttribute("aria-activedescendant"); }
    function paintOptions() {
      list.textContent = "";
      options.forEach(function (o, i) {
        var li = el("li", i === active ? "active" : "", o.label);
        li.id = "opt-" + i; li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(o); });
        list.appendChild(li);
      });
      list.hidden = options.length === 0;
      input.setAttribute("aria-expanded", options.length ? "true" : "false");
      if (active >= 0) input.setAttribute("aria-activedescendant", "opt-" + active);
    }
    function update() {
      var value = input.value;
      loadPlaces(value).then(function (places) {
        if (input.value !== value) return;  // a later keystroke answers instead
        options = suggestionsFor(value, places); active = -1; paintOptions();
      });
    }
    input.addEventListener("focus", loadIndex);
    input.addEventListener("input", update);
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown" && options.length) { active = (active + 1) % options.length; paintOptions(); ev.preventDefault(); }
      else if (ev.key === "ArrowUp" && options.length) { active = (active - 1 + options.length) % options.length; paintOptions(); ev.preventDefault(); }
      else if (ev.key === "Escape") { close(); }
      else if (ev.key === "Enter" && active >= 0) { ev.preventDefault(); choose(options[active]); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var value = input.value;
      loadPlaces(value).then(function (places) {
        var found = suggestionsFor(value, places);
        if (found.length) choose(found[0]);
        else show(fmt("results_none"), []);
      });
    });
    document.getElementById("near-me").addEventListener("click", function () {
      if (!navigator.geolocation) { show(T.near_me_denied, []); return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        loadIndex().then(function () { nearMe(pos.coords.latitude, pos.coords.longitude); });
      }, function () { show(T.near_me_denied, []); }, { timeout: 10000, maximumAge: 300000 });
    });
    onFilterChange("home", function () { if (current) paint(); });

    function choose(option) {
      input.value = option.label; close();
      fetchAreas([option.area], option.label, option.lat, option.lon);
    }
    // the two areas nearest to the position: distance to each area's box of places
    // (0 inside it), ties broken by distance to the box's centre
    function nearMe(lat, lon) {
      var ranked = index.areas.filter(function (a) { return a.box; }).map(function (a) {
        var b = a.box;
        var inLat = Math.min(Math.max(lat, b[0]), b[2]), inLon = Math.min(Math.max(lon, b[1]), b[3]);
        return { area: a.code, d: km(lat, lon, inLat, inLon),
                 c: km(lat, lon, (b[0] + b[2]) / 2, (b[1] + b[3]) / 2) };
      }).sort(function (a, b) { return a.d - b.d || a.c - b.c; });
      fetchAreas(ranked.slice(0, 2).map(function (r) { return r.area; }), T.near_me || "", lat, lon);
    }
    function fetchAreas(codes, label, lat, lon) {
      Promise.all(codes.map(function (c) { return getJSON("data/areas/" + c + ".json"); }))
        .then(function (docs) {
          var locs = [];
          docs.forEach(function (d) { locs = locs.concat(d.locations); });
          locs.forEach(function (l) {
            if (lat !== null && lat !== undefined && l.lat !== null) l.distance = km(lat, lon, l.lat, l.lon);
          });
          current = { label: label, locs: locs, byDistance: lat !== null && lat !== undefined };
          codes.forEach(function (c) { getJSON("status/" + c + ".json").then(function (s) { Object.assign(checked, s.checked); paintFreshness(); }).catch(function () {}); });
          paint();
        }).catch(function () { show(fmt("results_none"), []); });
    }
    function paint() {
      var filters = readFilters("home");
      var shown = [];
      current.locs.forEach(function (l) {
        var m = matching(l, filters);
        if (m === null) { delete l.shown_first; delete l.shown_count; shown.push(l); return; }
        if (m.count > 0) { l.shown_first = m.first; l.shown_count = m.count; shown.push(l); }
      });
      shown.sort(function (a, b) {
        if (current.byDistance && a.distance !== undefined && b.distance !== undefined) return a.distance - b.distance;
        var x = a.shown_first || (a.next_slot ? Date.parse(a.next_slot) : Infinity);
        var y = b.shown_first || (b.next_slot ? Date.parse(b.next_slot) : Infinity);
        return x - y;
      });
      show(shown.length ? T.results_for + " " + current.label + " (" + shown.length + ")" : T.results_none, shown.slice(0, 50));
    }
    function show(message, locs) {
      results.hidden = false;
      statusLine.textContent = message;
      resultsList.textContent = "";
      locs.forEach(function (l) { resultsList.appendChild(card(l)); });
      paintFreshness();
      title.focus({ preventScroll: false });
    }
  }

  // -- area page: filter the cards already in the HTML ---------------------------------
  function area(code) {
    var form = document.getElementById("area-filters");
    var statusLine = document.getElementById("results-status");
    if (!form) return;
    form.hidden = false;
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    var doc = null;
    onFilterChange("area", function () {
      (doc ? Promise.resolve(doc) : getJSON("data/areas/" + code + ".json")).then(function (d) {
        doc = d;
        var filters = readFilters("area"), visible = 0, byId = {};
        d.locations.forEach(function (l) { byId[l.id] = l; });
        document.querySelectorAll("#area-list > li.card").forEach(function (li) {
          var loc = byId[li.getAttribute("data-id")];
          var m = loc ? matching(loc, filters) : null;
          var show = m === null || m.count > 0;
          li.hidden = !show;
          if (show) visible += 1;
        });
        statusLine.textContent = visible ? "" : T.results_none;
      });
    });
  }

  var areaCode = body.getAttribute("data-area");
  loadStatus(areaCode);
  if (page === "home") home();
  if (page === "area" && areaCode) area(areaCode);
  setInterval(paintFreshness, 30000);
})();
