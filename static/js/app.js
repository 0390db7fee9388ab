// The only hand-written script: small glue that htmx attributes cannot express.
(function () {
  "use strict";

  // Toasts: close with the × button; success toasts fade on their own after a while.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss]");
    if (button) { button.closest(".toast").remove(); }
  });
  function expire(root) {
    root.querySelectorAll(".toast-success").forEach(function (toast) {
      setTimeout(function () { toast.remove(); }, 8000);
    });
  }

  // Passkeys (WebAuthn). The server sends options as JSON with base64url strings; the browser
  // API wants ArrayBuffers, and its answer goes back as JSON with base64url strings again.
  function fromB64url(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, function (c) { return c.charCodeAt(0); }).buffer;
  }
  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer), binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function post(url, body) {
    var token = document.querySelector('meta[name="csrf-token"]').content;
    return fetch(url, {
      method: "POST", credentials: "same-origin", redirect: "error",
      body: body ? JSON.stringify(body) : null,
      headers: {"Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json"}
    }).then(function (response) {
      var isJSON = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!isJSON) { throw new Error(""); }  // an HTML error page (expired session, limit): generic message
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error || ""); }
        return data;
      });
    });
  }
  function credentialJSON(credential) {
    var r = credential.response, response = {clientDataJSON: toB64url(r.clientDataJSON)};
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      response.userHandle = r.userHandle ? toB64url(r.userHandle) : null;
    }
    return {id: credential.id, rawId: toB64url(credential.rawId), type: credential.type, response: response,
            authenticatorAttachment: credential.authenticatorAttachment || null, clientExtensionResults: {}};
  }
  function ceremony(button, create) {
    var box = button.parentNode, error = box.querySelector("[data-passkey-error]");
    var password = box.querySelector("[data-passkey-password]");
    error.hidden = true;
    button.disabled = true;
    post(button.dataset.optionsUrl, password ? {password: password.value} : null).then(function (options) {
      options.challenge = fromB64url(options.challenge);
      if (create) {
        options.user.id = fromB64url(options.user.id);
        (options.excludeCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
        return navigator.credentials.create({publicKey: options});
      }
      (options.allowCredentials || []).forEach(function (c) { c.id = fromB64url(c.id); });
      return navigator.credentials.get({publicKey: options});
    }).then(function (credential) {
      if (!credential) { throw new Error(""); }
      return post(button.dataset.finishUrl, credentialJSON(credential));
    }).then(function (result) {
      if (!result.redirect) { throw new Error(""); }
      window.location.assign(result.redirect);
    }).catch(function (problem) {
      // Say what happened where the person is looking, in their language: the server's words,
      // or ours (the browser's own messages are in English and technical).
      var cancelled = problem && (problem.name === "NotAllowedError" || problem.name === "AbortError");
      error.textContent = cancelled ? error.dataset.cancelled : (problem && problem.name === "Error" && problem.message)
                                                                  || error.dataset.failed;
      error.hidden = false;
      button.disabled = false;
    });
  }
  function setUpPasskeys(root) {
    var supported = !!(window.PublicKeyCredential && navigator.credentials);
    root.querySelectorAll("[data-passkey]").forEach(function (el) { el.hidden = !supported; });
    root.querySelectorAll("[data-passkey-unsupported]").forEach(function (el) { el.hidden = supported; });
  }
  document.addEventListener("click", function (event) {
    var create = event.target.closest("[data-passkey-create]");
    var get = event.target.closest("[data-passkey-get]");
    if (create) { ceremony(create, true); }
    if (get) { ceremony(get, false); }
  });

  document.addEventListener("DOMContentLoaded", function () { expire(document); setUpPasskeys(document); });
  document.addEventListener("htmx:afterSettle", function (event) { expire(event.target); setUpPasskeys(document); });
})();
