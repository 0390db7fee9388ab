"""Send once (DESIGN invariant 5): one row per key, one delivery per row, and jobs that leave
only after the commit."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy.exc import IntegrityError

from portal import create_app
from portal.core import jobs
from portal.core.db import commit
from portal.extensions import db
from portal.notify.jobs import deliver_message
from portal.notify.models import Channel, OutboxMessage, OutboxStatus
from portal.notify.services import Outgoing, queue_email, queue_messages, queue_sms
from tests.conftest import TEST_CONFIG
from tests.factories import outbox

PHONE = "+33612345678"


def sms(key="reminder:1", body="Rappel : rendez-vous demain à 9 h.", practice_id=None, to=PHONE):
    return queue_sms(practice_id=practice_id, to=to, body=body, key=key, category="reminder")


def test_the_same_key_twice_in_one_request_gives_one_row_and_one_delivery(sms_provider, rq_queue, run_jobs):
    first = sms()
    second = sms(body="Un autre texte")
    commit()
    assert second.id == first.id
    assert rq_queue.count == 1

    run_jobs()
    [row] = outbox()
    assert row.status is OutboxStatus.sent
    assert row.body == "Rappel : rendez-vous demain à 9 h."
    assert [r["body"] for r in sms_provider.sent] == [row.body]


def test_the_same_key_in_a_later_request_does_not_send_again(sms_provider, rq_queue, run_jobs):
    sms()
    commit()
    run_jobs()

    again = sms(body="Rappel renvoyé")
    commit()
    assert rq_queue.count == 0
    assert again.status is OutboxStatus.sent
    assert len(outbox()) == 1
    assert len(sms_provider.sent) == 1


def test_bulk_queueing_skips_keys_already_sent_and_keys_given_twice(sms_provider, rq_queue, run_jobs):
    sms(key="k:old", body="Déjà là")
    commit()
    run_jobs()
    written = queue_messages([
        Outgoing(None, Channel.sms, "k:old", "reminder", PHONE, "Ne part pas"),
        Outgoing(None, Channel.sms, "k:new", "reminder", PHONE, "Rappel : Léa à 09:00"),
        Outgoing(None, Channel.sms, "k:new", "reminder", PHONE, "Le second du même key ne compte pas"),
        Outgoing(None, Channel.email, "k:mail", "reminder", "a@example.com", "Corps", subject="Rappel"),
    ])
    commit()
    assert sorted(written) == ["k:mail", "k:new"]
    rows = {m.key: m for m in outbox()}
    assert rows["k:old"].body == "Déjà là" and rows["k:new"].body == "Rappel : Léa à 09:00"
    assert rows["k:new"].segments == 1 and rows["k:new"].encoding == "GSM-7"
    assert rows["k:mail"].subject == "Rappel" and rows["k:mail"].segments == 0
    assert rq_queue.count == 2
    run_jobs()
    assert [r["body"] for r in sms_provider.sent] == ["Déjà là", "Rappel : Léa à 09:00"]


def test_two_requests_racing_on_one_key_keep_one_row(app, rq_queue):
    inserted, may_commit = threading.Event(), threading.Event()
    outcome: dict = {}

    def first():
        with app.app_context():
            try:
                sms(key="race", body="Premier")
                inserted.set()  # the row exists, uncommitted: the second request cannot see it yet
                may_commit.wait(10)
                commit()
            finally:
                db.session.remove()

    def second():
        with app.app_context():
            try:
                inserted.wait(10)
                outcome["body"] = sms(key="race", body="Second").body  # blocks on the unique key
                commit()
            except Exception as exc:
                outcome["error"] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    inserted.wait(10)
    threads[1].join(timeout=0.5)  # let the second request reach its INSERT and wait there
    may_commit.set()
    for t in threads:
        t.join(timeout=20)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["body"] == "Premier"
    assert [m.body for m in outbox()] == ["Premier"]
    assert rq_queue.count == 1


def test_an_email_key_seen_twice_keeps_the_first_message(rq_queue, run_jobs):
    queue_email(practice_id=None, to="parent@example.com", subject="Facture", body="Première", key="invoice:7",
                category="invoice")
    commit()
    queue_email(practice_id=None, to="parent@example.com", subject="Facture", body="Seconde", key="invoice:7",
                category="invoice")
    commit()
    assert rq_queue.count == 1
    run_jobs()
    [row] = outbox()
    assert (row.channel, row.body, row.attempts) == (Channel.email, "Première", 1)


def test_delivering_the_same_message_twice_sends_it_once(sms_provider):
    msg = sms()
    commit()
    assert deliver_message(msg.id) == "sent"
    assert deliver_message(msg.id) == "already handled"
    [row] = outbox()
    assert (row.status, row.attempts) == (OutboxStatus.sent, 1)
    assert len(sms_provider.requests) == 1


def test_a_duplicated_job_in_the_queue_sends_once(sms_provider, rq_queue, run_jobs):
    msg = sms()
    jobs.enqueue(deliver_message, msg.id, title="the same delivery, enqueued twice by mistake")
    commit()
    job_ids = rq_queue.job_ids
    assert len(job_ids) == 2

    run_jobs()
    results = sorted(rq_queue.fetch_job(job_id).return_value() for job_id in job_ids)
    assert results == ["already handled", "sent"]
    assert len(sms_provider.sent) == 1


def test_two_workers_racing_on_one_message_send_it_once(app, sms_provider):
    msg_id = sms().id  # read now: the threads must not touch this session's objects
    commit()
    sms_provider.delay = 0.2  # the loser tries to claim while the winner is still talking to Twilio
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        with app.app_context():
            start.wait()
            try:
                results.append(deliver_message(msg_id))
            except Exception as exc:  # surfaced below: a thread's exception would be lost
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert errors == []
    assert sorted(results) == ["already handled", "sent"]
    assert len(sms_provider.requests) == 1
    assert outbox()[0].attempts == 1


def test_nothing_reaches_the_queue_before_the_commit(rq_queue):
    msg = sms()
    assert (msg.status, msg.attempts, msg.last_error) == (OutboxStatus.queued, 0, "")
    assert msg.created_at is not None
    assert rq_queue.count == 0
    commit()
    [job] = rq_queue.jobs
    assert job.func_name == "portal.notify.jobs.deliver_message"
    assert job.args == (msg.id,)
    assert job.retries_left == 3  # the worker retries a failed send (portal.core.jobs)


def test_a_failed_commit_sends_nothing(rq_queue):
    sms()
    # A row that breaks the commit: the whole unit of work is lost, its message and job too.
    db.session.add(OutboxMessage(key="reminder:1", channel=Channel.sms, category="reminder", recipient=PHONE,
                                 body="doublon"))
    with pytest.raises(IntegrityError):
        commit()
    commit()
    assert rq_queue.count == 0
    assert outbox() == []


def test_a_rollback_discards_the_jobs_of_the_unit_of_work(rq_queue):
    sms()
    db.session.rollback()
    commit()  # a later, unrelated commit in the same session must not send the rolled-back message
    assert rq_queue.count == 0


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_without_a_provider_the_message_is_stored_for_staff(channel, configure, run_jobs):
    configure(SMS_URL="", MAIL_URL="")
    if channel == "sms":
        sms()
    else:
        queue_email(practice_id=None, to="parent@example.com", subject="Bienvenue", body="Bonjour",
                    key="welcome:1", category="welcome")
    commit()
    run_jobs()
    [row] = outbox()
    assert row.status is OutboxStatus.stored
    assert (row.provider_ref, row.last_error, row.attempts) == ("", "", 1)
    assert row.sent_at is not None


def test_an_sms_row_records_its_cost():
    cheap = sms(key="a", body="Rendez-vous confirmé")
    dear = sms(key="b", body="Rendez-vous confirmé, à bientôt ’" + "x" * 60)
    assert (cheap.segments, cheap.encoding) == (1, "GSM-7")
    assert (dear.segments, dear.encoding) == (2, "UCS-2")
    mail = queue_email(practice_id=None, to="a@example.com", subject="s", body="b", key="c", category="t")
    assert (mail.segments, mail.encoding) == (0, "")


@pytest.fixture(scope="module")
def inprocess_app():
    """The demo default: no REDIS_URL, so jobs run in this process right after the commit."""
    app = create_app({**TEST_CONFIG, "REDIS_URL": ""})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_without_redis_the_message_is_delivered_at_commit(inprocess_app, rq_queue, make_practice):
    practice = make_practice()
    with inprocess_app.app_context():
        msg = sms(practice_id=practice.id)
        assert msg.status is OutboxStatus.queued
        commit()
        db.session.refresh(msg)
        assert (msg.status, msg.attempts) == (OutboxStatus.stored, 1)
    assert rq_queue.count == 0


def test_without_redis_a_failed_send_is_kept_and_the_commit_stands(inprocess_app, twilio, rq_queue):
    twilio.fail_next(503, 20503, "Service Unavailable")
    inprocess_app.config["SMS_URL"] = twilio.url()
    try:
        with inprocess_app.app_context():
            msg = sms()
            commit()  # the caller's work is saved even though the provider refused the message
            db.session.refresh(msg)
            assert msg.status is OutboxStatus.failed
            assert "503" in msg.last_error and "Service Unavailable" in msg.last_error
    finally:
        inprocess_app.config["SMS_URL"] = ""
    assert rq_queue.count == 0
    assert len(outbox()) == 1


def test_a_typed_secret_mark_is_text_not_a_mark():
    """Someone types "{secret}" (a contact form's subject, a template): it must not make the
    message undeliverable, nor be taken for a sealed code."""
    from portal.notify.services import delivery_text

    row = queue_email(practice_id=None, to="a@example.com", subject="s", body="Objet : {secret}", key="typed",
                      category="practice_message")
    assert delivery_text(row) == "Objet : (secret)" and row.sealed_secret is None
    with pytest.raises(ValueError):  # a real secret still needs its mark
        queue_sms(practice_id=None, to=PHONE, body="Votre code", key="no-mark", category="auth_code", secret="123456")
