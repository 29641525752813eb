// dlgrade students' page: sign in with a token, submit, read the report.  No framework, no build.
"use strict";

const PAGE = JSON.parse(document.getElementById("page-data").textContent);
const T = PAGE.t;
const TOKEN_KEY = "dlgrade.token";
const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  for (const c of children) node.append(c);
  return node;
}

async function api(path, options = {}) {
  const headers = Object.assign({ "Accept-Language": PAGE.lang }, options.headers || {});
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) headers["Authorization"] = "Bearer " + token;
  const sep = path.includes("?") ? "&" : "?";
  const response = await fetch(path + sep + "lang=" + PAGE.lang, Object.assign({}, options, { headers }));
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    const detail = body && body.detail;
    const message = typeof detail === "string" ? detail : JSON.stringify(detail || response.statusText);
    throw Object.assign(new Error(message), { status: response.status });
  }
  return body;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// one key per upload: if the answer is lost and the upload is sent again, the server keeps one submission
// (crypto.randomUUID needs a secure context; a plain http:// server name is not one)
function idempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- sign in / out
async function signIn(token) {
  localStorage.setItem(TOKEN_KEY, token);
  try {
    const me = await api("/api/v1/me");
    $("who").textContent = me.name + (me.role === "instructor" ? " (instructor)" : "");
    $("signin").hidden = true;
    $("app").hidden = false;
    $("signin-error").textContent = "";
    await loadHistory();
  } catch (err) {
    localStorage.removeItem(TOKEN_KEY);
    $("signin").hidden = false;
    $("app").hidden = true;
    if (token) $("signin-error").textContent = err.status === 401 ? T.bad_token : err.message;
  }
}

$("signin-form").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn($("token").value.trim());
});

$("signout").addEventListener("click", () => {
  localStorage.removeItem(TOKEN_KEY);
  $("token").value = "";
  $("app").hidden = true;
  $("signin").hidden = false;
  clearReport();
});

// ---- submitting
// The source is an explicit choice (#source-file / #source-paste): only the chosen one is sent, and the
// chosen file is cleared once an attempt ends, so that a failed upload is never re-sent unnoticed.
function setStatus(text, kind = "") {
  $("status").textContent = text;
  $("status").className = kind;
}

function sourceKind() {
  return $("source-paste").checked ? "paste" : "file";
}

function showSourceKind() {
  const paste = sourceKind() === "paste";
  $("file-block").hidden = paste;
  $("paste-block").hidden = !paste;
}

for (const id of ["source-file", "source-paste"]) $(id).addEventListener("change", showSourceKind);
$("file").addEventListener("change", () => { if ($("file").files.length) { $("source-file").checked = true; showSourceKind(); } });
showSourceKind();

function resetFile() {
  $("file").value = "";
}

$("submit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const exercise = $("exercise").value;
  const kind = sourceKind();
  const file = $("file").files[0];
  const pasted = $("paste").value;
  let options;
  if (kind === "file") {
    if (!file) { setStatus(T.need_file, "error"); return; }
    const form = new FormData();
    form.append("exercise", exercise);
    form.append("file", file);
    options = { method: "POST", body: form, headers: { "Idempotency-Key": idempotencyKey() } };
  } else {
    if (!pasted.trim()) { setStatus(T.need_paste, "error"); return; }
    options = { method: "POST", headers: { "Content-Type": "application/json", "Idempotency-Key": idempotencyKey() },
                body: JSON.stringify({ exercise, filename: "pasted.py", source: pasted }) };
  }
  $("submit-button").disabled = true;
  clearReport();  // the report on screen is never one of an earlier submission
  setStatus(T.sending);
  try {
    let sub = await api("/api/v1/submissions?wait=" + PAGE.wait, options);
    setStatus(T.waiting);
    await loadHistory();
    for (let i = 0; i < 600 && (sub.status === "queued" || sub.status === "running"); i++) {
      await sleep(1000);
      sub = await api("/api/v1/submissions/" + sub.id);
    }
    showSubmission(sub);
    setStatus(sub.status === "done" ? T.graded : T.failed + (sub.error ? ": " + sub.error : ""),
              sub.status === "done" ? "ok" : "error");
    await loadHistory();
  } catch (err) {
    clearReport();
    setStatus(err.message, "error");
  } finally {
    if (kind === "file") resetFile();
    $("submit-button").disabled = false;
  }
});

// ---- the report
function clearReport() {
  $("report").hidden = true;
  $("report-title").textContent = "";
  $("report-summary").textContent = "";
  $("report-syntax").hidden = true;
  $("report-syntax").replaceChildren();
  $("report-items").querySelector("tbody").replaceChildren();
  $("report-notes").hidden = true;
  $("report-output").hidden = true;
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, k) => String(values[k]));
}

// the places that did not parse, first: the cause of every "not defined" below
function showSyntaxErrors(problems) {
  const box = $("report-syntax");
  box.replaceChildren();
  for (const p of problems || []) {
    const where = fill(p.cell == null ? T.syntax_line : T.syntax_cell, p);
    box.append(el("p", {}, el("strong", { textContent: `${T.syntax}: ${where}` }), ` — ${p.message}`));
    if (p.text) box.append(el("pre", { textContent: p.text }));
  }
  if (box.childElementCount) box.append(el("p", { className: "help", textContent: T.syntax_help }));
  box.hidden = box.childElementCount === 0;
}

// the hint followed by its section, unless the hint already cites it (grader.messages.with_section)
function withSection(hint, section) {
  if (!section || hint.includes("§" + section)) return hint;
  return PAGE.lang === "ja" ? `${hint}(§${section})` : `${hint} (§${section})`;
}

function showSubmission(sub) {
  const section = $("report");
  section.hidden = false;
  $("report-title").textContent = `#${sub.id} ${sub.exercise} — ${sub.filename}`;
  const tbody = $("report-items").querySelector("tbody");
  tbody.replaceChildren();
  const notes = $("report-notes");
  notes.hidden = true;
  $("report-output").hidden = true;
  $("report-syntax").hidden = true;
  const report = sub.report;
  if (!report) {
    $("report-summary").textContent = T["s_" + sub.status] + (sub.error ? " — " + sub.error : "");
    return;
  }
  $("report-summary").textContent = `${T.total}: ${report.score} / ${report.max_score}`;
  showSyntaxErrors(report.syntax_errors);
  for (const item of report.items) {
    const feedback = el("td", { className: "feedback" }, el("div", { textContent: item.feedback }));
    if (item.status !== "pass") {
      if (item.mistake) feedback.append(el("div", { className: "mistake", textContent: `${T.mistake}: ${item.mistake.title}` }));
      feedback.append(el("div", { className: "hint", textContent: `${T.hint}: ${withSection(item.hint, item.section)}` }));
    }
    tbody.append(el("tr", { className: "status-" + item.status },
      el("td", { textContent: item.id }),
      el("td", { className: "verdict", textContent: T["i_" + item.status] || item.status }),
      el("td", { className: "num", textContent: `${item.score} / ${item.max_score}` }),
      feedback));
  }
  if (report.notes && report.notes.length) {
    notes.querySelector("ul").replaceChildren(...report.notes.map((n) => el("li", { textContent: n })));
    notes.hidden = false;
  }
  if (report.output) {
    $("report-output").querySelector("pre").textContent = report.output;
    $("report-output").hidden = false;
  }
}

async function loadHistory() {
  await loadList("/api/v1/submissions", "history");
  await loadList("/api/v1/checks", "checks");
}

// the graded submissions and the practice checks, in two tables of the same shape
async function loadList(path, id) {
  const list = await api(path + "?limit=50");
  const tbody = $(id + "-items").querySelector("tbody");
  tbody.replaceChildren();
  for (const sub of list.items) {
    const view = el("button", { type: "button", textContent: T.view });
    view.addEventListener("click", async () => showSubmission(await api(path + "/" + sub.id)));
    const score = sub.score === null ? "" : `${sub.score} / ${sub.max_score}`;
    tbody.append(el("tr", { className: "sub-" + sub.status },
      el("td", { textContent: sub.id }), el("td", { textContent: sub.exercise }),
      el("td", { textContent: sub.filename }),
      el("td", { textContent: new Date(sub.created_at).toLocaleString(PAGE.lang) }),
      el("td", { className: "state", textContent: T["s_" + sub.status] || sub.status }),
      el("td", { className: "num", textContent: score }), el("td", {}, view)));
  }
  $(id + "-items").hidden = list.items.length === 0;
  $(id + "-empty").hidden = list.items.length > 0;
}

// keep the signed-in state across the language switch and reloads
const saved = localStorage.getItem(TOKEN_KEY);
if (saved) signIn(saved);
