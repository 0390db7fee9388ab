"""Browser fixtures: Debian's Chromium driven by Playwright's sync API, the test app served by
werkzeug in a thread, one fresh browser context per test.

Never `playwright install`: the browser is /usr/bin/chromium (apt). Tests are skipped, with a
reason, only when that binary is absent.
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).parent / "screenshots"
PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1280, "height": 800}
CSP_RE = re.compile(r"content security policy", re.IGNORECASE)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is absent (apt install chromium); browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # LANGUAGE=fr: Chromium's own UI strings, such as the jj/mm/aaaa of <input type=date>,
        # follow the process language, not the context locale (needs Debian's chromium-l10n).
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS,
                                    env={**os.environ, "LANGUAGE": "fr", "LANG": "fr_FR.UTF-8"})
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_server(app):
    """The session's test app on 127.0.0.1, a free port, in a background thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


class PageProblems:
    """Console messages and page errors seen during a test; CSP violations fail it."""

    def __init__(self):
        self.messages: list[str] = []
        self.errors: list[str] = []

    def on_console(self, msg):
        where = msg.location.get("url", "") if msg.location else ""
        self.messages.append(f"{msg.type}: {msg.text} [{where}]")

    def on_error(self, exc):
        self.errors.append(str(exc))

    @property
    def csp_violations(self) -> list[str]:
        return [m for m in self.messages + self.errors if CSP_RE.search(m)]


@pytest.fixture
def page(browser, live_server):
    """A fresh context per test (no cookies left by another test), French, 360x800; console tests
    call `page.set_viewport_size(DESKTOP)`. Every console message and page error is recorded in
    `page.problems`; a Content Security Policy report fails the test."""
    context = browser.new_context(locale="fr-FR", viewport=PHONE, base_url=live_server,
                                  timezone_id="Europe/Paris")
    context.set_default_timeout(8000)
    page = context.new_page()
    problems = PageProblems()
    page.on("console", problems.on_console)
    page.on("pageerror", problems.on_error)
    page.problems = problems
    yield page
    context.close()
    assert not problems.csp_violations, "Content Security Policy violations:\n" + "\n".join(problems.csp_violations)
    assert not problems.errors, "JavaScript errors:\n" + "\n".join(problems.errors)


@pytest.fixture
def shot(page, request):
    """shot("step") saves a full-page PNG as screenshots/<test name>-<nn>-<step>.png."""
    SCREENSHOTS.mkdir(exist_ok=True)
    counter = iter(range(1, 100))
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", request.node.name)

    def take(step: str) -> Path:
        path = SCREENSHOTS / f"{name}-{next(counter):02d}-{step}.png"
        # caret="initial": Playwright's default caret hiding leaves `style=""` on the inputs, which
        # htmx then copies onto the next page's inputs (attributesToSettle) and the CSP blocks.
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    return take


def assert_clean(page) -> None:
    """No Content Security Policy violation and no script error so far in this page."""
    problems = page.problems
    assert not problems.csp_violations, "Content Security Policy violations:\n" + "\n".join(problems.csp_violations)
    assert not problems.errors, "JavaScript errors:\n" + "\n".join(problems.errors)


def staff_signin(page, user, password=None) -> None:
    """Sign a staff member in through the console's pages (password, then the authenticator
    code) and land on the dashboard."""
    import pyotp
    from playwright.sync_api import expect

    from tests import factories

    page.goto("/console/connexion")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(password or factories.PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Code de l'application d'authentification").fill(pyotp.TOTP(user.totp_key).now())
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
