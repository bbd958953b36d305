// The reading room's page. Every text that comes from the store reaches the
// document as text (textContent, createTextNode), never as markup: a source
// text is untrusted input. Nothing is fetched from anywhere but this server.
"use strict";

const $ = (id) => document.getElementById(id);
const HISTORY_KEY = "annals.history";
const EXAMPLES = [
  "subjects",
  "attributes",
  "sources",
  "china.export_quota_change for 2011 as known 2010-10-19",
  "curve china.export_quota_change for 2010",
  "timeline china.share_of_world_production from 2010 to 2013 every year avg",
];
// The kinds of answer a chart can be drawn for.
const CHARTED = new Set(["get", "timeline", "curve"]);
// Long texts wrap instead of widening the table.
const LONG = new Set(["quote", "note", "reason", "doc", "attributes", "title", "context", "standing", "winner"]);

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function cellText(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) return String(value.length);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  // An error from the HTTP layer itself may be plain text, not JSON.
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${response.status}: ${text}`);
  }
  if (!response.ok) {
    const where = body.line ? ` (line ${body.line}, column ${body.column})` : "";
    throw new Error(body.error + where);
  }
  return body;
}

function remember(statement) {
  const past = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]").filter((s) => s !== statement);
  past.unshift(statement);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(past.slice(0, 50)));
  showHistory();
}

function showHistory() {
  const list = $("past");
  list.replaceChildren(...JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]").map((s) => el("option", { value: s })));
}

async function ask(statement) {
  statement = statement.trim();
  if (!statement) return;
  $("statement").value = statement;
  history.replaceState(null, "", "#q=" + encodeURIComponent(statement));
  const status = $("status");
  status.className = "";
  status.textContent = "Asking…";
  $("table").replaceChildren();
  $("chart").hidden = true;
  let answer;
  try {
    answer = await getJson("/api/query?q=" + encodeURIComponent(statement));
  } catch (error) {
    status.className = "error";
    status.textContent = error.message;
    return;
  }
  remember(statement);
  const rows = answer.rows;
  status.textContent = `${rows.length} ${rows.length === 1 ? "row" : "rows"}; log_seq ${answer.log_seq}`;
  if (rows.length) $("table").append(table(rows));
  const kind = statement.split(/\s+/)[0].toLowerCase();
  const isGet = /^[\w*][\w.*-]*\.[\w*]/.test(statement) && !/^(claims|history|explain|contested|diff|sources|source|show)\b/i.test(statement);
  if (rows.length && (isGet || CHARTED.has(kind))) {
    $("chart-image").src = "/api/svg?q=" + encodeURIComponent(statement);
    $("chart-caption").textContent = "Chart of: " + statement + " (also at /api/svg?q=…)";
    $("chart").hidden = false;
  }
}

function table(rows) {
  const columns = Object.keys(rows[0]);
  const head = el("tr", {}, ...columns.map((c) => el("th", { scope: "col", text: c })));
  const body = rows.map((row) => {
    const tr = el("tr", {});
    for (const column of columns) {
      const td = el("td", { text: cellText(row[column]) });
      if (LONG.has(column)) td.className = "long";
      if (column === "status" || column === "verdict") td.classList.add("status-" + cellText(row[column]).split(/[ ,]/)[0]);
      if (column === "modality") td.classList.add("modality", "modality-" + row[column]);
      if (column === "certainty") td.classList.add("certainty", "certainty-" + row[column]);
      tr.append(td);
    }
    // A row names a claim or denial to open, a source (a history step
    // that revises one names it as its event), or nothing that opens: a
    // shown event's row holds the event itself.
    const source = row.op === "source" ? row.event : row.id;
    const claim = typeof row.event === "string" && row.op !== "source" ? row.event : null;
    if (claim || typeof source === "string") {
      tr.className = "clickable";
      tr.tabIndex = 0;
      const open = () => (claim ? openClaim(row) : openSource(source));
      tr.addEventListener("click", open);
      tr.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
    }
    return tr;
  });
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...body));
}

// The text with each quote marked where it occurs (whitespace compared
// loosely); `current` is the quote to scroll to.
function markedText(text, quotes, current) {
  const container = el("div", { class: "source-text" });
  const spans = [];
  for (const quote of quotes) {
    if (!quote) continue;
    const found = locate(text, quote);
    if (found) spans.push({ ...found, current: quote === current });
  }
  spans.sort((a, b) => a.start - b.start);
  let at = 0;
  for (const span of spans) {
    if (span.start < at) continue;
    container.append(document.createTextNode(text.slice(at, span.start)));
    const mark = el("mark", { text: text.slice(span.start, span.end) });
    if (span.current) mark.className = "current";
    container.append(mark);
    at = span.end;
  }
  container.append(document.createTextNode(text.slice(at)));
  return container;
}

function locate(text, quote) {
  const exact = text.indexOf(quote);
  if (exact >= 0) return { start: exact, end: exact + quote.length };
  // Runs of whitespace compare as one space, as `verify` does.
  const words = quote.trim().split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const match = new RegExp(words.join("\\s+")).exec(text);
  return match ? { start: match.index, end: match.index + match[0].length } : null;
}

function fields(pairs) {
  const dl = el("dl", {});
  for (const [name, value] of pairs) {
    if (value === undefined || value === null || value === "") continue;
    dl.append(el("dt", { text: name }), el("dd", { text: cellText(value) }));
  }
  return dl;
}

// A question cannot ask about an unknown end (SPEC §3): a claim valid
// from `2010-10-28/` is asked about as `2010-10-28..`, every day it may
// cover, and one valid until `/2012` as `..2012`.
function askable(period) {
  return period.replace(/\/$/, "..").replace(/^\//, "..");
}

async function openClaim(row) {
  const body = $("panel-body");
  body.replaceChildren(el("p", { text: "Loading…" }));
  $("panel").hidden = false;
  try {
    const shown = await getJson("/api/events/" + encodeURIComponent(row.event));
    const event = shown.rows[0].event;
    const parts = [
      el("h2", { text: `${event.subject || ""}.${event.attribute || ""} = ${event.value || ""}` }),
      fields([["event", row.event], ["valid", event.valid], ["known", row.known || event.known], ["status", row.status],
              ["modality", event.modality || row.modality], ["source", event.source], ["note", event.note], ["recorded", shown.rows[0].recorded]]),
    ];
    if (Array.isArray(row.others) && row.others.length) {
      parts.push(el("h3", { text: "Rivals" }),
        el("ul", {}, ...row.others.map((o) => el("li", { text: `${o.value} — ${o.status}, known ${o.known}, ${o.source} (${o.event})` }))));
    }
    if (event.subject && event.attribute && event.valid) {
      const valid = askable(event.valid);
      const story = await getJson("/api/query?q=" + encodeURIComponent(`history ${event.subject}.${event.attribute} for ${valid}`));
      const denials = story.rows.filter((s) => s.op === "deny" && s.claim === row.event);
      parts.push(el("h3", { text: "Denials" }),
        denials.length ? el("ul", {}, ...denials.map((d) => el("li", { text: `${d.event}: ${d.source}, known ${d.known}` })))
                       : el("p", { text: "None." }));
      const curve = `curve ${event.subject}.${event.attribute} for ${valid}`;
      const link = el("a", { href: "#q=" + encodeURIComponent(curve), text: "the knowledge curve of this slot" });
      link.addEventListener("click", (e) => { e.preventDefault(); ask(curve); });
      parts.push(el("p", {}, "See ", link, "."));
    }
    if (event.source) {
      const source = await getJson("/api/sources/" + encodeURIComponent(event.source));
      parts.push(el("h3", { text: `Source: ${source.source.title || event.source}` }));
      if (source.source.text) {
        const quotes = source.quotes.map((q) => q.quote);
        parts.push(markedText(source.source.text, quotes.concat(event.quote ? [event.quote] : []), event.quote));
      } else if (event.quote) {
        parts.push(el("blockquote", { text: event.quote }));
      }
    }
    body.replaceChildren(...parts);
    // Scroll the panel, not the page, to the claim's quote.
    const current = body.querySelector("mark.current");
    const panel = $("panel");
    if (current) panel.scrollTop = Math.max(0, current.offsetTop - panel.clientHeight / 3);
  } catch (error) {
    body.replaceChildren(el("p", { class: "error", text: error.message }));
  }
}

async function openSource(id) {
  const body = $("panel-body");
  $("panel").hidden = false;
  try {
    const source = await getJson("/api/sources/" + encodeURIComponent(id));
    const s = source.source;
    const parts = [el("h2", { text: s.title || id }), fields([["id", s.id], ["publisher", s.publisher], ["published", s.published], ["url", s.url]])];
    if (s.text) parts.push(el("h3", { text: `Text, with every quote from it (${source.quotes.length})` }), markedText(s.text, source.quotes.map((q) => q.quote), null));
    body.replaceChildren(...parts);
  } catch (error) {
    body.replaceChildren(el("p", { class: "error", text: error.message }));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  showHistory();
  $("examples").append("Try: ", ...EXAMPLES.map((example) => {
    const link = el("a", { href: "#q=" + encodeURIComponent(example), text: example });
    link.addEventListener("click", (e) => { e.preventDefault(); ask(example); });
    return link;
  }));
  $("ask").addEventListener("submit", (e) => { e.preventDefault(); ask($("statement").value); });
  $("close").addEventListener("click", () => { $("panel").hidden = true; });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") $("panel").hidden = true; });
  // A link may name a statement (#q=…), and a claim to open (#event=…) or
  // a row of the answer to click (#click=EVENT, what the browser test does).
  const linked = new URLSearchParams(location.hash.slice(1));
  (async () => {
    if (linked.get("q")) await ask(linked.get("q"));
    if (linked.get("event")) openClaim({ event: linked.get("event") });
    const click = linked.get("click");
    if (click) {
      const row = [...document.querySelectorAll("tr.clickable")].find((tr) =>
        [...tr.cells].some((td) => td.textContent === click));
      if (row) row.click();
    }
  })();
});
