"""Response headers that every page carries: CSP without inline script, HSTS, no-store."""
from __future__ import annotations

from flask import Flask, request

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def _has_control_characters(value: str) -> bool:
    # NUL makes PostgreSQL refuse the query (a 500); other C0 controls have no place in a form
    # either. Tab, newline and carriage return are ordinary text.
    return any(ord(c) < 32 and c not in "\t\n\r" for c in value)


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_control_characters():
        from flask_babel import gettext as _

        from portal.core.errors import Invalid

        values = [request.path, *request.args.values(), *(v for _k, v in request.form.items(multi=True))]
        if any(_has_control_characters(v) for v in values):
            raise Invalid(_("Votre saisie contient un caractère invisible non autorisé. Retapez-la, puis réessayez."))

    @app.after_request
    def _headers(resp):
        h = resp.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["COOKIE_SECURE"]:
            h.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if request.endpoint != "static":
            # Pages carry health and payment data: never keep them in a cache or the back-button
            # history of a shared phone.
            h["Cache-Control"] = "no-store"
            h["Pragma"] = "no-cache"
            resp.vary.add("Cookie")
        return resp


def allow_checkout_form(response):
    """Let a page's form redirect to Stripe's hosted Checkout (`STRIPE_CHECKOUT_ORIGIN`): browsers
    check a form's redirect target against the page's form-action, so Checkout's origin is added
    for this page only."""
    from flask import current_app

    origin = current_app.config.get("STRIPE_CHECKOUT_ORIGIN") or "https://checkout.stripe.com"
    response.headers["Content-Security-Policy"] = CSP.replace("form-action 'self'", f"form-action 'self' {origin}")
    return response
