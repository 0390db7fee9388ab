"""Language and time zone choice: French first, English available."""
from __future__ import annotations

from flask import Flask, g, has_request_context, request
from flask_login import current_user

LANGUAGES = {"fr": "Français", "en": "English"}
LANG_COOKIE = "sourire-lang"


def select_locale() -> str:
    if not has_request_context():
        return "fr"  # CLI and jobs: the practice's language
    chosen = request.cookies.get(LANG_COOKIE)  # the latest choice made on this device
    if chosen in LANGUAGES:
        return chosen
    user = current_user
    if getattr(user, "is_authenticated", False) and user.locale in LANGUAGES:
        return user.locale
    # French unless the person chose otherwise: practices' patients often have phones set to
    # English without reading it comfortably.
    return "fr"


def select_timezone() -> str:
    practice = getattr(g, "practice", None)
    return practice.timezone if practice is not None else "Europe/Paris"


def _translations():
    """This request's catalog, looked up once: Flask-Babel resolves domain, locale and cache on
    every call (~14 µs), and a console page makes fifty of them."""
    from flask_babel import get_translations

    if not has_request_context():
        return get_translations()
    translations = g.get("_translations")
    if translations is None:
        translations = g._translations = get_translations()
    return translations


def init_app(app: Flask) -> None:
    from flask_babel import get_locale

    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @app.context_processor
    def _languages():
        return {"LANGUAGES": LANGUAGES, "current_locale": lambda: str(get_locale())}
