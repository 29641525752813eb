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
});

// ---- submitting
function setStatus(text, kind = "") {
  $("status").textContent = text;
  $("status").className = kind;
}

$("submit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const exercise = $("exercise").value;
  const file = $("file").files[0];
  const pasted = $("paste").value;
  let options;
  if (file) {
    const form = new FormData();
    form.append("exercise", exercise);
    form.append("file", file);
    options = { method: "POST", body: form, headers: { "Idempotency-Key": idempotencyKey() } };
  } else if (pasted.trim()) {
    options = { method: "POST", headers: { "Content-Type": "application/json", "Idempotency-Key": idempotencyKey() },
                body: JSON.stringify({ exercise, filename: "pasted.py", source: pasted }) };
  } else {
    setStatus(T.need_source, "error");
    return;
  }
  $("submit-button").disabled = true;
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
    $("file").value = "";
    await loadHistory();
  } catch (err) {
    setStatus(err.message, "error");
  } finally {
    $("submit-button").disabled = false;
  }
});

// ---- the report
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
  const report = sub.report;
  if (!report) {
    $("report-summary").textContent = T["s_" + sub.status] + (sub.error ? " — " + sub.error : "");
    return;
  }
  $("report-summary").textContent = `${T.total}: ${report.score} / ${report.max_score}`;
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
      el("td", { textContent: T["s_" + sub.status] || sub.status }),
      el("td", { className: "num", textContent: score }), el("td", {}, view)));
  }
  $(id + "-items").hidden = list.items.length === 0;
  $(id + "-empty").hidden = list.items.length > 0;
}

// keep the signed-in state across the language switch and reloads
const saved = localStorage.getItem(TOKEN_KEY);
if (saved) signIn(saved);
