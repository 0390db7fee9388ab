"""A newcomer booking a prepaid teleconsultation online owes nothing while the slot is only
held, and the fee once the SMS code confirms it; the confirmation page says it is unpaid and,
online payment not being offered, to pay the practice."""
from __future__ import annotations

import time_machine
from sqlalchemy import select

from portal.agenda.models import Appointment
from portal.billing.models import BillingItem, TeleconsultCharge
from portal.core.db import commit
from portal.extensions import db
from tests.agenda.conftest import week  # noqa: F401  (fixture)
from tests.booking.test_online_booking import NOW, ask, code_for, confirm, online, slots_on, text  # noqa: F401
from tests.billing_teleconsult.test_prepayment import element


def test_a_newcomer_owes_the_fee_once_confirmed(client, online):  # noqa: F811
    online.type.teleconsultation = online.type.prepayment = True
    online.type.price_cents = 3000
    commit()
    slot = slots_on(online)[0]
    with time_machine.travel(NOW):
        ask(client, online, slot)
        assert db.session.scalar(select(BillingItem)) is None  # held, not booked yet
        r = confirm(client, online, code_for())
        page = text(client.get(r.headers["Location"]))
    db.session.expire_all()
    appointment = db.session.scalar(select(Appointment))
    [item] = db.session.scalars(select(BillingItem)).all()
    assert (item.patient_id, item.amount_cents) == (appointment.patient_id, 3000)
    assert db.session.scalar(select(TeleconsultCharge.item_id).where(
        TeleconsultCharge.appointment_id == appointment.id)) == item.id
    box = element(page, "booking-prepayment")
    assert "non payée" in box and "Réglez-la au cabinet" in box and "teleconsult-pay" not in page
