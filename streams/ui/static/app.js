// newsstreams live view: plain JS, no build step, no network beyond this server.
// Every piece of record data reaches the DOM through textContent or setAttribute, never as HTML.
"use strict";

(function () {
  const DEFAULT_MAX_CARDS = 200;      // until the server says its window size (stats.max_cards)
  const COLLAPSED_CHARS = 600;
  const cards = new Map();            // id -> {data, el}
  const deadLetters = [];
  let lastStats = null;
  let world = null;
  const filters = {search: "", category: "", language: "", reliability: "", entity: "", place: ""};

  // --- DOM helpers ---------------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    return node;
  }
  const $ = (id) => document.getElementById(id);
  const token = (s) => String(s || "none").toLowerCase().replace(/[^a-z0-9_-]/g, "_");
  const fmt = (x, digits = 2) => (x === null || x === undefined || Number.isNaN(x)) ? "–" : Number(x).toFixed(digits);
  const count = (x) => (x === null || x === undefined) ? "–" : Math.round(x).toLocaleString("en");
  const placeKey = (p) => p.name + (p.country_code ? " (" + p.country_code + ")" : "");
  const sourceName = (d) => d.source.name || d.source.domain || "unknown source";
  const reliabilityOf = (d) => d.source.reliability || "unrated";
  function safeHref(url) {
    try {
      const u = new URL(url);
      return (u.protocol === "http:" || u.protocol === "https:") ? u.href : null;
    } catch (e) { return null; }
  }
  function clearNode(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  // --- text with entities highlighted -------------------------------------------------------------
  function escapeRegExp(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  function entityTerms(d) {
    const terms = new Map();        // surface text -> {canonical, label, count}
    for (const e of d.entities) {
      for (const t of [e.text, e.canonical]) {
        if (t && t.length > 1 && !terms.has(t)) terms.set(t, e);
      }
    }
    for (const p of d.locations) {
      for (const t of [p.name, ...(p.mentions || [])]) {
        if (t && t.length > 1 && !terms.has(t)) terms.set(t, {canonical: p.name, label: "GPE", count: p.count});
      }
    }
    return terms;
  }

  function highlightedText(d, card) {
    const box = el("div", {class: "text"});
    const text = d.text || "";
    const terms = entityTerms(d);
    const names = [...terms.keys()].sort((a, b) => b.length - a.length).slice(0, 200);
    if (!names.length) { box.textContent = text; return box; }
    const re = new RegExp("(?<![\\p{L}\\p{N}])(?:" + names.map(escapeRegExp).join("|") + ")(?![\\p{L}\\p{N}])", "gu");
    let at = 0;
    for (const m of text.matchAll(re)) {
      if (m.index > at) box.append(document.createTextNode(text.slice(at, m.index)));
      const e = terms.get(m[0]);
      const mark = el("mark", {
        class: "ent ent-" + token(e.label), tabindex: "0", "data-canonical": e.canonical,
        title: e.canonical + " · " + e.label + " · " + e.count + (e.count === 1 ? " mention" : " mentions"),
      }, m[0]);
      mark.addEventListener("click", () => showEntity(card, e));
      box.append(mark);
      at = m.index + m[0].length;
    }
    if (at < text.length) box.append(document.createTextNode(text.slice(at)));
    return box;
  }

  function showEntity(card, e) {
    const info = card.querySelector(".entity-info");
    clearNode(info);
    info.append(el("b", {text: e.canonical}), " " + e.label + " · " + e.count + (e.count === 1 ? " mention " : " mentions "),
      el("button", {type: "button", text: "show articles with it", onclick: () => setFilter("entity", e.canonical)}));
    info.hidden = false;
  }

  // --- one card --------------------------------------------------------------------------------------
  function renderCard(d) {
    const rel = reliabilityOf(d);
    const card = el("article", {
      class: "card", "data-id": d.id, "data-category": d.category || "", "data-language": d.language || "",
      "data-reliability": rel,
    });
    const href = d.url ? safeHref(d.url) : null;
    const title = d.title || "(no title)";
    card.append(el("h3", {class: "title"},
      href ? el("a", {href: href, target: "_blank", rel: "noopener noreferrer", text: title}) : title));

    const meta = el("div", {class: "meta"},
      el("span", {class: "source", text: sourceName(d)}),
      el("span", {class: "rel rel-" + token(rel), title: "source reliability (OpenSources)", text: rel}),
      el("span", {text: d.published_at ? d.published_at.slice(0, 10) : "undated"}),
      d.language ? el("span", {class: "lang", text: d.language}) : null,
      d.authors.length ? el("span", {text: "by " + d.authors.join(", ")}) : null,
      el("span", {class: "muted", text: d.word_count + " words"}),
      d.kafka.timestamp_ms ? el("span", {class: "muted", title: "Kafka timestamp of the enriched record",
        text: "enriched " + new Date(d.kafka.timestamp_ms).toLocaleTimeString()}) : null);
    card.append(meta);

    const badges = el("div", {class: "badges"});
    if (d.category) {
      badges.append(el("button", {type: "button", class: "badge cat cat-" + token(d.category),
        title: (d.categories || []).map((c) => c.label + " " + fmt(c.score)).join(", "),
        onclick: () => setFilter("category", d.category)},
        d.category + (d.score !== null ? " " + fmt(d.score) : "")));
    }
    if (d.tone !== null) {
      badges.append(el("span", {class: "badge tone " + (d.tone > 0.05 ? "pos" : d.tone < -0.05 ? "neg" : "neu"),
        title: "tone (compound, -1 .. +1)", text: "tone " + (d.tone > 0 ? "+" : "") + fmt(d.tone)}));
    }
    if (d.duplicate_of) {
      badges.append(el("span", {class: "badge dup", title: "near-duplicate of " + d.duplicate_of,
        text: "duplicate of " + d.duplicate_of}));
    }
    if (d.story_id && d.story_id !== d.id) {
      badges.append(el("span", {class: "badge story", title: "story " + d.story_id, text: "story " + d.story_id}));
    }
    if (d.mode === "fast") badges.append(el("span", {class: "badge muted", text: "fast mode"}));
    card.append(badges);

    const text = highlightedText(d, card);
    if ((d.text || "").length > COLLAPSED_CHARS) {
      text.classList.add("collapsed");
      const more = el("button", {type: "button", class: "more", text: "more"});
      more.addEventListener("click", () => {
        const collapsed = text.classList.toggle("collapsed");
        more.textContent = collapsed ? "more" : "less";
      });
      card.append(text, more);
    } else {
      card.append(text);
    }
    if (d.text_truncated) card.append(el("div", {class: "muted", text: "(text cut for the page)"}));
    card.append(el("div", {class: "entity-info", hidden: true}));

    if (d.quotes.length) {
      const quotes = el("div", {class: "quotes"});
      for (const q of d.quotes) {
        quotes.append(el("blockquote", {}, "“" + q.text + "”", el("cite", {text: " — " + (q.speaker || "unattributed")})));
      }
      card.append(quotes);
    }
    const facts = el("div", {class: "facts"});
    for (const a of d.amounts) {
      facts.append(el("span", {class: "chip amount", title: [a.value, a.unit, a.object].filter((x) => x !== null).join(" "),
        text: a.text}));
    }
    for (const e of d.events) {
      facts.append(el("span", {class: "chip event q-" + token(e.quad_label), title: (e.sentence || ""),
        text: "CAMEO " + e.code + " " + (e.code_label || e.label || "") + (e.place ? " @ " + e.place : "") +
          (e.goldstein !== null ? " (" + fmt(e.goldstein, 1) + ")" : "")}));
    }
    for (const p of d.locations) {
      facts.append(el("button", {type: "button", class: "chip place", title: p.lat + ", " + p.lon,
        onclick: () => setFilter("place", placeKey(p)), text: placeKey(p)}));
    }
    if (facts.childNodes.length) card.append(facts);
    if (d.keywords.length) card.append(el("div", {class: "keywords muted", text: "keywords: " + d.keywords.join(", ")}));
    return card;
  }

  function searchable(d) {
    return [d.title, d.text, sourceName(d), d.source.domain, d.authors.join(" "), d.keywords.join(" ")]
      .join("\n").toLowerCase();
  }

  function addCard(d, atTop) {
    const old = cards.get(d.id);
    if (old) old.el.remove();
    const entry = {data: d, el: renderCard(d), haystack: searchable(d)};
    cards.set(d.id, entry);
    const feed = $("feed");
    if (atTop) feed.prepend(entry.el); else feed.append(entry.el);
    const maxCards = (lastStats && lastStats.max_cards) || DEFAULT_MAX_CARDS;
    while (cards.size > maxCards) {
      const oldest = cards.keys().next().value;
      cards.get(oldest).el.remove();
      cards.delete(oldest);
    }
    applyFilter(entry);
  }

  // --- filters ---------------------------------------------------------------------------------------
  function matches(entry) {
    const d = entry.data;
    if (filters.category && d.category !== filters.category) return false;
    if (filters.language && d.language !== filters.language) return false;
    if (filters.reliability && reliabilityOf(d) !== filters.reliability) return false;
    if (filters.entity) {
      const want = filters.entity.toLowerCase();
      if (!d.entities.some((e) => (e.canonical || "").toLowerCase().includes(want) ||
          (e.text || "").toLowerCase().includes(want))) return false;
    }
    if (filters.place && !d.locations.some((p) => placeKey(p) === filters.place)) return false;
    if (filters.search) {
      for (const word of filters.search.toLowerCase().split(/\s+/)) {
        if (word && !entry.haystack.includes(word)) return false;
      }
    }
    return true;
  }

  function applyFilter(entry) { entry.el.hidden = !matches(entry); }

  function applyFilters() {
    for (const entry of cards.values()) applyFilter(entry);
    refreshFilterState();
  }

  function setFilter(name, value) {
    filters[name] = value;
    const input = $("f-" + name);
    if (name === "category" || name === "place") ensureOption(input, value);
    input.value = value;
    applyFilters();
    window.scrollTo({top: 0});
  }

  function ensureOption(select, value) {
    if (value && ![...select.options].some((o) => o.value === value)) select.append(el("option", {value: value, text: value}));
  }

  function fillSelect(select, values, label) {
    const current = select.value;
    const wanted = [...values].sort();
    const have = [...select.options].slice(1).map((o) => o.value);
    if (have.join("\u0000") === wanted.join("\u0000")) return;
    while (select.options.length > 1) select.remove(1);
    for (const v of wanted) select.append(el("option", {value: v, text: label ? label(v) : v}));
    ensureOption(select, current);
    select.value = current;
  }

  function refreshFilterState() {
    const all = [...cards.values()];
    const visible = all.filter((c) => !c.el.hidden).length;
    $("f-count").textContent = "showing " + visible + " of " + all.length;
    $("feed-empty").hidden = all.length > 0;
    const cats = new Set(), langs = new Set(), rels = new Set(), places = new Set(), ents = new Set();
    for (const {data: d} of all) {
      if (d.category) cats.add(d.category);
      if (d.language) langs.add(d.language);
      rels.add(reliabilityOf(d));
      for (const p of d.locations) places.add(placeKey(p));
      for (const e of d.entities) ents.add(e.canonical);
    }
    fillSelect($("f-category"), cats);
    fillSelect($("f-language"), langs);
    fillSelect($("f-reliability"), rels);
    fillSelect($("f-place"), places);
    const datalist = $("entity-names");
    if (datalist.childNodes.length !== ents.size) {
      clearNode(datalist);
      for (const name of [...ents].sort()) datalist.append(el("option", {value: name}));
    }
    drawPlaces();
  }

  function bindFilters() {
    for (const name of ["category", "language", "reliability", "place"]) {
      $("f-" + name).addEventListener("change", (ev) => { filters[name] = ev.target.value; applyFilters(); });
    }
    for (const name of ["search", "entity"]) {
      $("f-" + name).addEventListener("input", (ev) => { filters[name] = ev.target.value.trim(); applyFilters(); });
    }
    $("f-clear").addEventListener("click", () => {
      for (const name of Object.keys(filters)) { filters[name] = ""; $("f-" + name).value = ""; }
      applyFilters();
    });
    $("filters").addEventListener("submit", (ev) => ev.preventDefault());
  }

  // --- the map ---------------------------------------------------------------------------------------
  async function loadWorld() {
    try {
      const resp = await fetch("/static/world.json");
      world = await resp.json();
    } catch (e) { world = {countries: []}; }
    const g = $("countries");
    for (const c of world.countries) {
      const path = svg("path", {d: c.d, class: "country", "data-iso": c.iso || ""});
      const title = svg("title", {});
      title.textContent = c.name;
      path.append(title);
      g.append(path);
    }
    drawPlaces();
  }

  function placeAggregates() {
    const places = new Map();
    for (const {data: d} of cards.values()) {
      for (const p of d.locations) {
        const key = placeKey(p);
        const agg = places.get(key) || {key, name: p.name, cc: p.country_code, lat: p.lat, lon: p.lon, ids: [], mentions: 0};
        agg.ids.push(d.id);
        agg.mentions += p.count;
        places.set(key, agg);
      }
    }
    return [...places.values()].sort((a, b) => b.ids.length - a.ids.length);
  }

  function drawPlaces() {
    const g = $("places");
    if (!g) return;
    clearNode(g);
    const places = placeAggregates();
    const countries = new Set(places.map((p) => p.cc).filter(Boolean));
    for (const path of document.querySelectorAll("#countries path")) {
      path.classList.toggle("has-news", countries.has(path.getAttribute("data-iso")));
    }
    for (const p of places) {
      const r = 1.2 + 1.3 * Math.sqrt(p.ids.length);
      const dot = svg("circle", {cx: p.lon, cy: -p.lat, r: r.toFixed(2),
        class: "place" + (filters.place === p.key ? " selected" : ""), "data-name": p.name, "data-key": p.key,
        "data-articles": p.ids.length, tabindex: "0"});
      const title = svg("title", {});
      title.textContent = p.key + ": " + p.ids.length + (p.ids.length === 1 ? " article, " : " articles, ") +
        p.mentions + " mentions";
      dot.append(title);
      dot.addEventListener("click", () => showPlace(p));
      g.append(dot);
    }
    const selected = places.find((p) => p.key === filters.place);
    if (selected) showPlace(selected, false); else if (!filters.place) clearNode($("place-detail"));
  }

  function showPlace(p, filter = true) {
    if (filter && filters.place !== p.key) { setFilter("place", p.key); return; }
    const box = $("place-detail");
    clearNode(box);
    const list = el("ul", {});
    for (const id of p.ids) {
      const entry = cards.get(id);
      if (!entry) continue;
      list.append(el("li", {}, el("a", {href: "#", text: entry.data.title || id, onclick: (ev) => {
        ev.preventDefault();
        entry.el.scrollIntoView({behavior: "smooth", block: "start"});
        entry.el.classList.add("flash");
        setTimeout(() => entry.el.classList.remove("flash"), 1200);
      }})));
    }
    box.append(el("div", {class: "place-title"}, el("b", {text: p.key}),
      " · " + p.ids.length + (p.ids.length === 1 ? " article " : " articles "),
      el("button", {type: "button", text: "clear", onclick: () => setFilter("place", "")})), list);
  }

  // --- counters -------------------------------------------------------------------------------------
  function renderStats(s) {
    lastStats = s;
    const r = s.rolling;
    const w = s.worker;
    const minutes = Math.round(s.window_seconds / 60);
    $("window-label").textContent = "last " + minutes + " minutes (page) · worker totals";
    $("status").textContent = "consumer: " + s.consumer + " · broker " + s.broker;
    $("status").className = "status " + (s.consumer === "live" ? "ok" : "warn");
    const enrichedTopic = (s.topics || {})[s.topic_names.enriched] || {};
    const dlqTopic = (s.topics || {})[s.topic_names.dlq] || {};
    const headline = $("headline");
    clearNode(headline);
    headline.append(
      el("span", {}, el("b", {text: count(r.articles)}), " enriched in the last " + minutes + " min"),
      el("span", {}, el("b", {text: fmt(r.articles_per_second_1m)}), " articles/s (last minute)"),
      el("span", {}, el("b", {text: count(r.dead_letters)}), " dead letters (" + minutes + " min)"),
      el("span", {}, el("b", {text: count((s.seen || {}).articles || 0)}), " received by this page"),
      w && w.up ? el("span", {}, el("b", {text: count(w.enriched_sent)}), " sent by the worker (/metrics)")
        : el("span", {class: "muted", text: w ? "worker /metrics unreachable" : "no worker /metrics configured"}));

    // per stage: the worker's counters next to what the page sees on the topics
    const rates = $("rates");
    clearNode(rates);
    rates.append(el("tr", {}, el("th", {text: "stage"}), el("th", {text: "worker rate", title: "from successive /metrics scrapes: Δ newsstreams_articles_total / Δt"}),
      el("th", {text: "worker gauge", title: "newsstreams_throughput_articles_per_second"}),
      el("th", {text: "worker total"}), el("th", {text: "page sees", title: "records on the topics by Kafka timestamp, last minute"})));
    const pageSees = {classify: fmt(r.articles_per_second_1m), dead_letter: fmt(r.dead_letters_per_second_1m)};
    for (const stage of ["parse", "enrich", "classify", "route"]) {
      const a = w && w.up ? (w.articles[stage] || {}) : null;
      const total = a ? (a.ok || 0) + (a.duplicate || 0) : null;
      rates.append(el("tr", {"data-stage": stage}, el("td", {text: stage}),
        el("td", {text: w && w.up ? fmt(w.rates[stage]) : "–"}),
        el("td", {text: w && w.up ? fmt(w.throughput[stage]) : "–"}),
        el("td", {text: a ? count(stage === "enrich" ? total : a.ok) : "–"}),
        el("td", {text: pageSees[stage] || ""})));
    }
    rates.append(el("tr", {"data-stage": "dead_letter"}, el("td", {text: "dead letters"}), el("td", {text: "–"}),
      el("td", {text: "–"}), el("td", {text: w && w.up ? count(w.dead_letters_sent) : "–"}),
      el("td", {text: pageSees.dead_letter})));
    $("totals").textContent = "Kafka end offsets: " + count(enrichedTopic.records) + " on " + s.topic_names.enriched +
      ", " + count(dlqTopic.records) + " on " + s.topic_names.dlq + ". " + (w && w.up
        ? "The worker at " + w.url + " counts " + count(w.enriched_sent) + " enriched (classify ok) and " +
          count(w.dead_letters_sent) + " dead letters since it started."
        : "") + " The page received " + count((s.seen || {}).articles || 0) + " records since it started.";

    // categories: page (rolling window) with the worker's total beside
    const bars = $("categories");
    clearNode(bars);
    const max = Math.max(1, ...r.categories.map((c) => c[1]));
    const workerCats = (w && w.up && w.categories) || {};
    for (const [cat, n] of r.categories) {
      const row = el("button", {type: "button", class: "bar", "data-category": cat, onclick: () => setFilter("category", cat)},
        el("span", {class: "bar-label", text: cat}),
        el("span", {class: "bar-track"}, el("span", {class: "bar-fill cat-" + token(cat), style: null})),
        el("span", {class: "bar-n", text: count(n) + (workerCats[cat] !== undefined ? " / " + count(workerCats[cat]) : "")}));
      row.querySelector(".bar-fill").style.width = (100 * n / max).toFixed(1) + "%";
      bars.append(row);
    }
    if (!r.categories.length) bars.append(el("p", {class: "muted", text: "none yet"}));

    const ents = $("top-entities");
    clearNode(ents);
    for (const [canonical, label, n] of r.entities) {
      ents.append(el("li", {}, el("button", {type: "button", class: "link", onclick: () => setFilter("entity", canonical)},
        el("span", {class: "ent ent-" + token(label), text: canonical})), el("span", {class: "n", text: count(n)})));
    }
    const places = $("top-places");
    clearNode(places);
    for (const [name, cc, , , n] of r.places) {
      const key = placeKey({name, country_code: cc});
      places.append(el("li", {}, el("button", {type: "button", class: "link", onclick: () => setFilter("place", key), text: key}),
        el("span", {class: "n", text: count(n)})));
    }
    renderDeadLetterSummary();
  }

  function renderDeadLetterSummary() {
    const s = lastStats;
    if (!s) return;
    const r = s.rolling;
    const w = s.worker;
    const skipped = Object.entries(s.skipped || {});
    const box = $("dlq-summary");
    clearNode(box);
    box.append(el("p", {}, el("b", {text: count(r.dead_letters)}), " in the last " + Math.round(s.window_seconds / 60) +
      " minutes · " + count((s.seen || {}).dead_letters || 0) + " received by the page" +
      (w && w.up ? " · " + count(w.dead_letters_sent) + " counted by the worker" : "")));
    if (skipped.length) {
      box.append(el("p", {class: "warn", text: "skipped by the page (bad or too large): " +
        skipped.map(([k, n]) => k + " " + n).join(", ")}));
    }
    const list = $("dlq-list");
    clearNode(list);
    const table = el("table", {class: "reasons"}, el("tr", {}, el("th", {text: "stage"}), el("th", {text: "reason"}),
      el("th", {text: "page (window)"}), el("th", {text: "worker total"})));
    const rows = new Map();
    for (const [stage, reason, n] of r.dead_letter_reasons) rows.set(stage + "/" + reason, [stage, reason, n, null]);
    if (w && w.up) {
      for (const [stage, reason, n] of w.dead_letters) {
        const row = rows.get(stage + "/" + reason) || [stage, reason, 0, null];
        row[3] = n;
        rows.set(stage + "/" + reason, row);
      }
    }
    for (const [stage, reason, n, total] of rows.values()) {
      table.append(el("tr", {}, el("td", {text: stage}), el("td", {text: reason}), el("td", {text: count(n)}),
        el("td", {text: total === null ? "–" : count(total)})));
    }
    list.append(table);
    const recent = el("ol", {class: "dead-letters"});
    for (const d of deadLetters.slice(0, 50)) {
      recent.append(el("li", {}, el("b", {text: d.stage + "/" + d.reason}), " " + (d.message || ""),
        el("div", {class: "muted", text: (d.time || "") + (d.id ? " · key " + d.id : "") + " · " + d.payload_bytes + " bytes"}),
        d.payload_preview ? el("pre", {text: d.payload_preview}) : null));
    }
    list.append(recent);
  }

  // --- the stream -------------------------------------------------------------------------------------
  function onSnapshot(snap) {
    for (const entry of cards.values()) entry.el.remove();
    cards.clear();
    for (const d of [...snap.cards].reverse()) addCard(d, true);   // oldest first, so the newest ends on top
    deadLetters.length = 0;
    deadLetters.push(...snap.dead_letters);
    refreshFilterState();
    renderStats(snap.stats);
  }

  let refreshPending = false;
  function scheduleRefresh() {
    if (refreshPending) return;
    refreshPending = true;
    setTimeout(() => { refreshPending = false; refreshFilterState(); }, 250);
  }

  function connect() {
    const source = new EventSource("/events");
    source.addEventListener("snapshot", (ev) => onSnapshot(JSON.parse(ev.data)));
    source.addEventListener("article", (ev) => { addCard(JSON.parse(ev.data), true); scheduleRefresh(); });
    source.addEventListener("dead_letter", (ev) => {
      deadLetters.unshift(JSON.parse(ev.data));
      if (deadLetters.length > 100) deadLetters.length = 100;
    });
    source.addEventListener("stats", (ev) => renderStats(JSON.parse(ev.data)));
    source.addEventListener("open", () => { document.body.classList.add("connected"); });
    source.addEventListener("error", () => {
      document.body.classList.remove("connected");
      $("status").textContent = "disconnected from the server, retrying…";
      $("status").className = "status warn";
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    bindFilters();
    $("dlq-toggle").addEventListener("click", (ev) => {
      ev.preventDefault();
      const list = $("dlq-list");
      list.hidden = !list.hidden;
      ev.target.textContent = list.hidden ? "show the reasons" : "hide the reasons";
    });
    loadWorld();
    connect();
  });
})();
