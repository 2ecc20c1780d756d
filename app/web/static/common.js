"use strict";
// Shared by the phone page and the console: texts, API calls, DOM helpers, the live socket.
const Trygg = (() => {
  const texts = JSON.parse(document.getElementById("i18n").textContent);
  const lang = document.documentElement.lang || "nb";
  const locale = lang === "en" ? "en-GB" : "nb-NO";

  function t(key, vars) {
    let s = key in texts ? texts[key] : key;
    for (const [k, v] of Object.entries(vars || {})) s = s.split("{" + k + "}").join(String(v));
    return s;
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.error) || "http_" + status);
      this.status = status;
      this.body = body;
    }
  }

  async function api(method, path, opts = {}) {
    const headers = {};
    if (opts.token) headers.Authorization = "Bearer " + opts.token;
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch("/api/v1" + path, {
      method, headers, cache: "no-store", credentials: "omit",
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    if (opts.raw && response.ok) return response;
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  function errorText(err) {
    if (!(err instanceof ApiError)) return t("network_error");
    const detail = err.body && err.body.detail;
    if (Array.isArray(detail)) return detail.map((d) => (d.field ? d.field + ": " : "") + d.msg).join("; ");
    return t("error") + ": " + (detail || err.message);
  }

  // h("p", {class: "x", text: "y", onclick: fn}, child, ...)
  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const $ = (sel, root) => (root || document).querySelector(sel);
  const fmtTime = (iso) => iso ? new Date(iso).toLocaleTimeString(locale, {hour: "2-digit", minute: "2-digit", second: "2-digit"}) : "";
  const fmtDateTime = (iso) => iso ? new Date(iso).toLocaleString(locale, {dateStyle: "short", timeStyle: "short"}) : "";
  const fmtDate = (iso) => iso ? new Date(iso).toLocaleDateString(locale) : "";

  function fmtDuration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    seconds = Math.max(0, Math.round(seconds));
    const m = Math.floor(seconds / 60), s = seconds % 60;
    if (m >= 60) return Math.floor(m / 60) + " t " + (m % 60) + " min";
    return m ? m + " min " + s + " s" : s + " s";
  }

  function uuid4() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  // <input type="datetime-local"> value <-> ISO with offset
  function localInput(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  }
  const fromLocalInput = (value) => value ? new Date(value).toISOString() : null;

  // The WebSocket: first-frame auth, heartbeats at the announced interval, resume after a
  // reconnect, reconnect with backoff. `handlers.state(up)` says whether we are protected.
  class Socket {
    constructor(token, handlers) {
      this.token = token;
      this.handlers = handlers;
      this.lastSeq = null;
      this.up = false;
      this.backoff = 1000;
      this.stopped = false;
      this.connect();
    }
    connect() {
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      let ws;
      try { ws = new WebSocket(`${scheme}://${location.host}/api/v1/ws`); } catch (e) { this.retry(); return; }
      this.ws = ws;
      ws.onopen = () => ws.send(JSON.stringify({type: "auth", token: this.token}));
      ws.onmessage = (msg) => this.onFrame(JSON.parse(msg.data));
      ws.onclose = (ev) => {
        if (this.ws !== ws) return;
        this.setUp(false);
        clearInterval(this.beat);
        clearTimeout(this.watchdog);
        if (ev.code === 4401) { (this.handlers.unauthorized || (() => {}))(); return; }
        this.retry();
      };
    }
    retry() {
      if (this.stopped) return;
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 5000);
    }
    setUp(up) {
      if (this.up === up) return;
      this.up = up;
      this.handlers.state && this.handlers.state(up);
    }
    send(frame) {
      if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
    }
    kick() {
      // Silent for too long: treat the link as dead (a stopped server may never close it).
      clearTimeout(this.watchdog);
      this.watchdog = setTimeout(() => { try { this.ws.close(); } catch (e) { /* closed */ } this.ws.onclose({code: 1006}); }, this.interval * 3000);
    }
    onFrame(frame) {
      if (frame.type === "hello") {
        this.interval = frame.heartbeat_interval_s || 5;
        clearInterval(this.beat);
        this.beat = setInterval(() => this.send({type: "heartbeat"}), this.interval * 1000);
        this.backoff = 1000;
        if (this.lastSeq !== null) this.send({type: "resume", after_seq: this.lastSeq});
        else this.lastSeq = frame.seq;
        this.setUp(true);
        this.handlers.hello && this.handlers.hello(frame);
      } else if (frame.type === "event") {
        if (this.lastSeq !== null && frame.seq <= this.lastSeq) return;
        this.lastSeq = frame.seq;
        this.handlers.event && this.handlers.event(frame);
      } else if (frame.type === "readiness") {
        this.handlers.readiness && this.handlers.readiness(frame);
      }
      if (this.interval) this.kick();
    }
    close() {
      this.stopped = true;
      clearInterval(this.beat);
      clearTimeout(this.watchdog);
      if (this.ws) this.ws.close();
    }
  }

  return {t, api, ApiError, errorText, h, $, fmtTime, fmtDateTime, fmtDate, fmtDuration, uuid4,
          localInput, fromLocalInput, Socket, lang};
})();
