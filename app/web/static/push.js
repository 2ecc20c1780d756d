"use strict";
// Lock-screen alerts on the phone page: Web Push turned on and off by the responder, never
// asked for unprompted. The device token, the person and the notification texts go to
// IndexedDB, where the service worker reads them to show and answer an alarm with no page open.
const TryggPush = (() => {
  const {t, api, ApiError, errorText, $} = Trygg;
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  let device = null;

  const keyBytes = (b64url) => {
    const raw = atob(b64url.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((b64url.length + 3) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  };
  const sameKey = (buffer, b64url) => {
    if (!buffer) return false;
    const a = new Uint8Array(buffer), b = keyBytes(b64url);
    return a.length === b.length && a.every((v, i) => v === b[i]);
  };
  const withTimeout = (promise, ms) => Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), ms))]);
  const registration = () => withTimeout(navigator.serviceWorker.ready, 10000);

  // state: on | off | blocked | unsupported | insecure | unknown | working | failed
  function render(state, detail) {
    const section = $("#push");
    section.classList.toggle("is-on", state === "on");
    section.classList.toggle("is-off", state !== "on");
    const text = {on: "push_on", off: "push_off", blocked: "push_blocked", unsupported: "push_unsupported",
                  insecure: "push_insecure", unknown: "push_unknown", working: "push_working", failed: "push_failed"}[state];
    $("#push-state").textContent = t(text) + (detail ? " " + detail : "");
    $("#push-state").className = "push-state " + state;
    section.dataset.state = state;
    $("#push-on").hidden = !["off", "blocked", "failed"].includes(state);
    $("#push-off").hidden = state !== "on";
    $("#push-on").disabled = $("#push-off").disabled = state === "working";
  }

  function notificationTexts() {
    const keys = ["n_yellow", "n_red", "n_drill", "n_coming", "n_you_coming", "n_cancelled", "n_resolved",
                  "n_room", "n_no_room", "n_raised_by", "n_nobody", "n_ack", "n_open", "n_ack_failed",
                  "v_warning", "v_check_in"];
    return Object.fromEntries(keys.map((k) => [k, t(k)]));
  }

  // What this browser and the server say now; a subscription the server lost is stored again.
  async function refresh() {
    if (!window.isSecureContext) return render("insecure");
    if (!supported) return render("unsupported");
    if (Notification.permission === "denied") return render("blocked");
    try {
      const subscription = await (await registration()).pushManager.getSubscription();
      if (!subscription || Notification.permission !== "granted") return render("off");
      const mine = await api("GET", "/push/subscriptions", {token: device.token});
      let stored = mine.find((s) => s.endpoint === subscription.endpoint);
      if (!stored) stored = await api("POST", "/push/subscriptions", {token: device.token, body: subscription.toJSON()});
      await TryggKV.set("subscription", {id: stored.id, endpoint: stored.endpoint});
      render("on");
    } catch (err) {
      render(err instanceof ApiError ? "failed" : "unknown", err instanceof ApiError ? errorText(err) : "");
    }
  }

  // Called from the button, so the browser's permission prompt follows a tap by the person.
  async function turnOn() {
    render("working");
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") return render(permission === "denied" ? "blocked" : "off");
      const {public_key} = await api("GET", "/push/key", {token: device.token});
      const reg = await registration();
      let subscription = await reg.pushManager.getSubscription();
      if (subscription && !sameKey(subscription.options.applicationServerKey, public_key)) {
        await subscription.unsubscribe();
        subscription = null;
      }
      if (!subscription) subscription = await reg.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: keyBytes(public_key)});
      const stored = await api("POST", "/push/subscriptions", {token: device.token, body: subscription.toJSON()});
      await TryggKV.set("subscription", {id: stored.id, endpoint: stored.endpoint});
      render("on");
    } catch (err) {
      render("failed", err instanceof ApiError ? errorText(err) : (err && err.message) || "");
    }
  }

  // Forget this browser's subscription on the server and in the browser.
  async function turnOff() {
    render("working");
    try {
      const stored = await TryggKV.get("subscription");
      const reg = await registration();
      const subscription = await reg.pushManager.getSubscription();
      const mine = await api("GET", "/push/subscriptions", {token: device.token});
      for (const s of mine) {
        if ((stored && s.id === stored.id) || (subscription && s.endpoint === subscription.endpoint)) {
          await api("DELETE", `/push/subscriptions/${s.id}`, {token: device.token});
        }
      }
      if (subscription) await subscription.unsubscribe();
      await TryggKV.del("subscription");
      render("off");
    } catch (err) {
      render("unknown", err instanceof ApiError ? errorText(err) : "");
      refresh();
    }
  }

  $("#push-on").addEventListener("click", turnOn);
  $("#push-off").addEventListener("click", turnOff);

  // A tap on a notification ("Åpne") brings the page to that alarm's card.
  function focusAlarm(id) {
    if (!id) return;
    let tries = 0;
    const find = () => {
      const card = document.querySelector(`#alarm-list [data-alarm-id="${CSS.escape(id)}"]`);
      if (card) {
        card.classList.add("focus");
        card.scrollIntoView({block: "center"});
        const button = card.querySelector("button");
        if (button) button.focus();
      } else if (tries++ < 20) setTimeout(find, 250);
    };
    find();
  }
  if (supported) {
    navigator.serviceWorker.addEventListener("message", (ev) => {
      if (ev.data && ev.data.type === "trygg.open-alarm") focusAlarm(ev.data.alarm_id);
    });
  }
  const fromHash = () => { const m = /alarm=([0-9a-f-]{36})/.exec(location.hash); if (m) focusAlarm(m[1]); };
  window.addEventListener("hashchange", fromHash);

  // After login or on a page that was logged in: the worker gets what it needs; responders see
  // whether alerts are on, with one button to turn them on.
  async function start(dev, me) {
    device = dev;
    if ("indexedDB" in window) {
      await TryggKV.set("device", {id: dev.id, token: dev.token, user_id: me.id}).catch(() => {});
      await TryggKV.set("texts", notificationTexts()).catch(() => {});
    }
    // Responders are pushed alarms; staff are pushed a home visit's check-in warning.
    const pushed = me.roles.includes("responder") || me.roles.includes("staff");
    $("#push").hidden = !pushed;
    if (pushed) await refresh();
    fromHash();
  }

  // At logout: nothing more is pushed to this browser, and the worker forgets the token.
  async function stop() {
    if (device && supported && (await TryggKV.get("subscription").catch(() => null))) await turnOff().catch(() => {});
    await TryggKV.clear().catch(() => {});
  }

  return {start, stop, refresh};
})();
