"""Error pages (400, 403, 404, 429, 500) in the user's language, and domain errors mapped to HTTP."""
from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError

from portal.core.errors import DomainError
from portal.extensions import db

log = logging.getLogger(__name__)
PAGES = {400, 403, 404, 429, 500}


def error_response(status: int, message: str | None = None):
    """The error page, or for an htmx request a toast swapped into the flash region."""
    page = status if status in PAGES else 400
    if request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted"):
        body = render_template("errors/_toast.html", code=page, message=message)
        return body, status, {"HX-Retarget": "#flash", "HX-Reswap": "beforeend"}
    return render_template(f"errors/{page}.html", code=page, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return error_response(exc.status, exc.message or None)

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        from flask_babel import gettext as _

        return error_response(400, _("La page a expiré. Rechargez-la, puis recommencez : "
                                     "ce que vous aviez saisi n'a pas été enregistré."))

    for code in (400, 403, 404, 405, 429):
        app.register_error_handler(code, lambda exc, code=code: error_response(code))

    @app.errorhandler(500)
    def _server_error(exc):
        db.session.rollback()
        log.error("unhandled error on %s", request.path, exc_info=getattr(exc, "original_exception", exc))
        return error_response(500)
