"""Seed 004's prepaid teleconsultations: the fee added at booking and tied to the visit, nothing
for other types, red "non payée" on the planning, the past visits (on top) and the patient
search until staff mark it paid (once, by an offline method, audited), 404 for another
practice's visit, and what cancelling or moving does to the fee."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.agenda import desk as agenda_desk, services as agenda
from portal.billing import services, teleconsult
from portal.billing.models import BillingItem, Payment, PaymentMethod, TeleconsultCharge
from portal.core.audit import Actor
from portal.core.db import commit
from portal.core.errors import Conflict, Invalid
from portal.core.models import AuditEvent
from portal.extensions import db
from tests.billing.conftest import OPERATOR, text
from tests.billing_teleconsult.conftest import PRICE, book
from tests.conftest import csrf_from


def element(page: str, root_id: str) -> str:
    """The markup of the element whose id is `root_id` (up to its closing tag), "" if absent."""
    match = re.search(rf'<(\w+)[^>]*\bid="{re.escape(root_id)}"', page)
    if not match:
        return ""
    end = page.find(f"</{match.group(1)}>", match.end())
    return page[match.start():end]


def _items(child):
    db.session.expire_all()
    return db.session.scalars(select(BillingItem).where(BillingItem.patient_id == child.id)).all()


def test_prepaid_booking_adds_the_fee_tied_to_the_visit(tele):
    appointment = book(tele, tele.video)
    [item] = _items(tele.child)
    day = agenda_desk.day_of(tele.practice, appointment.starts_at)
    assert item.label == f"Téléconsultation du {day.strftime('%d/%m/%Y')}"
    assert (item.amount_cents, item.kind.value, item.care_date) == (PRICE, "fee", day)
    assert item.due_date == services.practice_today(tele.practice)
    charge = db.session.scalar(select(TeleconsultCharge).where(TeleconsultCharge.appointment_id == appointment.id))
    assert (charge.item_id, charge.practice_id) == (item.id, tele.practice.id)
    assert teleconsult.unpaid_appointments(practice_id=tele.practice.id, appointment_ids=[appointment.id]) == \
        {appointment.id}


def test_other_types_owe_nothing_at_booking(tele):
    book(tele, tele.plain)
    book(tele, tele.free_video)  # a teleconsultation without prepayment
    assert _items(tele.child) == []
    assert db.session.scalar(select(TeleconsultCharge)) is None


def test_red_on_planning_and_search_until_staff_mark_it_paid(tele, desk):
    appointment = book(tele, tele.video)
    staff = desk(tele.owner)
    day = agenda_desk.day_of(tele.practice, appointment.starts_at).isoformat()
    pages = {"week": (f"/console/agenda/semaine?praticien={tele.practitioner.id}&jour={day}",
                      f"planning-appointment-{appointment.id}"),
             "day": (f"/console/agenda/?praticien={tele.practitioner.id}&jour={day}", f"appointment-{appointment.id}"),
             "everyone": (f"/console/agenda/tous?jour={day}", f"planning-appointment-{appointment.id}"),
             "search": ("/console/patients/?q=Martin", f"patient-{tele.child.id}"),
             "file": (f"/console/patients/{tele.child.id}?rubrique=rendez-vous", f"appointment-{appointment.id}")}
    for name, (url, root) in pages.items():
        row = element(text(staff.get(url)), root)
        assert "non payée" in row and "teleconsult-unpaid" in row, name
    page = text(staff.get(f"/console/agenda/rendez-vous/{appointment.id}"))
    assert 'id="appointment-unpaid"' in page
    r = staff.post(f"/console/agenda/rendez-vous/{appointment.id}/payee",
                   data={"csrf_token": csrf_from(page), "method": "cheque", "reference": "1234567"})
    assert r.status_code == 303
    db.session.expire_all()
    [payment] = db.session.scalars(select(Payment).where(Payment.patient_id == tele.child.id)).all()
    assert (payment.amount_cents, payment.method, payment.reference) == (PRICE, PaymentMethod.cheque, "1234567")
    assert [a.item_id for a in payment.allocations] == [_items(tele.child)[0].id]
    assert payment.recorded_by_id == tele.owner.id
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "billing.payment_recorded"))
    for name, (url, root) in pages.items():
        row = element(text(staff.get(url)), root)
        assert row and "non payée" not in row and "teleconsult-unpaid" not in row, name
    assert 'id="appointment-paid"' in text(staff.get(f"/console/agenda/rendez-vous/{appointment.id}"))
    # twice: refused, clearly, and nothing more recorded
    again = staff.post(f"/console/agenda/rendez-vous/{appointment.id}/payee",
                       data={"csrf_token": csrf_from(page), "method": "cash"})
    assert again.status_code == 409 and "déjà réglée" in text(again)
    assert len(db.session.scalars(select(Payment).where(Payment.patient_id == tele.child.id)).all()) == 1


def test_mark_paid_checks_the_method_and_needs_a_fee(tele):
    video, plain = book(tele, tele.video), book(tele, tele.plain)
    with pytest.raises(Invalid):
        teleconsult.mark_paid(practice=tele.practice, appointment=video, method="online", actor=OPERATOR)
    with pytest.raises(Exception) as caught:
        teleconsult.mark_paid(practice=tele.practice, appointment=plain, method="cheque", actor=OPERATOR)
    assert caught.value.status == 404
    teleconsult.mark_paid(practice=tele.practice, appointment=video, method="card", actor=OPERATOR)
    with pytest.raises(Conflict):
        teleconsult.mark_paid(practice=tele.practice, appointment=video, method="card", actor=OPERATOR)


def test_another_practices_visit_answers_404(tele, desk, make_practice, make_staff):
    from portal.accounts.models import Role

    appointment = book(tele, tele.video)
    stranger = desk(make_staff(make_practice("Ailleurs"), Role.owner))
    page = stranger.get("/console/patients/")
    r = stranger.post(f"/console/agenda/rendez-vous/{appointment.id}/payee",
                      data={"csrf_token": csrf_from(text(page)), "method": "cheque"})
    assert r.status_code == 404
    assert db.session.scalar(select(Payment)) is None


def test_past_unpaid_teleconsultations_head_the_past_visits(tele, desk):
    seen, owed = book(tele, tele.plain, days=1), book(tele, tele.video, days=1)
    for a in (seen, owed):  # as if they had taken place last week
        a.starts_at, a.ends_at = a.starts_at - timedelta(days=8), a.ends_at - timedelta(days=8)
    commit()
    page = text(desk(tele.owner).get(f"/console/agenda/passe?praticien={tele.practitioner.id}"))
    assert page.index('id="agenda-past-unpaid"') < page.index('id="agenda-past-visits"')
    assert page.index(f'id="past-appointment-{owed.id}"') < page.index(f'id="past-appointment-{seen.id}"')
    assert "non payée" in page


def test_cancelling_removes_an_unpaid_fee_and_keeps_a_paid_one(tele):
    unpaid, paid = book(tele, tele.video), book(tele, tele.video, index=1)
    teleconsult.mark_paid(practice=tele.practice, appointment=paid, method="transfer", actor=OPERATOR)
    commit()
    staff = Actor("staff", id=tele.owner.id, practice_id=tele.practice.id)
    agenda_desk.cancel_at_desk(tele.practice, unpaid, reason="", actor=staff)
    agenda_desk.cancel_at_desk(tele.practice, paid, reason="", actor=staff)
    commit()
    [kept] = _items(tele.child)
    assert teleconsult.charge_of(unpaid) is None and teleconsult.charge_of(paid).item_id == kept.id
    assert "remboursement peut être dû" in paid.note
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "billing.teleconsult_cancelled_paid"))
    assert teleconsult.unpaid_patients(practice_id=tele.practice.id, patient_ids=[tele.child.id]) == set()


def test_a_moved_teleconsultation_keeps_its_fee(tele):
    appointment = book(tele, tele.video)
    later = agenda.free_slots(practice=tele.practice, practitioner_id=tele.practitioner.id,
                              first=agenda_desk.day_of(tele.practice, appointment.starts_at) + timedelta(days=1),
                              last=agenda_desk.day_of(tele.practice, appointment.starts_at) + timedelta(days=1),
                              appointment_type_id=tele.video.id)[0]
    moved = agenda_desk.move_appointment(appointment, practice=tele.practice, starts_at=later.starts_at,
                                         extra=False, actor=OPERATOR)
    commit()
    [item] = _items(tele.child)
    assert teleconsult.charge_of(moved).item_id == item.id and teleconsult.charge_of(appointment) is None
    assert item.care_date == agenda_desk.day_of(tele.practice, moved.starts_at)
    assert later.local_start.strftime("%d/%m/%Y") in item.label


def test_type_settings_prepayment_needs_a_teleconsultation_and_a_price(tele, desk):
    staff = desk(tele.owner)
    url = f"/console/agenda/reglages/types/{tele.plain.id}"
    page = text(staff.get(url))
    base = {"csrf_token": csrf_from(page), "name": "Contrôle", "code": "CONT", "duration_minutes": "30",
            "color": "#0b6e6e", "min_notice_hours": "24", "max_days_ahead": "90", "cancel_deadline_hours": "48",
            "prepayment": "y"}
    r = staff.post(url, data=base)
    assert r.status_code == 422 and "ne concerne que les téléconsultations" in text(r)
    r = staff.post(url, data={**base, "teleconsultation": "y"})
    assert r.status_code == 422 and "Indiquez le prix" in text(r)
    r = staff.post(url, data={**base, "teleconsultation": "y", "price": "abc"})
    assert r.status_code == 422 and 'value="abc"' in text(r)
    r = staff.post(url, data={**base, "teleconsultation": "y", "price": "30,50"})
    assert r.status_code == 303
    db.session.expire_all()
    assert (tele.plain.prepayment, tele.plain.price_cents) == (True, 3050)
    assert 'value="30,50"' in text(staff.get(url))
