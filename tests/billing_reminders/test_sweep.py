"""The overdue-payment sweep: the first reminder on the due date + N (not N − 1), the next at
+ N + M, at most K, each item/step/channel once however often it runs, a missed day catching up
with the latest step only, the amount that remains after a partial payment, nothing once paid or
when the module or the reminders are off."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from portal.billing import reminders, services
from portal.billing.models import PaymentMethod
from portal.core.audit import Actor
from portal.core.db import commit
from portal.extensions import db
from portal.notify.services import delivery_text
from tests.billing_reminders.conftest import (DUE, FINANCIAL_EMAIL, FINANCIAL_MOBILE, OPERATOR, add, keys, sent,
                                              sweep)


def test_first_reminder_on_day_n_not_before(overdue):
    practice, child, item = overdue
    assert sweep(DUE + timedelta(days=2)) == 0 and sent() == []
    assert sweep(DUE + timedelta(days=3)) == 2
    email, sms = sorted(sent(), key=lambda m: m.channel.value)
    assert (email.key, email.recipient) == (f"overdue:{item.id}:0:email", FINANCIAL_EMAIL)
    assert (sms.key, sms.recipient) == (f"overdue:{item.id}:0:sms", FINANCIAL_MOBILE)
    for text in (email.subject + email.body, sms.body):
        assert "Cabinet Paiements" in text and "1er semestre" in text and "01/09/2026" in text
        assert "390,00" in text.replace("\u202f", " ").replace("\u00a0", " ")
    assert "Léa Martin" in email.body and "Léa" in sms.body
    # No online payment in this practice: no link, the way to pay instead.
    assert "/paiements/lien/" not in delivery_text(email) and "adressez-vous au cabinet" in email.body


def test_next_every_m_days_and_at_most_k(overdue):
    practice, child, item = overdue
    first_seen = {}
    for n in range(0, 45):
        sweep(DUE + timedelta(days=n))
        for key in keys(item):
            first_seen.setdefault(key, n)
    assert first_seen == {f"overdue:{item.id}:{step}:{channel}": 3 + 7 * step
                          for step in range(3) for channel in ("email", "sms")}
    assert len(sent(item)) == 6  # 3 reminders, 2 channels


def test_running_twice_sends_once(overdue):
    assert sweep(DUE + timedelta(days=3)) == 2
    assert sweep(DUE + timedelta(days=3)) == 0
    assert sweep(DUE + timedelta(days=5)) == 0
    assert len(sent()) == 2


def test_missed_days_catch_up_with_the_latest_step_only(overdue):
    practice, child, item = overdue
    assert sweep(DUE + timedelta(days=18)) == 2
    assert sorted(keys(item)) == [f"overdue:{item.id}:2:email", f"overdue:{item.id}:2:sms"]
    assert sweep(DUE + timedelta(days=100)) == 0  # past the last step: nothing more


def test_partial_payment_keeps_reminding_with_what_remains(overdue):
    practice, child, item = overdue
    sweep(DUE + timedelta(days=3))
    services.record_payment(practice=practice, patient=child, amount_cents=10000, method=PaymentMethod.cheque,
                            paid_on=services.practice_today(practice), actor=OPERATOR)
    commit()
    assert sweep(DUE + timedelta(days=10)) == 2
    second = next(m for m in sent(item) if m.key == f"overdue:{item.id}:1:email")
    assert "290,00" in second.body.replace("\u202f", " ").replace("\u00a0", " ")


def test_fully_paid_stops(overdue):
    practice, child, item = overdue
    sweep(DUE + timedelta(days=3))
    services.record_payment(practice=practice, patient=child, amount_cents=39000, method=PaymentMethod.transfer,
                            paid_on=services.practice_today(practice), actor=OPERATOR)
    commit()
    assert sweep(DUE + timedelta(days=10)) == 0 and sweep(DUE + timedelta(days=17)) == 0
    assert len(sent(item)) == 2


def test_module_or_reminders_off_sends_nothing(overdue):
    practice, child, item = overdue
    practice.options = {**(practice.options or {}), "payments": False}
    commit()
    assert sweep(DUE + timedelta(days=3)) == 0
    practice.options = {**practice.options, "payments": True}
    reminders.save_settings(practice, enabled=False, first_after_days="3", every_days="7", max_count="3",
                            by_email=True, by_sms=True, actor=Actor.operator())
    commit()
    assert sweep(DUE + timedelta(days=3)) == 0 and sent() == []


def test_channels_and_recipient_fallback(overdue, make_patient):
    practice, child, item = overdue
    reminders.save_settings(practice, enabled=True, first_after_days="3", every_days="7", max_count="3",
                            by_email=False, by_sms=True, actor=Actor.operator())
    adult = make_patient(practice, last_name="Seul", first_name="Marc", email="marc@example.org",
                         mobile="06 99 88 77 66")
    own = add(practice, adult, label="Honoraires", amount=5000)
    assert own.responsible_id is None
    sweep(DUE + timedelta(days=3))
    assert [(m.channel.value, m.recipient) for m in sent(own)] == [("sms", "+33699887766")]
    assert [m.channel.value for m in sent(item)] == ["sms"]


def test_statements_do_not_grow_with_items(overdue, make_patient):
    practice, child, item = overdue

    def statements(day) -> int:
        count = [0]

        def seen(*_args):
            count[0] += 1
        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            sweep(day)
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        return count[0]

    few = statements(DUE + timedelta(days=3))
    for n in range(6):
        other = make_patient(practice, last_name="Autre", first_name=f"P{n}", email=f"p{n}@example.org",
                             responsibles=[{"role": "financial", "last_name": "R", "first_name": f"R{n}",
                                            "email": f"r{n}@example.org"}])
        add(practice, other, label="Semestre", amount=1000 + n)
    many = statements(DUE + timedelta(days=10))
    assert len(sent()) == 2 + 2 + 6
    assert many <= few + 2, (few, many)  # not one statement (or more) per item


def test_a_refund_makes_the_item_reminded_again_for_what_was_given_back(overdue):
    """A refund puts money back on the item: the reminder asks for it again, and the link opens."""
    from datetime import UTC, datetime

    from portal.billing import paylinks, refunds

    practice, child, item = overdue
    payment = services.record_payment(practice=practice, patient=child, amount_cents=39000,
                                      method=PaymentMethod.cheque, paid_on=services.practice_today(practice),
                                      actor=OPERATOR)
    commit()
    assert sweep(DUE + timedelta(days=3)) == 0
    refunds.refund_payment(practice=practice, payment=payment, amount_cents=15000, reason="Chèque rendu",
                           token="t" * 24, given_back_by=PaymentMethod.cheque, actor=OPERATOR)
    commit()
    assert sweep(DUE + timedelta(days=10)) == 2
    second = next(m for m in sent(item) if m.key == f"overdue:{item.id}:1:email")
    assert "150,00" in second.body.replace("\u202f", " ").replace("\u00a0", " ")
    token = paylinks.make_token(practice_id=practice.id, patient_id=child.id, item_id=item.id, amount_cents=39000,
                                now=datetime.now(UTC))
    assert paylinks.open_link(token).amount == 15000  # the link's amount, lowered to what the item lacks
