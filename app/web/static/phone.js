"use strict";
// The phone alarm: raise (held buttons, retried until stored), follow your alarm, answer others'.
(() => {
  const {t, api, ApiError, errorText, h, $, fmtTime, uuid4, Socket} = Trygg;
  const HOLD_MS = 1500;
  const CANCEL_WINDOW_MS = 10000;
  const RETRY_MS = 2000;
  const store = {
    get: (k) => { try { return JSON.parse(localStorage.getItem("trygg.m." + k)); } catch (e) { return null; } },
    set: (k, v) => localStorage.setItem("trygg.m." + k, JSON.stringify(v)),
    clear: () => Object.keys(localStorage).filter((k) => k.startsWith("trygg.m.")).forEach((k) => localStorage.removeItem(k)),
  };
  const S = {
    device: store.get("device"), me: store.get("me"), room: store.get("room"),
    pending: store.get("pending") || [], mine: null, mineRaisedAt: 0, alarms: new Map(),
    received: new Set(), dismissed: new Set(), position: null, socket: null, audio: null,
    retryTimer: null, armed: null,
  };
  const show = (id, on) => { $("#" + id).hidden = !on; };
  const hasRole = (...roles) => S.me && roles.some((r) => S.me.roles.includes(r));

  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/m/sw.js", {scope: "/m/"}).catch(() => {});
  $("#offline-note").hidden = navigator.onLine;
  window.addEventListener("online", () => { $("#offline-note").hidden = true; flushPending(); });

  function setProtected(up) {
    document.body.classList.toggle("is-unprotected", !up);
    $("#unprotected").hidden = up;
    show("conn", up);
    // Without a connection the readiness figure is unknown; the unprotected banner says more.
    if (!up) $("#readiness").hidden = true;
    if (up) flushPending();
  }

  // Login: a login token enrolls this phone as a device; the device token is what it keeps.
  $("#login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("#login-error").textContent = "";
    try {
      const login = await api("POST", "/auth/login", {body: {username: $("#username").value, password: $("#password").value}});
      const me = await api("GET", "/me", {token: login.access_token});
      const device = await api("POST", "/devices", {token: login.access_token, body: {user_id: me.id, kind: "mobile", label: t("kind_mobile") + " (web)"}});
      await api("POST", "/auth/logout", {token: login.access_token}).catch(() => {});
      S.device = {id: device.id, token: device.token};
      S.me = me;
      store.set("device", S.device);
      store.set("me", me);
      $("#password").value = "";
      start();
    } catch (err) {
      $("#login-error").textContent = err instanceof ApiError && err.status === 401 ? t("login_failed") : errorText(err);
    }
  });

  $("#logout").addEventListener("click", async () => {
    await TryggPush.stop();
    if (S.device) await api("POST", `/devices/${S.device.id}/revoke`, {token: S.device.token, body: {}}).catch(() => {});
    store.clear();
    location.reload();
  });

  async function chooseRoom() {
    show("raise", false);
    show("setup", true);
    const select = $("#room");
    select.replaceChildren(h("option", {value: "", text: t("no_room")}));
    try {
      const rooms = await api("GET", `/offices/${S.me.office_id}/rooms`, {token: S.device.token});
      for (const room of rooms) select.append(h("option", {value: room.id, text: room.name, selected: S.room && S.room.id === room.id}));
    } catch (err) {
      if (S.room) select.append(h("option", {value: S.room.id, text: S.room.name, selected: true}));
    }
    $("#share-position").checked = !!store.get("share_position");
    select.focus();
  }

  $("#room-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const select = $("#room");
    S.room = select.value ? {id: select.value, name: select.selectedOptions[0].textContent} : null;
    store.set("room", S.room);
    store.set("share_position", $("#share-position").checked);
    store.set("room_confirmed", true);
    showRaise();
  });
  $("#change-room").addEventListener("click", chooseRoom);

  function watchPosition() {
    if (!store.get("share_position") || !navigator.geolocation || S.watching) return;
    S.watching = navigator.geolocation.watchPosition(
      (p) => { S.position = {lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: p.coords.accuracy}; },
      () => {}, {enableHighAccuracy: true, maximumAge: 60000});
  }

  function showRaise() {
    show("setup", false);
    show("raise", true);
    $("#room-name").textContent = S.room ? S.room.name : t("no_room");
    $("#silent").checked = !!store.get("silent");
    watchPosition();
  }
  $("#silent").addEventListener("change", () => store.set("silent", $("#silent").checked));

  // Held buttons: a pocket or a brush cannot raise an alarm.
  for (const button of document.querySelectorAll(".hold")) {
    let timer = null;
    const begin = (ev) => {
      if (timer) return;
      ev.preventDefault();
      button.classList.add("holding");
      timer = setTimeout(() => { timer = null; button.classList.remove("holding"); raise(button.dataset.level); }, HOLD_MS);
    };
    const end = () => { if (timer) { clearTimeout(timer); timer = null; } button.classList.remove("holding"); };
    button.addEventListener("pointerdown", begin);
    for (const e of ["pointerup", "pointerleave", "pointercancel"]) button.addEventListener(e, end);
    button.addEventListener("keydown", (ev) => { if ((ev.key === " " || ev.key === "Enter") && !ev.repeat) begin(ev); });
    button.addEventListener("keyup", (ev) => { if (ev.key === " " || ev.key === "Enter") end(); });
    button.addEventListener("contextmenu", (ev) => ev.preventDefault());
    button.addEventListener("click", (ev) => ev.preventDefault());
  }

  function raise(level) {
    const silent = $("#silent").checked;
    const body = {id: uuid4(), level, mode: "real", silent};
    if (S.room) body.room_id = S.room.id;
    if (store.get("share_position") && S.position) body.position = S.position;
    S.pending.push({body, cancel: false});
    store.set("pending", S.pending);
    S.mine = {id: body.id, level, silent, status: "sending", responders: [], delivered_to: 0};
    S.mineRaisedAt = Date.now();
    if (!silent && navigator.vibrate) navigator.vibrate(200);
    renderMine();
    flushPending();
  }

  // Send every stored raise until the server has it; its id makes a retry harmless.
  async function flushPending() {
    clearTimeout(S.retryTimer);
    if (!S.device) return;
    for (const item of [...S.pending]) {
      try {
        const alarm = await api("POST", "/alarms", {token: S.device.token, body: item.body});
        S.pending = S.pending.filter((p) => p.body.id !== item.body.id);
        store.set("pending", S.pending);
        if (!S.mine || S.mine.id === alarm.id) { S.mine = mergeMine(alarm); renderMine(); }
        if (item.cancel) await cancelMine(alarm.id);
      } catch (err) {
        if (err instanceof ApiError && [403, 404, 409, 422].includes(err.status)) {
          S.pending = S.pending.filter((p) => p.body.id !== item.body.id);
          store.set("pending", S.pending);
          $("#mine-body").replaceChildren(h("p", {class: "error", role: "alert", text: t("m_rejected") + " " + errorText(err)}));
          continue;
        }
        S.retryTimer = setTimeout(flushPending, RETRY_MS);
        return;
      }
    }
  }

  const mergeMine = (alarm) => Object.assign({}, alarm, {silent: alarm.silent});

  async function cancelMine(id) {
    try {
      const alarm = await api("POST", `/alarms/${id}/cancel`, {token: S.device.token, body: {reason: t("m_false_alarm_reason")}});
      S.mine = mergeMine(alarm);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 409)) setTimeout(() => cancelMine(id), RETRY_MS);
    }
    renderMine();
  }

  $("#upgrade").addEventListener("click", async () => {
    if (!S.mine || S.pending.some((p) => p.body.id === S.mine.id)) return;
    try {
      S.mine = mergeMine(await api("POST", `/alarms/${S.mine.id}/upgrade`, {token: S.device.token, body: {level: "red"}}));
    } catch (err) { /* already red or closed: the next event shows the state */ }
    renderMine();
  });

  $("#false-alarm").addEventListener("click", () => {
    if (!S.mine) return;
    const pending = S.pending.find((p) => p.body.id === S.mine.id);
    if (pending) { pending.cancel = true; store.set("pending", S.pending); }
    else cancelMine(S.mine.id);
    $("#false-alarm").hidden = true;
  });

  const Roles = TryggRoles;

  function renderMine() {
    const a = S.mine;
    show("mine", !!a);
    if (!a) return;
    const body = $("#mine-body");
    const open = ["sending", "active", "responding"].includes(a.status);
    const canCancel = open && Date.now() - S.mineRaisedAt < CANCEL_WINDOW_MS;
    $("#false-alarm").hidden = !canCancel;
    if (canCancel) setTimeout(renderMine, CANCEL_WINDOW_MS - (Date.now() - S.mineRaisedAt) + 50);
    $("#mine").className = a.silent ? "mine silent" : `mine level-${a.level}`;
    $("#upgrade").hidden = !(a.level === "yellow" && ["active", "responding"].includes(a.status));
    // Escalated with nobody coming: the product asks the raiser's client to prompt for 112.
    $("#call-112").hidden = !(a.escalated && a.status === "active");
    const lines = [];
    if (a.status === "sending") lines.push(h("p", {class: "sending", text: a.silent ? "…" : t("m_sending")}));
    else if (a.silent) lines.push(h("p", {id: "mine-summary", text: t("m_silent_sent") + " " + Roles.summary(a)}));
    else {
      lines.push(h("p", {class: "big", text: t("level_" + a.level)}));
      lines.push(h("p", {text: t("m_stored") + " " + t("m_delivered", {n: a.delivered_to})}));
      lines.push(h("p", {class: "summary-line", id: "mine-summary", text: Roles.summary(a)}));
      lines.push(Roles.list(a, {id: "mine-coming"}));
    }
    if (a.status === "cancelled" || a.status === "resolved") {
      lines.push(h("p", {class: "state", text: t("status_" + a.status)}));
      lines.push(h("button", {type: "button", class: "secondary", text: t("m_dismiss"), onclick: () => { S.mine = null; renderMine(); }}));
    }
    body.replaceChildren(...lines);
  }

  // Incoming alarms (responders and managers).
  function beep() {
    try {
      S.audio = S.audio || new (window.AudioContext || window.webkitAudioContext)();
      const ctx = S.audio;
      for (let i = 0; i < 3; i++) {
        const osc = ctx.createOscillator(), gain = ctx.createGain();
        osc.frequency.value = 880;
        gain.gain.value = 0.3;
        osc.connect(gain).connect(ctx.destination);
        osc.start(ctx.currentTime + i * 0.5);
        osc.stop(ctx.currentTime + i * 0.5 + 0.3);
      }
    } catch (e) { /* no audio on this device */ }
  }
  $("#enable-sound").addEventListener("click", () => {
    S.audio = S.audio || new (window.AudioContext || window.webkitAudioContext)();
    S.audio.resume();
    $("#enable-sound").hidden = true;
  });

  function onAlarm(alarm, eventType) {
    if (S.me && alarm.raised_by.id === S.me.id) {
      if (S.mine && S.mine.id === alarm.id) {
        const escalated = S.mine.escalated || eventType === "alarm.escalated";
        S.mine = Object.assign(mergeMine(alarm), {escalated});
        renderMine();
      }
      else if (!S.mine && ["active", "responding"].includes(alarm.status)) { S.mine = mergeMine(alarm); renderMine(); }
      return;
    }
    if (!hasRole("responder", "manager")) return;
    const known = S.alarms.get(alarm.id);
    const isOpen = ["active", "responding"].includes(alarm.status);
    if (!known && !isOpen) return;
    const entry = known || {upgraded: false};
    entry.alarm = alarm;
    if (eventType === "alarm.upgraded") entry.upgraded = true;
    S.alarms.set(alarm.id, entry);
    if (!known) {
      if (navigator.vibrate) navigator.vibrate([600, 200, 600, 200, 600]);
      beep();
    }
    if (!S.received.has(alarm.id) && isOpen) {
      S.received.add(alarm.id);
      S.socket.send({type: "received", alarm_id: alarm.id});
    }
    renderIncoming();
  }

  async function acknowledge(id, button, role) {
    const group = button.parentNode;
    for (const b of group.querySelectorAll("button")) b.disabled = true;
    try {
      const alarm = await api("POST", `/alarms/${id}/acknowledge`, {token: S.device.token, body: {role}});
      if (S.armed && S.armed.id === id) S.armed = null;
      onAlarm(alarm);
    } catch (err) {
      for (const b of group.querySelectorAll("button")) b.disabled = false;
      group.after(h("p", {class: "error", role: "alert", text: errorText(err)}));
    }
  }

  // The three answers, the role still missing first and largest.
  const roleButtons = (id, a) => h("div", {class: "roles", role: "group", "aria-label": t("who_does_what")},
    Roles.buttonOrder(a).map((role, i) => h("button", {type: "button", class: `ack role-${role}` + (i === 0 ? " first" : ""),
      "data-role": role, text: t("role_" + role + "_btn"), onclick: (ev) => acknowledge(id, ev.currentTarget, role)})));
  // After answering: the first tap on another role arms it, a second one within a moment sends it.
  function switchRole(id, role, button) {
    const armed = S.armed && S.armed.id === id && S.armed.role === role && Date.now() < S.armed.until;
    if (armed) { acknowledge(id, button, role); return; }
    S.armed = {id, role, until: Date.now() + Roles.SWITCH_ARM_MS};
    setTimeout(() => { if (S.armed && Date.now() >= S.armed.until) { S.armed = null; renderIncoming(); } },
      Roles.SWITCH_ARM_MS + 50);
    renderIncoming();
  }
  const armedRole = (id) => (S.armed && S.armed.id === id && Date.now() < S.armed.until ? S.armed.role : null);
  const mapLink = (p) => h("a", {class: "map", target: "_blank", rel: "noopener noreferrer", text: t("m_map"),
    href: `https://www.openstreetmap.org/?mlat=${p.lat}&mlon=${p.lon}#map=17/${p.lat}/${p.lon}`});

  function renderIncoming() {
    const list = $("#alarm-list");
    const cards = [];
    for (const [id, entry] of S.alarms) {
      if (S.dismissed.has(id)) continue;
      const a = entry.alarm;
      const open = ["active", "responding"].includes(a.status);
      const mineComing = Roles.mine(a, S.me.id);
      const where = a.room ? a.room.name : (a.location_note || t("no_room"));
      const card = h("li", {class: `card level-${a.level} status-${a.status}`, "data-alarm-id": id},
        a.mode === "drill" ? h("p", {class: "drill", text: t("drill_banner")}) : null,
        h("p", {class: "big", text: t("level_" + a.level)}),
        entry.upgraded ? h("p", {class: "badge", text: t("m_upgraded")}) : null,
        h("p", {}, (a.visit_id ? t("v_title") : t("room")) + ": ", h("strong", {text: where})),
        h("p", {text: t("raised_by") + ": " + a.raised_by.full_name + " · " + fmtTime(a.raised_at)}),
        a.position ? h("p", {text: `${t("m_position")}: ${a.position.lat.toFixed(5)}, ${a.position.lon.toFixed(5)} `}, mapLink(a.position)) : null,
        Roles.list(a),
        a.status === "cancelled" ? h("p", {class: "state cancelled", role: "alert", text: t("m_cancelled_check")}) : null,
        a.status === "resolved" ? h("p", {class: "state", text: t("m_resolved")}) : null,
        open && !mineComing ? roleButtons(id, a) : null,
        open && mineComing ? Roles.switcher(Roles.roleOf(mineComing), armedRole(id),
          (role, button) => switchRole(id, role, button)) : null,
        !open ? h("button", {type: "button", class: "secondary", text: t("m_dismiss"), onclick: () => { S.dismissed.add(id); renderIncoming(); }}) : null,
      );
      cards.push(card);
    }
    list.replaceChildren(...cards);
    show("no-alarms", cards.length === 0);
  }

  // The home visit (visit.js) follows the same login and socket.
  const visitHook = (kind, frame) => typeof TryggVisit !== "undefined" && TryggVisit[kind](frame);

  function start() {
    show("login", false);
    show("who", true);
    $("#who-name").textContent = S.me.full_name;
    if (hasRole("staff")) {
      if (!store.get("room_confirmed")) chooseRoom(); else showRaise();
    }
    show("incoming", hasRole("responder", "manager"));
    renderIncoming();
    TryggPush.start(S.device, S.me);
    if (hasRole("staff")) visitHook("start", {device: S.device, me: S.me});
    S.socket = new Socket(S.device.token, {
      state: setProtected,
      hello: (f) => { for (const a of f.open_alarms) onAlarm(a); visitHook("hello", f); },
      // A home visit's event carries the visit and no alarm.
      event: (f) => { if (f.alarm) onAlarm(f.alarm, f.event.type); if (f.visit) visitHook("event", f); },
      readiness: (f) => {
        const low = f.responders_online < f.min_responders_online;
        $("#readiness").hidden = !low;
        $("#readiness").textContent = low ? t("readiness_low", {online: f.responders_online, min: f.min_responders_online}) : "";
      },
      unauthorized: () => { store.clear(); location.reload(); },
    });
    if (S.pending.length) {
      const last = S.pending[S.pending.length - 1].body;
      S.mine = {id: last.id, level: last.level, silent: last.silent, status: "sending", responders: [], delivered_to: 0};
      renderMine();
    }
    flushPending();
  }

  setProtected(false);
  if (S.device && S.me) start(); else { show("login", true); $("#username").focus(); }
})();
