"""Every page of the app passes axe-core (vendored in tests/browser/vendor) with no serious or
critical violation, answers 200, and has an <h1> and a <title>.

`test_every_get_route_is_checked` fails when a GET endpoint of `app.url_map` is in none of the
three tables below, so a new page cannot escape the check. To add one, write ONE line:

- a page reached by its URL: in PAGES, `"bp.endpoint": (ROLE, lambda d: {url arguments})`,
  where ROLE is ANON, PATIENT, OWNER or SECRETARY and `d` is the `Site` built by `_build`
  (add a field there when the URL needs an id or a token; `{}` for no argument; extra keys
  become query arguments), e.g. `"console.invitations": (OWNER, lambda d: {}),`;
- a page only reached through a form or a sign-in step: in FLOW_STEPS, naming its flow, and a
  `_step(site, page, app, "bp.endpoint")` call at that step of the flow function;
- anything else answering GET (downloads, JSON, images, redirects, htmx fragments with no flow):
  in EXCLUDED, with the reason. POST-only routes are not listed: only GET routes are counted.

Patient-facing pages are checked at 360×800, console pages (/console…) at 1280×800. The data is
one practice built once for the module (the demo practice of `flask demo`, through the same
services, plus appointments, a replacement, a waiting list, tokens…); one browser context per
role, signed in once; each page is a test of its own.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pyotp
import pytest
from flask import url_for
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db as _db
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE
from tests.conftest import wipe_data

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
ANON, PATIENT, OWNER, SECRETARY = "anonymous", "patient", "owner", "secretary"

# endpoint → (role, url arguments from the Site). Query arguments show a page's fuller state.
PAGES = {
    "accounts.patient_signin": (ANON, lambda d: {}),
    "accounts.privacy_page": (ANON, lambda d: {}),
    "accounts.staff_signin": (ANON, lambda d: {}),
    "accounts.staff_forgot": (ANON, lambda d: {}),
    "accounts.staff_reset": (ANON, lambda d: {"token": d.reset_token}),
    "accounts.accept_invitation": (ANON, lambda d: {"token": d.invite_token}),
    "booking.page": (ANON, lambda d: {"slug": d.slug}),
    "booking.cancel_by_link": (ANON, lambda d: {"slug": d.slug, "token": d.cancel_token}),
    "offers.offer": (ANON, lambda d: {"token": d.offer_token}),
    "paylinks.show": (ANON, lambda d: {"token": d.paylink_token}),
    "space.home": (PATIENT, lambda d: {}),
    "space.menu": (PATIENT, lambda d: {}),
    "space.appointments": (PATIENT, lambda d: {"tout": 1}),
    "space.cancel_appointment": (PATIENT, lambda d: {"appointment_id": d.appointment_id}),
    "space.add_to_calendar": (PATIENT, lambda d: {"appointment_id": d.appointment_id}),
    "space.notifications": (PATIENT, lambda d: {}),
    "space.password": (PATIENT, lambda d: {}),
    "space.passkeys_page": (PATIENT, lambda d: {}),
    "space.my_info": (PATIENT, lambda d: {}),
    "space.manage_patients": (PATIENT, lambda d: {}),
    "space.my_data": (PATIENT, lambda d: {}),
    "space.cabinet": (PATIENT, lambda d: {}),
    "console.dashboard": (OWNER, lambda d: {}),
    "console.team": (OWNER, lambda d: {}),
    "console.journal": (OWNER, lambda d: {}),
    "console.cabinet_info": (OWNER, lambda d: {}),
    "console.coordinates": (OWNER, lambda d: {}),
    "console.options": (OWNER, lambda d: {}),
    "console.practitioners": (OWNER, lambda d: {}),
    "stripe.settings": (OWNER, lambda d: {}),
    "billing.reminder_settings": (OWNER, lambda d: {}),
    "console.statistics": (OWNER, lambda d: {}),
    "messaging.inbox": (SECRETARY, lambda d: {}),
    "messaging.conversation": (SECRETARY, lambda d: {"patient_id": d.lea_id}),
    "messaging.templates": (OWNER, lambda d: {}),
    "messaging.index": (PATIENT, lambda d: {}),
    "billing.index": (PATIENT, lambda d: {}),
    "billing.pay_teleconsult": (PATIENT, lambda d: {"appointment_id": d.tele_id}),
    "billing.edit_item": (SECRETARY, lambda d: {"patient_id": d.lea_id, "item_id": d.item_id}),
    "billing.to_check": (SECRETARY, lambda d: {}),
    "billing.edit_payment": (SECRETARY, lambda d: {"patient_id": d.lea_id, "payment_id": d.payment_id}),
    "billing.refund_payment": (OWNER, lambda d: {"patient_id": d.lea_id, "payment_id": d.payment_id}),
    "billing.payments": (SECRETARY, lambda d: {"du": (d.day - timedelta(days=190)).isoformat(), "au": (d.day - timedelta(days=7)).isoformat()}),  # noqa: E501
    "accounts.staff_security": (OWNER, lambda d: {}),
    "patients.index": (OWNER, lambda d: {"q": "lef"}),
    "patients.show": (OWNER, lambda d: {"patient_id": d.lea_id}),
    "patients.signed_in": (SECRETARY, lambda d: {}),
    "patients.requests_page": (SECRETARY, lambda d: {}),
    "notify.index": (SECRETARY, lambda d: {}),
    "agenda.day": (OWNER, lambda d: {"praticien": d.practitioner_id, "jour": d.day.isoformat()}),
    "agenda.week": (OWNER, lambda d: {"praticien": d.practitioner_id, "jour": d.day.isoformat()}),
    "agenda.all_day": (SECRETARY, lambda d: {"jour": d.day.isoformat()}),
    "agenda.all_week": (SECRETARY, lambda d: {"jour": d.day.isoformat()}),
    "agenda.past": (SECRETARY, lambda d: {}),
    "agenda.checkin_page": (SECRETARY, lambda d: {}),
    "agenda.waiting_list": (SECRETARY, lambda d: {"praticien": d.practitioner_id}),
    # the prepaid teleconsultation, unpaid: its payment panel shows (and the room's hint)
    "agenda.appointment": (OWNER, lambda d: {"appointment_id": d.tele_id}),
    "agenda.bulk_cancel": (OWNER, lambda d: {}),
    "agenda.holidays": (OWNER, lambda d: {}),
    "agenda.secretary_rights": (OWNER, lambda d: {}),
    "agenda.edit_event": (OWNER, lambda d: {"event_id": d.event_id}),
    "agenda.extras": (OWNER, lambda d: {}),
    "agenda.settings": (OWNER, lambda d: {}),
    "agenda.edit_type": (OWNER, lambda d: {"type_id": d.type_id}),
    "agenda.replacements": (OWNER, lambda d: {}),
    "agenda.edit_replacement": (OWNER, lambda d: {"replacement_id": d.replacement_id}),
    "booking.settings": (OWNER, lambda d: {}),
    "booking.contacts": (OWNER, lambda d: {}),
    "booking.bans": (OWNER, lambda d: {}),
    "booking.reasons": (OWNER, lambda d: {}),
    "console.invitations": (OWNER, lambda d: {}),
    "console.invitation_new": (OWNER, lambda d: {}),
    "console.invitation_edit": (OWNER, lambda d: {"template_id": d.template_id}),
    "console.invitation_mass": (OWNER, lambda d: {"template_id": d.template_id}),
    "console.invite_patient": (SECRETARY, lambda d: {"patient_id": d.lea_id}),
    "console.invitation_batch": (SECRETARY, lambda d: {"batch_id": d.batch_id}),
}

# endpoint → the flow (a function below) that reaches it by a form or a sign-in step.
FLOW_STEPS = {
    "accounts.patient_signin_code": "_patient_first_signin",
    "accounts.patient_choose_password": "_patient_first_signin",
    "space.consent": "_patient_first_signin",
    "accounts.patient_signin_password": "_patient_returning",
    "accounts.staff_signin_code": "_staff_signin",
    "accounts.staff_enrol": "_staff_enrolment",
    "booking.book": "_newcomer_booking",
    "booking.confirm": "_newcomer_booking",
    "booking.booked": "_newcomer_booking",
    "agenda.patient_pick": "_patient_pick",  # an htmx fragment, checked inside the waiting list page
}

EXCLUDED = {
    "static": "static files",
    "core.health": "JSON health check for monitoring",
    "space.my_data_json": "JSON download of the person's data",
    "space.appointment_ics": ".ics download",
    "booking.practitioner_photo": "JPEG image",
    "booking.photo": "JPEG image (console preview)",
    "console.invitation_preview_pdf": "PDF download (a template's letter)",
    "messaging.unread_badge": "htmx fragment: the side menu's unread count (checked inside every console page)",
    "messaging.old_inbox": "redirect: the inbox's address before the Messagerie",
    "messaging.attachment": "file download (a message's photo or PDF, patient side)",
    "messaging.staff_attachment": "file download (a message's photo or PDF, console side)",
    "messaging.template_attachment": "file download (a predefined message's file)",
    "console.invitation_letters": "PDF download (a batch's letters)",
    "billing.payments_csv": "CSV download (the console's payments of a period)",
}


@dataclass
class Site:
    """What the URLs need: ids and secrets of the one practice."""
    slug: str = ""
    lea_id: int = 0
    practitioner_id: int = 0
    appointment_id: int = 0
    type_id: int = 0
    event_id: int = 0
    replacement_id: int = 0
    day: date = date.min
    reset_token: str = ""
    invite_token: str = ""
    cancel_token: str = ""
    offer_token: str = ""
    paylink_token: str = ""  # an overdue-payment reminder's link to one of Léa's unpaid items
    template_id: int = 0
    batch_id: int = 0
    item_id: int = 0  # an installment of Léa's (the demo's schedule)
    tele_id: int = 0  # Léa's prepaid teleconsultation, unpaid (red on the planning and in her space)
    staff: dict = field(default_factory=dict)  # role → StaffUser; "new": one not enrolled yet
    practice: object = None
    lea: object = None
    visit: object = None
    pages: dict = field(default_factory=dict)  # role → Playwright page
    found: dict = field(default_factory=dict)  # flow-step endpoint → problems


def _get_routes(app) -> set[str]:
    return {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}


def test_every_get_route_is_checked(app):  # no browser needed: runs with `-m "not browser"` too
    tables = [set(PAGES), set(FLOW_STEPS), set(EXCLUDED)]
    assert not (tables[0] & tables[1] | tables[0] & tables[2] | tables[1] & tables[2]), "an endpoint in two tables"
    missing = sorted(_get_routes(app) - set().union(*tables))
    assert not missing, ("GET endpoints neither checked nor excluded (add them to PAGES, FLOW_STEPS or EXCLUDED "
                         f"in {Path(__file__).name}): {missing}")
    gone = sorted(set().union(*tables) - _get_routes(app))
    assert not gone, f"endpoints listed but no longer routes: {gone}"


# -- checks -------------------------------------------------------------------------------------

def _endpoint_of(app, url: str) -> str | None:
    from werkzeug.exceptions import HTTPException
    try:
        return app.url_map.bind("localhost").match(urlsplit(url).path, method="GET")[0]
    except HTTPException:
        return None


def problems_of(page, app, endpoint: str, status: int | None = 200) -> list[str]:
    """Everything wrong with the page shown: status, landing endpoint, <h1>, <title>, axe."""
    found = []
    if status is not None and status != 200:
        found.append(f"answered {status}")
    if (landed := _endpoint_of(app, page.url)) != endpoint:
        found.append(f"landed on {landed} ({page.url})")
    if page.locator("h1").count() == 0:
        found.append("no <h1>")
    if not page.title().strip():
        found.append("no <title>")
    page.evaluate(AXE)
    # Every rule axe runs by default (WCAG 2.0–2.2 A/AA and best practices); violations only, faster.
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    for v in result["violations"]:
        if v["impact"] in ("serious", "critical"):
            targets = [" ".join(n["target"]) for n in v["nodes"]][:5]
            why = next((c["message"] for c in v["nodes"][0]["any"] + v["nodes"][0]["all"]), "")
            found.append(f"axe {v['id']} ({v['impact']}): {v['help']} — {targets} — {why}")
    found += [f"JS error: {e}" for e in page.errors]
    page.errors.clear()
    return found


def _new_page(browser, live_server, size):
    context = browser.new_context(locale="fr-FR", viewport=size, base_url=live_server, timezone_id="Europe/Paris")
    context.set_default_timeout(8000)
    page = context.new_page()
    page.errors = []
    page.statuses = {}  # URL → status of its last document or htmx answer, for the flows' pages
    page.on("response", lambda r: r.request.resource_type in ("document", "xhr", "fetch")
            and page.statuses.__setitem__(r.url, r.status))
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: re.search("content security policy", msg.text, re.I)
            and page.errors.append(f"CSP: {msg.text}"))
    return page


# -- flows: the pages reached only through a form or a sign-in step ------------------------------

def _step(site, page, app, endpoint):
    page.set_viewport_size(DESKTOP if urlsplit(page.url).path.startswith("/console") else PHONE)
    site.found[endpoint] = problems_of(page, app, endpoint, status=page.statuses.get(page.url, 0))


def _patient_first_signin(site, page, app):
    from tests.browser.test_patient_flows import LEA, MOBILE, PASSWORD, fill_identity
    page.goto("/connexion")
    fill_identity(page, **LEA)
    page.get_by_role("button", name="Connexion").click()
    expect(page).to_have_url(re.compile(r"/connexion/code$"))
    _step(site, page, app, "accounts.patient_signin_code")
    page.get_by_label("Code reçu par SMS").fill(factories.last_code(MOBILE))
    page.get_by_role("button", name="Valider").click()
    expect(page).to_have_url(re.compile(r"/connexion/mot-de-passe/nouveau$"))
    _step(site, page, app, "accounts.patient_choose_password")
    page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Enregistrer et accéder au dossier").click()
    expect(page).to_have_url(re.compile(r"/consentement$"))
    _step(site, page, app, "space.consent")
    page.get_by_label("J'ai lu la politique de confidentialité").check()
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(re.compile(r"/$"))


def _patient_returning(site, page, app):
    """A second sign-in of the same number asks for the password (a throwaway context)."""
    from tests.browser.test_patient_flows import LEA, fill_identity
    page.goto("/connexion")
    fill_identity(page, **LEA)
    page.get_by_role("button", name="Connexion").click()
    expect(page).to_have_url(re.compile(r"/connexion/mot-de-passe$"))
    _step(site, page, app, "accounts.patient_signin_password")


def _staff_signin(site, page, app, user, check=False):
    page.goto("/console/connexion")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(re.compile(r"/console/connexion/code$"))
    if check:
        _step(site, page, app, "accounts.staff_signin_code")
    page.get_by_label("Code de l'application d'authentification").fill(pyotp.TOTP(user.totp_key).now())
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")


def _staff_enrolment(site, page, app, user):
    page.goto("/console/connexion")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    expect(page).to_have_url(re.compile(r"/console/connexion/authentificateur$"))
    _step(site, page, app, "accounts.staff_enrol")


def _newcomer_booking(site, page, app):
    page.goto(f"/cabinet/{site.slug}/rendez-vous")
    page.get_by_role("link", name=re.compile("Première consultation")).first.click()
    page.locator("#booking-slots .slot").first.click()
    expect(page).to_have_url(re.compile(r"/rendez-vous/reserver\?"))
    _step(site, page, app, "booking.book")
    page.get_by_label("Nom du patient", exact=True).fill("Moreau")
    page.get_by_label("Prénom du patient").fill("Inès")
    page.get_by_label("Date de naissance du patient").fill("2014-05-02")
    page.get_by_label("Votre portable").fill("06 98 76 54 32")
    page.get_by_label("Votre adresse e-mail").fill("ines.parent@example.com")
    page.get_by_label("Motif de la visite").fill("Dents qui se chevauchent")
    page.get_by_role("button", name="Recevoir mon code par SMS").click()
    expect(page.locator("#booking-hold")).to_contain_text("réservé jusqu'à")
    _step(site, page, app, "booking.confirm")
    from portal.notify.services import delivery_text
    code = re.search(r"\b(\d{6})\b", delivery_text(factories.outbox("+33698765432", "booking_code")[-1])).group(1)
    page.get_by_label("Code reçu par SMS").fill(code)
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_role("heading", name="Rendez-vous confirmé")).to_be_visible()
    _step(site, page, app, "booking.booked")


def _patient_pick(site, page, app):
    """The desk's patient search fragment, inside the waiting list page: matches, then a family."""
    page.goto(f"/console/agenda/attente?praticien={site.practitioner_id}")
    page.get_by_label("Patient : n° de dossier, portable, nom ou e-mail").fill("lefevre")
    matches = page.locator("#agenda-patient-pick input[type=radio]")
    expect(matches.first).to_be_visible()
    problems = problems_of(page, app, "agenda.waiting_list", status=None)
    matches.first.check()
    expect(page.locator("#agenda-patient-pick legend")).to_have_text("Patient choisi, ou un membre de sa famille")
    problems += problems_of(page, app, "agenda.waiting_list", status=None)
    answers = [status for url, status in page.statuses.items() if urlsplit(url).path == "/console/agenda/patients"]
    problems += [f"the fragment answered {status}" for status in answers if status != 200] or \
        ([] if answers else ["the fragment was never asked for"])
    site.found["agenda.patient_pick"] = problems


# -- the practice, once for the module -----------------------------------------------------------

STAFF_PASSWORD = "sourire-demo-2026"  # portal.demo.data.DEMO_PASSWORD, checked in _build


@pytest.fixture(scope="module", autouse=True)
def db(app):
    """The module's own data lifetime: built once, deleted at the end (as tests/conftest.py does
    per test), so every page test reuses one practice and signed-in contexts."""
    ctx = app.app_context()
    ctx.push()
    yield _db
    wipe_data()
    ctx.pop()


def _build(app) -> Site:
    from portal.accounts import staff_admin
    from portal.accounts.models import Role, StaffUser
    from portal.agenda import planning, services as agenda, setup, waiting
    from portal.agenda.models import Schedule
    from portal.booking import confirmations
    from portal.core.audit import Actor
    from portal.console import invitations
    from portal.core.db import commit
    from portal.demo import data as demo
    from portal.patients.models import Patient

    assert demo.DEMO_PASSWORD == STAFF_PASSWORD
    op = Actor.operator()
    made = demo.load_demo(extra_patients=12)
    practice = made["practice"]
    practice.options = {**practice.options, "appointments_checkin": True}
    commit()
    site = Site(slug=practice.slug)
    staff = {u.role: u for u in _db.session.scalars(select(StaffUser).where(StaffUser.practice_id == practice.id))}
    site.staff = {OWNER: staff[Role.owner], SECRETARY: staff[Role.secretary]}
    owner_doc, other_doc = sorted(practice.practitioners, key=lambda p: p.staff_user_id != staff[Role.owner].id)
    site.practitioner_id = owner_doc.id
    lea, hugo = (_db.session.scalar(select(Patient).where(Patient.practice_id == practice.id, Patient.first_name == n))
                 for n in ("Léa", "Hugo"))
    site.lea_id = lea.id
    from portal.billing.models import BillingItem, Payment
    site.item_id = _db.session.scalar(select(BillingItem.id).where(BillingItem.patient_id == lea.id).limit(1))
    from portal.billing.flags import raise_flag  # a row on "Paiements à vérifier", so its table is checked too
    from portal.billing.models import FlagKind
    raise_flag(practice_id=practice.id, kind=FlagKind.excess, session_id="cs_test_demo", patient_id=lea.id,
               amount_cents=2000, message="Reçu 20,00 € de plus que le solde restant dû : à rembourser ou à affecter.")
    from portal.billing import paylinks, services as billing
    unpaid = next(line for line in billing.ledger(practice_id=practice.id, patient_id=lea.id, at=date.max).lines
                  if line.remaining > 0)
    site.paylink_token = paylinks.make_token(practice_id=practice.id, patient_id=lea.id, item_id=unpaid.item.id,
                                             amount_cents=unpaid.remaining, now=datetime.now(ZoneInfo("UTC")))
    site.payment_id = _db.session.scalar(select(Payment.id).where(Payment.patient_id == lea.id).limit(1))
    kinds = agenda.appointment_types(practice_id=practice.id, practitioner_id=owner_doc.id)
    control = next(k for k in kinds if k.code == "CONT")
    site.type_id = control.id
    zone = ZoneInfo(practice.timezone)
    today = datetime.now(zone).date()
    site.day = today + timedelta(days=7)

    def at(day, hour, minute=0):
        return datetime.combine(day, time(hour, minute), zone)

    def book(patient, day, hour, minute=0, doc=owner_doc, kind=control):
        return agenda.book_appointment(practice=practice, practitioner_id=doc.id, appointment_type_id=kind.id,
                                       patient_id=patient.id, starts_at=at(day, hour, minute), extra=True, actor=op,
                                       note="Bague décollée")

    visit = book(lea, site.day, 10)
    site.appointment_id = visit.id
    # Online payment offered (keys saved; nothing calls Stripe), and a prepaid teleconsultation
    # left unpaid: the red markers and "Payer" are on the pages.
    from portal.billing import stripe_account
    from tests.billing_stripe.conftest import PK, SK, WHSEC
    practice.options = {**practice.options, "payments_online": True}
    stripe_account.save_keys(practice, publishable_key=PK, secret_key=SK, webhook_secret=WHSEC, actor=op)
    video = agenda.add_appointment_type(practitioner=owner_doc, name="Téléconsultation", code="TC",
                                        duration_minutes=20, actor=op, teleconsultation=True, prepayment=True,
                                        price_cents=2500)
    site.tele_id = agenda.book_appointment(practice=practice, practitioner_id=owner_doc.id,
                                           appointment_type_id=video.id, patient_id=lea.id,
                                           starts_at=at(site.day, 15), extra=True, actor=op,
                                           teleconsult_mobile="+33612345678").id
    book(hugo, site.day, 10, 40)
    if datetime.now(zone).hour < 23:  # today's, for the check-in QR code (late: still upcoming)
        book(lea, today, 23, 30)
    freed = book(hugo, site.day + timedelta(days=1), 11)
    waiting.add_to_waiting_list(practice=practice, practitioner_id=owner_doc.id, appointment_type_id=control.id,
                                patient=lea, actor=op, wishes="Plutôt le mercredi")
    agenda.cancel_appointment(freed, actor=op, reason="Empêchement")
    commit()
    assert waiting.make_offers(freed.id)
    commit()
    site.offer_token = _secret_in_last(factories.outbox(category="waiting_offer"), "/rdv/offre/")
    site.cancel_token = confirmations.cancel_token(visit)
    site.event_id = planning.add_event(practice=practice, practitioner_id=owner_doc.id, starts_on=site.day,
                                       ends_on=site.day, title="Formation aligneurs", actor=op).id
    schedule = _db.session.scalar(select(Schedule).where(Schedule.practitioner_id == owner_doc.id))
    site.replacement_id = setup.save_replacement(
        replacement=None, name="Vacances de Noël", practitioner=owner_doc, substitute=other_doc, schedule=schedule,
        starts_on=site.day, ends_on=site.day + timedelta(days=14), weekdays=0b11111, skipped_dates=[], actor=op).id
    agenda.take_days_off(practice=practice, practitioner_id=owner_doc.id, first=site.day + timedelta(days=30),
                         last=site.day + timedelta(days=34), label="Congés d'été", actor=op)
    invite = staff_admin.invite_staff(practice_id=practice.id, email="nouvelle@example.com", role=Role.secretary,
                                      by=staff[Role.owner], actor=op)
    site.invite_token = _secret_in_last(factories.outbox("nouvelle@example.com"), "/console/invitation/")
    assert invite.id
    staff_admin.request_password_reset(staff[Role.practitioner].email, actor=op)
    site.reset_token = _secret_in_last(factories.outbox(staff[Role.practitioner].email), "/console/mot-de-passe/")
    commit()
    sms = next(t for t in invitations.default_templates(practice) if t.channel.value == "sms")
    site.template_id = sms.id
    site.batch_id = invitations.send(practice=practice, plan=invitations.plan_for_patient(practice, sms, lea),
                                     token="every-page", mass=False, staff=staff[Role.owner], actor=op)[0].id
    commit()
    site.staff["new"] = factories.make_staff(practice, "practitioner", enrolled=False, first_name="Inès")
    site.practice, site.visit, site.lea = practice, visit, lea
    return site


def _after_patient_signin(site):
    """What needs the account the browser created: a pending request, a message, an .ics taken."""
    from portal.accounts.models import PatientAccount
    from portal.core.audit import Actor
    from portal.core.db import commit
    from portal.messaging import services as messaging
    from portal.patients import requests
    from portal.space import services as space

    practice, lea, visit = site.practice, site.lea, site.visit
    account = _db.session.scalar(select(PatientAccount).where(PatientAccount.practice_id == practice.id))
    actor = Actor.operator().become(account)
    requests.request_details_change(account, values={**requests.patient_details(lea), "birth_date": lea.birth_date, "city": "Beaune"}, patient=lea, actor=actor)
    messaging.send_contact_message(practice=practice, account=account, patient=lea, subject="Appareil cassé",
                                   body="Bonjour, la bague du haut s'est décollée hier soir.", actor=actor)
    messaging.reply(practice=practice, patient=lea, author=site.staff[OWNER], body="Passez demain à 9 h.",
                    upload=None, actor=Actor.operator())
    space.remember_calendar_addition(account, visit)  # the page shows once the .ics was taken
    commit()


def _secret_in_last(messages, prefix: str) -> str:
    from portal.notify.services import delivery_text
    assert messages, f"no message with a {prefix} link"
    return re.search(re.escape(prefix) + r"([^\s/?]+)", delivery_text(messages[-1])).group(1)


@pytest.fixture(scope="module")
def site(app, browser, live_server):
    site = _build(app)
    anon = _new_page(browser, live_server, PHONE)
    patient = _new_page(browser, live_server, PHONE)
    owner = _new_page(browser, live_server, DESKTOP)
    secretary = _new_page(browser, live_server, DESKTOP)
    throwaway = _new_page(browser, live_server, PHONE)
    site.pages = {ANON: anon, PATIENT: patient, OWNER: owner, SECRETARY: secretary}
    _patient_first_signin(site, patient, app)
    _after_patient_signin(site)
    _patient_returning(site, throwaway, app)
    _staff_signin(site, owner, app, site.staff[OWNER], check=True)
    _staff_signin(site, secretary, app, site.staff[SECRETARY])
    throwaway.context.clear_cookies()
    throwaway.set_viewport_size(DESKTOP)
    _staff_enrolment(site, throwaway, app, site.staff["new"])
    throwaway.context.clear_cookies()
    _newcomer_booking(site, throwaway, app)
    _patient_pick(site, owner, app)
    throwaway.context.close()
    yield site
    for page in site.pages.values():
        page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("endpoint", sorted(PAGES))
def test_page(endpoint, site, app):
    role, args = PAGES[endpoint]
    with app.test_request_context():
        url = url_for(endpoint, **args(site))
    page = site.pages[role]
    page.set_viewport_size(DESKTOP if url.startswith("/console") else PHONE)
    response = page.goto(url)
    problems = problems_of(page, app, endpoint, response.status if response else 0)
    assert not problems, f"{endpoint} ({url}) as {role}:\n" + "\n".join(problems)


@pytest.mark.browser
@pytest.mark.parametrize("endpoint", sorted(FLOW_STEPS))
def test_flow_step(endpoint, site):
    assert endpoint in site.found, f"{endpoint} was not reached by {FLOW_STEPS[endpoint]}"
    problems = site.found[endpoint]
    assert not problems, f"{endpoint} (in {FLOW_STEPS[endpoint]}):\n" + "\n".join(problems)
