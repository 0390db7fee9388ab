"""Request-side helpers shared by every blueprint: the acting person, page-or-fragment
rendering for htmx, flash messages, and the mapping of domain errors to HTTP."""
from __future__ import annotations

from datetime import datetime

from urllib.parse import urlsplit

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core.audit import Actor
from portal.extensions import htmx


def client_ip() -> str:
    return request.remote_addr or ""


def current_actor() -> Actor:
    user = current_user
    base = {"ip": client_ip(), "user_agent": request.headers.get("User-Agent", "")[:300]}
    if getattr(user, "is_authenticated", False):
        if user.kind == "staff":
            return Actor("staff", user.id, user.email, user.practice_id, user.role.value, **base)
        return Actor("patient", user.id, user.phone, user.practice_id, **base)
    return Actor("anonymous", **base)


def wants_fragment(*root_ids: str) -> bool:
    """True when htmx asked to swap one of these regions.

    Decided by HX-Target, not HX-Request: with hx-boost every navigation sends HX-Request but
    expects the whole page.
    """
    return bool(htmx) and not htmx.boosted and htmx.target in root_ids


def render(page: str, *, fragment: str | None = None, target: str | None = None, status: int = 200, **ctx):
    """Render `page`, or only `fragment` when htmx targets its root id `target`.

    Both come from the same template files, so there is one source of markup. The response
    varies on HX-Request so that caches keep the two apart.
    """
    template = fragment if (fragment and target and wants_fragment(target)) else page
    resp = make_response(render_template(template, **ctx), status)
    resp.vary.add("HX-Request")
    return resp


def invalid(page: str, **ctx):
    """A form that did not validate: 422 with the form and its errors (htmx swaps 422)."""
    return render(page, status=422, **ctx)


def done(message: str, endpoint: str, **values):
    """After a full-page form: a visible 'done' message and a 303 to the result."""
    flash(message, "success")
    return redirect(url_for(endpoint, **values), code=303)


def not_done(message: str) -> None:
    flash(message, "error")


def refused(message: str, endpoint: str, **values):
    """After a full-page form that could not be acted on: the "not done: why" and a 303 back."""
    not_done(message)
    return redirect(url_for(endpoint, **values), code=303)


def safe_next(default: str) -> str:
    """A ?next= target, only if it stays on this site."""
    target = request.values.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc and not parts.scheme:
        return target
    return default


def form_errors_from(exc, form) -> None:
    """Put a domain error's message on the form field it names, or on the form as a whole.

    A `NotFound` is not a form error: it goes on to the 404 page (an id of another practice).
    """
    from portal.core.errors import NotFound

    if isinstance(exc, NotFound):
        raise exc
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


def is_testing() -> bool:
    return current_app.config.get("TESTING", False)


MAX_ID = 2**31 - 1  # ids are 32-bit integers in the database


def id_arg(name: str) -> int | None:
    """An id from the query string or the form (`?praticien=`), or None when absent or out of
    range (a 20-digit number would overflow the database's integer)."""
    value = request.values.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None


def parse_instant(raw: str | None) -> datetime | None:
    """A timezone-aware ISO instant from a form or URL (a slot's start), or None when it is
    malformed, naive, or so far off that date arithmetic would overflow (year 9999)."""
    try:
        instant = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    if instant.tzinfo is None or not 1900 <= instant.year <= 2200:
        return None
    return instant


def date_arg(name: str):
    """A date from the query string or the form (`?jour=2030-11-25`), or None when absent,
    malformed or so far off that date arithmetic would overflow."""
    from datetime import date

    try:
        day = date.fromisoformat(request.values.get(name, "").strip())
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2200 else None
