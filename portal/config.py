"""Every setting, declared once with its type and default, read from the environment.

`load_config()` returns a plain dict for `app.config`. Production refuses to start with an
insecure default: a missing secret key, a base URL that is not HTTPS.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-not-secret"


def _bool(raw: str) -> bool:
    return raw.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[str], Any] = str
    help: str = ""


SETTINGS = [
    # Production unless told otherwise: a deployment that forgets this runs with safe settings or
    # refuses to start, never silently with a development secret. scripts/demo.sh says development.
    Setting("SOURIRE_ENV", "production", str, "production, development or testing"),
    Setting("SECRET_KEY", DEV_SECRET, str, "signs cookies and tokens; required in production"),
    Setting("DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'sourire.db'}", str,
            "PostgreSQL URL in production; an SQLite file by default"),
    Setting("REDIS_URL", "", str, "Redis for the job queue and rate limits; empty: jobs run in-process"),
    Setting("RQ_QUEUE", "sourire", str, "name of the RQ queue"),
    Setting("BASE_URL", "http://127.0.0.1:5000", str, "public address, used in links sent by e-mail and SMS"),
    Setting("MAIL_URL", "", str, "smtp://user:password@host:port (smtps:// for TLS, ?starttls=1); empty: outbox only"),
    Setting("MAIL_FROM", "Sourire <no-reply@sourire.local>", str, "sender of outgoing e-mail"),
    Setting("SMS_URL", "", str, "twilio://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com?from=Sender; empty: outbox only"),
    Setting("STRIPE_API_BASE", "https://api.stripe.com", str, "Stripe API address; tests point it at a local stub"),
    Setting("FILES_DIR", str(ROOT / "instance" / "files"), str, "where uploaded files are stored"),
    Setting("PATIENT_IDLE_MINUTES", 60, int, "patient sessions end after this idle time"),
    Setting("STAFF_IDLE_MINUTES", 30, int, "staff sessions end after this idle time"),
    Setting("COOKIE_SECURE", True, _bool, "Secure, __Host- cookies; switch off only for plain-HTTP development"),
    Setting("PROXY_COUNT", 0, int, "number of trusted reverse proxies in front of the app"),
    Setting("ARGON2_TIME_COST", 3, int, "argon2 iterations"),
    Setting("ARGON2_MEMORY_COST", 65536, int, "argon2 memory in KiB"),
    Setting("RATELIMIT_ENABLED", True, _bool, "per-IP limits on sign-in pages"),
    Setting("LOG_LEVEL", "INFO", str, "logging level"),
]


class ConfigError(RuntimeError):
    """A setting is missing or unsafe for the environment it runs in."""


def load_config(overrides: dict | None = None) -> dict:
    """Build the app config from the environment, then `overrides` (used by tests)."""
    overrides = dict(overrides or {})
    conf: dict[str, Any] = {}
    for s in SETTINGS:
        raw = os.environ.get(s.name)
        conf[s.name] = s.parse(raw) if raw not in (None, "") else s.default
    conf.update(overrides)

    env = conf["SOURIRE_ENV"]
    if env not in {"production", "development", "testing"}:
        raise ConfigError(f"SOURIRE_ENV must be production, development or testing, not {env!r}")
    if env == "production":
        if conf["SECRET_KEY"] == DEV_SECRET or len(conf["SECRET_KEY"]) < 32:
            raise ConfigError("SECRET_KEY must be set to a random value of at least 32 characters")
        if not conf["BASE_URL"].startswith("https://"):
            raise ConfigError("BASE_URL must start with https:// in production")
        if not conf["COOKIE_SECURE"]:
            raise ConfigError("COOKIE_SECURE cannot be switched off in production")

    secure = conf["COOKIE_SECURE"]
    conf.update(
        SQLALCHEMY_DATABASE_URI=conf["DATABASE_URL"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        # __Host- needs Secure, Path=/ and no Domain: the browser then refuses the cookie
        # from any other host or over plain HTTP.
        SESSION_COOKIE_NAME="__Host-sourire" if secure else "sourire",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        REMEMBER_COOKIE_NAME="__Host-sourire-device" if secure else "sourire-device",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which has its own expiry
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="fr",
        BABEL_DEFAULT_TIMEZONE="Europe/Paris",
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "portal" / "translations"),
        RATELIMIT_STORAGE_URI=conf["REDIS_URL"] or "memory://",
        RATELIMIT_HEADERS_ENABLED=False,
        TESTING=env == "testing",
    )
    if "RATELIMIT_STORAGE_URI" in overrides:
        conf["RATELIMIT_STORAGE_URI"] = overrides["RATELIMIT_STORAGE_URI"]
    return conf
