"""The reminder sweep: rules per account, the practice default, wall-clock times across
daylight-saving changes, families, cancelled and moved visits, a worker killed mid-run."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import event, select

from portal.accounts.models import PatientAccount
from portal.agenda import services as agenda
from portal.agenda.models import Appointment, AppointmentStatus
from portal.core.db import commit
from portal.extensions import db as _db
from portal.notify import reminders
from portal.notify.models import OutboxStatus, PatientNotice, ReminderRule, ReminderSent, ReminderSweep
from portal.notify.reminders import send_due_reminders
from tests.agenda.conftest import OPERATOR, week  # noqa: F401
from tests.factories import outbox

PARENT = "+33612345678"


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def visit(week, patient, starts_at, *, booked_at=None):
    """A booked visit, created at `booked_at` (default: two weeks before)."""
    a = Appointment(practice_id=week.practice.id, practitioner_id=week.practitioner.id,
                    appointment_type_id=week.type.id, patient_id=patient.id, starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=20), status=AppointmentStatus.booked,
                    created_at=booked_at or starts_at - timedelta(days=20))
    _db.session.add(a)
    commit()
    return a


def account(practice, phone=PARENT, rules=None):
    acc = PatientAccount(practice_id=practice.id, phone=phone)
    _db.session.add(acc)
    _db.session.flush()
    if rules is not None:
        acc.reminders_customised = True
        for days, at, channels in rules:
            _db.session.add(ReminderRule(practice_id=practice.id, account_id=acc.id, days_before=days, at_time=at,
                                         sms="sms" in channels, email="email" in channels,
                                         notice="notice" in channels))
    commit()
    return acc


def sweep_at(instant) -> int:
    with time_machine.travel(instant, tick=False):
        count = send_due_reminders()
        commit()
    return count


def start_sweeps(instant):
    """The mark as a sweep at `instant` leaves it (the sweep that ran just before)."""
    _db.session.merge(ReminderSweep(id=1, swept_until=instant))
    commit()


def test_the_default_rule_fires_at_noon_local_across_the_spring_change(week, make_patient):
    # Clocks go forward on Sunday 2027-03-28: noon is 11:00 UTC on Saturday, 10:00 UTC on Sunday.
    lea = make_patient(week.practice, first_name="Léa", parent_mobile=PARENT)
    hugo = make_patient(week.practice, first_name="Hugo", email="hugo@example.com")
    visit(week, lea, utc(2027, 3, 29, 7))     # Monday 09:00 CEST: due Sunday 12:00 CEST
    visit(week, hugo, utc(2027, 3, 28, 8))    # Sunday 10:00 CEST: due Saturday 12:00 CET
    start_sweeps(utc(2027, 3, 27, 10, 55))
    assert sweep_at(utc(2027, 3, 27, 10, 59)) == 0
    assert sweep_at(utc(2027, 3, 27, 11, 0)) == 1  # 12:00 CET, due ≤ now
    mails = outbox("hugo@example.com", "reminder")  # no mobile: the default goes by e-mail
    assert len(mails) == 1 and "Hugo à 10:00" in mails[0].body and "28/03/2027" in mails[0].body
    assert sweep_at(utc(2027, 3, 28, 9, 55)) == 0  # 11:55 CEST
    assert sweep_at(utc(2027, 3, 28, 10, 5)) == 1  # 12:05 CEST: within 10 minutes
    sms = outbox(PARENT, "reminder")
    assert len(sms) == 1 and "Léa à 09:00" in sms[0].body and sms[0].channel.value == "sms"
    assert sweep_at(utc(2027, 3, 28, 10, 10)) == 0  # never twice


def test_two_days_at_18_across_the_autumn_change(week, make_patient):
    # Clocks go back on Sunday 2027-10-31: 18:00 that day is 17:00 UTC (CET), not 16:00.
    kid = make_patient(week.practice, first_name="Léa", parent_mobile=PARENT)
    account(week.practice, rules=[(2, time(18), {"sms", "notice"})])
    visit(week, kid, utc(2027, 11, 2, 8))  # Tuesday 09:00 CET
    start_sweeps(utc(2027, 10, 31, 16, 50))
    assert sweep_at(utc(2027, 10, 31, 16, 55)) == 0  # 17:55 CET
    assert sweep_at(utc(2027, 10, 31, 17, 0)) == 2  # 18:00 CET: the SMS and the notice
    assert len(outbox(PARENT, "reminder")) == 1
    notices = _db.session.scalars(select(PatientNotice).where(PatientNotice.category == "reminder")).all()
    assert len(notices) == 1 and notices[0].patient_id == kid.id and "Léa à 09:00" in notices[0].text


def test_one_message_for_a_familys_visits_of_one_day(week, make_patient):
    lea = make_patient(week.practice, first_name="Léa", parent_mobile=PARENT)
    hugo = make_patient(week.practice, first_name="Hugo", parent_mobile=PARENT)
    other = make_patient(week.practice, first_name="Zoé", parent_mobile="+33699999999")
    account(week.practice)  # never touched its rules: the default, 1 day before at 12:00 by SMS
    visit(week, lea, utc(2027, 6, 8, 7))
    visit(week, hugo, utc(2027, 6, 8, 7, 20))
    visit(week, other, utc(2027, 6, 8, 7, 40))
    start_sweeps(utc(2027, 6, 7, 9, 55))
    assert sweep_at(utc(2027, 6, 7, 10, 0)) == 2
    [sms] = outbox(PARENT, "reminder")
    assert "Léa à 09:00 et Hugo à 09:20" in sms.body
    assert "Zoé" not in sms.body and len(outbox("+33699999999", "reminder")) == 1


def test_cancelled_and_moved_visits(week, make_patient, run_jobs):
    kid = make_patient(week.practice, first_name="Léa", parent_mobile=PARENT)
    cancelled = visit(week, kid, utc(2027, 6, 8, 7))
    moved = visit(week, kid, utc(2027, 6, 9, 7))
    agenda.cancel_appointment(cancelled, actor=OPERATOR)
    commit()
    start_sweeps(utc(2027, 6, 7, 9, 55))
    assert sweep_at(utc(2027, 6, 7, 10, 0)) == 0
    # queued for Wednesday, then moved to Friday before the worker delivered it: dropped
    assert sweep_at(utc(2027, 6, 8, 10, 0)) == 1
    moved.starts_at, moved.ends_at = utc(2027, 6, 11, 7), utc(2027, 6, 11, 7, 20)
    commit()
    run_jobs()
    [msg] = outbox(PARENT, "reminder")
    assert msg.status is OutboxStatus.dropped
    # the new time gets its own reminder, the day before at noon
    assert sweep_at(utc(2027, 6, 10, 10, 0)) == 1
    assert len(outbox(PARENT, "reminder")) == 2


def test_late_rather_than_lost_until_the_visit_starts(week, make_patient):
    kid = make_patient(week.practice, first_name="Léa", parent_mobile=PARENT)
    gone = make_patient(week.practice, first_name="Hugo", parent_mobile="+33699999999")
    visit(week, kid, utc(2027, 6, 8, 12))    # Tuesday 14:00
    visit(week, gone, utc(2027, 6, 8, 7))    # Tuesday 09:00
    start_sweeps(utc(2027, 6, 7, 8))         # the scheduler stops on Monday at 10:00 …
    assert sweep_at(utc(2027, 6, 8, 9)) == 1  # … and comes back on Tuesday at 11:00
    assert len(outbox(PARENT, "reminder")) == 1
    assert outbox("+33699999999", "reminder") == []  # that visit has started: too late


def test_a_visit_booked_after_its_reminder_time_gets_none(week, make_patient):
    kid = make_patient(week.practice, first_name="Léa", parent_mobile=PARENT)
    visit(week, kid, utc(2027, 6, 8, 7), booked_at=utc(2027, 6, 7, 10, 2))  # after noon on Monday
    start_sweeps(utc(2027, 6, 7, 9, 58))
    assert sweep_at(utc(2027, 6, 7, 10, 3)) == 0


def test_a_worker_killed_mid_run_loses_nothing_and_repeats_nothing(week, make_patient, monkeypatch):
    kids = [make_patient(week.practice, first_name=f"Enfant{i}", parent_mobile=f"+3361000000{i}") for i in range(4)]
    for i, kid in enumerate(kids):
        visit(week, kid, utc(2027, 6, 8, 7) + timedelta(minutes=20 * i))
    start_sweeps(utc(2027, 6, 7, 9, 55))
    real = reminders.queue_messages

    def dies_after_writing(messages):
        real(messages)  # the outbox rows are written, the keys that say "sent" not yet
        raise SystemExit("worker killed")

    monkeypatch.setattr(reminders, "queue_messages", dies_after_writing)
    with time_machine.travel(utc(2027, 6, 7, 10), tick=False), pytest.raises(SystemExit):
        send_due_reminders()
    _db.session.rollback()  # the transaction is lost with the worker
    assert outbox(category="reminder") == []
    monkeypatch.setattr(reminders, "queue_messages", real)
    assert sweep_at(utc(2027, 6, 7, 10, 5)) == 4  # the next sweep sends them all, late

    # A run that committed its messages but whose mark was lost (say, a second commit failed):
    start_sweeps(utc(2027, 6, 7, 9, 55))
    assert sweep_at(utc(2027, 6, 7, 10, 10)) == 0
    assert len(outbox(category="reminder")) == 4
    assert _db.session.scalar(select(ReminderSent.id).limit(1)) is not None


def test_the_sweeps_query_count_does_not_grow_with_the_visits(week, make_patient):
    def queries_for(n_days):
        start_sweeps(utc(2027, 6, 7, 9, 55))
        count = []

        def on_execute(*_a):
            count.append(1)
        event.listen(_db.engine, "before_cursor_execute", on_execute)
        try:
            with time_machine.travel(utc(2027, 6, 7, 9, 58), tick=False):  # one grouped SMS either way
                assert send_due_reminders() == 1
        finally:
            event.remove(_db.engine, "before_cursor_execute", on_execute)
        _db.session.rollback()
        return len(count)

    kid = make_patient(week.practice, first_name="Léa", parent_mobile=PARENT)
    account(week.practice, rules=[(0, time(11, 57), {"sms"})])  # 09:57 UTC: due
    for i in range(3):
        visit(week, kid, utc(2027, 6, 7, 12) + timedelta(minutes=20 * i))
    few = queries_for(3)
    for i in range(3, 12):
        visit(week, kid, utc(2027, 6, 7, 12) + timedelta(minutes=20 * i))
    assert queries_for(12) == few


def test_the_sweeps_statements_do_not_grow_with_the_messages_it_queues(week, make_patient, rq_queue):
    """Queueing is bulk: one look-up of the outbox keys, one INSERT … RETURNING of the new rows,
    one of the notices, one of the keys that say "sent", whatever the number of messages."""
    def statements_to_queue(n, day):
        for i in range(n):
            kid = make_patient(week.practice, first_name=f"Enfant{n}{i}", parent_mobile=f"+336{n:02d}0000{i:02d}")
            account(week.practice, phone=f"+336{n:02d}0000{i:02d}", rules=[(1, time(12), {"sms", "notice"})])
            visit(week, kid, utc(2027, 6, day, 7) + timedelta(minutes=20 * i))
        start_sweeps(utc(2027, 6, day - 1, 9, 55))
        count = []

        def on_execute(*_a):
            count.append(1)
        event.listen(_db.engine, "before_cursor_execute", on_execute)
        try:
            with time_machine.travel(utc(2027, 6, day - 1, 10, 5), tick=False):
                assert send_due_reminders() == 2 * n  # an SMS and a notice each
                commit()
        finally:
            event.remove(_db.engine, "before_cursor_execute", on_execute)
        return len(count)

    few = statements_to_queue(2, 8)
    many = statements_to_queue(9, 9)
    assert many == few
    assert len(outbox(category="reminder")) == 2 + 9
    assert len(_db.session.scalars(select(PatientNotice)).all()) == 2 + 9
    assert rq_queue.count == 2 + 9  # one delivery job per message written
