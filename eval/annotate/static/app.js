// The reading page: fetches the next pair, shows it, sends the verdict. No run names ever reach it.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let current = null;      // the pair on screen: {assignment, ...}
  let chosen = null;       // the selected verdict label
  let visibleMs = 0;       // time the page was visible while this pair was shown
  let visibleSince = null;

  function tick() {
    if (visibleSince !== null) { visibleMs += performance.now() - visibleSince; }
    visibleSince = document.visibilityState === "visible" ? performance.now() : null;
  }
  document.addEventListener("visibilitychange", tick);

  function showError(msg) { $("error").textContent = msg; $("error").hidden = !msg; }

  async function api(path, body) {
    const opts = body === undefined ? {} : {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
    const resp = await fetch(path, Object.assign({credentials: "same-origin"}, opts));
    let data = null;
    try { data = await resp.json(); } catch (e) { data = {error: "the server answered " + resp.status}; }
    if (!resp.ok) { const err = new Error(data.error || ("HTTP " + resp.status)); err.status = resp.status; throw err; }
    return data;
  }

  function fill(pane, side) {
    pane.querySelector(".answer").textContent = side.text;
    pane.querySelector(".plan-text").textContent = side.plan || "(no plan)";
    pane.querySelector(".words").textContent = "(" + side.words + " words)";
    pane.scrollTop = 0;
  }

  function applyToggles() {
    const plans = $("show-plans").checked, words = $("show-words").checked;
    document.querySelectorAll(".plan").forEach((el) => { el.hidden = !plans; });
    document.querySelectorAll(".words").forEach((el) => { el.hidden = !words; });
  }

  function select(label) {
    chosen = label;
    document.querySelectorAll("#verdicts button").forEach((b) => b.classList.toggle("selected", b.dataset.verdict === label));
    $("submit").disabled = chosen === null;
  }

  function setProgress(p) {
    $("progress").textContent = p.done + " of " + p.total + " judged" + (p.skipped ? " (" + p.skipped + " skipped)" : "");
  }

  async function loadNext() {
    const data = await api("/api/next");
    setProgress(data.progress);
    if (data.done) { $("reader").hidden = true; $("finished").hidden = false; current = null; return; }
    current = data;
    $("request").textContent = data.request.prompt;
    fill($("pane-a"), data.A);
    fill($("pane-b"), data.B);
    $("reason").value = "";
    select(null);
    applyToggles();
    $("reader").hidden = false;
    if (document.activeElement && document.activeElement !== document.body) { document.activeElement.blur(); }
    visibleMs = 0; visibleSince = null; tick();
  }

  async function send(verdict) {
    if (!current) { return; }
    tick();
    const body = {assignment: current.assignment, verdict: verdict, reason: $("reason").value, visible_seconds: visibleMs / 1000};
    current = null;
    try {
      await api("/api/judge", body);  // the progress line moves when the next pair is on screen
      showError("");
      await loadNext();
    } catch (e) { showError("not saved: " + e.message); await loadNext(); }
  }

  document.querySelectorAll("#verdicts button").forEach((b) => b.addEventListener("click", () => select(b.dataset.verdict)));
  $("submit").addEventListener("click", () => { if (chosen) { send(chosen); } });
  $("skip").addEventListener("click", () => send("skip"));
  $("show-plans").addEventListener("change", applyToggles);
  $("show-words").addEventListener("change", applyToggles);

  document.addEventListener("keydown", (ev) => {
    if (ev.target === $("reason")) {
      if (ev.key === "Escape") { $("reason").blur(); }
      else if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && chosen) { ev.preventDefault(); send(chosen); }
      return;
    }
    if (ev.target.tagName === "INPUT" || ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    if (ev.key === "p") { $("show-plans").checked = !$("show-plans").checked; applyToggles(); return; }
    if (ev.key === "w") { $("show-words").checked = !$("show-words").checked; applyToggles(); return; }
    if (!current) { return; }
    const labels = ["A>>B", "A>B", "A=B", "B>A", "B>>A"];
    if (ev.key >= "1" && ev.key <= "5") { select(labels[Number(ev.key) - 1]); }
    else if (ev.key === "Enter" && chosen) { ev.preventDefault(); send(chosen); }
    else if (ev.key === "s") { send("skip"); }
    else if (ev.key === "r") { ev.preventDefault(); $("reason").focus(); }
  });

  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try { await api("/api/login", {name: $("name").value}); $("login").hidden = true; await start(); }
    catch (e) { showError(e.message); }
  });

  async function start() {
    try {
      const me = await api("/api/me");
      $("who").textContent = "annotator: " + me.annotator;
      showError("");
      await loadNext();
    } catch (e) {
      if (e.status === 401 && /name/.test(e.message)) { $("login").hidden = false; }
      else { showError(e.message); }
    }
  }
  start();
})();
