"""SMS through `TwilioSms`, against a local stand-in that speaks Twilio's protocol."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from rq.job import JobStatus

from portal.core.db import commit
from portal.notify.models import OutboxStatus
from portal.notify.services import queue_sms
from tests.factories import outbox
from tests.notify.conftest import free_port

PHONE = "+33612345678"
BODY = "Cabinet Dupont : votre rendez-vous du 3 mars à 9 h 30 est confirmé. À bientôt !"


def queue(body=BODY, to=PHONE, key="confirm:1"):
    msg = queue_sms(practice_id=None, to=to, body=body, key=key, category="confirmation")
    commit()
    return msg


def test_a_sent_sms_keeps_twilio_s_message_sid(sms_provider, run_jobs):
    queue()
    run_jobs()
    [row] = outbox()
    [resource] = sms_provider.sent
    assert row.status is OutboxStatus.sent
    assert row.provider_ref == resource["sid"] and row.provider_ref.startswith("SM")
    assert (row.attempts, row.last_error) == (1, "")
    assert row.sent_at is not None

    [request] = sms_provider.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{sms_provider.account_sid}/Messages.json"
    assert request.authorized
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.form == {"To": PHONE, "From": "Sourire", "Body": BODY}


def test_a_provider_error_is_recorded_then_retried_by_the_queue(sms_provider, rq_queue, run_jobs, run_retries):
    sms_provider.fail_next(500, 20500, "Internal Server Error")
    queue()
    [job_id] = rq_queue.job_ids
    run_jobs()

    [row] = outbox()
    assert row.status is OutboxStatus.failed
    assert row.last_error == "SMS provider answered 500: Internal Server Error"
    job = rq_queue.fetch_job(job_id)
    assert job.get_status() == JobStatus.SCHEDULED
    assert job.retries_left == 2
    due = rq_queue.scheduled_job_registry.get_scheduled_time(job)
    assert timedelta(seconds=5) < due - datetime.now(timezone.utc) <= timedelta(seconds=10)

    run_retries(after=5)  # the backoff is respected: too early, nothing is sent
    assert outbox()[0].status is OutboxStatus.failed
    assert len(sms_provider.requests) == 1

    run_retries(after=11)
    [row] = outbox()
    assert row.status is OutboxStatus.sent
    assert (row.attempts, row.last_error) == (2, "")
    assert row.provider_ref == sms_provider.sent[0]["sid"]
    assert rq_queue.fetch_job(job_id).get_status() == JobStatus.FINISHED


def test_when_every_retry_fails_the_message_stays_failed(sms_provider, rq_queue, run_jobs, run_retries):
    sms_provider.fail_next(503, 20503, "Service Unavailable", times=4)
    queue()
    [job_id] = rq_queue.job_ids
    run_jobs()
    for after in (11, 11 + 61, 11 + 61 + 301):  # RQ's backoff: 10 s, 60 s, 300 s
        run_retries(after=after)

    [row] = outbox()
    assert row.status is OutboxStatus.failed
    assert row.attempts == 4
    assert "Service Unavailable" in row.last_error
    assert len(sms_provider.requests) == 4
    assert rq_queue.fetch_job(job_id).get_status() == JobStatus.FAILED
    assert job_id in rq_queue.failed_job_registry.get_job_ids()


def test_twilio_s_error_message_is_shown(sms_provider, run_jobs):
    queue(to="+3361")
    run_jobs()
    [row] = outbox()
    assert row.status is OutboxStatus.failed
    assert row.last_error == "SMS provider answered 400: The 'To' number +3361 is not a valid phone number."
    assert sms_provider.sent == []


def test_wrong_credentials_fail_with_twilio_s_message(twilio, configure, run_jobs):
    configure(SMS_URL=twilio.url(token="not-the-token"))
    queue()
    run_jobs()
    [row] = outbox()
    assert row.status is OutboxStatus.failed
    assert row.last_error == "SMS provider answered 401: Authenticate"
    assert [r.authorized for r in twilio.requests] == [False]
    assert twilio.sent == []


def test_an_unreachable_provider_fails_readably(configure, run_jobs):
    configure(SMS_URL=f"twilio://ACxyz:token@127.0.0.1:{free_port()}?from=Sourire&scheme=http")
    queue()
    run_jobs()
    [row] = outbox()
    assert row.status is OutboxStatus.failed
    assert row.last_error.startswith("SMS provider unreachable:")
    assert "refused" in row.last_error.lower()


@pytest.mark.parametrize("url, error", [
    ("twilio://ACxyz:token@sms.example.com?from=Sourire&scheme=http",
     "SMS_URL: plain http is only allowed to 127.0.0.1"),
    ("twilio://ACxyz:token@127.0.0.1:9?scheme=http", "SMS_URL needs an account SID, an auth token and ?from="),
])
def test_a_misconfigured_sms_url_fails_the_message_with_the_reason(url, error, configure, run_jobs):
    configure(SMS_URL=url)
    queue()
    run_jobs()
    [row] = outbox()
    assert (row.status, row.last_error) == (OutboxStatus.failed, error)
