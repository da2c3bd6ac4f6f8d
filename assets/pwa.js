/* Registers the service worker (web push, installable app) and offers
   window.crmEnablePush(): ask for permission, subscribe this browser with the server's VAPID
   key and save the subscription (same-origin API, session cookie). Resolves to "ok",
   "denied" or "unsupported". */
(function () {
  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    });
  }
  function keyBytes(b64url) {
    const pad = "=".repeat((4 - (b64url.length % 4)) % 4);
    const raw = atob((b64url + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }
  window.crmEnablePush = async function () {
    if (!("serviceWorker" in navigator) || !("PushManager" in window) ||
        !("Notification" in window)) {
      return "unsupported";
    }
    const permission = await Notification.requestPermission();
    if (permission !== "granted") {
      return "denied";
    }
    const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    await navigator.serviceWorker.ready;
    const answer = await fetch("/api/v1/me/push-public-key", { credentials: "same-origin" });
    if (!answer.ok) {
      return "error";
    }
    const key = (await answer.json()).public_key;
    const subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: keyBytes(key),
    });
    const saved = await fetch("/api/v1/me/push-subscriptions", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(subscription.toJSON()),
    });
    return saved.ok ? "ok" : "error";
  };
})();
