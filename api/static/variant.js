// The "your problem" block: a signed-in student's numbers of an exercise with per-student variants,
// as NumPy code to paste (GET /api/v1/exercises/{id}/variant?format=py).  Self-contained: it only
// reads the page's token, the exercise <select> and whether #app is shown.
"use strict";
(() => {
  const box = document.getElementById("variant");
  const code = document.getElementById("variant-code");
  const select = document.getElementById("exercise");
  const app = document.getElementById("app");
  if (!box || !code || !select) return;
  const lang = document.documentElement.lang === "en" ? "en" : "ja";
  let shownFor = null;

  async function refresh() {
    const token = localStorage.getItem("dlgrade.token");
    const exercise = select.value;
    const key = token + "\n" + exercise;
    if (!token || (app && app.hidden)) { box.hidden = true; shownFor = null; return; }
    if (key === shownFor) return;
    shownFor = key;
    box.hidden = true;
    try {
      const r = await fetch("/api/v1/exercises/" + encodeURIComponent(exercise) + "/variant?format=py&lang=" + lang,
                            { headers: { "Authorization": "Bearer " + token } });
      if (shownFor !== key) return;  // the choice changed meanwhile
      if (!r.ok) return;              // 404: the same numbers for everyone
      code.textContent = await r.text();
      box.dataset.exercise = exercise;
      box.hidden = false;
    } catch (e) { box.hidden = true; }
  }

  select.addEventListener("change", refresh);
  if (app) new MutationObserver(refresh).observe(app, { attributes: true, attributeFilter: ["hidden"] });
  document.getElementById("variant-copy").addEventListener("click", () => {
    if (navigator.clipboard) navigator.clipboard.writeText(code.textContent).catch(() => {});
    const range = document.createRange();
    range.selectNodeContents(code);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  });
  refresh();
})();
