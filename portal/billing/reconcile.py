"""The daily Stripe reconciliation (issue 5): the practice's recent Checkout Sessions compared with
the ledger, to fix or flag what a lost webhook missed.

A paid session with no payment goes through the webhook's own handler, under an event id of its
own (`reconcile:<session id>`) recorded once like any event: the ledger logic stays in one
place, the once-per-session rule holds (a webhook arriving later finds the payment and is
ignored), and a second run adds nothing. What cannot be fixed is flagged for staff
(`portal.billing.flags`), never changed in the ledger."""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from flask_babel import gettext as _
from sqlalchemy import select

from portal.billing import flags, online, services
from portal.billing.models import FlagKind, Payment, PaymentMethod
from portal.billing.stripe_api import StripeUnavailable, list_checkout_sessions
from portal.billing.stripe_models import StripeAccount, StripeEvent
from portal.billing.webhooks import APPLIED, HANDLERS, _payment_intent
from portal.core.db import insert_or_ignore
from portal.core.errors import Invalid
from portal.core.models import Practice
from portal.extensions import db

log = logging.getLogger(__name__)
MAX_DAYS = 30  # Stripe lists Checkout Sessions of the last 30 days or so: further back is not reliable
EVENT_TYPE = online.PAID_EVENTS[0]  # the session is handled as its "completed" event would have been


@dataclass
class Summary:
    """What one practice's run found: sessions listed, paid sessions without a payment (found),
    payments recorded (fixed), new flags (flagged); `skipped` says why nothing was checked."""

    practice: str
    sessions: int = 0
    found: int = 0
    fixed: int = 0
    flagged: int = 0
    skipped: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def reconcile_practice(practice: Practice, now: datetime, days: int = 3) -> Summary:
    """Compare the practice's Checkout Sessions created in the last `days` days with its ledger:
    record each paid session that has no payment (through the webhook's handler: payment
    allocated oldest first, receipt queued once) and flag what cannot be fixed (a paid session of
    no known file or of another practice, an amount that differs from the recorded payment, a
    recorded payment whose session is not paid). Stripe unreachable: logged, nothing changed,
    `skipped` set. Raises Invalid for `days` outside 1..30. Flushes, never commits."""
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise Invalid(_("Le nombre de jours doit être compris entre 1 et %(max)s.", max=MAX_DAYS), "days")
    summary = Summary(practice.slug)
    try:
        sessions = list_checkout_sessions(practice, created_since=now - timedelta(days=days))
    except (StripeUnavailable, Invalid) as exc:
        # Invalid: keys removed meanwhile or the secret key unreadable. Either way, try again tomorrow.
        log.warning("stripe reconciliation skipped for practice %s: %s (%r)", practice.slug, exc.message,
                    exc.__cause__)
        summary.skipped = exc.message
        return summary
    before = flags.count_all(practice.id)
    for session in sessions:
        if session.get("object", "checkout.session") != "checkout.session" or not session.get("id"):
            continue
        summary.sessions += 1
        _check(practice, session, summary)
    summary.flagged = flags.count_all(practice.id) - before
    return summary


def _check(practice: Practice, session: dict, summary: Summary) -> None:
    sid = str(session["id"])
    payment = db.session.scalar(select(Payment).where(Payment.practice_id == practice.id,
                                                      Payment.reference == sid[:80]))
    paid = _cents(session.get("amount_total"))
    meta = session.get("metadata") or {}
    if payment is None and not (meta.get("practice") or meta.get("patient")):
        return  # not started by Sourire (the account may take other payments): none of the ledger's business
    if session.get("payment_status") == "paid":
        if payment is None:
            summary.found += 1
            summary.fixed += _apply(practice, session)
        elif payment.amount_cents != paid and not flags.has_flag(practice_id=practice.id, kind=FlagKind.excess,
                                                                  session_id=sid):
            # An excess was already flagged when the ledger took only the balance: that difference is known.
            flags.raise_flag(practice_id=practice.id, kind=FlagKind.amount_mismatch, session_id=sid,
                             patient_id=payment.patient_id, payment_id=payment.id, amount_cents=paid,
                             message=_("Stripe indique %(paid)s payés pour cette session, le règlement enregistré "
                                       "est de %(recorded)s.", paid=services.money(paid),
                                       recorded=services.money(payment.amount_cents)))
    elif payment is not None and payment.method is PaymentMethod.online:
        flags.raise_flag(practice_id=practice.id, kind=FlagKind.not_paid, session_id=sid,
                         patient_id=payment.patient_id, payment_id=payment.id, amount_cents=payment.amount_cents,
                         message=_("Règlement en ligne enregistré, mais Stripe indique que la session n'est pas "
                                   "payée (état : %(status)s).",
                                   status=f"{session.get('status') or '?'}, {session.get('payment_status') or '?'}"))


def _apply(practice: Practice, session: dict) -> int:
    """Hand a paid session to the webhook's handler as a recorded event. 1 when it was recorded."""
    sid = str(session["id"])
    created = _cents(session.get("created"))
    values = {"practice_id": practice.id, "event_id": f"reconcile:{sid}"[:255], "type": EVENT_TYPE,
              "livemode": bool(session.get("livemode")), "object_id": sid[:255],
              "payment_intent": _payment_intent(session)[:255],
              # The session's own creation, not now: a real event about it (a refund, a failure)
              # arriving later must not look older than this one to `is_out_of_order`.
              "stripe_created": datetime.fromtimestamp(created, timezone.utc),
              "received_at": datetime.now(timezone.utc), "status": "received", "note": "",
              "payload": {"source": "reconciliation", "data": {"object": session}}}
    new_id = db.session.execute(insert_or_ignore(StripeEvent, values, ["practice_id", "event_id"])
                                .returning(StripeEvent.id)).scalar()
    if new_id is None:
        return 0  # reconciled on an earlier run and left unrecorded then: its flag already says why
    record = db.session.get(StripeEvent, new_id)
    record.status = HANDLERS[EVENT_TYPE](record, session)
    if record.status == APPLIED:
        return 1
    recorded_meanwhile = db.session.scalar(select(Payment.id).where(Payment.practice_id == practice.id,
                                                                    Payment.reference == sid[:80]))
    # Nothing to flag when its webhook won the race (the payment is there) or when only an
    # excess stopped it (the handler flagged that itself).
    if recorded_meanwhile is None and not flags.has_flag(practice_id=practice.id, kind=FlagKind.excess,
                                                         session_id=sid):
        meta = session.get("metadata") or {}
        flags.raise_flag(practice_id=practice.id, kind=FlagKind.unmatched, session_id=sid,
                         amount_cents=_cents(session.get("amount_total")),
                         message=_("Session Stripe payée que le registre n'a pas pu enregistrer "
                                   "(dossier %(patient)s, cabinet %(practice)s) : %(why)s.",
                                   patient=meta.get("patient") or "?", practice=meta.get("practice") or "?",
                                   why=record.note or "?"))
    return 0


def _cents(value) -> int:
    return int(value) if str(value or "").isdigit() else 0


def practices_to_reconcile() -> list[Practice]:
    """Practices whose Stripe keys are all saved. The "paiement en ligne" option is not required:
    a session started before the owner switched it off can still be paid."""
    return list(db.session.scalars(
        select(Practice).join(StripeAccount, StripeAccount.practice_id == Practice.id)
        .where(StripeAccount.publishable_key != "", StripeAccount.secret_key_sealed != "",
               StripeAccount.webhook_secret_sealed != "").order_by(Practice.id)))


def reconcile_all(now: datetime, days: int = 3, after_each: Callable[[], None] | None = None) -> list[Summary]:
    """`reconcile_practice` for every practice with online payment configured; one unreachable
    account skips that practice only. `after_each` runs after each practice: the job commits
    there, so one practice's file locks are not held while Stripe answers for the next."""
    summaries = []
    for practice_id in [p.id for p in practices_to_reconcile()]:
        summaries.append(reconcile_practice(db.session.get(Practice, practice_id), now, days))
        if after_each is not None:
            after_each()
    return summaries
