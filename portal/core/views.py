"""Pages of no domain: language choice and a health check for the load balancer."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, request
from flask_login import current_user
from sqlalchemy import text

from portal.core.auth import public
from portal.core.db import commit
from portal.core.i18n import LANG_COOKIE, LANGUAGES
from portal.core.web import safe_next
from portal.extensions import db

bp = Blueprint("core", __name__)


@bp.route("/langue", methods=["POST"])
@public
def set_language():
    lang = request.form.get("lang", "")
    resp = redirect(safe_next("/"), code=303)
    if lang in LANGUAGES:
        if current_user.is_authenticated:
            current_user.locale = lang
            commit()
        resp.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, secure=current_app.config["COOKIE_SECURE"],
                        httponly=True, samesite="Lax")
    return resp


@bp.route("/sante")
@public
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
