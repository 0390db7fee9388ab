"""The transports behind the outbox: an SMS provider over HTTP, and SMTP for e-mail.

Each `send` returns the provider's reference, or None when no transport is configured (the
message then stays in the outbox, marked "stored", for staff to see). Errors raise
`DeliveryError` with a message fit for the staff page.
"""
from __future__ import annotations

import base64
import json
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app


class DeliveryError(Exception):
    pass


class TwilioSms:
    """Twilio's Programmable Messaging API (`POST /2010-04-01/Accounts/{sid}/Messages.json`).

    SMS_URL = twilio://ACCOUNT_SID:AUTH_TOKEN@api.twilio.com?from=SENDER
    `scheme=http` is accepted for a stand-in on 127.0.0.1 only (the tests' local server).
    """

    def __init__(self, url: str, timeout: float = 10):
        parts = urllib.parse.urlsplit(url)
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.sid = urllib.parse.unquote(parts.username or "")
        self.token = urllib.parse.unquote(parts.password or "")
        self.sender = query.get("from", "")
        scheme = query.get("scheme", "https")
        if scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError("SMS_URL: plain http is only allowed to 127.0.0.1")
        if not (self.sid and self.token and self.sender):
            raise ValueError("SMS_URL needs an account SID, an auth token and ?from=")
        self.base = f"{scheme}://{parts.netloc.rsplit('@', 1)[-1]}"
        self.timeout = timeout

    def send(self, to: str, body: str) -> str:
        data = urllib.parse.urlencode({"To": to, "From": self.sender, "Body": body}).encode()
        auth = base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        req = urllib.request.Request(
            f"{self.base}/2010-04-01/Accounts/{urllib.parse.quote(self.sid)}/Messages.json",
            data=data, method="POST",
            headers={"Authorization": f"Basic {auth}", "Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                payload = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read() or b"{}").get("message", "")
            except ValueError:
                detail = ""
            raise DeliveryError(f"SMS provider answered {exc.code}: {detail}".strip()) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise DeliveryError(f"SMS provider unreachable: {exc}") from exc
        if payload.get("status") == "failed" or not payload.get("sid"):
            # Only the provider's codes: its payload echoes the body, which may hold a sign-in code.
            raise DeliveryError(f"SMS provider refused the message: status {payload.get('status')!r}, "
                                f"error {payload.get('error_code')!r} {payload.get('error_message') or ''}".strip())
        return payload["sid"]


class SmtpMail:
    """SMTP delivery. MAIL_URL = smtp://user:password@host:587?starttls=1 or smtps://host:465."""

    def __init__(self, url: str, sender: str, timeout: float = 15):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("MAIL_URL must start with smtp:// or smtps://")
        query = dict(urllib.parse.parse_qsl(parts.query))
        self.implicit_tls = parts.scheme == "smtps"
        self.starttls = query.get("starttls", "0") in ("1", "true", "yes")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.user = urllib.parse.unquote(parts.username or "")
        self.password = urllib.parse.unquote(parts.password or "")
        self.sender = sender
        self.timeout = timeout

    def send(self, to: str, subject: str, body: str, attachment: tuple[str, str, bytes] | None = None) -> str:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Message-ID"] = make_msgid(domain="sourire")
        msg.set_content(body)
        if attachment is not None:
            name, mime, data = attachment
            maintype, _slash, subtype = mime.partition("/")
            msg.add_attachment(data, maintype=maintype, subtype=subtype.split(";")[0], filename=name)
        try:
            if self.implicit_tls:
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.starttls:
                    client.starttls(context=ssl.create_default_context())
                if self.user:
                    client.login(self.user, self.password)
                client.send_message(msg)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP: {exc}") from exc
        return msg["Message-ID"]


def sms_backend() -> TwilioSms | None:
    url = current_app.config.get("SMS_URL")
    return TwilioSms(url) if url else None


def mail_backend() -> SmtpMail | None:
    url = current_app.config.get("MAIL_URL")
    return SmtpMail(url, current_app.config["MAIL_FROM"]) if url else None
