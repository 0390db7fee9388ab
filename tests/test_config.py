"""Settings: production refuses unsafe defaults; the worker needs Redis."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from portal.config import ConfigError, load_config

SAFE = {"SOURIRE_ENV": "production", "SECRET_KEY": "x" * 40, "BASE_URL": "https://portail.example.fr"}


def test_production_accepts_safe_settings():
    conf = load_config(SAFE)
    assert conf["SESSION_COOKIE_NAME"] == "__Host-sourire" and conf["SESSION_COOKIE_SECURE"]


@pytest.mark.parametrize("override, message", [
    ({"SECRET_KEY": "dev-only-not-secret"}, "SECRET_KEY"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"BASE_URL": "http://portail.example.fr"}, "https://"),
    ({"COOKIE_SECURE": False}, "COOKIE_SECURE"),
    ({"SOURIRE_ENV": "prod"}, "SOURIRE_ENV"),
])
def test_production_refuses_insecure_defaults(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config({**SAFE, **override})


def test_production_is_the_default(monkeypatch):
    monkeypatch.delenv("SOURIRE_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config()


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SOURIRE_ENV", "development")
    monkeypatch.setenv("STAFF_IDLE_MINUTES", "20")
    monkeypatch.setenv("COOKIE_SECURE", "0")
    conf = load_config()
    assert conf["STAFF_IDLE_MINUTES"] == 20 and conf["SESSION_COOKIE_NAME"] == "sourire"


def test_worker_refuses_to_start_without_redis(monkeypatch):
    import worker

    # A stand-in app: building a real one would re-bind the shared Flask-Limiter to memory storage.
    monkeypatch.setattr(worker, "get_app", lambda: SimpleNamespace(config={"REDIS_URL": ""}))
    assert worker.main() == 2
