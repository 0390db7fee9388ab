"""Regenerate the screenshots of the user guides (docs/images/*.png) from the demo data.

    .venv/bin/python docs/make_screenshots.py

Starts Sourire on a temporary SQLite database loaded with the demo practice (no Redis: jobs run
in the web process), serves it on 127.0.0.1 with werkzeug in a thread, and walks the pages with
Playwright driving Debian's Chromium (/usr/bin/chromium; never `playwright install`): patient
pages at 360x800, the console at 1280x800. SMS codes, the invitation link and the authenticator
secrets are read from the database, where a person would read them on their phone.
Nothing leaves 127.0.0.1.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyotp
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

OUT = ROOT / "docs" / "images"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1280, "height": 800}
PARENT_PASSWORD = "le chat dort sur le canapé bleu"
NEW_STAFF = ("nadia.roux@example.com", "Nadia", "Roux", "un mot de passe pour le cabinet")


SCREENSHOT_REDIS = "redis://127.0.0.1:6379/8"


def make_app(workdir: Path):
    from redis import Redis

    Redis.from_url(SCREENSHOT_REDIS).flushdb()
    from flask_migrate import upgrade

    from portal import create_app
    from portal.core.db import commit
    from portal.demo.data import load_demo

    app = create_app({
        "SOURIRE_ENV": "development",
        "SECRET_KEY": "screenshots-only-secret-key-0123456789abcdef",
        "DATABASE_URL": f"sqlite:///{workdir / 'sourire.db'}",
        # Messages wait in a queue no worker reads, so their sealed codes can still be read back
        # (delivered messages have theirs wiped). Redis db 8 is emptied first.
        "REDIS_URL": SCREENSHOT_REDIS,
        "RATELIMIT_STORAGE_URI": SCREENSHOT_REDIS,
        "MAIL_URL": "",
        "SMS_URL": "",
        "FILES_DIR": str(workdir / "files"),
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8192,
        "LOG_LEVEL": "WARNING",
    })
    with app.app_context():
        upgrade()
        load_demo()
        commit()
    return app


class Data:
    """Reads what a person would read on their phone, straight from the database."""

    def __init__(self, app):
        self.app = app

    def _outbox(self, recipient: str, category: str):
        from portal.extensions import db
        from portal.notify.models import OutboxMessage
        from portal.notify.services import delivery_text

        with self.app.app_context():
            rows = db.session.scalars(select(OutboxMessage).where(
                OutboxMessage.recipient == recipient, OutboxMessage.category == category)
                .order_by(OutboxMessage.id)).all()
            assert rows, f"no {category} message to {recipient}"
            return delivery_text(rows[-1])

    def sms_code(self, phone_e164: str) -> str:
        return re.search(r"\b(\d{6})\b", self._outbox(phone_e164, "auth_code")).group(1)

    def invitation_path(self, email: str) -> str:
        return urlsplit(re.search(r"https?://\S+", self._outbox(email, "invite")).group(0)).path

    def totp_now(self, email: str) -> str:
        from portal.accounts.models import StaffUser
        from portal.extensions import db

        with self.app.app_context():
            secret = db.session.scalar(select(StaffUser).where(StaffUser.email == email)).totp_key
            return pyotp.TOTP(secret).now()


class Camera:
    def __init__(self, out: Path):
        self.out = out
        self.taken: list[Path] = []

    def __call__(self, page, name: str, full_page: bool = True):
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.mouse.move(1, 1)  # no hover highlight on the last thing clicked
        path = self.out / f"{name}.png"
        # caret="initial": hiding the caret leaves style="" on inputs, which htmx would copy
        # onto the next page (and the CSP would report).
        page.screenshot(path=str(path), full_page=full_page, caret="initial")
        self.taken.append(path)
        print("  ", path.relative_to(ROOT))


def patient_walk(context, data: Data, shot: Camera):
    from portal.demo.data import DEMO_PHONE

    e164 = "+33" + DEMO_PHONE.replace(" ", "")[1:]
    page = context.new_page()
    page.goto("/connexion")
    page.get_by_label("Numéro de téléphone").fill(DEMO_PHONE)
    page.get_by_label("Nom", exact=True).fill("LEFEVRE")
    page.get_by_label("Prénom", exact=True).fill("Léa")
    page.get_by_label("Date de naissance").fill("2012-05-15")  # a typo in the day
    page.get_by_role("button", name="Connexion").click()
    expect(page.locator(".form-errors")).to_be_visible()
    shot(page, "patient-identification-echouee")

    page.get_by_label("Date de naissance").fill("2012-05-14")
    page.get_by_label("Mémoriser mes identifiants").check()
    page.locator(".form-errors").evaluate("e => e.remove()")  # the picture of a fresh, filled form
    shot(page, "patient-premiere-connexion")
    page.get_by_role("button", name="Connexion").click()
    expect(page).to_have_url(re.compile(r"/connexion/code$"))
    page.get_by_label("Code reçu par SMS").fill(data.sms_code(e164))
    shot(page, "patient-code-sms")
    code = data.sms_code(e164)
    page.get_by_label("Code reçu par SMS").fill("123456" if code != "123456" else "654321")
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#code-error")).to_be_visible()
    shot(page, "patient-code-incorrect")
    page.get_by_label("Code reçu par SMS").fill(code)
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(re.compile(r"/connexion/mot-de-passe/nouveau$"))
    page.get_by_label("Nouveau mot de passe").fill(PARENT_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PARENT_PASSWORD)
    shot(page, "patient-choix-mot-de-passe")
    page.get_by_role("button", name="Enregistrer et accéder au dossier").click()
    expect(page.locator(".whose-file-label")).to_have_text("Dossier de Léa LEFEVRE")
    shot(page, "patient-accueil", full_page=False)

    page.locator("#whose-file summary").click()
    shot(page, "patient-changer-de-patient", full_page=False)
    page.locator("#whose-file").get_by_role("button", name="Hugo LEFEVRE").click()
    expect(page.locator(".whose-file-label")).to_have_text("Dossier de Hugo LEFEVRE")
    shot(page, "patient-dossier-hugo", full_page=False)

    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Menu").click()
    expect(page.locator("#patients-management")).to_be_visible()
    shot(page, "patient-menu", full_page=False)
    page.get_by_role("link", name="Changer mon mot de passe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Changer mon mot de passe")
    shot(page, "patient-changer-mot-de-passe", full_page=False)

    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Menu").click()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bon retour")
    page.get_by_label("Mot de passe").fill(PARENT_PASSWORD)
    shot(page, "patient-connexion-suivante")
    page.get_by_role("button", name="Connexion").click()
    expect(page).to_have_url(re.compile(r"/connexion/code$"))
    page.get_by_label("Code reçu par SMS").fill(data.sms_code(e164))
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#whose-file")).to_be_visible()
    page.close()


OWNER = "claire.martin@example.com"


def console_page(browser, base_url: str):
    """A desktop page on the staff sign-in form, e-mail and password typed."""
    from portal.demo.data import DEMO_PASSWORD

    context = browser.new_context(locale="fr-FR", viewport=DESKTOP, base_url=base_url, timezone_id="Europe/Paris")
    context.set_default_timeout(10000)
    page = context.new_page()
    page.goto("/console/connexion")
    page.get_by_label("Adresse e-mail").fill(OWNER)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    return context, page


def console_walk(browser, base_url: str, data: Data, shot: Camera):
    owner = OWNER
    context, page = console_page(browser, base_url)
    shot(page, "console-connexion", full_page=False)
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(re.compile(r"/console/connexion/code$"))
    page.get_by_label("Code de l'application d'authentification").fill(data.totp_now(owner))
    shot(page, "console-code", full_page=False)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    shot(page, "console-tableau-de-bord", full_page=False)

    menu = page.get_by_role("navigation", name="Menu de la console")
    menu.get_by_role("link", name="Patients").click()
    page.get_by_label("Rechercher un patient").press_sequentially("lefevre", delay=40)
    expect(page.locator("#patients-results")).to_contain_text("2 patients trouvés")
    shot(page, "console-recherche-patients", full_page=False)
    page.locator("#patients-results").get_by_role("link", name="LEFEVRE Léa").click()
    expect(page.locator("#patient-sharing")).to_be_visible()
    shot(page, "console-fiche-patient", full_page=False)

    # The owner invites a practitioner; she accepts from the e-mail, in her own browser.
    menu.get_by_role("link", name="Équipe").click()
    email, first, last, password = NEW_STAFF
    page.locator("#team-invite").get_by_label("Adresse e-mail").fill(email)
    page.locator("#team-invite").get_by_label("Rôle").select_option(label="Praticien")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.locator("#team-invites")).to_contain_text(email)

    newcomer = browser.new_context(locale="fr-FR", viewport=DESKTOP, base_url=base_url,
                                   timezone_id="Europe/Paris")
    newcomer.set_default_timeout(10000)
    other = newcomer.new_page()
    other.goto(data.invitation_path(email))
    other.get_by_label("Prénom").fill(first)
    other.get_by_label("Nom", exact=True).fill(last)
    other.get_by_label("Nouveau mot de passe").fill(password)
    other.get_by_label("Confirmez le mot de passe").fill(password)
    shot(other, "console-invitation", full_page=False)
    other.get_by_role("button", name="Continuer").click()
    expect(other).to_have_url(re.compile(r"/console/connexion/authentificateur$"))
    other.get_by_text("Impossible de scanner ? Saisissez cette clé").click()
    secret = other.locator("#totp-secret").inner_text().strip()
    shot(other, "console-enrolement-qr")
    other.get_by_label("Code de l'application d'authentification").fill(pyotp.TOTP(secret).now())
    other.get_by_role("button", name="Activer").click()
    expect(other.locator("#recovery-codes li")).to_have_count(10)
    shot(other, "console-codes-de-secours", full_page=False)
    newcomer.close()

    page.locator("#team-invite").get_by_label("Adresse e-mail").fill("remplacante@example.com")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.locator("#team-invites")).to_contain_text("remplacante@example.com")
    page.reload()
    shot(page, "console-equipe", full_page=False)

    menu.get_by_role("link", name="Messages envoyés").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Messages envoyés")
    shot(page, "console-messages-envoyes", full_page=False)
    menu.get_by_role("link", name="Journal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Journal d'audit")
    shot(page, "console-journal", full_page=False)
    menu.get_by_role("link", name="Sécurité du compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sécurité du compte")
    # The demo accounts start without recovery codes: make some, as the page invites to. It asks
    # for a fresh authenticator code: wait for the step after the one used to sign in.
    time.sleep(31 - time.time() % 30)
    page.get_by_label("Code de l'application d'authentification").fill(data.totp_now(owner))
    page.get_by_role("button", name="Générer de nouveaux codes").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="J'ai noté mes codes, continuer").click()
    expect(page.locator("#security-recovery")).to_contain_text("10 codes")
    shot(page, "console-securite", full_page=False)
    context.close()

    anonymous = browser.new_context(locale="fr-FR", viewport=DESKTOP, base_url=base_url)
    page = anonymous.new_page()
    page.goto("/console/mot-de-passe-oublie")
    page.get_by_label("Adresse e-mail").fill("julie.petit@example.com")
    shot(page, "console-mot-de-passe-oublie", full_page=False)
    anonymous.close()


def agenda_walk(browser, base_url: str, data: Data, shot: Camera):
    """The owner books Léa from the agenda; then her parent sees it under "Mes RDV"."""
    from datetime import date, timedelta

    from portal.demo.data import DEMO_PHONE

    owner = OWNER
    monday = date.today() + timedelta(days=7 - date.today().weekday())
    context, page = console_page(browser, base_url)
    page.get_by_role("button", name="Continuer").click()
    time.sleep(31 - time.time() % 30)  # a fresh authenticator step: the last one was spent
    page.get_by_label("Code de l'application d'authentification").fill(data.totp_now(owner))
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    page.goto(f"/console/agenda/?jour={monday.isoformat()}")
    page.get_by_role("link", name="Dr Claire Martin").click()
    page.get_by_label("Patient : n° de dossier, portable ou nom").fill("1001")
    page.locator("#agenda-slots .slot").nth(1).click()
    expect(page.locator("#flash")).to_contain_text("Rendez-vous pris pour Léa LEFEVRE")
    shot(page, "console-agenda-jour", full_page=False)
    page.get_by_role("navigation", name="Menu de la console").get_by_role("link", name="Réglages de l'agenda").click()
    page.get_by_role("link", name="Dr Claire Martin").click()
    shot(page, "console-agenda-reglages", full_page=False)
    context.close()

    phone = browser.new_context(locale="fr-FR", viewport=PHONE, base_url=base_url, timezone_id="Europe/Paris")
    phone.set_default_timeout(10000)
    page = phone.new_page()
    e164 = "+33" + DEMO_PHONE.replace(" ", "")[1:]
    page.goto("/connexion")
    page.get_by_label("Numéro de téléphone").fill(DEMO_PHONE)
    page.get_by_label("Nom", exact=True).fill("LEFEVRE")
    page.get_by_label("Prénom", exact=True).fill("Léa")
    page.get_by_label("Date de naissance").fill("2012-05-14")
    page.get_by_role("button", name="Connexion").click()
    expect(page).to_have_url(re.compile(r"/connexion/mot-de-passe$"))
    page.get_by_label("Mot de passe").fill(PARENT_PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(re.compile(r"/connexion/code$"))  # the new code is queued by now
    page.get_by_label("Code reçu par SMS").fill(data.sms_code(e164))
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("#next-visit")).to_be_visible()
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Mes RDV").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes rendez-vous")
    shot(page, "patient-mes-rdv", full_page=False)
    phone.close()


def main() -> int:
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is absent: apt install chromium chromium-l10n", file=sys.stderr)
        return 1
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request

    workdir = Path(tempfile.mkdtemp(prefix="sourire-shots-"))
    try:
        app = make_app(workdir)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base_url = f"http://127.0.0.1:{server.server_port}"
        app.config["BASE_URL"] = base_url
        OUT.mkdir(parents=True, exist_ok=True)
        shot = Camera(OUT)
        data = Data(app)
        print(f"Sourire on {base_url}; screenshots into {OUT.relative_to(ROOT)}/")
        with sync_playwright() as p:
            # LANGUAGE=fr: Chromium's own strings (the jj/mm/aaaa of date fields) in French.
            browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS,
                                        env={**os.environ, "LANGUAGE": "fr", "LANG": "fr_FR.UTF-8"})
            phone = browser.new_context(locale="fr-FR", viewport=PHONE, base_url=base_url,
                                        timezone_id="Europe/Paris", device_scale_factor=1)
            phone.set_default_timeout(10000)
            patient_walk(phone, data, shot)
            phone.close()
            console_walk(browser, base_url, data, shot)
            agenda_walk(browser, base_url, data, shot)
            browser.close()
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        print(f"{len(shot.taken)} screenshots.")
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
