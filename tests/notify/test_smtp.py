"""E-mail through `SmtpMail`, against a real SMTP server (aiosmtpd) on 127.0.0.1."""
from __future__ import annotations

import pytest

from portal.core.db import commit
from portal.notify.models import OutboxStatus
from portal.notify.services import queue_email
from tests.factories import outbox
from tests.notify.conftest import free_port

TO = "parent.lefevre@example.com"
SUBJECT = "Votre rendez-vous de contrôle à 9 h 30"
# aiosmtpd warns about AUTH without TLS; on 127.0.0.1 that is the point of the test server.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

BODY = "Bonjour,\n\nLéa a rendez-vous mercredi à 9 h 30 pour le contrôle de son appareil.\n\nÀ bientôt,\nle cabinet"


def queue(to=TO, key="reminder:1"):
    msg = queue_email(practice_id=None, to=to, subject=SUBJECT, body=BODY, key=key, category="reminder")
    commit()
    return msg


def test_an_email_arrives_with_its_recipient_subject_and_body(mail_server, configure, run_jobs):
    configure(MAIL_FROM="Cabinet Dupont <cabinet@example.org>")
    queue()
    run_jobs()

    [envelope] = mail_server.envelopes
    assert envelope.mail_from == "cabinet@example.org"
    assert envelope.rcpt_tos == [TO]
    [message] = mail_server.messages
    assert message["To"] == TO
    assert message["From"] == "Cabinet Dupont <cabinet@example.org>"
    assert message["Subject"] == SUBJECT
    assert message.get_content().replace("\r\n", "\n").rstrip("\n") == BODY

    [row] = outbox()
    assert row.status is OutboxStatus.sent
    assert row.provider_ref == message["Message-ID"]
    assert row.provider_ref.startswith("<") and row.provider_ref.endswith("@sourire>")
    assert (row.attempts, row.last_error) == (1, "")


def test_a_running_job_twice_delivers_one_email(mail_server, run_jobs):
    from portal.notify.jobs import deliver_message

    msg = queue()
    run_jobs()
    assert deliver_message(msg.id) == "already handled"
    assert len(mail_server.envelopes) == 1


def test_smtp_server_down_fails_with_a_readable_error(configure, rq_queue, run_jobs):
    configure(MAIL_URL=f"smtp://127.0.0.1:{free_port()}")
    queue()
    [job_id] = rq_queue.job_ids
    run_jobs()
    [row] = outbox()
    assert row.status is OutboxStatus.failed
    assert row.last_error.startswith("SMTP: ")
    assert "refused" in row.last_error.lower()
    assert rq_queue.fetch_job(job_id).retries_left == 2  # the queue will try again


def test_a_refused_recipient_is_a_failure_with_the_server_s_answer(mail_server, run_jobs):
    mail_server.refuse.add(TO)
    queue()
    run_jobs()
    [row] = outbox()
    assert row.status is OutboxStatus.failed
    assert "550" in row.last_error and "Mailbox unavailable" in row.last_error
    assert mail_server.envelopes == []


def test_smtp_auth_with_the_credentials_of_mail_url(smtp_server, configure, run_jobs):
    inbox, port = smtp_server(users={"cabinet": "s3cret p@ss"})
    configure(MAIL_URL=f"smtp://cabinet:s3cret%20p%40ss@127.0.0.1:{port}")
    queue()
    run_jobs()
    assert outbox()[0].status is OutboxStatus.sent
    assert [e.rcpt_tos for e in inbox.envelopes] == [[TO]]


def test_smtp_auth_with_a_wrong_password_fails(smtp_server, configure, run_jobs):
    inbox, port = smtp_server(users={"cabinet": "s3cret"})
    configure(MAIL_URL=f"smtp://cabinet:wrong@127.0.0.1:{port}")
    queue()
    run_jobs()
    [row] = outbox()
    assert row.status is OutboxStatus.failed
    assert "535" in row.last_error
    assert inbox.envelopes == []


def test_a_mail_url_with_another_scheme_is_refused(configure, run_jobs):
    configure(MAIL_URL="http://127.0.0.1:25")
    queue()
    run_jobs()
    [row] = outbox()
    assert (row.status, row.last_error) == (OutboxStatus.failed, "MAIL_URL must start with smtp:// or smtps://")
