"""Putting messages in the outbox, and delivering them.

Every SMS and e-mail is written here first, under a unique key, then sent by a job after the
caller's commit. A key seen twice keeps the first row: a retried request or job never sends
twice (DESIGN invariant 5).
"""
from __future__ import annotations

import logging
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from portal.core import jobs
from portal.core.db import utcnow
from portal.extensions import db
from portal.notify.models import Channel, OutboxMessage, OutboxStatus
from portal.notify.segments import sms_cost

log = logging.getLogger(__name__)

def _queue(*, practice_id, channel, key, category, recipient, subject, body) -> OutboxMessage:
    existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    if existing is not None:
        return existing
    values = {"practice_id": practice_id, "channel": channel, "key": key, "category": category,
              "recipient": recipient, "subject": subject, "body": body, "status": OutboxStatus.queued}
    if channel is Channel.sms:
        cost = sms_cost(body)
        values.update(segments=cost.segments, encoding=cost.encoding)
    # A concurrent request may insert the same key after our SELECT; its row is then the message.
    # ON CONFLICT rather than a savepoint: pysqlite's SAVEPOINT would commit the caller's work.
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]
    new_id = db.session.scalar(insert(OutboxMessage).values(**values)
                               .on_conflict_do_nothing(index_elements=[OutboxMessage.key])
                               .returning(OutboxMessage.id))
    if new_id is None:
        return db.session.scalar(select(OutboxMessage).where(OutboxMessage.key == key))
    msg = db.session.get(OutboxMessage, new_id)
    from portal.notify.jobs import deliver_message

    jobs.enqueue(deliver_message, msg.id, title=f"deliver {channel.value} #{msg.id}")
    return msg

def queue_sms(*, practice_id: int | None, to: str, body: str, key: str, category: str) -> OutboxMessage:
    """Store an SMS for `to` (E.164) and schedule its delivery. Idempotent on `key`."""
    return _queue(practice_id=practice_id, channel=Channel.sms, key=key, category=category,
                  recipient=to, subject="", body=body)

def queue_email(*, practice_id: int | None, to: str, subject: str, body: str, key: str,
                category: str) -> OutboxMessage:
    """Store an e-mail and schedule its delivery. Idempotent on `key`."""
    return _queue(practice_id=practice_id, channel=Channel.email, key=key, category=category,
                  recipient=to, subject=subject, body=body)

def count_recent(*, channel: Channel, recipient: str, category: str, since: datetime) -> int:
    """How many messages of one kind went to one recipient since `since` (rate limits)."""
    return db.session.scalar(
        select(func.count(OutboxMessage.id)).where(
            OutboxMessage.channel == channel, OutboxMessage.recipient == recipient,
            OutboxMessage.category == category, OutboxMessage.created_at >= since,
        )
    )

def claim(message_id: int) -> OutboxMessage | None:
    """Mark a message as being sent, unless another run already did: the UPDATE is the lock."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id,
               OutboxMessage.status.in_([OutboxStatus.queued, OutboxStatus.failed]))
        .values(status=OutboxStatus.sending, attempts=OutboxMessage.attempts + 1)
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
        if message.channel is Channel.sms:
            backend = sms_backend()
            ref = backend.send(message.recipient, message.body) if backend else None
        else:
            backend = mail_backend()
            ref = backend.send(message.recipient, message.subject, message.body) if backend else None
    except (DeliveryError, ValueError) as exc:
        message.status = OutboxStatus.failed
        message.last_error = str(exc)[:2000]
        raise DeliveryError(str(exc)) from exc
    if ref is None and current_app.config["SOURIRE_ENV"] == "development":
        # No provider on a development machine: the terminal is where the demo reads its codes.
        log.info("%s kept in the outbox (no provider configured) for %s: %s", message.channel.value,
                 message.recipient, message.body)
    message.status = OutboxStatus.sent if ref else OutboxStatus.stored
    message.provider_ref = ref or ""
    message.last_error = ""
    message.sent_at = utcnow()

def retry_message(*, practice_id: int, message_id: int) -> OutboxMessage:
    """Staff asked to try a failed message again."""
    from portal.core.errors import Conflict, NotFound
    from portal.notify.jobs import deliver_message

    msg = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.practice_id == practice_id))
    if msg is None:
        raise NotFound()
    if msg.status is not OutboxStatus.failed:
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

