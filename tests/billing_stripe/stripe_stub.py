"""A local stand-in for the part of Stripe's API that `portal.billing.stripe_api` uses.

It speaks the protocol as Stripe documents it: Bearer authentication with the secret key,
form-encoded bodies with bracketed nested keys (`metadata[patient]=12`,
`line_items[0][price_data][unit_amount]=3000`), JSON resources with `id` and `object`, list
objects `{"object": "list", "data": [...], "has_more": ...}`, errors
`{"error": {"type", "code", "message"}}`, and idempotency: a POST repeating an Idempotency-Key
gets the first answer again. Endpoints: POST/GET /v1/checkout/sessions, GET
/v1/checkout/sessions/<id>, POST /v1/refunds, and GET /pay/<id>: a bare stand-in for the hosted
Checkout page (the session's `url`), linking to its success and cancel URLs. It listens on
127.0.0.1 only, records every request (with its Idempotency-Key header), and can be told to fail
or to mark a session paid.
"""
from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

SESSION_PATH = re.compile(r"^/v1/checkout/sessions/(?P<id>cs_[A-Za-z0-9_]+)$")


@dataclass
class Request:
    method: str
    path: str
    authorized: bool
    idempotency_key: str
    params: dict  # the form or query, nested back into dicts and lists


def unflatten(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's bracketed keys back into nested dicts; numeric indexes become lists."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part, nxt in zip(parts, parts[1:]):
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def lists(node):
        if isinstance(node, dict):
            node = {k: lists(v) for k, v in node.items()}
            if node and all(k.isdigit() for k in node):
                return [node[k] for k in sorted(node, key=int)]
        return node

    return lists(root)


class StripeStub:
    """Start with `start()` (or as a context manager); `base` is the app's STRIPE_API_BASE."""

    def __init__(self, api_key: str = "sk_test_" + "4" * 20):
        self.api_key = api_key
        self.requests: list[Request] = []
        self.sessions: dict[str, dict] = {}
        self.refunds: list[dict] = []
        # The status a new refund answers with: "succeeded" as card refunds usually do at once,
        # "pending" (set by a test) for one Stripe settles later and reports through its webhook.
        self.refund_status = "succeeded"
        self._answers: dict[str, tuple[int, dict]] = {}  # Idempotency-Key -> first answer
        self._failures: deque[tuple[int, str]] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next(self, status: int = 400, message: str = "Invalid request", times: int = 1) -> None:
        with self._lock:
            self._failures.extend((status, message) for _ in range(times))

    def complete(self, session_id: str) -> dict:
        """What Stripe does when the customer pays: the session is complete and paid."""
        with self._lock:
            session = self.sessions[session_id]
            session.update(status="complete", payment_status="paid", payment_intent="pi_" + secrets.token_hex(12))
            return dict(session)

    def start(self) -> StripeStub:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="stripe-stub",
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StripeStub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _handle(self, method: str, target: str, headers, raw: bytes) -> tuple[int, dict]:
        url = urlsplit(target)
        pairs = parse_qsl(raw.decode() if method == "POST" else url.query, keep_blank_values=True)
        authorized = headers.get("Authorization", "") == f"Bearer {self.api_key}"
        key = headers.get("Idempotency-Key", "")
        with self._lock:
            self.requests.append(Request(method, url.path, authorized, key, unflatten(pairs)))
            if method == "POST" and key in self._answers:
                return self._answers[key]
        if not authorized:
            return 401, _error("invalid_request_error", "api_key_invalid", "Invalid API Key provided.")
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if failure:
            return failure[0], _error("invalid_request_error", "stub_failure", failure[1])
        params = unflatten(pairs)
        answer = self._route(method, url.path, params)
        if method == "POST" and key:
            with self._lock:
                self._answers[key] = answer
        return answer

    def _route(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        if path == "/v1/checkout/sessions" and method == "POST":
            return self._create_session(params)
        if path == "/v1/checkout/sessions" and method == "GET":
            gte = int(params.get("created", {}).get("gte", 0))
            with self._lock:
                found = sorted((s for s in self.sessions.values() if s["created"] >= gte),
                               key=lambda s: s["created"], reverse=True)
            return 200, {"object": "list", "url": "/v1/checkout/sessions", "has_more": False,
                         "data": found[:int(params.get("limit", 10))]}
        match = SESSION_PATH.match(path)
        if match and method == "GET":
            with self._lock:
                session = self.sessions.get(match["id"])
            if session is None:
                return 404, _error("invalid_request_error", "resource_missing",
                                   f"No such checkout.session: '{match['id']}'")
            return 200, session
        if path == "/v1/refunds" and method == "POST":
            return self._refund(params)
        return 404, _error("invalid_request_error", "resource_missing", f"Unrecognized request URL ({path}).")

    def _create_session(self, params: dict) -> tuple[int, dict]:
        items = params.get("line_items") or []
        if params.get("mode") != "payment" or not items:
            return 400, _error("invalid_request_error", "parameter_missing", "Missing required param: line_items.")
        price = items[0].get("price_data", {})
        if not str(price.get("unit_amount", "")).isdigit() or not price.get("currency"):
            return 400, _error("invalid_request_error", "parameter_invalid_integer", "Invalid integer: unit_amount")
        session_id = "cs_test_" + secrets.token_hex(16)
        session = {
            "id": session_id, "object": "checkout.session", "livemode": False, "mode": "payment",
            "created": int(time.time()), "expires_at": int(time.time()) + 24 * 3600,
            "amount_subtotal": int(price["unit_amount"]) * int(items[0].get("quantity", 1)),
            "amount_total": int(price["unit_amount"]) * int(items[0].get("quantity", 1)),
            "currency": price["currency"], "customer_email": params.get("customer_email"),
            "metadata": params.get("metadata", {}), "payment_intent": None, "payment_status": "unpaid",
            "status": "open", "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
            "url": f"{self.base}/pay/{session_id}",
        }
        with self._lock:
            self.sessions[session_id] = session
        return 200, session

    def _refund(self, params: dict) -> tuple[int, dict]:
        if not params.get("payment_intent") and not params.get("charge"):
            return 400, _error("invalid_request_error", "parameter_missing",
                               "One of the following params should be provided for this request: payment_intent "
                               "or charge.")
        refund = {"id": "re_" + secrets.token_hex(12), "object": "refund", "amount": int(params.get("amount", 0)),
                  "currency": "eur", "payment_intent": params.get("payment_intent"),
                  "metadata": params.get("metadata", {}), "status": self.refund_status, "created": int(time.time())}
        with self._lock:
            self.refunds.append(refund)
        return 200, refund

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
                self.send_header("Request-Id", "req_" + secrets.token_hex(8))
                if status >= 400:
                    self.send_header("Stripe-Should-Retry", "false")  # as Stripe says for 4xx errors
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                self._answer("POST")

            def do_GET(self):
                if self.path.startswith("/pay/"):
                    return self._checkout_page(self.path.removeprefix("/pay/"))
                self._answer("GET")

            def _checkout_page(self, session_id: str) -> None:
                # Stands in for Stripe's hosted Checkout page: what the payer lands on, with the
                # way back to the site (the test then posts the signed event itself).
                with stub._lock:
                    session = stub.sessions.get(session_id)
                if session is None:
                    self.send_error(404)
                    return
                data = (f'<!doctype html><html lang="en"><title>Stub Checkout</title><h1>Stub Checkout</h1>'
                        f'<p id="amount">{session["amount_total"]} {session["currency"]}</p>'
                        f'<p><a id="success" href="{html.escape(session["success_url"] or "")}">Pay</a> '
                        f'<a id="cancel" href="{html.escape(session["cancel_url"] or "")}">Cancel</a></p>').encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args):
                pass

        return Handler


def _error(kind: str, code: str, message: str) -> dict:
    return {"error": {"type": kind, "code": code, "message": message}}
