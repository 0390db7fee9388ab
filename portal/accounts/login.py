"""Flask-Login wiring: the cookie carries a session token; `sessions.load_session` decides."""
from __future__ import annotations

from flask import Flask, redirect, request, url_for
from flask_login import LoginManager

from portal.accounts.sessions import load_session


def init_login(app: Flask, manager: LoginManager) -> None:
    manager.init_app(app)
    # Our own session rows do the protection Flask-Login's "strong" mode imitates.
    manager.session_protection = None

    @manager.user_loader
    def _load(token: str):
        return load_session(token)

    @manager.unauthorized_handler
    def _unauthorized():
        if request.path.startswith("/console"):
            return redirect(url_for("accounts.staff_signin", next=request.full_path.rstrip("?")))
        return redirect(url_for("accounts.patient_signin"))
