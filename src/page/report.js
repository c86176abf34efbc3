// report.html: sorting and filtering the heat map, the one-theme lists, sortable tables,
// and the evidence panel that lists the sentences behind a figure on demand.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var STANCE_LABELS = ["strengths", "weaknesses", "recommendations", "context"];

  // ---- Heat map: which reports (latest full inspection or latest report), filter by name,
  // region and grade, sort by name, grade or a theme's share.
  var table = document.getElementById("hm");
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var filterBox = document.getElementById("hm-filter");
  var gradeBox = document.getElementById("hm-grade");
  var sortBox = document.getElementById("hm-sort");
  var countBox = document.getElementById("hm-count");
  var viewBox = document.getElementById("hm-view");
  var regionBox = document.getElementById("hm-region");
  var missing = document.getElementById("hm-missing");

  // The rows of a view: "full" (like for like) or "latest".
  function inView(row, view) {
    return (" " + row.getAttribute("data-views") + " ").indexOf(" " + view + " ") >= 0;
  }

  function balances(row) {
    if (!row._b) {
      row._b = row.getAttribute("data-b").split(",").map(function (v) {
        return v === "" ? null : Number(v);
      });
    }
    return row._b;
  }

  function compare(key) {
    var desc = /-desc$/.test(key);
    var base = key.replace(/-desc$/, "");
    // An authority can have two rows (its full inspection, its latest report): by name, then
    // the full-inspection row first, so the order is total.
    var byName = function (a, b) {
      var na = a.getAttribute("data-name"), nb = b.getAttribute("data-name");
      if (na !== nb) return na < nb ? -1 : 1;
      var va = a.getAttribute("data-views"), vb = b.getAttribute("data-views");
      return va === vb ? 0 : va < vb ? -1 : 1;
    };
    if (base === "name") return byName;
    if (base === "grade") {
      return function (a, b) {
        // Ungraded authorities last either way.
        var ga = Number(a.getAttribute("data-grade")) || 9;
        var gb = Number(b.getAttribute("data-grade")) || 9;
        if (ga === 9 || gb === 9) return ga === gb ? byName(a, b) : ga === 9 ? 1 : -1;
        return (desc ? gb - ga : ga - gb) || byName(a, b);
      };
    }
    var t = Number(base.slice(1));
    return function (a, b) {
      // Authorities without sentences on the theme go last either way.
      var va = balances(a)[t], vb = balances(b)[t];
      if (va === null || vb === null) return va === vb ? byName(a, b) : va === null ? 1 : -1;
      return (desc ? vb - va : va - vb) || byName(a, b);
    };
  }

  function applyHeatMap() {
    var needle = filterBox.value.trim().toLowerCase();
    var grade = gradeBox.value;
    var region = regionBox.value;
    var view = viewBox.value;
    var shown = 0, inThisView = 0;
    rows.sort(compare(sortBox.value));
    rows.forEach(function (row) {
      var here = inView(row, view);
      if (here) inThisView++;
      var ok = here && (!needle || row.getAttribute("data-name").indexOf(needle) >= 0) &&
        (region === "" || row.getAttribute("data-region") === region) &&
        (grade === "" || row.getAttribute("data-grade") === grade);
      row.hidden = !ok;
      if (ok) shown++;
      tbody.appendChild(row);
    });
    countBox.textContent = shown + " of " + inThisView + " authorities";
    if (missing) missing.hidden = view !== "full";
    var sorted = sortBox.value.replace(/-desc$/, "");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.classList.toggle("sorted", th.getAttribute("data-sort") === sorted);
    });
  }
  filterBox.addEventListener("input", applyHeatMap);
  gradeBox.addEventListener("change", applyHeatMap);
  regionBox.addEventListener("change", applyHeatMap);
  viewBox.addEventListener("change", function () {
    applyHeatMap();
    applyFocus();
  });
  sortBox.addEventListener("change", applyHeatMap);
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    var key = th.getAttribute("data-sort");
    if (!key) return;
    th.addEventListener("click", function () {
      // A theme's first click shows the most criticised first; a second click reverses.
      var next = sortBox.value === key ? key + "-desc" : key;
      if (!sortBox.querySelector("option[value='" + next + "']")) next = key;
      sortBox.value = next;
      applyHeatMap();
    });
  });
  applyHeatMap();

  // ---- Counting sentences, the same way the CSVs count them.
  function matching(r, t, s) {
    var reports = {};
    if (r === "L") {
      data.views.full.forEach(function (i) { reports[i] = true; });
    } else {
      reports[Number(r)] = true;
    }
    var stance = s === "" ? null : data.stances.indexOf(s);
    return data.sentences.filter(function (x) {
      if (!reports[x[0]] || x[3].indexOf(t) < 0) return false;
      // "" = the sentences behind a balance: everything but context.
      return stance === null ? x[2] !== 3 : x[2] === stance;
    });
  }

  // Stance counts per report and theme, from one pass over the sentences.
  var countIndex = {};
  data.sentences.forEach(function (x) {
    x[3].forEach(function (t) {
      var key = x[0] + ":" + t;
      (countIndex[key] = countIndex[key] || [0, 0, 0, 0])[x[2]]++;
    });
  });
  function countsFor(r, t) {
    return countIndex[r + ":" + t] || [0, 0, 0, 0];
  }

  // (strengths - weaknesses - recommendations) / every sentence, as the CSVs write it: two
  // decimals, halves rounded away from zero, sign always shown.
  function shareText(n) {
    var all = n[0] + n[1] + n[2] + n[3];
    if (!all) return "";
    var share = (n[0] - n[1] - n[2]) / all;
    var h = Math.round(Math.abs(share) * 100);
    if (share < 0 && h > 0) h = -h;
    var a = Math.abs(h);
    return (h < 0 ? "-" : "+") + Math.floor(a / 100) + "." + String(a % 100 + 100).slice(1);
  }

  // ---- Who was told to improve a theme, who does a theme well.
  var improveBox = document.getElementById("focus-improve-theme");
  var wellBox = document.getElementById("focus-well-theme");
  var FOCUS_SHOWN = 12;
  var STANCE_WORDS = [["strength", "strengths"], ["weakness", "weaknesses"], ["recommendation", "recommendations"]];
  // One list item: the authority, then a clickable count for each stance in `stances`.
  function focusItem(list, r, t, n, stances) {
    var li = document.createElement("li");
    li.appendChild(document.createTextNode(data.reports[r][0]));
    stances.forEach(function (stance) {
      if (!n[stance]) return;
      var b = document.createElement("button");
      b.type = "button";
      b.className = "ev";
      b.setAttribute("data-r", String(r));
      b.setAttribute("data-t", String(t));
      b.setAttribute("data-s", data.stances[stance]);
      b.textContent = String(n[stance]);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(b);
      var small = document.createElement("small");
      small.textContent = " " + STANCE_WORDS[stance][n[stance] > 1 ? 1 : 0];
      li.appendChild(small);
    });
    list.appendChild(li);
  }
  function fillList(listId, t, keep, order, stances) {
    var list = document.getElementById(listId);
    list.textContent = "";
    var entries = data.views[viewBox.value]
      .map(function (r) { return [r, countsFor(r, t)]; })
      .filter(function (e) { return keep(e[1]); });
    entries.sort(function (a, b) { return order(a[1], b[1]) || a[0] - b[0]; });
    entries.forEach(function (e) { focusItem(list, e[0], t, e[1], stances); });
    if (!entries.length) list.appendChild(el("li", "note", "none"));
    // The first few at a glance; the rest one click away.
    var more = list.nextElementSibling;
    if (more && more.classList.contains("more")) more.remove();
    if (entries.length > FOCUS_SHOWN) {
      list.classList.add("clipped");
      var button = el("button", "more", "show all " + entries.length);
      button.type = "button";
      button.addEventListener("click", function () {
        list.classList.remove("clipped");
        button.remove();
      });
      list.parentNode.insertBefore(button, list.nextSibling);
    } else {
      list.classList.remove("clipped");
    }
  }
  function applyFocus() {
    fillList("focus-improve", Number(improveBox.value),
      function (n) { return n[1] + n[2] > 0; },
      function (a, b) { return b[2] - a[2] || b[1] - a[1]; },
      [2, 1]);
    fillList("focus-well", Number(wellBox.value),
      function (n) { return n[0] > 0; },
      function (a, b) { return b[0] - a[0] || (b[0] - b[1] - b[2]) - (a[0] - a[1] - a[2]); },
      [0]);
  }
  improveBox.addEventListener("change", applyFocus);
  wellBox.addEventListener("change", applyFocus);

  // ---- Sortable tables (themes overall).
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable-table"), function (tt) {
    Array.prototype.forEach.call(tt.tHead.rows[0].cells, function (th, col) {
      th.classList.add("sortable");
      th.addEventListener("click", function () {
        var numeric = th.getAttribute("data-k") === "num";
        var desc = !th.classList.contains("desc");
        Array.prototype.forEach.call(tt.tHead.rows[0].cells, function (h) {
          h.classList.remove("desc", "asc", "sorted");
        });
        th.classList.add(desc ? "desc" : "asc", "sorted");
        var body = tt.tBodies[0];
        var list = Array.prototype.slice.call(body.rows);
        list.sort(function (a, b) {
          var x = a.cells[col], y = b.cells[col];
          var d = numeric
            ? Number(x.getAttribute("data-v")) - Number(y.getAttribute("data-v"))
            : x.textContent.localeCompare(y.textContent);
          return desc ? -d : d;
        });
        list.forEach(function (row) { body.appendChild(row); });
      });
    });
  });

  // ---- Evidence panel: the sentences behind a figure, rendered on click.
  var panel = document.getElementById("evidence");
  var panelTitle = document.getElementById("ev-title");
  var panelBody = document.getElementById("ev-body");
  var lastFocus = null;

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // "inspection of 2023-05-04", or "inspection, undated" (as the page's Rust side writes it).
  function describeReport(rep) {
    return rep[2] ? rep[1] + " of " + rep[2] : rep[1] + ", undated";
  }

  function showEvidence(button) {
    var r = button.getAttribute("data-r");
    var t = Number(button.getAttribute("data-t"));
    var s = button.getAttribute("data-s");
    var found = matching(r, t, s);
    var theme = data.themes[t][1];
    var where = r === "L"
      ? "latest full inspection of every authority"
      : data.reports[Number(r)][0] + ", " + describeReport(data.reports[Number(r)]);
    var what = s === "" ? "Strengths, weaknesses and recommendations" : STANCE_LABELS[data.stances.indexOf(s)];
    panelTitle.textContent = what.charAt(0).toUpperCase() + what.slice(1) + " about " + theme;
    panelBody.textContent = "";
    var summary = where + ": " + found.length + " sentence" + (found.length === 1 ? "" : "s");
    if (r === "L") {
      var from = {};
      found.forEach(function (x) { from[x[0]] = true; });
      var n = Object.keys(from).length;
      summary += " from " + n + " authorit" + (n === 1 ? "y" : "ies");
    }
    panelBody.appendChild(el("p", "ev-where", summary));
    [0, 1, 2, 3].forEach(function (stance) {
      var group = found.filter(function (x) { return x[2] === stance; });
      if (!group.length) return;
      panelBody.appendChild(el("h3", "ev-stance k " + "swrc".charAt(stance), STANCE_LABELS[stance] + " (" + group.length + ")"));
      var list = el("ol", "ev-list");
      group.forEach(function (x) {
        var li = el("li", "ev-item " + "swrc".charAt(stance));
        li.appendChild(el("q", "", x[5]));
        var rep = data.reports[x[0]];
        var meta = (r === "L" ? rep[0] + ", " : "") + describeReport(rep) + ", sentence " + x[1];
        if (data.sections[x[4]]) meta += ", under \u201c" + data.sections[x[4]] + "\u201d";
        li.appendChild(el("small", "", meta));
        list.appendChild(li);
      });
      panelBody.appendChild(list);
    });
    lastFocus = button;
    panel.hidden = false;
    document.getElementById("ev-close").focus();
    setHash("#ev=" + r + "," + t + "," + s);
  }

  function hideEvidence() {
    panel.hidden = true;
    setHash("");
    if (lastFocus) lastFocus.focus();
  }

  // The open evidence list is in the address (#ev=REPORT,THEME,STANCE), so it can be shared.
  function setHash(hash) {
    try {
      history.replaceState(null, "", location.pathname + location.search + hash);
    } catch (e) {
      // Some browsers refuse this for file:// pages; the panel works all the same.
    }
  }
  function openFromHash() {
    var m = /^#ev=(L|\d+),(\d+),([a-z]*)$/.exec(location.hash);
    if (!m || Number(m[2]) >= data.themes.length) return;
    if (m[1] !== "L" && Number(m[1]) >= data.reports.length) return;
    var b = document.createElement("button");
    b.setAttribute("data-r", m[1]);
    b.setAttribute("data-t", m[2]);
    b.setAttribute("data-s", m[3]);
    showEvidence(b);
    lastFocus = null;
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button.ev") : null;
    if (button) {
      showEvidence(button);
    } else if (e.target === panel || e.target.id === "ev-close") {
      hideEvidence();
    }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && !panel.hidden) hideEvidence();
  });

  // Printing shows every authority, whatever the filter.
  window.addEventListener("beforeprint", function () {
    rows.forEach(function (row) { row.hidden = !inView(row, viewBox.value); });
  });
  window.addEventListener("afterprint", applyHeatMap);

  // ---- Self-check (open the page with #self-check): every figure must equal what its
  // sentences add up to. The browser test relies on this; mismatches go to console.error.
  function selfCheck() {
    var checked = 0, wrong = 0;
    Array.prototype.forEach.call(document.querySelectorAll("button.ev"), function (b) {
      var found = matching(b.getAttribute("data-r"), Number(b.getAttribute("data-t")), b.getAttribute("data-s"));
      var expected;
      if (b.getAttribute("data-count") === "authorities") {
        var seen = {};
        found.forEach(function (x) { seen[x[0]] = true; });
        expected = Object.keys(seen).length;
      } else if (b.getAttribute("data-share") === "1") {
        expected = shareText(countsFor(Number(b.getAttribute("data-r")), Number(b.getAttribute("data-t"))));
      } else if (b.getAttribute("data-s") === "") {
        expected = found.reduce(function (sum, x) { return sum + (x[2] === 0 ? 1 : -1); }, 0);
      } else {
        expected = found.length;
      }
      checked++;
      if (String(expected) !== b.textContent.trim()) {
        wrong++;
        console.error("figure " + b.textContent + " (r=" + b.getAttribute("data-r") + " t=" +
          b.getAttribute("data-t") + " s=" + b.getAttribute("data-s") + ") but its sentences give " + expected);
      }
    });
    // Every share cell shows its n, and a cell with fewer than 3 sentences is hatched and not
    // coloured; any other is coloured and not hatched (as the browser paints them).
    Array.prototype.forEach.call(document.querySelectorAll("td.hc[data-n]"), function (td) {
      var b = td.querySelector("button.ev");
      var n = countsFor(Number(b.getAttribute("data-r")), Number(b.getAttribute("data-t")));
      var all = n[0] + n[1] + n[2] + n[3];
      var few = all < 3;
      var style = getComputedStyle(td);
      var hatched = style.backgroundImage.indexOf("gradient") >= 0;
      var plain = style.backgroundColor === "rgba(0, 0, 0, 0)" || style.backgroundColor === "rgb(255, 255, 255)";
      checked++;
      if (td.getAttribute("data-n") !== String(all) || td.querySelector("small.n").textContent !== String(all) ||
          td.classList.contains("few") !== few || hatched !== few || (few && !plain) || (!few && plain)) {
        wrong++;
        console.error("cell r=" + b.getAttribute("data-r") + " t=" + b.getAttribute("data-t") + " n=" + all +
          " few=" + few + " hatched=" + hatched + " background " + style.backgroundColor);
      }
    });
    // The views: "full" shows only full inspections; "latest" one row per authority.
    var startView = viewBox.value;
    ["full", "latest"].forEach(function (view) {
      viewBox.value = view;
      applyHeatMap();
      var shown = rows.filter(function (row) { return !row.hidden; });
      checked++;
      var names = {};
      shown.forEach(function (row) { names[row.getAttribute("data-name")] = true; });
      if (shown.length !== data.views[view].length || Object.keys(names).length !== shown.length ||
          (view === "full" && shown.some(function (row) { return row.getAttribute("data-kind") !== "inspection"; }))) {
        wrong++;
        console.error("view " + view + " shows the wrong rows");
      }
    });
    viewBox.value = startView;
    // Sorting: every option puts the rows in its order.
    Array.prototype.forEach.call(sortBox.options, function (option) {
      sortBox.value = option.value;
      applyHeatMap();
      var order = Array.prototype.slice.call(tbody.rows);
      var cmp = compare(option.value);
      for (var i = 1; i < order.length; i++) {
        checked++;
        if (cmp(order[i - 1], order[i]) > 0) {
          wrong++;
          console.error("sort " + option.value + ": row " + i + " out of order");
        }
      }
    });
    // Filtering: a name filter keeps exactly the matching rows.
    var first = rows.filter(function (row) { return inView(row, viewBox.value); })[0];
    if (first) {
      var name = first.getAttribute("data-name");
      filterBox.value = name;
      applyHeatMap();
      var shown = rows.filter(function (row) { return !row.hidden; });
      checked++;
      if (!shown.length || shown.some(function (row) { return row.getAttribute("data-name").indexOf(name) < 0; })) {
        wrong++;
        console.error("filter " + name + " shows the wrong rows");
      }
      filterBox.value = "";
      // A region keeps exactly that region's rows.
      var region = first.getAttribute("data-region");
      if (region) {
        regionBox.value = region;
        applyHeatMap();
        checked++;
        if (rows.some(function (row) { return !row.hidden && row.getAttribute("data-region") !== region; })) {
          wrong++;
          console.error("region " + region + " shows the wrong rows");
        }
        regionBox.value = "";
      }
    }
    sortBox.value = "name";
    applyHeatMap();

    var out = document.createElement("pre");
    out.id = "self-check";
    out.hidden = true;
    out.textContent = "checked " + checked + " figures and orders, " + wrong + " wrong";
    document.body.appendChild(out);
  }
  applyFocus();
  if (location.hash === "#self-check") selfCheck();
  openFromHash();

  document.body.setAttribute("data-ready", "1");
})();
