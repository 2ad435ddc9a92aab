/*
 * console.js - the medflag console: reads the gateway's /v1/ JSON only
 * (docs/protocol.md, "Web console"). Live (server-sent verdicts, stats
 * every 2 s), Try a post (the explain view), Rules (sort, filter, a
 * rule's page with its backtest). Text from the service is put in the
 * page as text, never as markup.
 * SPDX-License-Identifier: MIT
 */
"use strict";

const ACTIONS = ["none", "annotate", "flag", "hold", "block"];
const KEEP = 200;		/* verdicts listed */
const POINTS = 60;		/* chart readings */
const $ = (id) => document.getElementById(id);

let token = sessionStorage.getItem("medflag-token") || "";
let about = null;		/* GET /v1/console */
let rules = null;		/* GET /v1/rules */
let ruleIndex = new Map();
let prev = null;		/* the previous stats reading */
const hist = { t: [], rates: [], lat: [] };
let sortKey = "hits_all", sortDir = -1;
let streaming = false;
let lastSeq = 0;		/* the last event's id, sent on a reconnect */

/* ---- small helpers ---------------------------------------------------- */

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of kids) if (c !== null && c !== undefined)
    e.append(c instanceof Node ? c : String(c));
  return e;
}
function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
function kv(dl, pairs) {
  clear(dl);
  for (const [k, v] of pairs) dl.append(el("dt", { text: k }), el("dd", {}, v));
}
function ms(us) { return us < 10000 ? (us / 1000).toFixed(2) + " ms" : (us / 1000).toFixed(0) + " ms"; }
function num(x) { return x === null || x === undefined ? "–" : String(x); }
function prec(r) {
  return r.precision === null || r.precision === undefined ? "–" :
    r.precision.toFixed(2) + " (" + r.agreed + "/" + (r.agreed + r.overturned) + ")";
}
function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (token) h.Authorization = "Bearer " + token;
  return h;
}
/* A request to the gateway; 401 asks for the token again. */
async function api(path, opts) {
  const o = Object.assign({ cache: "no-store" }, opts || {});
  o.headers = headers(o.headers);
  const r = await fetch(path, o);
  if (r.status === 401) { askToken("The token was refused; give it again."); throw new Error("token"); }
  return r;
}
async function apiJson(path, opts) {
  const r = await api(path, opts);
  let j = null;
  try { j = await r.json(); } catch (e) { j = { error: "not JSON (HTTP " + r.status + ")" }; }
  if (!r.ok) throw new Error(j && j.error ? j.error : "HTTP " + r.status);
  return j;
}
function setConn(text, cls) {
  const c = $("conn");
  c.textContent = text;
  c.className = "badge " + (cls || "");
}

/* ---- token, theme, views ---------------------------------------------- */

function askToken(why) {
  $("token-form").hidden = false;
  $("token-why").textContent = why || "";
  $("token").focus();
}
$("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  token = $("token").value.trim();
  sessionStorage.setItem("medflag-token", token);
  $("token").value = "";
  $("token-form").hidden = true;
  start();
});

function setTheme(dark) {
  document.documentElement.classList.toggle("dark", dark);
  $("theme").setAttribute("aria-pressed", dark ? "true" : "false");
  $("theme").textContent = dark ? "Light" : "Dark";
  localStorage.setItem("medflag-theme", dark ? "dark" : "light");
}
$("theme").addEventListener("click", () =>
  setTheme(!document.documentElement.classList.contains("dark")));
setTheme((localStorage.getItem("medflag-theme") ||
  (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light")) === "dark");

function route() {
  const h = location.hash.replace(/^#/, "") || "live";
  const [view, arg] = h.split(/\/(.*)/s);
  for (const v of ["live", "try", "rules", "rule"])
    $("view-" + v).hidden = v !== view;
  for (const v of ["live", "try", "rules"]) {
    const a = $("nav-" + v);
    if (v === view || (view === "rule" && v === "rules")) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (!about) return;
  if (view === "rules") loadRules().catch(showRulesError);
  if (view === "rule" && arg) showRule(decodeURIComponent(arg));
}
window.addEventListener("hashchange", () => { route(); $("main").focus(); });

/* ---- live: stats ------------------------------------------------------ */

/* The value at quantile q of bucket counts, as the C side's
 * mf_lathist_quantile: the upper bound of the bucket holding that rank. */
function quantile(counts, upper, q) {
  let n = 0;
  for (const c of counts) n += c;
  if (n === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * n));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i];
    if (seen >= rank) return upper[i];
  }
  return upper[upper.length - 1];
}

async function pollStats() {
  let j;
  try { j = await apiJson("/v1/stats"); }
  catch (e) {
    kv($("svc"), [["medflagd", el("span", { class: "error", text: e.message })]]);
    return;
  }
  const s = j.stats, now = Date.now();
  const p = prev && prev.s.uptime_s <= s.uptime_s ? prev : null;
  const secs = p ? (now - p.t) / 1000 : Math.max(1, s.uptime_s || 1);
  const rate = (a, b) => (a - (b || 0)) / secs;
  const rates = {};
  for (const a of ACTIONS) rates[a] = Math.max(0, rate((s.verdicts || {})[a] || 0, p && (p.s.verdicts || {})[a]));
  const hc = (s.latency_hist || []).slice();
  if (p) (p.s.latency_hist || []).forEach((v, i) => { hc[i] = Math.max(0, (hc[i] || 0) - v); });
  const top = (s.latency_us || {}).max || 0;
  const lat = {};
  for (const [k, q] of [["p50", .5], ["p90", .9], ["p99", .99], ["max", 1]]) {
    let v = quantile(hc, j.latency_upper_us, q);
    if (top > 0 && v > top) v = top;
    lat[k] = v;
  }
  const judged = hc.reduce((a, b) => a + b, 0);
  hist.t.push(now); hist.rates.push(rates); hist.lat.push(lat);
  if (hist.t.length > POINTS) { hist.t.shift(); hist.rates.shift(); hist.lat.shift(); }
  const over = p ? "last " + secs.toFixed(1) + " s" : "since start";
  kv($("svc"), [
    ["medflagd", "up " + s.uptime_s + " s, rule set " + String(s.ruleset || "").slice(0, 12) +
      (j.gateway_ruleset && s.ruleset && j.gateway_ruleset !== s.ruleset ?
        " (the console's rules are " + j.gateway_ruleset + ": restart the gateway)" : "")],
    ["sources", "version " + (s.sources_version || "?")],
    ["redis", s.redis ? "up" : el("span", { class: "error", text: "DOWN" })],
    ["journal", (s.journal_written || 0) + " written, " + (s.journal_queue || 0) +
      " queued, " + (s.journal_skipped || 0) + " skipped"],
    ["posts in", rate(s.posts_in || 0, p && p.s.posts_in).toFixed(1) + "/s (" + over + ")"],
    ["latency", judged ? "p50 " + ms(lat.p50) + ", p90 " + ms(lat.p90) + ", p99 " +
      ms(lat.p99) + ", max " + ms(lat.max) + " (" + judged + " posts)" : "no posts judged (" + over + ")"],
    ["queue", (s.queue || 0) + " of " + (s.max_queue || 0) + ", in flight " + (s.in_flight || 0) +
      ", requeued " + (s.requeued || 0)],
    ["faults", "worker deaths " + (s.worker_deaths || 0) + ", poison " + (s.poison || 0) +
      ", bad messages " + (s.bad_messages || 0)],
  ]);
  chart($("chart-rates"), ACTIONS, hist.rates, (v) => v.toFixed(1) + "/s");
  legend($("rates-legend"), ACTIONS.map((a) => [a, a + " " + rates[a].toFixed(1) + "/s"]));
  chart($("chart-lat"), ["p50", "p90", "p99"], hist.lat.map((l) =>
    ({ p50: l.p50 / 1000, p90: l.p90 / 1000, p99: l.p99 / 1000 })), (v) => v.toFixed(1) + " ms");
  legend($("lat-legend"), ["p50", "p90", "p99"].map((k) => [k, k + " " + ms(lat[k])]));
  workers(s, p ? p.s : null, secs);
  topRules(s, p ? p.s : null, secs);
  prev = { s: s, t: now };
}

function legend(p, items) {
  clear(p);
  for (const [cls, text] of items) p.append(el("span", { class: "s-" + cls, text: text }));
}

/* A line per series over the readings kept, on a shared scale. */
function chart(svg, keys, points, fmt) {
  const W = 300, H = 150, L = 36, B = 14;
  svg.setAttribute("viewBox", "0 0 " + W + " " + H);
  svg.setAttribute("preserveAspectRatio", "none");
  clear(svg);
  const ns = "http://www.w3.org/2000/svg";
  const mk = (t, a) => { const e = document.createElementNS(ns, t); for (const k in a) e.setAttribute(k, a[k]); return e; };
  let max = 0;
  for (const p of points) for (const k of keys) max = Math.max(max, p[k] || 0);
  max = max > 0 ? max * 1.1 : 1;
  svg.append(mk("line", { x1: L, y1: H - B, x2: W, y2: H - B, class: "axis" }),
    mk("line", { x1: L, y1: 0, x2: L, y2: H - B, class: "axis" }));
  const t1 = mk("text", { x: 2, y: 10 }); t1.textContent = fmt(max); svg.append(t1);
  const t0 = mk("text", { x: 2, y: H - B }); t0.textContent = "0"; svg.append(t0);
  const tx = mk("text", { x: L, y: H - 2 }); tx.textContent = "last " + POINTS * 2 + " s"; svg.append(tx);
  for (const k of keys) {
    const pts = points.map((p, i) => {
      const x = L + (W - L) * (points.length > 1 ? i / (POINTS - 1) : 0);
      const y = (H - B) - ((p[k] || 0) / max) * (H - B - 4);
      return x.toFixed(1) + "," + y.toFixed(1);
    });
    svg.append(mk("polyline", { points: pts.join(" "), class: "s-" + k }));
  }
}

function workers(s, p, secs) {
  const tb = clear($("workers").tBodies[0]);
  const before = new Map(((p && p.workers) || []).map((w) => [w.id, w]));
  for (const w of s.workers || []) {
    const pw = before.get(w.id);
    const done = pw ? Math.max(0, (w.done - pw.done) / secs) : 0;
    tb.append(el("tr", {},
      el("td", { text: w.id }), el("td", { text: w.pid }), el("td", { text: w.host || "" }),
      el("td", { class: "mono", text: String(w.ruleset || "").slice(0, 12) }),
      el("td", { class: "num", text: w.in_flight }), el("td", { class: "num", text: w.credit }),
      el("td", { class: "num", text: done.toFixed(1) }),
      el("td", { class: "num", text: w.last_seen_ms + " ms" }),
      el("td", { text: w.sources_stale ? "stale" : "fresh" }),
      el("td", { text: w.auto_shadowed || "" })));
  }
}

function topRules(s, p, secs) {
  const ol = clear($("top-rules"));
  const cur = s.rule_hits || {}, was = (p && p.rule_hits) || {};
  const rows = Object.keys(cur).map((id) => {
    const a = cur[id] || [0, 0], b = was[id] || [0, 0];
    return [id, (a[0] + a[1]) - (p ? b[0] + b[1] : 0), a[0] === 0];
  }).filter((r) => r[1] > 0).sort((x, y) => y[1] - x[1]).slice(0, 5);
  if (rows.length === 0) ol.append(el("li", { class: "note", text: "no hits" }));
  for (const [id, n, shadow] of rows) {
    const r = ruleIndex.get(id);
    ol.append(el("li", {},
      el("a", { href: "#rule/" + encodeURIComponent(id), text: id }),
      " " + (n / secs).toFixed(1) + "/s" + (shadow ? " (shadow)" : ""),
      r ? el("span", { class: "note", "data-precision": id, text: " precision " + prec(r) }) : null));
  }
}

/* ---- live: verdicts --------------------------------------------------- */

async function stream() {
  if (streaming) return;
  streaming = true;
  for (;;) {
    try {
      /* A reconnect asks for what it missed (from the journal). */
      const r = await api("/v1/events", lastSeq ? { headers: { "Last-Event-ID": String(lastSeq) } } : {});
      if (!r.ok) throw new Error("HTTP " + r.status);
      setConn("live", "live");
      const rd = r.body.getReader(), dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await rd.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          onEvent(buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
      }
    } catch (e) {
      if (e.message === "token") { streaming = false; setConn("token needed", "down"); return; }
    }
    setConn("reconnecting", "down");
    await new Promise((ok) => setTimeout(ok, 2000));
  }
}

function onEvent(text) {
  let data = "";
  for (const line of text.split("\n")) {
    if (line.startsWith("data: ")) data += line.slice(6);
    else if (line.startsWith("id: ")) lastSeq = Number(line.slice(4)) || lastSeq;
  }
  if (!data) return;
  let ev;
  try { ev = JSON.parse(data); } catch (e) { return; }
  addVerdict(ev.verdict, ev.body);
}

function ruleIds(v) {
  return [...new Set((v.hits || []).map((h) => h.rule).filter(Boolean))];
}

function addVerdict(v, body) {
  const ol = $("verdicts");
  const claims = [...new Set((v.hits || []).map((h) => h.claim).filter(Boolean))];
  const ids = ruleIds(v);
  const li = el("li", { "data-post": v.post_id, "data-seq": v.seq },
    el("div", {},
      el("span", { class: "act " + v.action, text: v.action }), " ",
      el("strong", { class: "mono", text: v.post_id }),
      el("span", { class: "note", text: "  #" + v.seq + "  score " + v.score +
        "  " + ms(v.latency_us || 0) + (v.status !== "ok" ? "  [" + v.status + (v.error ? ": " + v.error : "") + "]" : "") +
        ((v.flags || []).length ? "  [" + v.flags.join(", ") + "]" : "") }),
      el("div", {}, claims.length ? "claims: " + claims.join(", ") : "no claim"),
      ids.length ? el("div", { class: "note" }, "rules: ", ...ids.flatMap((id, i) =>
        [i ? ", " : "", el("a", { href: "#rule/" + encodeURIComponent(id), text: id })])) : null),
    ids.length ? feedbackButtons(v, ids) : el("span"),
    body !== undefined ? el("p", { class: "body marked" }, ...marked(body, v.hits || [], [])) : null);
  ol.prepend(li);
  while (ol.children.length > KEEP) ol.removeChild(ol.lastChild);
}

function feedbackButtons(v, ids) {
  const box = el("div", { class: "fb" });
  const send = async (outcome, btn) => {
    const rec = { post_id: v.post_id, outcome: outcome, rules: ids, by: "console" };
    if (v.revision !== undefined) rec.revision = v.revision;
    for (const b of box.querySelectorAll("button")) b.disabled = true;
    try {
      const r = await api("/v1/feedback", { method: "POST", body: JSON.stringify(rec),
        headers: { "Content-Type": "application/json" } });
      if (!r.ok) {
        let why = "HTTP " + r.status;
        try { why = (await r.json()).error || why; } catch (e) { /* keep */ }
        throw new Error(why);
      }
      clear(box).append(el("span", { class: "done", text: outcome }));
      $("fb-status").textContent = v.post_id + ": " + outcome + " recorded for " + ids.join(", ");
      await loadRules(true);
    } catch (e) {
      for (const b of box.querySelectorAll("button")) b.disabled = false;
      $("fb-status").textContent = v.post_id + ": not recorded: " + e.message;
      btn.focus();
    }
  };
  const agree = el("button", { type: "button", class: "agree", text: "Agree" });
  const over = el("button", { type: "button", class: "overturn", text: "Overturn" });
  agree.addEventListener("click", () => send("agreed", agree));
  over.addEventListener("click", () => send("overturned", over));
  if (about && about.token === false) {
    agree.disabled = over.disabled = true;
    box.title = "read-only: the gateway has no console_token_file";
  }
  box.append(agree, over);
  return box;
}

/* ---- try a post: the explain view -------------------------------------- */

/* The text cut at every span's ends; each piece inside a span is a
 * <mark> naming the rules behind it. Offsets are UTF-8 bytes. */
function marked(text, hits, supp) {
  const bytes = new TextEncoder().encode(text);
  const dec = new TextDecoder();
  const cuts = new Set([0, bytes.length]);
  const spans = [];
  for (const h of hits) for (const s of h.spans || [])
    spans.push({ s: s[0], e: s[1], rule: h.rule + (h.probability ? " (model)" : ""), supp: false });
  for (const h of supp) {
    for (const s of h.spans || []) spans.push({ s: s[0], e: s[1], rule: h.rule + " (suppressed)", supp: true });
    if (h.unless_span) spans.push({ s: h.unless_span[0], e: h.unless_span[1], rule: h.rule + ": unless", supp: true });
  }
  for (const sp of spans) { cuts.add(Math.min(sp.s, bytes.length)); cuts.add(Math.min(sp.e, bytes.length)); }
  const at = [...cuts].sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i + 1 < at.length; i++) {
    const a = at[i], b = at[i + 1];
    const piece = dec.decode(bytes.subarray(a, b));
    const on = spans.filter((sp) => sp.s <= a && sp.e >= b && sp.e > sp.s);
    if (on.length === 0) { out.push(piece); continue; }
    const hit = on.some((sp) => !sp.supp);
    const who = [...new Set(on.map((sp) => sp.rule))].join(", ");
    out.push(el("mark", { class: hit ? "hit" : "supp", title: who, tabindex: "0",
      "aria-label": piece + " (" + who + ")", text: piece }));
  }
  return out;
}

$("try-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const text = $("try-text").value;
  const out = $("try-out");
  try {
    const v = await apiJson("/v1/try", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ post_id: "try", body: text, body_format: $("try-format").value }) });
    if (!rules) await loadRules(true).catch(() => null);
    showTry(text, v);
  } catch (e) {
    out.hidden = false;
    $("try-verdict").textContent = "Not judged: " + e.message;
  }
});

function showTry(text, v) {
  $("try-out").hidden = false;
  clear($("try-verdict")).append(el("span", { class: "act " + v.action, text: v.action }),
    " score " + v.score + (v.status !== "ok" ? " [" + v.status + ": " + (v.error || "") + "]" : "") +
    ((v.flags || []).length ? " [" + v.flags.join(", ") + "]" : ""));
  $("try-ruleset").textContent = "rule set " + v.ruleset;
  clear($("try-marked")).append(...marked(text, v.hits || [], v.suppressed || []));
  const hits = clear($("try-hits"));
  const bytes = new TextEncoder().encode(text), dec = new TextDecoder();
  const quote = (s) => "“" + dec.decode(bytes.subarray(s[0], s[1])) + "”";
  for (const h of v.hits || []) {
    const r = ruleIndex.get(h.rule);
    hits.append(el("li", { class: "hit" },
      r ? el("a", { href: "#rule/" + encodeURIComponent(h.rule), text: h.rule }) : el("strong", { text: h.rule }),
      " (" + h.mode + (h.question ? ", question" : "") + ", " + (h.tier || "no claim") + ", +" + h.score +
      (h.probability ? ", probability " + h.probability.toFixed(3) : "") + ")",
      h.score === 0 && h.mode === "enforce" && !h.probability ? el("span", { class: "why", text: " scaled to 0 (the model's veto or sarcasm)" }) : null,
      el("div", { class: "why", text: (h.probability ? "words: " : "matched: ") + (h.spans || []).map(quote).join(", ") }),
      claimBlock(h.claim, r)));
  }
  if (!(v.hits || []).length) hits.append(el("li", { class: "note", text: "no rule matched" }));
  const supp = clear($("try-supp"));
  for (const h of v.suppressed || []) {
    supp.append(el("li", { class: "supp" },
      el("a", { href: "#rule/" + encodeURIComponent(h.rule), text: h.rule }),
      " matched " + (h.spans || []).map(quote).join(", ") + " but ",
      el("code", { title: h.unless, text: "unless /" + (h.unless.length > 60 ? h.unless.slice(0, 60) + "…" : h.unless) + "/" }),
      " cancelled it at " + quote(h.unless_span)));
  }
  if (!(v.suppressed || []).length) supp.append(el("li", { class: "note", text: "nothing suppressed" }));
  const src = clear($("try-sources"));
  for (const s of v.sources || []) src.append(el("li", {}, s.domain + " (" + s.list + ") ", el("span", { class: "note", text: s.url })));
  if (!(v.sources || []).length) src.append(el("li", { class: "note", text: "no link" }));
  const evi = clear($("try-evidence"));
  for (const u of v.evidence || []) evi.append(el("li", {}, link(u)));
  if (!(v.evidence || []).length) evi.append(el("li", { class: "note", text: "none" }));
}

function link(u) {
  return /^https?:\/\//.test(u) ? el("a", { href: u, rel: "noopener noreferrer", target: "_blank", text: u }) : el("span", { text: u });
}

function claimBlock(claim, r) {
  if (!claim) return null;
  if (!r || r.claim !== claim) {
    r = null;
    for (const x of ruleIndex.values()) if (x.claim === claim) { r = x; break; }
  }
  if (!r) return el("div", { class: "why", text: "claim " + claim });
  return el("div", { class: "why" }, "claim ", el("strong", { text: r.title }), ": " + r.fact);
}

/* ---- rules ------------------------------------------------------------ */

async function loadRules(quiet) {
  rules = await apiJson("/v1/rules");
  ruleIndex = new Map(rules.rules.map((r) => [r.id, r]));
  for (const e of document.querySelectorAll("[data-precision]")) {
    const r = ruleIndex.get(e.getAttribute("data-precision"));
    if (r) e.textContent = " precision " + prec(r);
  }
  if (!quiet || !$("view-rules").hidden) renderRules();
  const m = location.hash.match(/^#rule\/(.+)$/);
  if (m && !$("view-rule").hidden) fillRule(ruleIndex.get(decodeURIComponent(m[1])));
}
function showRulesError(e) { $("rules-note").textContent = "Rules not loaded: " + e.message; }

function renderRules() {
  if (!rules) return;
  const f = $("rules-filter").value.trim().toLowerCase(), mode = $("rules-mode").value;
  const rows = rules.rules.filter((r) =>
    (!f || (r.id + " " + r.claim + " " + r.title + " " + r.file).toLowerCase().includes(f)) &&
    (!mode || (mode === "auto" ? r.auto_shadowed : r.mode === mode)));
  rows.sort((a, b) => {
    let x = a[sortKey], y = b[sortKey];
    if (x === null || x === undefined) x = -1;
    if (y === null || y === undefined) y = -1;
    return (x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : 1) * sortDir;
  });
  const notes = [];
  if (!rules.medflagd) notes.push("medflagd did not answer: no hits since start.");
  if (!rules.redis) notes.push("Redis did not answer: no hits of all time, no precision.");
  if (rules.running_ruleset && rules.running_ruleset !== rules.ruleset)
    notes.push("medflagd runs rule set " + rules.running_ruleset + "; these are " + rules.ruleset + ".");
  $("rules-note").textContent = notes.join(" ");
  $("rules-count").textContent = rows.length + " of " + rules.rules.length + " rules";
  const today = new Date().toISOString().slice(0, 10);
  const tb = clear($("rules").tBodies[0]);
  for (const r of rows.slice(0, 1000))
    tb.append(el("tr", {},
      el("td", {}, el("a", { href: "#rule/" + encodeURIComponent(r.id), text: r.id })),
      el("td", { title: r.title, text: r.claim }),
      el("td", { text: r.mode + (r.auto_shadowed ? " (auto-shadowed)" : "") }),
      el("td", { class: "num", text: num(r.hits_start) + (r.shadow_start ? " +" + r.shadow_start + " shadow" : "") }),
      el("td", { class: "num", text: num(r.hits_all) + (r.shadow_all ? " +" + r.shadow_all + " shadow" : "") }),
      el("td", { class: "num", "data-precision-cell": r.id, text: prec(r) }),
      el("td", { text: r.tier }),
      el("td", { class: r.review_by && r.review_by < today ? "overdue" : "", text: r.review_by || "–" })));
  for (const th of $("rules").tHead.rows[0].cells) {
    const k = th.firstChild.getAttribute("data-sort");
    if (k === sortKey) th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
    else th.removeAttribute("aria-sort");
  }
}
for (const b of document.querySelectorAll("[data-sort]"))
  b.addEventListener("click", () => {
    const k = b.getAttribute("data-sort");
    if (k === sortKey) sortDir = -sortDir;
    else { sortKey = k; sortDir = ["id", "claim", "mode", "tier", "review_by"].includes(k) ? 1 : -1; }
    renderRules();
  });
$("rules-filter").addEventListener("input", renderRules);
$("rules-mode").addEventListener("change", renderRules);

let ruleShown = null;
async function showRule(id) {
  $("rule-h").textContent = "Rule " + id;
  try {
    const j = await apiJson("/v1/rules/" + encodeURIComponent(id));
    if (ruleShown !== id) {
      $("bt-block").value = j.rule.block || "";
      $("bt-out").hidden = true;
      $("bt-status").textContent = about && about.backtest ? "" : "no corpus configured (console_corpus): backtest is off";
    }
    ruleShown = id;
    fillRule(j.rule);
    const ex = clear($("rule-expect"));
    for (const e of j.rule.expect || [])
      ex.append(el("li", {}, el("code", { text: e.kind }), " " + e.text, el("span", { class: "note", text: "  line " + e.line })));
    if (!(j.rule.expect || []).length) ex.append(el("li", { class: "note", text: "none" }));
  } catch (e) {
    kv($("rule-kv"), [["error", e.message]]);
  }
}

function fillRule(r) {
  if (!r) return;
  kv($("rule-kv"), [
    ["claim", r.claim + ": " + r.title], ["fact", r.fact],
    ["mode", r.mode + (r.auto_shadowed ? " (auto-shadowed by a worker: it kept exceeding limits)" : "")],
    ["score", String(r.score)], ["tier", r.tier],
    ["hits", num(r.hits_start) + " since medflagd started, " + num(r.hits_all) + " all time" +
      (r.shadow_all ? " (+" + r.shadow_all + " shadow)" : "")],
    ["precision", el("span", { id: "rule-precision", text: prec(r) })],
    ["review by", r.review_by || "–"], ["file", r.file + ":" + r.line],
  ]);
  const ev = clear($("rule-evidence"));
  for (const u of r.evidence || []) ev.append(el("li", {}, link(u)));
}

$("bt-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!ruleShown) return;
  $("bt-status").textContent = "running…";
  try {
    const r = await api("/v1/rules/" + encodeURIComponent(ruleShown) + "/backtest", { method: "POST",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ block: $("bt-block").value }) });
    const j = await r.json();
    if (!r.ok && !j.diagnostics) throw new Error(j.error || "HTTP " + r.status);
    showBacktest(j);
    $("bt-status").textContent = j.error ? j.error : "done";
  } catch (e) {
    $("bt-status").textContent = "not run: " + e.message;
  }
});

function showBacktest(j) {
  $("bt-out").hidden = false;
  const pr = (x) => x.hits ? (x.true_pos / x.hits).toFixed(2) : "–";
  const rc = (x) => j.misinfo ? (x.true_pos / j.misinfo).toFixed(3) : "–";
  kv($("bt-kv"), j.error ? [["result", j.error]] : [
    ["expect lines", (j.expect - j.expect_failed) + " of " + j.expect + " pass"],
    ["posts", j.posts + " (" + j.labelled + " labelled, " + j.misinfo + " misinformation)"],
    ["hits", j.old.hits + " → " + j.new.hits],
    ["true positives", j.old.true_pos + " → " + j.new.true_pos],
    ["false positives", j.old.false_pos + " → " + j.new.false_pos],
    ["precision", pr(j.old) + " → " + pr(j.new)],
    ["recall of this rule", rc(j.old) + " → " + rc(j.new)],
    ["posts that change", String(j.changed)],
  ]);
  const d = clear($("bt-diags"));
  for (const x of j.diagnostics || [])
    d.append(el("li", { class: x.severity }, x.where + ": " + x.severity + ": " + x.msg,
      x.hint ? el("div", { class: "note", text: "hint: " + x.hint }) : null));
  const c = clear($("bt-changed"));
  for (const x of j.changed_posts || [])
    c.append(el("li", {}, el("code", { text: x.post_id }), " " + (x.label || "unlabelled") + ", now " + x.now,
      el("span", { class: "note", text: "  " + x.file + ":" + x.line })));
}

/* ---- start ------------------------------------------------------------ */

let started = false;
async function start() {
  try { about = await apiJson("/v1/console"); }
  catch (e) { setConn("gateway down", "down"); setTimeout(start, 3000); return; }
  if (about.token && !token) { setConn("token needed", "down"); askToken(""); return; }
  $("live-note").textContent = about.text_window_s > 0 ?
    "The text window is on: posts checked through this gateway show their text for " + about.text_window_s + " s (in memory only)." :
    "Post ids only: post text is never shown (the text window is off).";
  route();
  loadRules(true).catch(showRulesError);
  stream();
  if (!started) {
    started = true;
    pollStats();
    setInterval(pollStats, 2000);
  }
}
route();
start();
