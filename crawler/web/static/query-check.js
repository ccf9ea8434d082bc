// Checks an alert query as it is typed, with the CLI's error and caret.
// Progressive enhancement only: the form is checked on the server anyway.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const input = document.getElementById("query");
  const out = document.getElementById("query-check");
  if (!input || !out) return;
  let timer = null;
  let asked = "";
  const check = async () => {
    const q = input.value;
    if (!q.trim()) { out.textContent = ""; out.className = "check"; return; }
    asked = q;
    try {
      const r = await fetch("/api/v1/query?q=" + encodeURIComponent(q),
                            { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!r.ok || asked !== q) return;
      const body = await r.json();
      out.textContent = body.ok ? "ok: " + body.query : body.error;
      out.className = "check " + (body.ok ? "ok" : "bad");
    } catch (e) { /* offline: the server checks on submit */ }
  };
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 250); });
});
