"use strict";
// Keeps the phone page openable without a network, so it can say honestly that it is offline;
// shows pushed alarms on the lock screen and answers "Jeg kommer" from there, with no page open.
importScripts("/static/web/kv.js");

const CACHE = "trygg-m-v2";
const SHELL = ["/m/", "/m/manifest.webmanifest", "/static/web/app.css", "/static/web/common.js",
               "/static/web/roles.js", "/static/web/visit.js",
               "/static/web/phone.js", "/static/web/push.js", "/static/web/kv.js",
               "/static/web/icon-192.png", "/static/web/icon-512.png"];
const ICONS = {red: "/static/web/alarm-red.png", yellow: "/static/web/alarm-yellow.png",
               closed: "/static/web/alarm-closed.png"};
const BADGE = "/static/web/badge.png";
const OPEN = ["active", "responding"];
// Used only if the page never stored its texts (the page writes them at login, in its language).
const FALLBACK_TEXTS = {n_yellow: "Trenger bistand", n_red: "Akutt fare – ring 112",
                        n_drill: "ØVELSE", n_ack: "Jeg kommer", n_open: "Åpne"};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  if (!SHELL.includes(url.pathname)) return;
  // Network first, so a new version shows at once; the cache when there is no network.
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
    }
    return response;
  }).catch(() => caches.match(url.pathname)));
});

// ---- Web Push: {"type": "event", "seq", "event": Event, "alarm": Alarm} ----

self.addEventListener("push", (event) => {
  let payload = null;
  try { payload = event.data ? event.data.json() : null; } catch (e) { payload = null; }
  event.waitUntil(showPushed(payload));
});

self.addEventListener("notificationclick", (event) => {
  event.waitUntil(handleNotificationClick(event.notification, event.action));
});

self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(renewSubscription(event.oldSubscription, event.newSubscription));
});

async function texts() {
  const stored = await TryggKV.get("texts").catch(() => null);
  return Object.assign({}, FALLBACK_TEXTS, stored || {});
}

function fill(s, vars) {
  for (const [k, v] of Object.entries(vars || {})) s = String(s).split("{" + k + "}").join(String(v));
  return s;
}

// What the lock screen says about an alarm as it stands now: its level while nobody answered,
// then who is coming, then that it was called off or closed. Never a free-text note or reason.
function describe(alarm, me, T) {
  const open = OPEN.includes(alarm.status);
  const level = alarm.level === "red" ? T.n_red : T.n_yellow;
  const responders = alarm.responders || [];
  const iAmComing = responders.some((r) => r.user_id === me);
  const names = responders.map((r) => r.full_name);
  let title;
  if (alarm.status === "cancelled") title = T.n_cancelled || "Avblåst";
  else if (alarm.status === "resolved") title = T.n_resolved || "Avsluttet";
  else if (names.length) title = fill(names.length === 1 && iAmComing ? (T.n_you_coming || names[0]) : (T.n_coming || "{names}"), {names: names.join(", ")});
  else title = level;
  if (alarm.mode === "drill") title = (T.n_drill || "ØVELSE") + " – " + title;
  const lines = [];
  if (title.indexOf(level) < 0) lines.push(level);
  if (alarm.room) lines.push(fill(T.n_room || "{room}", {room: alarm.room.name}));
  else if (T.n_no_room) lines.push(T.n_no_room);
  if (alarm.raised_by) lines.push(fill(T.n_raised_by || "{name}", {name: alarm.raised_by.full_name}));
  if (open && !names.length && T.n_nobody) lines.push(T.n_nobody);
  return {title, body: lines.join("\n"), open, iAmComing};
}

function notificationFor(alarm, seq, me, T) {
  const d = describe(alarm, me, T);
  const actions = [];
  if (d.open && !d.iAmComing) actions.push({action: "ack", title: T.n_ack});
  actions.push({action: "open", title: T.n_open});
  return [d.title, {
    body: d.body, tag: alarm.id, renotify: true, requireInteraction: true,
    icon: d.open ? ICONS[alarm.level] || ICONS.red : ICONS.closed, badge: BADGE,
    vibrate: !d.open ? [200] : alarm.level === "red" ? [600, 200, 600, 200, 600] : [400, 200, 400],
    timestamp: Date.parse(alarm.raised_at) || Date.now(),
    data: {alarm_id: alarm.id, seq, status: alarm.status}, actions,
  }];
}

// Show (or change) the alarm's notification; a push older than the one on screen changes nothing.
async function showPushed(payload) {
  const T = await texts();
  if (payload && payload.type === "event" && !payload.alarm && payload.visit) return showVisit(payload, T);
  if (!payload || payload.type !== "event" || !payload.alarm || !payload.alarm.id) return;
  const alarm = payload.alarm;
  const shown = await self.registration.getNotifications({tag: alarm.id});
  const newest = Math.max(0, ...shown.map((n) => (n.data && n.data.seq) || 0));
  if (payload.seq <= newest) return;
  const device = await TryggKV.get("device").catch(() => null);
  const [title, options] = notificationFor(alarm, payload.seq, device ? device.user_id : null, T);
  await self.registration.showNotification(title, options);
}

// A home visit's warning to its worker: check in before the office is alarmed. "Jeg er trygg"
// checks in with the device token; a later event (checked in, ended) takes the warning away.
async function showVisit(payload, T) {
  const visit = payload.visit;
  const tag = "visit-" + visit.id;
  const shown = await self.registration.getNotifications({tag});
  if (payload.event.type !== "visit.due") { shown.forEach((n) => n.close()); return; }
  const minutes = Math.max(1, Math.round((Date.parse(visit.alarm_at) - Date.now()) / 60000));
  const title = fill(T.v_warning || "Sjekk inn innen {min} min, ellers varsles kontoret", {min: minutes});
  await self.registration.showNotification(title, {
    body: visit.place, tag, renotify: true, requireInteraction: true, icon: ICONS.yellow, badge: BADGE,
    vibrate: [400, 200, 400, 200, 400], data: {visit_id: visit.id, seq: payload.seq},
    actions: [{action: "check-in", title: T.v_check_in || "Jeg er trygg"}, {action: "open", title: T.n_open}],
  });
}

async function apiCall(method, path, body) {
  const device = await TryggKV.get("device");
  if (!device) throw new Error("not_logged_in");
  const headers = {Authorization: "Bearer " + device.token};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch("/api/v1" + path, {method, headers, cache: "no-store", credentials: "omit",
                                                  body: body === undefined ? undefined : JSON.stringify(body)});
  return {response, device, data: response.status === 204 ? null : await response.json().catch(() => null)};
}

// "Jeg kommer" answers with the device token kept by the page; "Åpne" and a tap on the body open
// the phone page on the alarm. If the answer cannot be sent, the page opens so it can be retried.
async function handleNotificationClick(notification, action) {
  const visitId = notification.data && notification.data.visit_id;
  if (visitId) {
    notification.close();
    if (action === "check-in") {
      const sent = await apiCall("POST", "/visits/" + visitId + "/check-in", {}).catch(() => null);
      if (sent && sent.response.ok) return;
    }
    return openPage(null);
  }
  const id = notification.data && notification.data.alarm_id;
  if (!id) return openPage(null);
  if (action !== "ack") { notification.close(); return openPage(id); }
  const T = await texts();
  try {
    let {response, data, device} = await apiCall("POST", `/alarms/${id}/acknowledge`, {});
    if (response.status === 409) ({response, data, device} = await apiCall("GET", `/alarms/${id}`));
    if (!response.ok || !data) throw new Error("http_" + response.status);
    const [title, options] = notificationFor(data, notification.data.seq, device.user_id, T);
    await self.registration.showNotification(title, Object.assign(options, {renotify: false}));
  } catch (err) {
    await self.registration.showNotification(T.n_ack_failed || notification.title, {
      body: notification.body, tag: id, renotify: true, requireInteraction: true, icon: notification.icon,
      badge: BADGE, data: notification.data, actions: [{action: "open", title: T.n_open}],
    });
    return openPage(id);
  }
}

async function openPage(alarmId) {
  const url = "/m/" + (alarmId ? "#alarm=" + alarmId : "");
  const windows = await self.clients.matchAll({type: "window", includeUncontrolled: true});
  const page = windows.find((c) => new URL(c.url).pathname.startsWith("/m/"));
  if (page) {
    page.postMessage({type: "trygg.open-alarm", alarm_id: alarmId});
    return page.focus().catch(() => page); // focus needs the tap's activation; the page got the alarm
  }
  return self.clients.openWindow(url);
}

function keyBytes(b64url) {
  const raw = atob(b64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((b64url.length + 3) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

// The browser rotated or dropped the subscription: subscribe again with the server's key, store
// the new one on the server and forget the old one there.
async function renewSubscription(_oldSubscription, newSubscription) {
  if (!(await TryggKV.get("subscription").catch(() => null))) return; // push was not on here
  let subscription = newSubscription;
  if (!subscription) {
    const key = await apiCall("GET", "/push/key");
    if (!key.response.ok) return;
    subscription = await self.registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: keyBytes(key.data.public_key)});
  }
  const stored = await apiCall("POST", "/push/subscriptions", subscription.toJSON());
  if (!stored.response.ok) return;
  const before = await TryggKV.get("subscription");
  if (before && before.id !== stored.data.id) await apiCall("DELETE", `/push/subscriptions/${before.id}`).catch(() => {});
  await TryggKV.set("subscription", {id: stored.data.id, endpoint: stored.data.endpoint});
}
