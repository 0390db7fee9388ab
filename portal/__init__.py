"""Sourire: the patient space and practice console of an orthodontic or dental practice."""
from __future__ import annotations

import logging

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import ROOT, load_config
from portal.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate

log = logging.getLogger("portal")


def create_app(config: dict | None = None) -> Flask:
    """Build the application. `config` overrides settings read from the environment."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=str(ROOT / "instance"))
    app.config.update(load_config(config))
    logging.basicConfig(level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if app.config["PROXY_COUNT"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=app.config["PROXY_COUNT"])

    from portal import models  # noqa: F401  every table registered before Alembic looks
    from portal.core.routing import IdConverter

    app.url_map.converters["int"] = IdConverter  # an id too large for the database is a 404, not a 500

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)

    from portal.core import i18n, labels, security

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    i18n.init_app(app)
    labels.init_app(app)
    security.init_app(app)

    from portal.accounts.login import init_login

    init_login(app, login_manager)
    _register_blueprints(app)

    from portal.core.errors_web import register_error_handlers

    register_error_handlers(app)
    _register_cli(app)

    if not app.config["TESTING"]:
        mode = f"RQ on {app.config['REDIS_URL']}" if app.config["REDIS_URL"] else "in-process (no REDIS_URL)"
        log.info("background jobs: %s", mode)
    return app


def _register_blueprints(app: Flask) -> None:
    # Importing the view modules attaches their routes to each package's blueprint.
    from portal.accounts import bp as accounts_bp, views_patient, views_staff  # noqa: F401
    from portal.agenda import (bp as agenda_bp, views as agenda_views, views_bulk, views_checkin,  # noqa: F401
                               views_desk, views_planning, views_settings, views_setup, views_waiting)
    from portal.agenda.views_offers import bp as offers_bp
    from portal.billing import bp as billing_bp, online as billing_online, views as billing_views, views_console as billing_console  # noqa: F401,E501
    from portal.billing import views_flags as billing_flags  # noqa: F401
    from portal.billing import refunds as billing_refunds, views_refunds as billing_refund_views  # noqa: F401
    from portal.billing import views_journal as billing_journal  # noqa: F401
    from portal.billing.views_stripe import bp as stripe_bp
    from portal.billing import views_reminders  # noqa: F401
    from portal.billing.views_link import bp as paylinks_bp
    from portal.booking import bp as booking_bp, views as booking_views, views_settings as booking_settings_views  # noqa: F401,E501
    from portal.console import (bp as console_bp, views as console_views, views_cabinet,  # noqa: F401
                                views_coordinates, views_invitations)
    from portal.core.views import bp as core_bp
    from portal.messaging import bp as messaging_bp, views as messaging_views, views_console, views_settings as messaging_settings  # noqa: F401,E501
    from portal.notify import bp as notify_bp, views as notify_views  # noqa: F401
    from portal.patients import bp as patients_bp, views as patients_views, views_requests  # noqa: F401
    from portal.space import (bp as space_bp, views as space_views, views_cabinet as space_cabinet,  # noqa: F401
                              views_info as space_info_views)

    for bp in (core_bp, accounts_bp, space_bp, console_bp, patients_bp, agenda_bp, booking_bp, notify_bp, offers_bp,
               messaging_bp, billing_bp, stripe_bp, paylinks_bp):
        app.register_blueprint(bp)


def _register_cli(app: Flask) -> None:
    from portal.accounts.cli import staff_cli
    from portal.billing.cli import billing_cli
    from portal.booking.cli import booking_cli
    from portal.core.cli import practice_cli
    from portal.demo.cli import demo_cli
    from portal.billing.cli import billing_cli
    from portal.notify.cli import notify_cli

    for group in (practice_cli, staff_cli, demo_cli, booking_cli, notify_cli, billing_cli):
        app.cli.add_command(group)
