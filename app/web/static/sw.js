"use strict";
// Keeps the phone page openable without a network, so it can say honestly that it is offline.
const CACHE = "trygg-m-v2";
const SHELL = ["/m/", "/m/manifest.webmanifest", "/static/web/app.css", "/static/web/common.js",
               "/static/web/roles.js", "/static/web/visit.js", "/static/web/phone.js",
               "/static/web/icon-192.png", "/static/web/icon-512.png"];

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
