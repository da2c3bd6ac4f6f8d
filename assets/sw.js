/* The CRM's service worker: shows a web push (an alert) as a notification and, on a click,
   opens (or focuses) the alert's record. No caching of pages or data: the CRM is online. */
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
/* An empty fetch handler keeps the app installable on browsers that still ask for one. */
self.addEventListener("fetch", () => {});

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = { body: event.data ? event.data.text() : "" };
  }
  const title = data.title || "CRM";
  const body = [data.body, data.reason].filter(Boolean).join("\n");
  event.waitUntil(
    self.registration.showNotification(title, {
      body,
      tag: data.tag || undefined,
      icon: "/icons/icon-192.png",
      badge: "/icons/icon-192.png",
      data: { url: data.url || "/" },
    })
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const path = (event.notification.data && event.notification.data.url) || "/";
  const url = new URL(path.startsWith("/") ? path : "/", self.location.origin).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((tabs) => {
      for (const tab of tabs) {
        if (new URL(tab.url).origin === self.location.origin && "navigate" in tab) {
          return tab.focus().then(() => tab.navigate(url));
        }
      }
      return self.clients.openWindow(url);
    })
  );
});
