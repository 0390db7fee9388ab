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


def init_app(app: Flask) -> None:
    from flask_babel import get_locale

    @app.context_processor
    def _languages():
        return {"LANGUAGES": LANGUAGES, "current_locale": lambda: str(get_locale())}
