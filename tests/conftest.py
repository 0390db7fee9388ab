"""Fixtures: the app on a real database (PostgreSQL or SQLite, from TEST_DATABASE_URL), a real
Redis for jobs and rate limits, a test client, sign-in helpers and `run_jobs()`.

Rows are deleted after each test instead of rolled back: browser tests run the app in a server
thread that must see committed data, and requests commit exactly as in production.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pyotp
import pytest
from flask.testing import FlaskClient
from redis import Redis
from rq import SimpleWorker

from portal import create_app
from portal.extensions import db as _db
from tests import factories
from tests.database import fresh_database

TMP = Path(tempfile.gettempdir())
DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{TMP / f'sourire-test-{os.getpid()}.db'}"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

TEST_CONFIG = {
    "SOURIRE_ENV": "testing",
    "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "RQ_QUEUE": "sourire-test",
    "RATELIMIT_STORAGE_URI": REDIS_URL,
    "BASE_URL": "https://sourire.test",
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 1024,
    "FILES_DIR": str(TMP / "sourire-test-files"),
    "SERVER_NAME": None,
}


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as in production.

    Tests keep an app context open (for `db.session`); without this, Flask would reuse it for
    every request and `g` (the CSRF token cache, `g.practice`, `g.patient`) would leak from one
    request to the next, hiding real bugs.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app():
    from flask_migrate import upgrade

    fresh_database(DATABASE_URL)
    app = create_app(TEST_CONFIG)
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()  # the real migrations, not create_all: they are what production runs
    yield app
    with app.app_context():
        _db.engine.dispose()


def wipe_data() -> None:
    """Delete every row and empty the test Redis (what a test or a module leaves behind)."""
    _db.session.rollback()
    for table in reversed(_db.metadata.sorted_tables):
        _db.session.execute(table.delete())
    _db.session.commit()
    _db.session.remove()
    Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture(autouse=True)
def db(app):
    ctx = app.app_context()
    ctx.push()
    yield _db
    wipe_data()
    ctx.pop()


@pytest.fixture
def client(app):
    return app.test_client()


class BurstWorker(SimpleWorker):
    """RQ's SimpleWorker without its pub/sub command channel.

    A burst run takes no remote commands, and stopping that channel's listener thread often
    costs a full second per run (RQ joins it with a one-second timeout).
    """

    def subscribe(self):
        pass


@pytest.fixture
def run_jobs(app):
    """Run every queued job now, with a real RQ worker on the real Redis."""

    def run() -> int:
        from portal.core.jobs import queue

        q = queue()
        BurstWorker([q], connection=q.connection).work(burst=True)
        return q.count

    return run


@pytest.fixture
def make_practice():
    return factories.make_practice


@pytest.fixture
def make_staff():
    return factories.make_staff


@pytest.fixture
def make_patient():
    return factories.make_patient


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html) or \
        re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class Auth:
    """Sign in through the real forms, as a user would."""

    def __init__(self, client):
        self.client = client

    def post(self, url, data, get_url=None, **kw):
        page = self.client.get(get_url or url)
        data = {**data, "csrf_token": csrf_from(page.get_data(as_text=True))}
        return self.client.post(url, data=data, **kw)

    def staff(self, user, password=factories.PASSWORD, secret=None, follow=True):
        r = self.post("/console/connexion", {"email": user.email, "password": password})
        assert r.status_code == 303, r.get_data(as_text=True)
        code = pyotp.TOTP(secret or user.totp_key).now()
        return self.post("/console/connexion/code", {"code": code}, follow_redirects=follow)

    def patient_identify(self, patient, phone, remember=False):
        data = {"phone": phone, "last_name": patient.last_name, "first_name": patient.first_name,
                "birth_date": patient.birth_date.isoformat()}
        if remember:
            data["remember"] = "y"
        return self.post("/connexion?autre=1", data, get_url="/connexion?autre=1")

    def patient_first_signin(self, patient, phone, password=factories.PATIENT_PASSWORD):
        r = self.patient_identify(patient, phone)
        assert r.status_code == 303, r.get_data(as_text=True)
        r = self.post("/connexion/code", {"code": factories.last_code(phone)})
        assert r.headers["Location"].endswith("/connexion/mot-de-passe/nouveau"), r.get_data(as_text=True)
        r = self.post("/connexion/mot-de-passe/nouveau", {"password": password, "confirm": password})
        assert r.headers["Location"].endswith("/consentement"), r.get_data(as_text=True)
        return self.consent()

    def consent(self):
        """The privacy consent step that follows a first sign-in."""
        return self.post("/consentement", {"accept": "y"})

    def patient_signin(self, patient, phone, password=factories.PATIENT_PASSWORD):
        r = self.patient_identify(patient, phone)
        assert r.headers["Location"].endswith("/connexion/mot-de-passe")
        r = self.post("/connexion/mot-de-passe", {"password": password})
        assert r.status_code == 303, r.get_data(as_text=True)
        return self.post("/connexion/code", {"code": factories.last_code(phone)})


@pytest.fixture
def auth(client):
    return Auth(client)
