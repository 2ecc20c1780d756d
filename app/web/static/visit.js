"use strict";
// The phone's home visit: start (place, end, interval, position only if the worker agrees),
// "Jeg er trygg", extend, end; a loud warning when the check-in is due. The server keeps the
// timer: this page only shows it, so a closed page still raises the alarm in time.
const TryggVisit = (() => {
  const {t, api, ApiError, errorText, h, $, fmtTime, uuid4} = Trygg;
  const RETRY_MS = 2000;
  const TITLE = document.title;  // a due check-in shows in the tab and task switcher too
  const PREFIX = "trygg.m.";  // cleared with the rest of the phone's storage on logout
  const store = {
    get: (k) => { try { return JSON.parse(localStorage.getItem(PREFIX + k)); } catch (e) { return null; } },
    set: (k, v) => localStorage.setItem(PREFIX + k, JSON.stringify(v)),
  };
  const V = {
    device: null, me: null, visit: store.get("visit"), pending: store.get("visit_pending"),
    grace: 120, dueSeen: null, warnedFor: null, lastBeep: 0, audio: null, position: null,
    watching: null, retryTimer: null, minutes: 60, note: "", formOpen: false, cancelled: false,
  };
  const open = (v) => v && (v.status === "active" || v.status === "overdue");
  const section = () => $("#visit");

  function start({device, me}) {
    V.device = device;
    V.me = me;
    section().hidden = false;
    $("#visit-share").checked = !!store.get("visit_share");
    if (open(V.visit) && store.get("visit_share")) watchPosition();
    loadGrace();
    refresh();
    if (V.pending) send();
    render();
    setInterval(tick, 1000);
  }

  async function loadGrace() {
    try {
      const offices = await api("GET", "/offices", {token: V.device.token});
      const office = offices.find((o) => o.id === V.me.office_id);
      if (office && office.visit_grace_s) V.grace = office.visit_grace_s;
    } catch (err) { /* the default grace is shown until the office answers */ }
  }

  // The server's view of my visits; the newest open one is what the page shows.
  async function refresh() {
    if (!V.device) return;
    let items;
    try {
      const data = await api("GET", "/visits", {token: V.device.token});
      items = (Array.isArray(data) ? data : data.items || []).filter((v) => v.user_id === V.me.id);
    } catch (err) { return; }
    const known = V.visit && items.find((v) => v.id === V.visit.id);
    if (known) take(known);
    else if (!V.pending || V.pending.kind !== "start") {
      const current = items.filter(open).sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at))[0];
      if (current) take(current);
      else if (V.visit && V.visit.status === "active") take(null);  // gone from the server's list
    }
  }

  function take(visit) {
    V.visit = visit;
    store.set("visit", visit);
    if (!open(visit)) stopWatching();
    render();
  }

  function hello() { refresh(); }

  function event(frame) {
    const visit = frame.visit;
    if (!V.me || visit.user_id !== V.me.id) return;
    if (V.visit && V.visit.id !== visit.id && open(V.visit) && !open(visit)) return;  // an older one
    if (frame.event && frame.event.type === "visit.due") V.dueSeen = visit.due_at;
    take(visit);
  }

  // Actions are sent until the server answers; a start carries its own id, so a retry is safe,
  // and a repeated check-in or end is harmless.
  function act(kind, body) {
    const id = kind === "start" ? body.id : V.visit && V.visit.id;
    if (!id) return;
    V.pending = {kind, id, body};
    store.set("visit_pending", V.pending);
    if (audio()) audio().resume().catch(() => {});
    render();
    send();
  }

  async function send() {
    clearTimeout(V.retryTimer);
    const p = V.pending;
    if (!p || !V.device) return;
    const path = p.kind === "start" ? "/visits" : `/visits/${p.id}/${p.kind}`;
    try {
      const visit = await api("POST", path, {token: V.device.token, body: p.body});
      V.pending = null;
      store.set("visit_pending", null);
      V.note = p.kind === "check-in" ? t("v_checked_in", {time: fmtTime(new Date().toISOString())}) : "";
      $("#visit-error").textContent = "";
      take(visit);
    } catch (err) {
      if (err instanceof ApiError && err.status < 500 && err.status !== 429) {
        V.pending = null;
        store.set("visit_pending", null);
        V.note = errorText(err);
        if (p.kind === "start") $("#visit-error").textContent = errorText(err);
        render();
        refresh();
        return;
      }
      V.retryTimer = setTimeout(send, RETRY_MS);
      render();
    }
  }

  // Position only when the worker has said yes, and only while a visit is on.
  function watchPosition() {
    if (!navigator.geolocation || V.watching !== null) return;
    V.watching = navigator.geolocation.watchPosition(
      (p) => { V.position = {lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: p.coords.accuracy}; },
      () => {}, {enableHighAccuracy: true, maximumAge: 60000, timeout: 20000});
  }
  function stopWatching() {
    if (V.watching !== null && navigator.geolocation) navigator.geolocation.clearWatch(V.watching);
    V.watching = null;
    V.position = null;
  }
  const sharing = () => !!store.get("visit_share");

  // Expected end: a quick choice (+30/+60/+90 min) or a clock time today.
  function expectedEnd() {
    const time = $("#visit-time").value;
    if (!time) return new Date(Date.now() + V.minutes * 60000);
    const [hh, mm] = time.split(":").map(Number);
    const end = new Date();
    end.setHours(hh, mm, 0, 0);
    return end;
  }

  function audio() {
    try {
      V.audio = V.audio || new (window.AudioContext || window.webkitAudioContext)();
    } catch (e) { V.audio = null; }
    return V.audio;
  }

  // Two rising tones, unlike the alarm's beeps: "check in", not "someone is in danger".
  function warnTone() {
    const ctx = audio();
    if (!ctx) return;
    try {
      for (let i = 0; i < 4; i++) {
        const osc = ctx.createOscillator(), gain = ctx.createGain();
        osc.frequency.value = i % 2 ? 988 : 659;
        gain.gain.value = 0.35;
        osc.connect(gain).connect(ctx.destination);
        osc.start(ctx.currentTime + i * 0.35);
        osc.stop(ctx.currentTime + i * 0.35 + 0.25);
      }
    } catch (e) { /* no audio on this device */ }
  }

  const clock = (ms) => {
    const s = Math.max(0, Math.round(ms / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  };

  function isDue(v) {
    return v && v.status === "active" && (Date.now() >= Date.parse(v.due_at) || V.dueSeen === v.due_at || !!v.warned_at);
  }

  function tick() {
    const v = V.visit;
    if (!v || v.status !== "active") return;
    const due = isDue(v);
    $("#visit-left").textContent = due ? t("visit_due_passed") : clock(Date.parse(v.due_at) - Date.now()) + " " + t("v_left");
    const warning = $("#visit-warning");
    if (due) {
      // The server says when it alarms (alarm_at, the grace it took at the start); else the office's.
      const grace = v.grace_s || V.grace;
      const deadline = v.alarm_at ? Date.parse(v.alarm_at) : Date.parse(v.due_at) + grace * 1000;
      warning.hidden = false;
      warning.replaceChildren(
        h("strong", {text: t("v_warning", {min: Math.max(1, Math.ceil(grace / 60))})}),
        h("span", {class: "countdown", text: clock(deadline - Date.now())}));
      document.body.classList.add("visit-due");
      document.title = "⚠ " + t("v_check_in") + " – " + TITLE;
      if (V.warnedFor !== v.due_at || Date.now() - V.lastBeep > 15000) {
        if (V.warnedFor !== v.due_at) $("#visit-check-in").focus();
        V.warnedFor = v.due_at;
        V.lastBeep = Date.now();
        if (navigator.vibrate) navigator.vibrate([500, 200, 500, 200, 500]);
        warnTone();
      }
    } else {
      warning.hidden = true;
      document.body.classList.remove("visit-due");
      document.title = TITLE;
    }
  }

  // One of: idle (a button to begin), form, starting (sent, not yet stored), active, done.
  function state() {
    const v = V.visit;
    if (V.pending && V.pending.kind === "start") return "starting";
    if (v && v.status === "active") return "active";
    if (v) return "done";
    return V.formOpen ? "form" : "idle";
  }

  function render() {
    if (!V.me) return;
    const v = V.visit, now = state();
    // While a visit is on, it is the first thing under the worker's thumb (after an own alarm).
    const anchor = now === "active" || (v && v.status === "overdue") ? $("#mine") : $("#raise");
    if (anchor.nextElementSibling !== section()) anchor.after(section());
    $("#visit-idle").hidden = now !== "idle";
    $("#visit-form").hidden = now !== "form" && now !== "starting";
    $("#visit-active").hidden = now !== "active";
    $("#visit-done").hidden = now !== "done";
    $("#visit-start").disabled = now === "starting";
    if (now === "starting") $("#visit-error").textContent = t("v_sending");
    if (now !== "active") { $("#visit-warning").hidden = true; document.body.classList.remove("visit-due"); document.title = TITLE; }
    if (now === "active") {
      $("#visit-where").textContent = v.place;
      $("#visit-due-at").textContent = fmtTime(v.due_at).slice(0, 5);
      $("#visit-note").textContent = V.pending ? t("v_sending")
        : [V.note, sharing() ? t("v_position_on") : t("v_position_off")].filter(Boolean).join(" ");
      tick();
    }
    if (now === "done") {
      const overdue = v.status === "overdue";
      $("#visit-done-text").textContent = overdue ? t("v_overdue") : t("v_ended");
      $("#visit-done-text").className = overdue ? "state warn" : "state";
      $("#visit-false").hidden = !(overdue && v.alarm_id && !V.cancelled);
    }
  }

  // Overdue but safe (forgot to check in): the worker calls the alarm off; responders still see
  // "cancelled, please check", since a cancel can be forced.
  async function falseOverdue() {
    const v = V.visit;
    $("#visit-false").disabled = true;
    try {
      await api("POST", `/alarms/${v.alarm_id}/cancel`, {token: V.device.token, body: {reason: t("v_false_reason")}});
      V.cancelled = true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) V.cancelled = true;
      else $("#visit-done-text").after(h("p", {class: "error", role: "alert", text: errorText(err)}));
    }
    $("#visit-false").disabled = false;
    await api("POST", `/visits/${v.id}/end`, {token: V.device.token, body: {}}).then(take).catch(() => {});
    render();
  }

  // Wiring
  $("#visit-open").addEventListener("click", () => {
    V.formOpen = true;
    render();
    if (sharing()) watchPosition();
    $("#visit-place").focus();
  });
  for (const button of document.querySelectorAll("#visit-form .choice")) {
    button.addEventListener("click", () => {
      V.minutes = Number(button.dataset.minutes);
      $("#visit-time").value = "";
      for (const b of document.querySelectorAll("#visit-form .choice")) b.setAttribute("aria-pressed", String(b === button));
    });
  }
  $("#visit-time").addEventListener("input", () => {
    const on = !!$("#visit-time").value;
    for (const b of document.querySelectorAll("#visit-form .choice")) b.setAttribute("aria-pressed", String(!on && Number(b.dataset.minutes) === V.minutes));
  });
  $("#visit-share").addEventListener("change", () => {
    store.set("visit_share", $("#visit-share").checked);
    if ($("#visit-share").checked) watchPosition(); else stopWatching();
  });
  $("#visit-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const place = $("#visit-place").value.trim();
    const end = expectedEnd();
    if (!place) { $("#visit-error").textContent = t("v_place_missing"); $("#visit-place").focus(); return; }
    if (end.getTime() <= Date.now()) { $("#visit-error").textContent = t("v_time_passed"); $("#visit-time").focus(); return; }
    const body = {id: uuid4(), place, expected_end: end.toISOString()};
    const interval = $("#visit-interval").value;
    if (interval) body.check_in_interval_s = Number(interval);
    if (sharing() && V.position) body.position = V.position;
    V.note = "";
    act("start", body);
  });
  $("#visit-check-in").addEventListener("click", () => {
    V.dueSeen = null;
    act("check-in", sharing() && V.position ? {position: V.position} : {});
  });
  for (const button of document.querySelectorAll("#visit-active [data-extend]")) {
    button.addEventListener("click", () => {
      const v = V.visit;
      const base = Math.max(Date.now(), Date.parse(v.expected_end || v.due_at));
      act("extend", {expected_end: new Date(base + Number(button.dataset.extend) * 60000).toISOString()});
    });
  }
  $("#visit-end").addEventListener("click", () => act("end", {}));
  $("#visit-again").addEventListener("click", () => {
    $("#visit-form").reset();
    $("#visit-share").checked = sharing();
    V.minutes = 60;
    for (const b of document.querySelectorAll("#visit-form .choice")) b.setAttribute("aria-pressed", String(b.dataset.minutes === "60"));
    V.formOpen = true;
    V.cancelled = false;
    V.note = "";
    take(null);
    $("#visit-place").focus();
    if (sharing()) watchPosition();
  });
  $("#visit-false").addEventListener("click", falseOverdue);
  // Sound needs a tap first on most phones; any tap on the page unlocks it.
  document.addEventListener("pointerdown", () => { if (V.audio) V.audio.resume().catch(() => {}); }, {passive: true});
  window.addEventListener("online", () => { if (V.pending) send(); });

  return {start, hello, event};
})();
