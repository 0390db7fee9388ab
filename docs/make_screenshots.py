"""Regenerate the screenshots of the user guides (docs/images/*.png) from the demo data.

    .venv/bin/python docs/make_screenshots.py

Starts Sourire on a temporary SQLite database loaded with the demo practice (jobs queue in
Redis db 6 on 127.0.0.1, emptied first, which no worker reads), serves it on 127.0.0.1 with werkzeug in a thread, and walks the pages with
Playwright driving Debian's Chromium (/usr/bin/chromium; never `playwright install`): patient
pages at 360x800, the console at 1280x800. SMS codes, the invitation link and the authenticator
secrets are read from the database, where a person would read them on their phone. For the
agenda pictures, a week of visits, a block, a day off, a post-it and the waiting list are
seeded through the agenda's services. Nothing leaves 127.0.0.1.

French date fields need the Debian package chromium-l10n (scripts/services.sh installs it).
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


SCREENSHOT_REDIS = "redis://127.0.0.1:6379/6"


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
        # (delivered messages have theirs wiped). Redis db 6 is emptied first.
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

    def sms_code(self, phone_e164: str, category: str = "auth_code") -> str:
        """The 6-digit code of the last SMS of that kind: a sign-in code, or a newcomer's
        booking code (`booking_code`)."""
        return re.search(r"\b(\d{6})\b", self._outbox(phone_e164, category)).group(1)

    def let_an_hour_pass(self, phone_e164: str) -> None:
        """Date the number's earlier sign-in codes an hour back: the walks sign the parent in
        several times within minutes, and a real parent would meet the 3-codes-per-15-minutes
        limit only if they did the same."""
        from datetime import timedelta

        from sqlalchemy import update

        from portal.core.db import utcnow
        from portal.extensions import db
        from portal.notify.models import OutboxMessage

        with self.app.app_context():
            db.session.execute(update(OutboxMessage).where(
                OutboxMessage.recipient == phone_e164, OutboxMessage.category == "auth_code")
                .values(created_at=utcnow() - timedelta(hours=1)))
            db.session.commit()

    def invitation_path(self, email: str) -> str:
        return urlsplit(re.search(r"https?://\S+", self._outbox(email, "invite")).group(0)).path

    def checkin_code_today(self) -> str | None:
        """The code of a visit of today's (what the desk's scanner reads off the patient's QR
        code), or None when the demo has no visit today."""
        from portal.agenda import checkin
        from portal.agenda.models import Appointment, AppointmentStatus
        from portal.demo.data import demo_practice
        from portal.extensions import db

        with self.app.app_context():
            practice = demo_practice()
            for appointment in db.session.scalars(select(Appointment).where(
                    Appointment.practice_id == practice.id, Appointment.patient_id.is_not(None),
                    Appointment.status != AppointmentStatus.cancelled).order_by(Appointment.starts_at)):
                if checkin.is_today(practice, appointment):
                    return checkin.checkin_code(appointment)
        return None

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
    expect(page).to_have_url(re.compile(r"/consentement$"))  # the RGPD consent step (issue 4)
    shot(page, "patient-consentement")
    page.get_by_label("J'ai lu la politique de confidentialité").check()
    page.get_by_role("button", name="Continuer").click()
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
    menu.get_by_role("link", name="Patients", exact=True).click()
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


def visit_week():
    """The Monday of the week the agenda pictures show: next week's, at least three days ahead
    so that a visit booked on it can still be cancelled online (48 h before, by default)."""
    from datetime import date, timedelta

    today = date.today()
    monday = today + timedelta(days=7 - today.weekday())
    return monday + timedelta(days=7) if (monday - today).days < 3 else monday


def seed_planning(app, monday) -> None:
    """A plausible week on both demo agendas, so the planning pictures are not empty: visits of
    demo patients in free slots, a teleconsultation, an extra, a block, a day off, a post-it for
    everyone and a patient on the waiting list. All through the services the pages call."""
    from datetime import time, timedelta

    from portal.agenda import planning, services, waiting
    from portal.agenda.availability import free_slots
    from portal.core.audit import Actor
    from portal.core.db import commit
    from portal.demo.data import demo_practice
    from portal.extensions import db
    from portal.patients.models import Patient

    with app.app_context():
        actor = Actor.operator()
        practice = demo_practice()
        patients = iter(db.session.scalars(select(Patient).where(
            Patient.practice_id == practice.id, Patient.number >= "2000").order_by(Patient.number)).all())
        friday = monday + timedelta(days=4)
        for rank, practitioner in enumerate(services.practitioners(practice.id)):
            types = {t.code: t for t in services.appointment_types(practice_id=practice.id,
                                                                   practitioner_id=practitioner.id)}
            slots = free_slots(practice=practice, practitioner_id=practitioner.id, first=monday, last=friday)
            for i, slot in enumerate(slots):
                # Every third slot (shifted per practitioner); Monday 9:20 stays free for the desk booking.
                if (i + rank) % 3 or slot.local_start.weekday() == 4 and rank:
                    continue
                if slot.local_start.weekday() == 0 and slot.local_start.time() == time(9, 20):
                    continue
                tele = slot.appointment_type_id == types["TCS"].id
                patient = next(patients)
                services.book_appointment(practice=practice, practitioner_id=practitioner.id,
                                          appointment_type_id=slot.appointment_type_id, patient_id=patient.id,
                                          starts_at=slot.starts_at, actor=actor,
                                          teleconsult_mobile=patient.mobile if tele else "")
            tuesday = monday + timedelta(days=1)
            services.book_appointment(practice=practice, practitioner_id=practitioner.id,
                                      appointment_type_id=types["CONT"].id, patient_id=next(patients).id,
                                      starts_at=services.local_to_utc(practice, tuesday, time(12, 15)), extra=True,
                                      note="Appareil décollé", actor=actor)
            thursday = monday + timedelta(days=3)
            services.block_time(practice=practice, practitioner_id=practitioner.id,
                                starts_at=services.local_to_utc(practice, thursday, time(10)),
                                ends_at=services.local_to_utc(practice, thursday, time(11)),
                                label="Réunion d'équipe", actor=actor)
            if rank:
                services.take_days_off(practice=practice, practitioner_id=practitioner.id, first=friday,
                                       last=friday, label="Congrès", actor=actor)
                waiting.add_to_waiting_list(practice=practice, practitioner_id=practitioner.id,
                                            appointment_type_id=types["CONT"].id, patient=next(patients),
                                            wishes="plutôt le mercredi", actor=actor)
            else:
                waiting.add_to_waiting_list(practice=practice, practitioner_id=practitioner.id,
                                            appointment_type_id=types["CONT"].id, patient=next(patients),
                                            wishes="les matins, avant 10 h", actor=actor)
        planning.add_event(practice=practice, practitioner_id=None, starts_on=monday + timedelta(days=2),
                           ends_on=monday + timedelta(days=2), starts=time(12, 30), ends=time(13, 30),
                           title="Livraison du matériel", details="Prévenir le prothésiste", actor=actor)
        commit()


def console_signin(browser, base_url: str, data: Data):
    """The owner signed in on a desktop page, at a fresh authenticator step."""
    context, page = console_page(browser, base_url)
    page.get_by_role("button", name="Continuer").click()
    time.sleep(31 - time.time() % 30)  # a fresh authenticator step: the last one was spent
    page.get_by_label("Code de l'application d'authentification").fill(data.totp_now(OWNER))
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    return context, page


def agenda_walk(browser, base_url: str, data: Data, shot: Camera, monday):
    """The desk: the planning views, a booking for Léa and its page, the waiting list, a bulk
    cancellation's preview, the agenda settings and the online booking settings."""
    from datetime import timedelta

    context, page = console_signin(browser, base_url, data)
    page.goto(f"/console/agenda/semaine?jour={monday.isoformat()}")
    page.locator("#agenda-views").get_by_role("link", name="Dr Claire Martin").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dr Claire Martin")
    expect(page.locator("#agenda-week")).to_contain_text("Livraison du matériel")
    shot(page, "console-agenda-semaine")
    page.goto(f"/console/agenda/tous?jour={(monday + timedelta(days=3)).isoformat()}")
    expect(page.locator("#agenda-all")).to_contain_text("Réunion d'équipe")
    shot(page, "console-agenda-tous")
    page.get_by_role("link", name="Tous, semaine").click()
    expect(page.locator("#agenda-all")).to_contain_text("Semaine du")
    shot(page, "console-agenda-tous-semaine")

    page.goto(f"/console/agenda/?jour={monday.isoformat()}")
    page.locator("#agenda-day").get_by_role("link", name="Dr Claire Martin").click()
    expect(page).to_have_url(re.compile(r"praticien="))
    page.get_by_label("Patient : n° de dossier, portable, nom ou e-mail").fill("1001")
    page.locator("#agenda-patient-pick").get_by_label(re.compile("LEFEVRE Léa")).check()
    expect(page.locator("#agenda-patient-pick")).to_contain_text("famille")  # Léa, and Hugo below her
    page.locator("#agenda-booking-form .desk-options summary").click()
    page.get_by_label("Message pour l'équipe (facultatif)").fill("Contrôle de la contention")
    page.get_by_label("Message pour le patient (facultatif)").fill("Pensez à apporter l'appareil amovible.")
    page.locator("#agenda-slots .slot").filter(has_text="09:20").click()
    expect(page.locator("#flash")).to_contain_text("Rendez-vous pris pour Léa LEFEVRE")
    shot(page, "console-agenda-jour", full_page=False)
    page.locator("#agenda-appointments").get_by_role("link", name="LEFEVRE Léa").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rendez-vous de Léa LEFEVRE")
    shot(page, "console-agenda-rendez-vous")

    page.goto("/console/agenda/")
    page.locator("#agenda-day").get_by_role("link", name="Ajouter un patient à la liste d'attente").click()
    form = page.locator("#waiting-add-form")
    form.get_by_label("Patient : n° de dossier, portable, nom ou e-mail").fill("1002")
    form.get_by_label("Souhaits (facultatif)").fill("après l'école, mardi ou jeudi")
    form.get_by_role("button", name="Inscrire sur la liste d'attente").click()
    expect(page.locator("#waiting-entries")).to_contain_text("LEFEVRE Hugo")
    shot(page, "console-agenda-attente", full_page=False)

    page.goto("/console/agenda/annulation")
    form = page.locator("#bulk-cancel-form")
    form.get_by_label("Praticien").select_option(label="Dr Paul Bernard")
    form.get_by_label("Du", exact=True).fill((monday + timedelta(days=1)).isoformat())
    form.get_by_label("Au", exact=True).fill((monday + timedelta(days=1)).isoformat())
    form.get_by_label("Message aux patients").fill("Le Dr Bernard est absent ; le secrétariat vous rappelle "
                                                   "pour fixer un autre rendez-vous.")
    form.get_by_label("Prévenir aussi par SMS").check()
    form.get_by_role("button", name="Voir qui est concerné").click()
    expect(page.locator("#bulk-cancel-preview")).to_be_visible()
    shot(page, "console-agenda-annulation")

    menu = page.get_by_role("navigation", name="Menu de la console")
    menu.get_by_role("link", name="Réglages de l'agenda").click()
    page.get_by_role("link", name="Dr Claire Martin").click()
    shot(page, "console-agenda-reglages", full_page=False)
    page.locator("#agenda-types").get_by_role("link", name="Modifier").nth(1).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Première consultation")
    shot(page, "console-agenda-type")

    page.goto("/console/reservation/reglages")
    expect(page.get_by_role("heading", level=1)).to_have_text("Réservation en ligne")
    shot(page, "console-reservation-reglages")
    page.goto("/console/reservation/contacts")
    form = page.locator("#booking-contact-form")
    for value, note in [("sophie.lefevre@example.com", "Famille LEFEVRE"), ("06 11 22 33 44", "M. Girard")]:
        form.get_by_label("Adresse e-mail ou portable").fill(value)
        form.get_by_label("Note (facultatif)").fill(note)
        form.get_by_role("button", name="Ajouter").click()
        expect(page.locator("#booking-contacts")).to_contain_text(note)
    shot(page, "console-reservation-contacts")
    context.close()


NEWCOMER = ("DURAND", "Chloé", "2014-03-09", "06 98 76 54 32", "famille.durand@example.com")


def phone_context(browser, base_url: str):
    context = browser.new_context(locale="fr-FR", viewport=PHONE, base_url=base_url, timezone_id="Europe/Paris")
    context.set_default_timeout(10000)
    return context


def booking_walk(browser, base_url: str, data: Data, shot: Camera):
    """A newcomer books a first consultation on the practice's public page, on a phone."""
    from portal.demo.data import DEMO_SLUG

    last, first, born, mobile, email = NEWCOMER
    context = phone_context(browser, base_url)
    page = context.new_page()
    page.goto(f"/cabinet/{DEMO_SLUG}/rendez-vous")
    shot(page, "patient-reservation-cabinet")
    doctor = page.locator(".booking-practitioner").filter(has_text="Dr Claire Martin")
    doctor.get_by_role("link", name="Première consultation · 40 min").click()
    expect(page.locator("#booking-slots .slot").first).to_be_visible()
    page.locator("#booking-slots").scroll_into_view_if_needed()
    shot(page, "patient-reservation-creneaux", full_page=False)
    # A slot of the following week: far enough ahead to be cancelled online (48 h before).
    heading = page.locator("#booking-slots .booking-day h3").first.inner_text()
    page.get_by_role("link", name="Semaine suivante →").click()
    expect(page.locator("#booking-slots .booking-day h3").first).not_to_have_text(heading)
    page.locator("#booking-slots .slot").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Réserver ce rendez-vous")
    page.get_by_label("Nom du patient", exact=True).fill(last)
    page.get_by_label("Prénom du patient").fill(first)
    page.get_by_label("Date de naissance du patient").fill(born)
    page.get_by_label("Votre portable (le code de confirmation y est envoyé)").fill(mobile)
    page.get_by_label("Votre adresse e-mail").fill(email)
    page.get_by_label("Motif de la visite").fill("Dents qui se chevauchent")
    shot(page, "patient-reservation-formulaire")
    page.get_by_role("button", name="Recevoir mon code par SMS").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmez votre rendez-vous")
    page.get_by_label("Code reçu par SMS").fill(data.sms_code("+33" + mobile.replace(" ", "")[1:], "booking_code"))
    shot(page, "patient-reservation-code", full_page=False)
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rendez-vous confirmé")
    shot(page, "patient-reservation-confirmee")
    context.close()


def parent_signin(browser, base_url: str, data: Data):
    """Léa's parent signed in on a phone (password, then a fresh SMS code), on the home page."""
    from portal.demo.data import DEMO_PHONE

    context = phone_context(browser, base_url)
    page = context.new_page()
    e164 = "+33" + DEMO_PHONE.replace(" ", "")[1:]
    data.let_an_hour_pass(e164)
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
    return context, page


def parent_walk(browser, base_url: str, data: Data, shot: Camera):
    """Léa's parent, signed in: books a check-up for Hugo, then sees Léa's visits under "Mes RDV"."""
    from portal.demo.data import DEMO_SLUG

    context, page = parent_signin(browser, base_url, data)
    shot(page, "patient-accueil-rdv", full_page=False)

    page.goto(f"/cabinet/{DEMO_SLUG}/rendez-vous")
    doctor = page.locator(".booking-practitioner").filter(has_text="Dr Claire Martin")
    doctor.get_by_role("link", name="Contrôle · 20 min").click()
    page.locator("#booking-slots .slot").first.click()
    page.get_by_label("Pour qui ?").select_option(label="Hugo LEFEVRE")
    page.get_by_label("Motif de la visite").fill("Contrôle")
    shot(page, "patient-reservation-connecte", full_page=False)
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rendez-vous confirmé")

    page.goto("/rendez-vous")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes rendez-vous")
    shot(page, "patient-mes-rdv", full_page=False)
    page.locator("#appointments-upcoming").get_by_role("link", name="Annuler").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Annuler un rendez-vous")
    page.get_by_label("Motif de l'annulation").fill("Voyage scolaire ce jour-là")
    shot(page, "patient-annuler-rdv", full_page=False)

    page.goto("/rendez-vous?tout=1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes rendez-vous")
    shot(page, "patient-mes-rdv-tout")

    page.goto("/mon-cabinet")
    form = page.locator("#contact-form")
    form.get_by_label("Objet").fill("Appareil décollé")
    form.get_by_label("Votre message").fill("Bonjour, une bague de l'appareil de Léa s'est décollée hier soir. "
                                             "Faut-il avancer le prochain rendez-vous ? Merci.")
    shot(page, "patient-mon-cabinet")
    form.get_by_role("button", name="Envoyer").click()
    expect(page.locator("#flash")).to_contain_text("Message envoyé au cabinet")

    page.goto("/notifications")
    reminders = page.locator("#space-reminders")
    reminders.get_by_label("Jours avant").fill("2")
    reminders.get_by_label("À", exact=True).fill("18:00")
    reminders.get_by_role("button", name="Ajouter ce rappel").click()
    expect(page.locator("#space-reminders .reminder-list")).to_contain_text("2 jours avant à 18:00")
    page.evaluate("window.scrollTo(0, 0)")  # the form sits below: show the page from its title
    shot(page, "patient-notifications", full_page=False)

    page.goto("/mes-infos")
    lea = page.locator("section[id^=info-patient-]").filter(has_text="Léa LEFEVRE")
    lea.get_by_text("Modifier les informations de Léa").click()
    lea.get_by_label("Adresse", exact=True).fill("8 rue des Tilleuls")
    lea.get_by_role("button", name="Envoyer la demande").click()
    expect(page.locator("#info-requests")).to_contain_text("En attente du cabinet")
    shot(page, "patient-mes-infos", full_page=False)

    page.goto("/gestion-patients")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gestion des patients")
    shot(page, "patient-gestion-patients", full_page=False)
    page.goto("/mes-donnees")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes données")
    shot(page, "patient-mes-donnees", full_page=False)
    context.close()


def cabinet_walk(browser, base_url: str, data: Data, shot: Camera):
    """The console's Cabinet pages, the patients' change request and message sent in
    parent_walk, and the desk's check-in page with its option switched on."""
    context, page = console_signin(browser, base_url, data)
    page.goto("/console/cabinet")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shot(page, "console-cabinet-informations", full_page=False)
    page.goto("/console/cabinet/options")
    page.get_by_label("Scan sur borne d'accueil").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#flash")).to_contain_text("Options enregistrées.")
    shot(page, "console-cabinet-options", full_page=False)
    page.goto("/console/cabinet/praticiens")
    shot(page, "console-cabinet-praticiens", full_page=False)

    page.goto("/console/cabinet/coordonnees")
    # The demo keeps its opening hours in a free text zone: move them to their own field; the
    # preview follows the typing.
    page.get_by_label("Zone 3", exact=True).fill("")
    page.get_by_label("Horaires").fill("Lundi-vendredi 9h-18h30\nMercredi 8h30-16h30")
    expect(page.locator("#cabinet-card")).not_to_contain_text("Horaires :")
    expect(page.locator("#cabinet-card")).to_contain_text("Mercredi 8h30-16h30")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "console-cabinet-coordonnees", full_page=False)

    page.goto("/console/statistiques")
    shot(page, "console-statistiques", full_page=False)
    page.goto("/console/patients/demandes")
    expect(page.locator("main")).to_contain_text("8 rue des Tilleuls")
    shot(page, "console-demandes", full_page=False)

    page.goto("/console/agenda/accueil")
    code = data.checkin_code_today()
    if code:
        page.get_by_label("Code du rendez-vous (scannez le QR code)").fill(code)
        page.get_by_label("Code du rendez-vous (scannez le QR code)").press("Enter")
        expect(page.locator("#checkin-arrivals li")).to_have_count(1)
    shot(page, "console-accueil-patients", full_page=False)
    context.close()


def invitations_walk(browser, base_url: str, data: Data, shot: Camera):
    """Invitations: the templates, the letter previewed for the sample patient, and the preview of an SMS to
    everyone not signed in yet (not confirmed: the demo sends nothing)."""
    context, page = console_signin(browser, base_url, data)
    page.get_by_role("navigation", name="Menu de la console").get_by_role("link", name="Invitations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitations")
    shot(page, "console-invitations", full_page=False)
    page.get_by_role("link", name="Courrier d'invitation", exact=True).click()
    # The sample patient: the demo's files carry a town but no street, so their letters are skipped.
    expect(page.locator("#invitation-preview")).to_contain_text("12 rue des Lilas")
    page.locator("#invitation-preview-title").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -24)")
    shot(page, "console-invitation-modele", full_page=False)
    page.goto("/console/invitations")
    page.locator("tr", has_text="SMS d'invitation").get_by_role("link", name="Envoyer à tous les patients non connectés").click()
    expect(page.locator("#invitation-recipient-count")).to_be_visible()
    shot(page, "console-invitation-envoi", full_page=False)


def _photo() -> bytes:
    """A stand-in for a phone photo: a pale square on a warm background."""
    from io import BytesIO

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 600), (236, 214, 190))
    ImageDraw.Draw(image).rounded_rectangle((250, 200, 550, 400), radius=40, fill=(250, 250, 246))
    out = BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def messaging_walk(browser, base_url: str, data: Data, shot: Camera):
    """The Messagerie: the parent writes with a photo; the console's inbox (with Mon cabinet's
    message from parent_walk), a predefined message, the reply that uses it; the parent reads it."""
    context, page = parent_signin(browser, base_url, data)
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Messagerie").click()
    page.get_by_label("Votre message").fill("Voici la photo de la bague décollée.")
    page.get_by_label("Joindre une photo ou un PDF").set_input_files(
        files=[{"name": "bague.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator("#messaging-thread")).to_contain_text("Voici la photo")
    page.locator("#messaging-thread .message").last.scroll_into_view_if_needed()
    shot(page, "patient-messagerie", full_page=False)

    desk, staff = console_signin(browser, base_url, data)
    staff.locator("#side-messaging").click()
    expect(staff.locator("#conversations")).to_contain_text("LEFEVRE Léa")
    shot(staff, "console-messagerie", full_page=False)
    staff.goto("/console/messagerie/modeles")
    new = staff.locator("#template-new")
    new.get_by_label("Texte du message").fill("Bonjour, merci pour votre message. Pas d'urgence : nous recollerons "
                                             "la bague au prochain rendez-vous. En cas de gêne, posez un peu de cire "
                                             "orthodontique.")
    new.get_by_role("button", name="Ajouter").click()
    expect(staff.locator("#flash")).to_contain_text("Message prédéfini ajouté.")
    shot(staff, "console-messages-predefinis", full_page=False)
    staff.goto("/console/messagerie")
    staff.get_by_role("link", name="LEFEVRE Léa").click()
    staff.get_by_label("Message prédéfini").select_option(index=1)
    staff.get_by_role("button", name="Utiliser").click()
    expect(staff.get_by_label("Votre message")).to_have_value(re.compile("recollerons"))
    staff.get_by_role("button", name="Envoyer la réponse").click()
    expect(staff.locator("#flash")).to_contain_text("Réponse envoyée.")
    shot(staff, "console-messagerie-conversation", full_page=False)
    desk.close()

    page.goto("/")
    expect(page.locator("#nav-messaging .nav-badge")).to_have_text("1")
    page.locator("#nav-messaging").click()
    expect(page.locator("#messaging-thread")).to_contain_text("recollerons")
    page.locator("#messaging-thread .message").last.scroll_into_view_if_needed()
    shot(page, "patient-messagerie-reponse", full_page=False)
    context.close()


def online_payment(app) -> None:
    """Turn online payment on for the demo practice with test-shaped keys (Stripe itself is never
    called: nothing here creates a Checkout Session), then post Stripe's signed
    "checkout.session.completed" for 150 € paid by Léa's parent, as Stripe would after Checkout:
    the real webhook records it as "Virement (en ligne)"."""
    import json
    import secrets

    import stripe

    from portal.billing import stripe_account
    from portal.core.audit import Actor
    from portal.core.db import commit
    from portal.demo.data import demo_practice
    from portal.extensions import db
    from portal.patients.models import Patient

    whsec = "whsec_" + "D" * 32
    with app.app_context():
        practice = demo_practice()
        practice.options = {**(practice.options or {}), "payments_online": True}
        stripe_account.save_keys(practice, publishable_key="pk_test_" + "D" * 24,
                                 secret_key="sk_test_" + "D" * 20 + "4242", webhook_secret=whsec,
                                 actor=Actor.operator())
        lea = db.session.scalar(select(Patient).where(Patient.practice_id == practice.id,
                                                      Patient.first_name == "Léa"))
        commit()
        webhook = stripe_account.account_for(practice.id).webhook_id
        session = {"id": "cs_test_" + secrets.token_hex(12), "object": "checkout.session", "amount_total": 15000,
                   "currency": "eur", "payment_status": "paid", "status": "complete",
                   "customer_email": "parent@example.org", "payment_intent": "pi_test_" + secrets.token_hex(12),
                   "metadata": {"practice": str(practice.id), "patient": str(lea.id), "payer": "",
                                "amount_cents": "15000"}}
    payload = json.dumps({"id": "evt_" + secrets.token_hex(12), "object": "event", "created": int(time.time()),
                          "livemode": False, "type": "checkout.session.completed", "data": {"object": session}})
    signature = stripe.WebhookSignature.generate_signature_header(payload, whsec, timestamp=int(time.time()))
    answer = app.test_client().post(f"/stripe/webhook/{webhook}", data=payload, content_type="application/json",
                                    headers={"Stripe-Signature": signature})
    assert answer.get_json()["status"] == "applied", answer.get_data(as_text=True)


def payment_link_path(app) -> str:
    """The path of an overdue-payment reminder's link for Léa's oldest unpaid item."""
    from datetime import UTC, datetime

    from portal.billing import paylinks, services
    from portal.demo.data import demo_practice
    from portal.extensions import db
    from portal.patients.models import Patient

    with app.app_context():
        practice = demo_practice()
        lea = db.session.scalar(select(Patient).where(Patient.practice_id == practice.id,
                                                      Patient.first_name == "Léa"))
        led = services.ledger(practice_id=practice.id, patient_id=lea.id, at=services.practice_today(practice))
        line = next(line for line in led.lines if line.remaining > 0)
        token = paylinks.make_token(practice_id=practice.id, patient_id=lea.id, item_id=line.item.id,
                                    amount_cents=line.remaining, now=datetime.now(UTC))
        return urlsplit(paylinks.link_url(token)).path


def payments_walk(browser, base_url: str, data: Data, shot: Camera):
    """Paiements: online payment switched on and a 150 € online payment received; the parent's
    Mes paiements with Régler en ligne; the console's payments of the day, the patient's tab,
    a refund of part of the demo's cheque, the overdue reminders' settings; a reminder's link."""
    online_payment(data.app)
    context, page = parent_signin(browser, base_url, data)
    page.goto("/paiements")
    expect(page.get_by_label("Montant à régler (€)")).to_be_visible()
    shot(page, "patient-paiements")
    context.close()

    desk, staff = console_signin(browser, base_url, data)
    staff.locator("#side-payments").click()
    expect(staff.locator("#payments-list")).to_contain_text("Virement (en ligne)")
    shot(staff, "console-paiements-jour", full_page=False)
    staff.locator("#payments-list").get_by_role("link", name=re.compile("LEFEVRE")).first.click()
    cheque = staff.locator("#billing-payments tr", has_text="Chèque").first
    cheque.get_by_role("link", name=re.compile("Rembourser")).click()
    staff.get_by_label("Montant à rembourser (€)").fill("20")
    staff.get_by_label("Rendu par").select_option(label="Espèces")
    staff.get_by_label("Motif").fill("Trop-perçu sur la consultation")
    shot(staff, "console-rembourser", full_page=False)
    staff.get_by_role("button", name="Rembourser").click()
    expect(staff.locator("#billing-payments .refund-row").first).to_contain_text("remboursé")
    staff.locator("#billing-payments").scroll_into_view_if_needed()
    shot(staff, "console-fiche-paiements", full_page=False)
    staff.goto("/console/cabinet/relances-paiement")
    staff.get_by_label("Relancer les règlements en retard").check()
    staff.get_by_label("Par SMS").check()
    staff.get_by_role("button", name="Enregistrer").click()
    expect(staff.get_by_text("Relances enregistrées.")).to_be_visible()
    shot(staff, "console-relances-paiement", full_page=False)
    desk.close()

    phone = phone_context(browser, base_url)
    link = phone.new_page()
    link.goto(payment_link_path(data.app))
    expect(link.get_by_role("button", name=re.compile("^Payer"))).to_be_visible()
    shot(link, "patient-lien-paiement", full_page=False)
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
            phone = phone_context(browser, base_url)
            patient_walk(phone, data, shot)
            phone.close()
            console_walk(browser, base_url, data, shot)
            monday = visit_week()
            seed_planning(app, monday)
            agenda_walk(browser, base_url, data, shot, monday)
            booking_walk(browser, base_url, data, shot)
            parent_walk(browser, base_url, data, shot)
            cabinet_walk(browser, base_url, data, shot)
            invitations_walk(browser, base_url, data, shot)
            messaging_walk(browser, base_url, data, shot)
            payments_walk(browser, base_url, data, shot)
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
