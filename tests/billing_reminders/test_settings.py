"""Console → Relances de paiement: owners and practitioners set them (bad input refused in place,
nothing typed lost), secretaries may not; a change is audited; the CLI runs the sweep."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.billing import reminders, services
from portal.core.audit import Actor
from portal.core.db import commit
from portal.core.errors import Invalid
from portal.core.models import AuditEvent
from portal.extensions import db
from tests.billing_reminders.conftest import add, sent, text
from tests.conftest import csrf_from

URL = "/console/cabinet/relances-paiement"
GOOD = {"enabled": "y", "first_after_days": "5", "every_days": "10", "max_count": "2", "by_email": "y"}


@pytest.fixture
def desk_of(app, desk, make_practice, make_staff):
    practice = make_practice("Cabinet Relances")

    def signed_in(role):
        return desk(make_staff(practice, role))

    return practice, signed_in


def test_defaults_off_and_saved_by_a_practitioner(desk_of):
    practice, signed_in = desk_of
    client = signed_in(Role.practitioner)
    page = text(client.get(URL))
    assert 'id="reminders-form"' in page and 'value="3"' in page and 'value="7"' in page
    assert '<input id="enabled" name="enabled" type="checkbox" value="y">' in page  # off by default
    assert '<input checked id="by_email"' in page and '<input id="by_sms"' in page
    r = client.post(URL, data={**GOOD, "csrf_token": csrf_from(page)})
    assert r.status_code == 303
    db.session.expire_all()
    saved = reminders.settings_for(practice.id)
    assert (saved.enabled, saved.first_after_days, saved.every_days, saved.max_count, saved.by_email,
            saved.by_sms) == (True, 5, 10, 2, True, False)
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "billing.overdue_settings_changed"))
    assert entry.details["after"]["every_days"] == 10 and entry.details["before"]["every_days"] == 7
    r = client.post(URL, data={**GOOD, "csrf_token": csrf_from(page)})  # the same again: nothing to audit
    assert r.status_code == 303
    assert len(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "billing.overdue_settings_changed")).all()) == 1


@pytest.mark.parametrize("field, value, message", [
    ("first_after_days", "trois", "Saisissez un nombre entier."),
    ("first_after_days", "0", "entre 1 et 90"),
    ("every_days", "91", "entre 1 et 90"),
    ("max_count", "11", "entre 1 et 10"),
    ("max_count", "", "Saisissez un nombre entier."),
])
def test_bad_input_refused_in_place(desk_of, field, value, message):
    practice, signed_in = desk_of
    client = signed_in(Role.owner)
    page = text(client.get(URL))
    r = client.post(URL, data={**GOOD, field: value, "csrf_token": csrf_from(page)})
    body = text(r)
    assert r.status_code == 422 and message in body
    assert f'id="{field}-error"' in body
    if value:
        assert f'value="{value}"' in body  # kept as typed
    assert reminders.settings_for(practice.id).id is None  # nothing saved


def test_on_without_a_channel_refused(desk_of):
    practice, signed_in = desk_of
    client = signed_in(Role.owner)
    page = text(client.get(URL))
    data = {k: v for k, v in GOOD.items() if k != "by_email"}
    r = client.post(URL, data={**data, "csrf_token": csrf_from(page)})
    assert r.status_code == 422 and "au moins un moyen d'envoi" in text(r)
    with pytest.raises(Invalid):
        reminders.save_settings(practice, enabled=True, first_after_days=3, every_days=7, max_count=3,
                                by_email=False, by_sms=False, actor=Actor.operator())


def test_secretary_may_not(desk_of):
    practice, signed_in = desk_of
    client = signed_in(Role.secretary)
    assert client.get(URL).status_code == 403


def test_cli_sends_and_is_safe_to_rerun(app, overdue):
    practice, child, item = overdue
    item.due_date = services.practice_today(practice) - timedelta(days=3)
    add(practice, child, label="Pas encore", due=services.practice_today(practice) - timedelta(days=2))
    commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["billing", "send-overdue-reminders"])
    assert result.exit_code == 0 and "2 overdue-payment reminder(s) queued" in result.output, result.output
    result = runner.invoke(args=["billing", "send-overdue-reminders"])
    assert "0 overdue-payment reminder(s)" in result.output
    assert {m.key.rsplit(":", 1)[-1] for m in sent()} == {"email", "sms"} and len(sent(item)) == 2


def test_job_runs_the_sweep(app, overdue, run_jobs):
    from portal.billing.jobs import send_overdue_payment_reminders

    practice, child, item = overdue
    item.due_date = services.practice_today(practice) - timedelta(days=3)
    commit()
    assert send_overdue_payment_reminders() == 2
    assert len(sent(item)) == 2
