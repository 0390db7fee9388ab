"""The periodic work: the reminder sweep, the nightly window, and RQ's cron file."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import time_machine
from redis import Redis

from portal.agenda import services as agenda
from portal.core.db import commit
from portal.notify.reminders import send_due_reminders
from tests.agenda.conftest import OPERATOR
from tests.agenda.test_booking import slots_on
from tests.factories import outbox

ROOT = Path(__file__).resolve().parents[2]


def test_a_patient_without_account_gets_the_default_reminder_once(week, make_patient, db):
    """No portal account: the practice default, 1 day before at 12:00 (here by e-mail, no
    mobile on file); rules, families and daylight saving are in tests/notify/test_reminders.py."""
    early = make_patient(week.practice, email="early@example.com")
    late = make_patient(week.practice, email="late@example.com")
    slots = slots_on(week)
    with time_machine.travel(slots[0].starts_at - timedelta(days=6)):
        agenda.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                appointment_type_id=week.type.id, patient_id=early.id,
                                starts_at=slots[0].starts_at, actor=OPERATOR)
        commit()
        assert send_due_reminders() == 0  # not due yet
        commit()
    noon = slots[0].starts_at.replace(hour=11, minute=0) - timedelta(days=1)  # 12:00 Paris (winter) the day before
    with time_machine.travel(noon + timedelta(minutes=30)):
        agenda.book_appointment(practice=week.practice, practitioner_id=week.practitioner.id,
                                appointment_type_id=week.type.id, patient_id=late.id, starts_at=slots[1].starts_at,
                                actor=OPERATOR)  # booked after its reminder time: its confirmation is enough
        commit()
    with time_machine.travel(noon + timedelta(minutes=35)):
        assert send_due_reminders() == 1  # late (the sweeps stopped after the first), but sent
        commit()
        assert send_due_reminders() == 0  # a second sweep sends nothing more
        commit()
    mails = outbox("early@example.com", "reminder")
    assert len(mails) == 1 and "Rappel" in mails[0].body and "09:00" in mails[0].body
    assert outbox("late@example.com", "reminder") == []


def test_the_cli_commands(app, week, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["booking", "extend-window", "--date", "2030-01-01"])
    assert result.exit_code == 0 and "moved" in result.output
    db.session.refresh(week.practitioner)
    assert str(week.practitioner.booking_open_until) == "2030-04-01"  # + 90 days
    result = runner.invoke(args=["booking", "extend-window", "--date", "janvier"])
    assert result.exit_code != 0 and "janvier" in result.output  # a clear error, no traceback
    result = runner.invoke(args=["notify", "send-reminders"])
    assert result.exit_code == 0 and "reminder(s) queued" in result.output


def test_rq_cron_loads_every_periodic_job(app):
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=Redis.from_url(app.config["REDIS_URL"]))
    scheduler.load_config_from_file(str(ROOT / "cron.py"))
    names = sorted(j.func.__name__ for j in scheduler.get_jobs())
    assert names == ["extend_booking_windows", "reconcile_stripe", "send_overdue_payment_reminders", "send_reminders"]


def test_a_longer_window_opens_at_once_not_tonight(week, db):
    from portal.booking import setup
    from portal.booking.services import extend_windows, settings_for

    extend_windows()
    db.session.commit()
    before = week.practitioner.booking_open_until
    setup.update_settings(settings_for(week.practice.id), rolling_window_days=180, actor=OPERATOR)
    db.session.commit()
    db.session.refresh(week.practitioner)
    assert week.practitioner.booking_open_until == before + timedelta(days=90)
