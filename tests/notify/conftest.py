"""Fixtures for the outbox: config overrides, the local Twilio stand-in, a real SMTP server on
127.0.0.1, and RQ helpers that run scheduled retries without sleeping through their backoff."""
from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import BurstWorker
from tests.notify.twilio_stub import TwilioStub


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it, so parallel test runs don't collide)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def configure(app):
    """Change app settings for one test; the app is session-wide, so the old values go back."""
    saved: dict = {}

    def set_values(**values):
        for key, value in values.items():
            saved.setdefault(key, app.config.get(key))
            app.config[key] = value

    yield set_values
    app.config.update(saved)


@pytest.fixture
def twilio():
    with TwilioStub() as stub:
        yield stub


@pytest.fixture
def sms_provider(twilio, configure):
    """The app sends SMS through the local Twilio stand-in."""
    configure(SMS_URL=twilio.url())
    return twilio


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it receives; it can refuse recipients."""

    envelopes: list = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 2.0.0 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.original_content, policy=policy.default) for e in self.envelopes]


@pytest.fixture
def smtp_server():
    """Start real SMTP servers on 127.0.0.1; each call returns (inbox, port). All stop at teardown."""
    controllers = []

    def start(*, users: dict[str, str] | None = None) -> tuple[Inbox, int]:
        inbox, port = Inbox(), free_port()
        options = {}
        if users is not None:
            def authenticate(server, session, envelope, mechanism, auth_data):
                ok = isinstance(auth_data, LoginPassword) and \
                    users.get(auth_data.login.decode()) == auth_data.password.decode()
                # handled=False: aiosmtpd then answers 535 itself (its default says it already did).
                return AuthResult(success=ok, handled=False)

            # Plain-text AUTH is fine on loopback; production uses STARTTLS or smtps.
            options = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return inbox, port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def mail_server(smtp_server, configure):
    """The app sends e-mail to a local SMTP server without authentication."""
    inbox, port = smtp_server()
    configure(MAIL_URL=f"smtp://127.0.0.1:{port}")
    return inbox


@pytest.fixture
def rq_queue(app):
    from portal.core.jobs import queue

    return queue()


@pytest.fixture
def run_retries(rq_queue):
    """Run the jobs whose retry is due `after` seconds from now, as `worker.py` would.

    The clock moves forward instead of the test sleeping through RQ's backoff; the worker's own
    scheduler moves the due jobs from the scheduled registry back to the queue.
    """

    def run(after: float) -> None:
        with time_machine.travel(datetime.now(timezone.utc) + timedelta(seconds=after), tick=True):
            BurstWorker([rq_queue], connection=rq_queue.connection).work(burst=True, with_scheduler=True)

    return run
