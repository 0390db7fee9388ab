"""A local stand-in for Twilio's Programmable Messaging API.

It speaks the part of the protocol that `portal.notify.backends.TwilioSms` uses, as Twilio
documents it: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP Basic auth with the
account SID and auth token, form fields To, From and Body; 201 with the Message resource (its
`sid` starts with "SM"); errors are JSON `{"code", "message", "more_info", "status"}` with a 4xx
or 5xx status. It listens on 127.0.0.1 only, records every request, and can be told to fail.
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>[^/]+)/Messages\.json$")
E164 = re.compile(r"^\+[1-9]\d{7,14}$")


@dataclass
class Request:
    method: str
    path: str
    authorized: bool
    content_type: str
    form: dict[str, str]


@dataclass
class Failure:
    status: int
    code: int
    message: str


class TwilioStub:
    """Start with `start()` (or as a context manager); `url()` gives the app's SMS_URL."""

    def __init__(self, account_sid: str | None = None, auth_token: str | None = None):
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        self.requests: list[Request] = []
        self.sent: list[dict] = []  # the Message resources answered with 201
        self.delay = 0.0  # seconds to wait before answering, to widen race windows
        self._failures: deque[Failure] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, sender: str = "Sourire", *, sid: str | None = None, token: str | None = None) -> str:
        sid, token = sid or self.account_sid, token or self.auth_token
        return f"twilio://{quote(sid)}:{quote(token)}@127.0.0.1:{self.port}?from={quote(sender)}&scheme=http"

    def fail_next(self, status: int = 500, code: int = 20500, message: str = "Internal Server Error",
                  times: int = 1) -> None:
        """Answer the next `times` authorised requests with a Twilio-style error."""
        with self._lock:
            self._failures.extend(Failure(status, code, message) for _ in range(times))

    def start(self) -> TwilioStub:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="twilio-stub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> TwilioStub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _handle(self, method: str, path: str, headers, raw: bytes) -> tuple[int, dict]:
        match = MESSAGES_PATH.match(path)
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        authorized = headers.get("Authorization", "") == f"Basic {expected}"
        content_type = headers.get("Content-Type", "")
        form = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
        with self._lock:
            self.requests.append(Request(method, path, authorized, content_type, form))
        if self.delay:
            time.sleep(self.delay)
        if match is None or method != "POST":
            return 404, _error(20404, "The requested resource was not found", 404)
        # Twilio authenticates first, and a SID in the path that is not the caller's is refused too.
        if not authorized or match["sid"] != self.account_sid:
            return 401, _error(20003, "Authenticate", 401)
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if failure:
            return failure.status, _error(failure.code, failure.message, failure.status)
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not to:
            return 400, _error(21604, "A 'To' phone number is required.", 400)
        if not E164.match(to):
            return 400, _error(21211, f"The 'To' number {to} is not a valid phone number.", 400)
        if not sender:
            return 400, _error(21603, "A 'From' phone number is required.", 400)
        if not body:
            return 400, _error(21602, "Message body is required.", 400)
        sid = "SM" + secrets.token_hex(16)
        now = format_datetime(datetime.now(timezone.utc), usegmt=True)
        resource = {
            "sid": sid, "account_sid": self.account_sid, "to": to, "from": sender, "body": body,
            "status": "queued", "direction": "outbound-api", "num_segments": "1", "price": None,
            "error_code": None, "error_message": None, "date_created": now, "date_updated": now,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        with self._lock:
            self.sent.append(resource)
        return 201, resource

    def _handler_class(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                status, payload = stub._handle(method, self.path, self.headers, self.rfile.read(length))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                self._answer("POST")

            def do_GET(self):
                self._answer("GET")

            def log_message(self, format, *args):
                pass  # keep the test output for assertions, not access logs

        return Handler


def _error(code: int, message: str, status: int) -> dict:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}
