"""Tenancy, proven by walking every endpoint (DESIGN invariant 1).

Two practices; in each, two patient accounts (one parent with two children, one with one) and
one staff member per role. Every principal requests every registered endpoint with the ids of
what it must not see: another practice's rows, and for patients another family's files. Each
answer must be a 404 (or a 403 / redirect to sign-in before any lookup), must not contain a
single marker of the other tenant, and must change nothing there.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select
from webauthn.helpers import bytes_to_base64url

from portal.accounts.models import (
    PatientAccount,
    PatientPasskey,
    Role,
    StaffToken,
    StaffUser,
)
from portal.accounts.patient_signin import account_for
from portal.accounts.staff_admin import invite_staff
from portal.agenda import planning, services as agenda, setup
from portal.agenda.models import (Appointment, AppointmentType, CalendarEvent, ExtraRange, Replacement, ScheduleRange,
                                  SecretaryRight, Unavailability, WaitingEntry)
from portal.agenda.waiting import add_to_waiting_list
from portal.billing.models import BillingFlag, BillingItem, Payment, Refund
from portal.booking import setup as booking
from portal.booking.models import BookingBan, BookingSettings, KnownContact, VisitReason
from portal.console.models import InvitationBatch, InvitationTemplate
from portal.core.audit import Actor
from portal.core.db import commit, utcnow
from portal.core.models import Practitioner
from portal.core.services import add_practitioner
from portal.extensions import db
from portal.notify.models import OutboxMessage, PatientNotice, ReminderRule
from portal.notify.services import queue_notice, queue_sms
from portal.patients.models import ChangeRequest, Patient
from portal.messaging.models import Message as PracticeMessage, MessageTemplate
from portal.messaging.attachments import Upload
from portal.messaging.predefined import add_template
from portal.messaging.services import reply, send_contact_message as send_message, send_from_patient
from tests.conftest import Auth, csrf_from


@dataclass
class Tenant:
    practice: object
    staff: dict = field(default_factory=dict)       # role -> StaffUser
    families: list = field(default_factory=list)    # [(phone, [patients])]
    invite: object = None
    message: object = None
    markers: list = field(default_factory=list)     # strings that only this tenant's pages may show
    accounts: list = field(default_factory=list)    # portal account ids
    account_by_phone: dict = field(default_factory=dict)
    passkeys: list = field(default_factory=list)    # one passkey id per account
    appointment: int = 0
    block: int = 0
    notices: list = field(default_factory=list)  # one patient-space notice per family
    rules: list = field(default_factory=list)  # issue 4 reminders: one reminder rule per account
    event: int = 0
    entry: int = 0                                  # a waiting-list entry
    setup: dict = field(default_factory=dict)       # URL arg -> id of an agenda or booking setting row
    requests: list = field(default_factory=list)    # one pending change request per family (issue 4 slice d)
    # per family: a message to the practice (Mon cabinet), one with a photo and a reply with a PDF (Messagerie)
    patient_messages: list = field(default_factory=list)


def build_tenant(tag: str, make_practice, make_staff, make_patient) -> Tenant:
    practice = make_practice(f"Cabinet {tag}")
    t = Tenant(practice)
    for role in Role:
        t.staff[role] = make_staff(practice, role, email=f"{role.value}.{tag.lower()}@example.com",
                                   last_name=f"Staff{tag}{role.value}")
    phones = {"A": ("06 11 11 11 11", "06 22 22 22 22"), "B": ("06 33 33 33 33", "06 44 44 44 44")}[tag]
    for i, phone in enumerate(phones):
        kids = [make_patient(practice, parent_mobile=phone, last_name=f"Fam{tag}{i}", first_name=f"Kid{tag}{i}{k}",
                             birth_date=date(2010 + k, 3, 4)) for k in range(2 - i)]
        t.families.append((phone, kids))
    t.invite = invite_staff(practice_id=practice.id, email=f"invitee.{tag.lower()}@example.com", role=Role.secretary,
                            by=t.staff[Role.owner], actor=Actor.operator())
    t.accounts = [account_for(kids[0], phone).id for phone, kids in t.families]
    t.account_by_phone = {phone: acc for (phone, _), acc in zip(t.families, t.accounts, strict=True)}
    for acc in t.accounts:
        key = PatientPasskey(practice_id=practice.id, account_id=acc, credential_id=bytes_to_base64url(f"cred-{tag}-{acc}".encode()),
                             public_key=b"k", sign_count=0, label=f"Clé {tag}{acc}")
        db.session.add(key)
        db.session.flush()
        t.passkeys.append(key.id)
    practitioner = add_practitioner(practice, first_name="Doc", last_name=f"Agenda{tag}", actor=Actor.operator())
    kind = agenda.add_appointment_type(practitioner=practitioner, name="Contrôle", duration_minutes=20,
                                       actor=Actor.operator())
    soon = utcnow().replace(microsecond=0) + timedelta(days=30)
    t.appointment = agenda.book_appointment(practice=practice, practitioner_id=practitioner.id,
                                           appointment_type_id=kind.id, patient_id=t.families[0][1][0].id,
                                           starts_at=soon, actor=Actor.operator(), extra=True).id
    t.block = agenda.block_time(practice=practice, practitioner_id=practitioner.id, starts_at=soon + timedelta(hours=2),
                                ends_at=soon + timedelta(hours=3), actor=Actor.operator()).id
    t.event = planning.add_event(practice=practice, practitioner_id=practitioner.id, starts_on=soon.date(),
                                 ends_on=soon.date(), title=f"Post-it {tag}", actor=Actor.operator()).id
    t.entry = add_to_waiting_list(practice=practice, practitioner_id=practitioner.id, appointment_type_id=kind.id,
                                  patient=t.families[1][1][0], actor=Actor.operator()).id
    schedule = agenda.create_schedule(practitioner=practitioner, name=f"Semaine {tag}", actor=Actor.operator())
    weekly = agenda.add_range(schedule, weekday=0, starts=time(9), ends=time(12), appointment_type=kind,
                              actor=Actor.operator())
    extra = setup.add_extra_ranges(practitioner=practitioner, types=[kind], days=[soon.date()], starts=time(18),
                                   ends=time(19), actor=Actor.operator())[0]
    substitute = setup.add_substitute(practice, title="Dr", first_name="Sub", last_name=f"Stitute{tag}",
                                      actor=Actor.operator())
    replacement = setup.save_replacement(replacement=None, name=f"Noël {tag}", practitioner=practitioner,
                                         substitute=substitute, schedule=schedule, starts_on=soon.date(),
                                         ends_on=soon.date() + timedelta(days=7), weekdays=0b11111,
                                         skipped_dates=[], actor=Actor.operator())
    t.setup = {
        "practitioner_id": practitioner.id, "type_id": kind.id, "range_id": weekly.id, "extra_id": extra.id,
        "replacement_id": replacement.id,
        "contact_id": booking.add_known_contact(practice_id=practice.id, value=f"known.{tag.lower()}@example.com",
                                                actor=Actor.operator()).id,
        "ban_id": booking.add_ban(practice_id=practice.id, value=f"banned.{tag.lower()}@example.com", reason="",
                                  actor=Actor.operator()).id,
        "reason_id": booking.add_reason(practice_id=practice.id, label=f"Motif {tag}", actor=Actor.operator()).id,
    }
    for phone, kids in t.families:  # Mon cabinet's contact form, once per family
        account = db.session.get(PatientAccount, t.account_by_phone[phone])
        t.patient_messages.append(send_message(practice=practice, account=account, patient=kids[0],
                                               subject=f"Objet {tag}{phone[-2:]}", body=f"Texte {tag}",
                                               actor=Actor.operator()).id)
        # Messagerie: a photo from the family, and the practice's reply with a PDF
        photo = Upload(data=b"\xff\xd8 not decoded here", name=f"photo-{tag}.jpg", mime="image/jpeg")
        t.patient_messages.append(send_from_patient(practice=practice, account=account, patient=kids[0],
                                                    body=f"Texte {tag}", upload=photo, actor=Actor.operator()).id)
        t.patient_messages.append(reply(practice=practice, patient=kids[0], author=t.staff[Role.owner],
                                        body=f"Texte {tag}", actor=Actor.operator(),
                                        upload=Upload(data=b"%PDF-1.4", name=f"doc-{tag}.pdf",
                                                      mime="application/pdf")).id)
    t.setup["template_id"] = add_template(practice_id=practice.id, body=f"Modèle {tag}", actor=Actor.operator(),
                                          upload=Upload(data=b"%PDF-1.4", name=f"modele-{tag}.pdf",
                                                        mime="application/pdf")).id
    t.markers += [f"Modèle {tag}"]
    t.message = queue_sms(practice_id=practice.id, to="+33655555555", body=f"Rappel {tag}", key=f"tenancy-{tag}",
                          category="manual")
    for i, (_phone, kids) in enumerate(t.families):
        queue_notice(practice_id=practice.id, patient_id=kids[0].id, text=f"Avis {tag}{i}", key=f"tenancy-{tag}{i}",
                     category="manual")
    for acc in t.accounts:  # issue 4 reminders: a rule per account, to be removed by nobody else
        rule = ReminderRule(practice_id=practice.id, account_id=acc, days_before=3, at_time=time(18), sms=True)
        db.session.add(rule)
        db.session.flush()
        db.session.get(PatientAccount, acc).reminders_customised = True
        t.rules.append(rule.id)
    _add_change_requests(t)  # issue 4, slice d
    _add_invitations(t)
    _add_ledger(t)
    commit()
    t.notices = [n.id for n in db.session.scalars(select(PatientNotice).where(  # one per family, not the replies'
        PatientNotice.practice_id == practice.id, PatientNotice.category == "manual").order_by(PatientNotice.id))]
    t.markers += ([p.first_name for _, kids in t.families for p in kids] + [u.email for u in t.staff.values()]
                 + [f"invitee.{tag.lower()}@example.com", f"Rappel {tag}"]
                 + [f"Clé {tag}{acc}" for acc in t.accounts] + [f"Post-it {tag}"]
                 + [f"known.{tag.lower()}@example.com", f"banned.{tag.lower()}@example.com", f"Motif {tag}",
                    f"Noël {tag}", f"Stitute{tag}", f"Semaine {tag}", f"Texte {tag}"])
    return t


def _add_change_requests(t: Tenant) -> None:
    """Issue 4, slice d: one pending "Mes infos" request per family, renaming its first child to
    a marker that no one else may see."""
    from portal.accounts.models import PatientAccount as Account
    from portal.patients.requests import request_details_change

    tag = t.practice.name[-1]
    for i, ((_phone, kids), acc) in enumerate(zip(t.families, t.accounts, strict=True)):
        kid = kids[0]
        values = {"last_name": kid.last_name, "first_name": f"Renamed{tag}{i}", "birth_date": kid.birth_date,
                  "email": "", "mobile": "", "address": "", "postal_code": "", "city": ""}
        t.requests.append(request_details_change(db.session.get(Account, acc), values=values, patient=kid,
                                                 actor=Actor.operator()).id)
        t.markers.append(f"Renamed{tag}{i}")


def _add_invitations(t: Tenant) -> None:
    """Console Invitations: a template and a letter sent with it, under names no one else may see."""
    from portal.console import invitations

    tag = t.practice.name[-1]
    kid = t.families[0][1][0]
    kid.address, kid.postal_code, kid.city = f"Rue {tag}", "21000", "Dijon"
    template = invitations.save_template(practice=t.practice, template=None, name=f"Gabarit{tag}", channel="letter",
                                         subject="", body=f"Texte gabarit {tag} @PNOM", actor=Actor.operator())
    plan = invitations.plan_for_patient(t.practice, template, kid)
    batch, _created = invitations.send(practice=t.practice, plan=plan, token=f"tenancy-{tag}", mass=False, staff=None,
                                       actor=Actor.operator())
    # <template_id> names a predefined message (Messagerie) and an invitation template: walk both.
    t.setup.update(template_id=[t.setup["template_id"], template.id], batch_id=batch.id)
    t.markers += [f"Gabarit{tag}", f"Texte gabarit {tag}"]


def _add_ledger(t: Tenant) -> None:
    """Paiements: an installment per family's first child, half paid, under labels no one else may see."""
    from portal.billing import services as billing
    from portal.billing.models import ItemKind, PaymentMethod

    tag = t.practice.name[-1]
    items, payments = [], []
    for i, (_phone, kids) in enumerate(t.families):
        item = billing.add_item(practice=t.practice, patient=kids[0], kind=ItemKind.installment,
                                label=f"Poste {tag}{i}", amount_cents=20000, due_date=date(2025, 1, 1),
                                actor=Actor.operator())
        payment = billing.record_payment(practice=t.practice, patient=kids[0], amount_cents=10000,
                                         method=PaymentMethod.cheque, paid_on=date(2025, 1, 2),
                                         actor=Actor.operator())
        items.append(item.id)
        payments.append(payment.id)
        t.markers.append(f"Poste {tag}{i}")
    t.setup["item_id"] = items
    # Paiements à vérifier: one open flag per practice, its message a marker.
    from portal.billing.flags import raise_flag
    from portal.billing.models import FlagKind

    raise_flag(practice_id=t.practice.id, kind=FlagKind.unmatched, session_id=f"cs_test_{tag}",
               message=f"Session orpheline {tag}", amount_cents=1234)
    t.setup["flag_id"] = db.session.scalar(select(BillingFlag.id).where(BillingFlag.practice_id == t.practice.id))
    t.markers.append(f"Session orpheline {tag}")
    t.setup["payment_id"] = payments  # refund, correct, delete


def snapshot(t: Tenant, db) -> dict:
    """What a cross-tenant request could have changed."""
    db.session.expire_all()
    return {
        "patients": [(p.id, p.do_not_share_online) for p in db.session.scalars(
            select(Patient).where(Patient.practice_id == t.practice.id).order_by(Patient.id))],
        "staff": [(u.id, u.role, u.active) for u in db.session.scalars(
            select(StaffUser).where(StaffUser.practice_id == t.practice.id).order_by(StaffUser.id))],
        "invites": [(i.id, i.used_at) for i in db.session.scalars(
            select(StaffToken).where(StaffToken.practice_id == t.practice.id))],
        "accounts": [(x.id, x.password_hash) for x in db.session.scalars(
            select(PatientAccount).where(PatientAccount.practice_id == t.practice.id).order_by(PatientAccount.id))],
        "appointments": [(x.id, x.status) for x in db.session.scalars(
            select(Appointment).where(Appointment.practice_id == t.practice.id).order_by(Appointment.id))],
        "waiting": [(x.id, x.status) for x in db.session.scalars(
            select(WaitingEntry).where(WaitingEntry.practice_id == t.practice.id).order_by(WaitingEntry.id))],
        "blocks": sorted(db.session.scalars(select(Unavailability.id).where(
            Unavailability.practice_id == t.practice.id))),
        "events": [(e.id, e.title, e.starts_on) for e in db.session.scalars(
            select(CalendarEvent).where(CalendarEvent.practice_id == t.practice.id).order_by(CalendarEvent.id))],
        "passkeys": sorted(db.session.scalars(select(PatientPasskey.id).where(
            PatientPasskey.practice_id == t.practice.id))),
        "rules": sorted(db.session.scalars(select(ReminderRule.id).where(  # issue 4 reminders
            ReminderRule.practice_id == t.practice.id))),
        "notices": [(n.id, n.read_at) for n in db.session.scalars(
            select(PatientNotice).where(PatientNotice.practice_id == t.practice.id).order_by(PatientNotice.id))],
        "templates": [(x.id, x.body, x.attachment_key) for x in db.session.scalars(
            select(MessageTemplate).where(MessageTemplate.practice_id == t.practice.id).order_by(MessageTemplate.id))],
        "setup": [
            sorted((x.id, x.name, x.duration_minutes, x.position, x.active) for x in db.session.scalars(
                select(AppointmentType).where(AppointmentType.practice_id == t.practice.id))),
            sorted(db.session.scalars(select(ScheduleRange.id).where(ScheduleRange.practice_id == t.practice.id))),
            sorted(db.session.scalars(select(ExtraRange.id).where(ExtraRange.practice_id == t.practice.id))),
            sorted((x.id, x.name, x.skipped_dates) for x in db.session.scalars(
                select(Replacement).where(Replacement.practice_id == t.practice.id))),
            sorted(db.session.scalars(select(KnownContact.value).where(KnownContact.practice_id == t.practice.id))),
            sorted(db.session.scalars(select(BookingBan.value).where(BookingBan.practice_id == t.practice.id))),
            sorted((x.id, x.label, x.position) for x in db.session.scalars(
                select(VisitReason).where(VisitReason.practice_id == t.practice.id))),
            sorted((x.id, x.specialty, x.diplomas, x.active) for x in db.session.scalars(
                select(Practitioner).where(Practitioner.practice_id == t.practice.id))),
            sorted((x.staff_user_id, x.practitioner_id, x.can_manage, x.can_configure) for x in db.session.scalars(
                select(SecretaryRight).where(SecretaryRight.practice_id == t.practice.id))),
            [(x.mode, x.video_base_url) for x in db.session.scalars(
                select(BookingSettings).where(BookingSettings.practice_id == t.practice.id))],
        ],
        "invitations": [sorted((x.id, x.name, x.body) for x in db.session.scalars(
            select(InvitationTemplate).where(InvitationTemplate.practice_id == t.practice.id))),
            sorted((x.id, x.recipients) for x in db.session.scalars(
                select(InvitationBatch).where(InvitationBatch.practice_id == t.practice.id)))],
        "change_requests": [(x.id, x.state) for x in db.session.scalars(
            select(ChangeRequest).where(ChangeRequest.practice_id == t.practice.id).order_by(ChangeRequest.id))],
        "patient_messages": [(m.id, m.read_at, m.body) for m in db.session.scalars(
            select(PracticeMessage).where(PracticeMessage.practice_id == t.practice.id).order_by(PracticeMessage.id))],
        "ledger": [sorted((x.id, x.label, x.amount_cents) for x in db.session.scalars(
            select(BillingItem).where(BillingItem.practice_id == t.practice.id))),
            sorted((x.id, x.amount_cents, x.method, x.reference) for x in db.session.scalars(
                select(Payment).where(Payment.practice_id == t.practice.id))),
            sorted((x.id, x.resolved_at) for x in db.session.scalars(
                select(BillingFlag).where(BillingFlag.practice_id == t.practice.id))),
            sorted(db.session.scalars(select(Refund.id).where(Refund.practice_id == t.practice.id)))],
        "outbox": [(m.id, m.status, m.attempts) for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id == t.message.id))],
    }


# How to fill each URL argument with something the principal must not reach.
def foreign_values(arg: str, principal, mine: Tenant, other: Tenant) -> list:
    if arg == "patient_id":
        values = [p.id for _, kids in other.families for p in kids]
        if principal[0] == "patient":  # another family of the same practice is just as foreign
            values += [p.id for phone, kids in mine.families if phone != principal[1] for p in kids]
        return values
    if arg == "staff_id":
        return [u.id for u in other.staff.values()]
    if arg == "invite_id":
        return [other.invite.id]
    if arg == "message_id":
        return [other.message.id]
    if arg == "account_id":
        return other.accounts
    if arg == "appointment_id":
        return [other.appointment]
    if arg == "entry_id":
        return [other.entry]
    if arg == "unavailability_id":
        return [other.block]
    if arg == "event_id":
        return [other.event]
    if arg == "passkey_id":
        values = list(other.passkeys)
        if principal[0] == "patient":  # another family's passkey in the same practice
            values += [pk for acc, pk in zip(mine.accounts, mine.passkeys, strict=True)
                       if acc != mine.account_by_phone[principal[1]]]
        return values
    if arg == "notice_id":
        values = list(other.notices)
        if principal[0] == "patient":  # another family's notice in the same practice
            values += [n for (phone, _kids), n in zip(mine.families, mine.notices, strict=True) if phone != principal[1]]
        return values
    if arg == "rule_id":  # issue 4 reminders
        values = list(other.rules)
        if principal[0] == "patient":  # another family's rule in the same practice
            values += [r for acc, r in zip(mine.accounts, mine.rules, strict=True)
                       if acc != mine.account_by_phone[principal[1]]]
        return values
    if arg == "patient_message_id":
        values = list(other.patient_messages)
        if principal[0] == "patient":  # another family's conversation in the same practice (3 per family)
            values += [m for i, (phone, _kids) in enumerate(mine.families) if phone != principal[1]
                       for m in mine.patient_messages[3 * i:3 * i + 3]]
        return values
    if arg == "token":
        # Signed or random secrets, not ids: each is tested against other practices in its own tests.
        return []
    if arg == "slug":
        # A practice's booking page is public by design (its name is the point): nothing to walk.
        # tests/booking/test_online_booking.py checks that a link of one practice does nothing
        # under another's address.
        return []
    if arg == "webhook_id":
        # Stripe's webhook: public by design, a random id per practice, and nothing is done without
        # the practice's signature. tests/billing_stripe/test_webhook.py checks that an event signed
        # for one practice is refused at another's address.
        return []
    if arg == "request_id":
        values = list(other.requests)
        if principal[0] == "patient":  # another family's request in the same practice
            values += [r for (phone, _kids), r in zip(mine.families, mine.requests, strict=True) if phone != principal[1]]
        return values
    if arg in other.setup:
        value = other.setup[arg]
        return list(value) if isinstance(value, list) else [value]
    raise AssertionError(f"test_tenancy does not know how to fill <{arg}>: teach foreign_values()")


# Global secrets rather than tenant ids, and sign-out (it would end the walk's own session).
# offers.*: a waiting-list offer's only argument is its random token, a global secret.
SKIPPED_ENDPOINTS = {"accounts.accept_invitation", "accounts.staff_reset", "accounts.signout", "offers.offer",
                     "offers.accept"}


@pytest.fixture
def tenants(app, tmp_path, make_practice, make_staff, make_patient):
    before, app.config["FILES_DIR"] = app.config["FILES_DIR"], str(tmp_path)  # the tenants' files, apart
    yield build_tenant("A", make_practice, make_staff, make_patient), build_tenant("B", make_practice, make_staff,
                                                                                   make_patient)
    app.config["FILES_DIR"] = before


def sign_in(app, principal, tenant: Tenant):
    client = app.test_client()
    auth = Auth(client)
    if principal[0] == "staff":
        auth.staff(tenant.staff[principal[1]])
    elif principal[0] == "patient":
        phone = principal[1]
        kids = dict(tenant.families)[phone]
        auth.patient_first_signin(kids[0], phone)
    return client


def principals(t: Tenant):
    yield ("anonymous", None)
    for role in Role:
        yield ("staff", role)
    for phone, _ in t.families:
        yield ("patient", phone)


def test_nobody_reaches_another_tenants_data(app, db, tenants):
    a, b = tenants
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static" and r.endpoint not in SKIPPED_ENDPOINTS]
    checked = 0
    for mine, other in ((a, b), (b, a)):
        other_before = snapshot(other, db)  # taken after the other's own sign-ins, which change it
        for principal in principals(mine):
            client = sign_in(app, principal, mine)
            # markers of the other tenant, and for a patient, of the other family in the same practice
            forbidden = list(other.markers)
            if principal[0] == "patient":
                forbidden += [p.first_name for phone, kids in mine.families if phone != principal[1] for p in kids]
            for rule in rules:
                methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
                arg_sets = [{}]
                for arg in rule.arguments:
                    arg_sets = [{**s, arg: v} for s in arg_sets for v in foreign_values(arg, principal, mine, other)]
                for args in arg_sets:
                    url = _build(app, rule.endpoint, args)
                    for method in methods:
                        if method == "POST":
                            page = client.get("/console/" if principal[0] == "staff" else
                                              "/menu" if principal[0] == "patient" else "/connexion?autre=1")
                            token = csrf_from(page.get_data(as_text=True))
                            r = client.post(url, data={"csrf_token": token, "do_not_share": "1", "active": "0",
                                                       "role": "secretary", "lang": "fr"})
                        else:
                            r = client.get(url)
                        body = r.get_data(as_text=True)
                        leaked = [m for m in forbidden if m in body]
                        assert not leaked, f"{principal} {method} {url} shows {leaked}"
                        if args:
                            assert r.status_code in (302, 303, 403, 404), f"{principal} {method} {url}: {r.status_code}"
                            if r.status_code in (302, 303):
                                assert re.search(r"/(console/)?connexion", r.headers["Location"]), \
                                    f"{principal} {method} {url} redirected to {r.headers['Location']}"
                        checked += 1
            # searches for the other tenant's people find nothing
            if principal[0] == "staff":
                for q in (other.families[0][1][0].last_name, other.families[0][0]):
                    body = client.get("/console/patients/", query_string={"q": q}).get_data(as_text=True)
                    assert not [m for m in forbidden if m in body], f"{principal} search {q!r} leaks"
        assert snapshot(other, db) == other_before, f"{mine.practice.name} changed the other practice's data"
    assert checked > 100


def _build(app, endpoint, args):
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **args)


def test_staff_see_only_their_practice(app, tenants):
    a, b = tenants
    client = sign_in(app, ("staff", Role.secretary), a)
    listing = client.get("/console/patients/").get_data(as_text=True)
    assert "KidA00" in listing and "KidB00" not in listing
    assert "Rappel A" in client.get("/console/messages-envoyes/").get_data(as_text=True)
    assert client.get(f"/console/patients/{b.families[0][1][0].id}").status_code == 404


def test_a_parent_sees_exactly_their_children(app, tenants):
    a, _ = tenants
    phone, kids = a.families[0]
    client = sign_in(app, ("patient", phone), a)
    home = client.get("/").get_data(as_text=True)
    assert all(k.first_name in home for k in kids)
    other_kid = a.families[1][1][0]
    assert other_kid.first_name not in home
    page = client.get("/menu").get_data(as_text=True)
    r = client.post(f"/patients/{other_kid.id}/afficher", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 404


def test_staff_cannot_reset_another_practices_account_through_their_own_patient(app, tenants, db):
    a, b = tenants
    client = sign_in(app, ("staff", Role.owner), a)
    own_patient = a.families[0][1][0]
    page = client.get(f"/console/patients/{own_patient.id}").get_data(as_text=True)
    r = client.post(f"/console/patients/{own_patient.id}/acces/{b.accounts[0]}/reinitialiser",
                    data={"csrf_token": csrf_from(page)})
    assert r.status_code == 404
