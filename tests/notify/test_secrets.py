"""Codes and link tokens inside messages: sealed in the outbox, in clear only on the wire."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select, text

from portal.core.db import commit
from portal.notify.models import OutboxMessage, OutboxStatus
from tests import factories

PHONE = "06 12 34 56 78"


def test_a_sign_in_code_never_rests_in_clear(auth, client, app, db, make_practice, make_patient, make_staff,
                                               sms_provider, run_jobs):
    practice = make_practice()
    child = make_patient(practice, parent_mobile=PHONE, birth_date=date(2013, 4, 5))
    auth.patient_identify(child, PHONE)
    code = factories.last_code(PHONE)
    raw = db.session.execute(text("SELECT body, sealed_secret FROM outbox_message")).one()
    assert code not in raw.body and code not in raw.sealed_secret and "{secret}" in raw.body
    # staff see the message, never the code
    staff_client = app.test_client()
    type(auth)(staff_client).staff(make_staff(practice, "secretary"))
    page = staff_client.get("/console/messages-envoyes/").get_data(as_text=True)
    assert "votre code Sourire est ••••••" in page and code not in page
    # the provider gets the real code, then the sealed copy is wiped
    run_jobs()
    assert f"votre code Sourire est {code}" in sms_provider.requests[-1].form["Body"]
    row = db.session.scalar(select(OutboxMessage))
    db.session.refresh(row)
    assert row.status is OutboxStatus.sent and row.sealed_secret is None


def test_invitation_links_are_sealed_too(db, make_practice, make_staff):
    from portal.accounts.models import Role
    from portal.accounts.staff_admin import invite_staff
    from portal.core.audit import Actor

    practice = make_practice()
    invite_staff(practice_id=practice.id, email="x@example.com", role=Role.secretary,
                 by=make_staff(practice), actor=Actor.operator())
    commit()
    link = factories.last_link("x@example.com")
    token = link.rsplit("/", 1)[1]
    body = db.session.execute(text("SELECT body FROM outbox_message")).scalar_one()
    assert token not in body and re.search(r"/console/invitation/\{secret\}", body)


def test_a_secret_that_is_gone_fails_visibly(db, make_practice, run_jobs):
    from portal.notify.services import queue_sms

    practice = make_practice()
    msg = queue_sms(practice_id=practice.id, to="+33612345678", body="code {secret}", key="k1",
                    category="auth_code", secret="123456")
    msg.sealed_secret = "not a sealed value"
    commit()
    run_jobs()
    db.session.refresh(msg)
    assert msg.status is OutboxStatus.failed and "no longer available" in msg.last_error


def test_a_worker_that_died_mid_send_does_not_leave_the_message_stuck(db, make_practice):
    from datetime import timedelta

    import time_machine

    from portal.core.db import utcnow
    from portal.notify import services

    practice = make_practice()
    msg = services.queue_sms(practice_id=practice.id, to="+33612345678", body="Bonjour", key="k2", category="manual")
    commit()
    assert services.claim(msg.id) is not None  # a worker took it, then died
    commit()
    assert services.claim(msg.id) is None  # too recent: maybe still sending
    with time_machine.travel(utcnow() + timedelta(minutes=11)):
        assert services.claim(msg.id) is not None
