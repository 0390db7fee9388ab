"""Putting messages in the outbox, and delivering them.

Every SMS and e-mail is written here first, under a unique key, then sent by a job after the
caller's commit. A key seen twice keeps the first row: a retried request or job never sends
twice (DESIGN invariant 5).
"""
from __future__ import annotations


import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from portal.core import jobs
from portal.core.db import insert_many_or_ignore, utcnow
from portal.core.tokens import seal, unseal
from portal.extensions import db
from portal.notify.models import SECRET_MARK, Channel, OutboxMessage, OutboxStatus
from portal.notify.segments import sms_cost

STALE_CLAIM = timedelta(minutes=10)
KEY_CHUNK = 5000  # keys per IN (…) list: SQLite takes at most 32,766 parameters

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One message to put in the outbox (see `queue_messages`)."""

    practice_id: int | None
    channel: Channel
    key: str
    category: str
    recipient: str
    body: str
    subject: str = ""
    secret: str | None = None
    attachment: tuple[str, str, bytes] | None = None


def _row(msg: Outgoing) -> dict:
    """The outbox row of a message: the secret sealed, an SMS's cost worked out. Every row has
    the same columns, so that many go in one multi-row INSERT."""
    if msg.secret is not None and SECRET_MARK not in msg.body:
        raise ValueError("a secret needs its {secret} mark in the body")
    if msg.secret is None and SECRET_MARK in msg.body:
        # Typed by someone (a contact form's subject, an invitation template): not a mark, and
        # left as it is it would make the message undeliverable.
        msg = replace(msg, body=msg.body.replace(SECRET_MARK, "(secret)"))
    name, mime, data = msg.attachment or ("", "", None)
    cost = sms_cost(msg.body.replace(SECRET_MARK, msg.secret or "")) if msg.channel is Channel.sms else None
    return {"practice_id": msg.practice_id, "channel": msg.channel, "key": msg.key, "category": msg.category,
            "recipient": msg.recipient, "subject": msg.subject, "body": msg.body, "status": OutboxStatus.queued,
            "sealed_secret": seal(msg.secret) if msg.secret is not None else None,
            "attachment_name": name, "attachment_type": mime, "attachment": data,
            # the cost of what is really sent (the secret put back)
            "segments": cost.segments if cost else 0, "encoding": cost.encoding if cost else "",
            "created_at": utcnow()}


def _insert_new(rows: list[dict]) -> dict[str, int]:
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING id, key, many rows a statement, then
    schedule the delivery of each row written. A key another transaction wrote meanwhile is
    skipped (its row is the message). ON CONFLICT rather than a savepoint: pysqlite's
    SAVEPOINT would commit the caller's work. Returns {key: id} of the rows written."""
    from portal.notify.jobs import deliver_message

    written = {key: new_id for new_id, key in insert_many_or_ignore(
        OutboxMessage, rows, [OutboxMessage.key], returning=(OutboxMessage.id, OutboxMessage.key))}
    channels = {row["key"]: row["channel"] for row in rows}
    jobs.enqueue_many(deliver_message, [(written[k],) for k in written],
                      titles=[f"deliver {channels[k].value} #{written[k]}" for k in written])
    return written


def queue_messages(messages: list[Outgoing]) -> dict[str, int]:
    """Store many messages and schedule their delivery, in a fixed number of statements
    whatever their number: one look-up of the keys already in the outbox (skipped: send once),
    then multi-row inserts of the others (`_insert_new`). A key given twice keeps its first
    message. Returns {key: id} of the messages written now. Raises `ValueError` on a secret
    without its mark or the reverse."""
    first: dict[str, Outgoing] = {}
    for msg in messages:
        first.setdefault(msg.key, msg)
    fresh = list(first.values())
    keys = list(first)
    existing: set[str] = set()
    for i in range(0, len(keys), KEY_CHUNK):
        existing.update(db.session.scalars(select(OutboxMessage.key)
                                           .where(OutboxMessage.key.in_(keys[i:i + KEY_CHUNK]))))
    return _insert_new([_row(m) for m in fresh if m.key not in existing])


def _queue(msg: Outgoing) -> OutboxMessage:
    """One message, through the same row and insert as `queue_messages`, returned as the ORM row
    (the one already there when the key was seen before)."""
    existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == msg.key))
    if existing is not None:
        return existing
    written = _insert_new([_row(msg)])
    if msg.key not in written:  # a concurrent request inserted the same key after our SELECT
        return db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == msg.key))
    return db.session.get(OutboxMessage, written[msg.key])


def queue_sms(*, practice_id: int | None, to: str, body: str, key: str, category: str,
              secret: str | None = None) -> OutboxMessage:
    """Store an SMS for `to` (E.164) and schedule its delivery. Idempotent on `key`.

    A `secret` (a sign-in code) is kept sealed and replaces `{secret}` in the body only when sent.
    """
    return _queue(Outgoing(practice_id, Channel.sms, key, category, to, body, secret=secret))


def queue_email(*, practice_id: int | None, to: str, subject: str, body: str, key: str,
                category: str, secret: str | None = None,
                attachment: tuple[str, str, bytes] | None = None) -> OutboxMessage:
    """Store an e-mail and schedule its delivery. Idempotent on `key`. `secret` as for SMS;
    `attachment` is (file name, MIME type, bytes), an appointment's .ics for instance."""
    return _queue(Outgoing(practice_id, Channel.email, key, category, to, body, subject=subject, secret=secret,
                           attachment=attachment))


def queue_to_person(*, practice_id: int, mobile: str | None, email: str, subject: str, body: str, key: str,
                    category: str, prefer: Channel = Channel.sms, secret: str | None = None) -> OutboxMessage | None:
    """One message to a person on one channel: `prefer`'s when they have that contact, else the
    other. The SMS key gets ":sms" when e-mail is preferred, so a retry never switches channel.
    Returns None when they have neither."""
    order = [Channel.sms, Channel.email] if prefer is Channel.sms else [Channel.email, Channel.sms]
    for channel in order:
        if channel is Channel.sms and mobile:
            return queue_sms(practice_id=practice_id, to=mobile, body=body, category=category, secret=secret,
                             key=key if prefer is Channel.sms else f"{key}:sms")
        if channel is Channel.email and email:
            return queue_email(practice_id=practice_id, to=email, subject=subject, body=body, key=key,
                               category=category, secret=secret)
    return None


def queue_notice(*, practice_id: int, patient_id: int, text: str, key: str, category: str) -> None:
    """A notice in the patient space (shown on the home page until read). Idempotent on `key`."""
    queue_notices([{"practice_id": practice_id, "patient_id": patient_id, "text": text, "key": key,
                    "category": category}])


def queue_notices(notices: list[dict]) -> None:
    """Many notices (practice_id, patient_id, text, key, category each), in multi-row INSERT …
    ON CONFLICT (key) DO NOTHING statements: a key already there keeps its notice."""
    from portal.notify.models import PatientNotice

    now = utcnow()
    insert_many_or_ignore(PatientNotice, [{**n, "created_at": now} for n in notices], [PatientNotice.key])


def delivery_text(message: OutboxMessage) -> str:
    """The body as it leaves: with the sealed secret put back. Raises `ValueError` when the
    secret is gone (already delivered, or sealed under another SECRET_KEY)."""
    if SECRET_MARK not in message.body:
        return message.body
    secret = unseal(message.sealed_secret) if message.sealed_secret else None
    if secret is None:
        raise ValueError("the code or link of this message is no longer available; ask for a new one")
    return message.body.replace(SECRET_MARK, secret)


def count_recent(*, channel: Channel, recipient: str, category: str, since: datetime) -> int:
    """How many messages of one kind went to one recipient since `since` (rate limits)."""
    return db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.channel == channel, OutboxMessage.recipient == recipient,
            OutboxMessage.category == category, OutboxMessage.created_at >= since,
        )
    )


def claim(message_id: int) -> OutboxMessage | None:
    """Mark a message as being sent, unless another run already did: the UPDATE is the lock.

    A message left "sending" by a worker that died (killed, timed out) can be claimed again once
    its claim is older than `STALE_CLAIM`.
    """
    now = utcnow()
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id,
               OutboxMessage.status.in_([OutboxStatus.queued, OutboxStatus.failed])
               | ((OutboxMessage.status == OutboxStatus.sending)
                  # rows claimed before claimed_at existed have none: as stale as can be
                  & (OutboxMessage.claimed_at.is_(None) | (OutboxMessage.claimed_at < now - STALE_CLAIM))))
        .values(status=OutboxStatus.sending, attempts=OutboxMessage.attempts + 1, claimed_at=now)
    )
    if result.rowcount != 1:
        return None
    db.session.flush()
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def deliver(message: OutboxMessage) -> None:
    """Hand a claimed message to its transport; record the outcome on the row.

    Raises `DeliveryError` after recording it, so that the queue retries with its backoff.
    """
    from portal.notify.backends import DeliveryError, mail_backend, sms_backend

    try:
        text = delivery_text(message)
        if message.channel is Channel.sms:
            backend = sms_backend()
            ref = backend.send(message.recipient, text) if backend else None
        else:
            backend = mail_backend()
            attachment = ((message.attachment_name, message.attachment_type, message.attachment)
                          if message.attachment_name else None)
            ref = backend.send(message.recipient, message.subject, text, attachment) if backend else None
    except Exception as exc:  # any failure is shown to staff, never a row stuck in "sending"
        message.status = OutboxStatus.failed
        message.last_error = str(exc)[:2000] or type(exc).__name__
        raise DeliveryError(message.last_error) from exc
    if ref is None and current_app.config["SOURIRE_ENV"] == "development":
        # No provider on a development machine: the terminal is where the demo reads its codes.
        log.info("%s kept in the outbox (no provider configured) for %s: %s", message.channel.value,
                 message.recipient, text)
    message.status = OutboxStatus.sent if ref else OutboxStatus.stored
    message.provider_ref = ref or ""
    message.last_error = ""
    message.sent_at = utcnow()
    message.sealed_secret = None  # handed over: nobody needs it any more


def retry_message(*, practice_id: int, message_id: int) -> OutboxMessage:
    """Staff asked to try a failed message again."""
    from portal.core.errors import Conflict, NotFound
    from portal.notify.jobs import deliver_message

    msg = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.practice_id == practice_id))
    if msg is None:
        raise NotFound()
    stale = msg.status is OutboxStatus.sending and (msg.claimed_at is None or msg.claimed_at < utcnow() - STALE_CLAIM)
    if msg.status is not OutboxStatus.failed and not stale:
        from flask_babel import gettext as _

        raise Conflict(_("Seul un message en échec peut être renvoyé."))
    jobs.enqueue(deliver_message, msg.id, title=f"retry {msg.channel.value} #{msg.id}")
    return msg


def list_messages(*, practice_id: int, channel: Channel | None = None, status: OutboxStatus | None = None,
                  limit: int = 100, before_id: int | None = None) -> list[OutboxMessage]:
    """The practice's outbox, newest first."""
    q = select(OutboxMessage).where(OutboxMessage.practice_id == practice_id)
    if channel:
        q = q.where(OutboxMessage.channel == channel)
    if status:
        q = q.where(OutboxMessage.status == status)
    if before_id:
        q = q.where(OutboxMessage.id < before_id)
    return list(db.session.scalars(q.order_by(OutboxMessage.id.desc()).limit(limit)))


def unread_notices(*, patient_ids: list[int]) -> list:
    """The patient-space notices not yet dismissed, newest first."""
    from portal.notify.models import PatientNotice

    return list(db.session.scalars(select(PatientNotice).where(
        PatientNotice.patient_id.in_(patient_ids), PatientNotice.read_at.is_(None))
        .order_by(PatientNotice.created_at.desc(), PatientNotice.id.desc())))


def mark_notice_read(*, patient_ids: list[int], notice_id: int) -> None:
    """Dismiss one of these patients' notices; `NotFound` for anyone else's."""
    from portal.core.errors import NotFound
    from portal.notify.models import PatientNotice

    done = db.session.execute(update(PatientNotice).where(
        PatientNotice.id == notice_id, PatientNotice.patient_id.in_(patient_ids)).values(read_at=utcnow())).rowcount
    if done != 1:
        raise NotFound()
