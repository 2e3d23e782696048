{% load static %}/* Kineret Portal service worker. It keeps only static files and the offline page:
   a page that holds health data is never stored on the device. */
"use strict";

const CACHE = "kineret-static-{{ version }}";
const OFFLINE_URL = "{% url 'offline' %}";
const STATIC_PREFIX = "{{ static_prefix }}";
const ASSETS = [
  OFFLINE_URL,{% for asset in assets %}
  "{{ asset }}",{% endfor %}
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (url.pathname.startsWith(STATIC_PREFIX)) {
    // Static files only: answer from the cache at once and refresh it behind.
    event.respondWith(
      caches.open(CACHE).then((cache) =>
        cache.match(request).then((hit) => {
          const fresh = fetch(request).then((response) => {
            if (response.ok) {
              cache.put(request, response.clone());
            }
            return response;
          });
          return hit || fresh;
        })
      )
    );
    return;
  }
  if (request.mode === "navigate") {
    // Always from the network; the offline page only when there is none.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
  }
});

self.addEventListener("push", (event) => {
  const message = event.data ? event.data.json() : {};
  const options = {
    body: message.body || "",
    tag: message.tag || "kineret",
    renotify: Boolean(message.tag),
    icon: "{% static 'img/icon-192.png' %}",
    badge: "{% static 'img/icon-192.png' %}",
    data: { url: message.url || "/", actions: message.actions || {} },
    actions: (message.buttons || []).map((button) => ({ action: button.action, title: button.title })),
  };
  event.waitUntil(self.registration.showNotification(message.title || "Kineret Portal", options));
});

self.addEventListener("notificationclick", (event) => {
  const notification = event.notification;
  const data = notification.data || {};
  notification.close();
  const actionUrl = event.action && data.actions ? data.actions[event.action] : null;
  if (actionUrl) {
    // A signed, single-use link: it works without opening the site or a session.
    event.waitUntil(
      fetch(actionUrl, { method: "POST", credentials: "omit" })
        .then((response) => response.json())
        .then((answer) =>
          self.registration.showNotification(answer.title || "Kineret Portal", {
            body: answer.body || "",
            tag: notification.tag,
          })
        )
        .catch(() =>
          self.registration.showNotification("Kineret Portal", {
            body: "That did not go through. Open the portal to log it.",
            tag: notification.tag,
          })
        )
    );
    return;
  }
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (new URL(client.url).pathname === data.url && "focus" in client) {
          return client.focus();
        }
      }
      return self.clients.openWindow(data.url || "/");
    })
  );
});
