"""Online payments staff must check ("À vérifier", issue 5): what the webhook or the daily
reconciliation could not settle in the ledger by itself (an excess over the balance due, a paid
session of no known file, an amount that differs, a payment whose session is not paid). A flag
never changes the ledger; staff look, act in the file, then mark it handled (audited)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.billing.models import BillingFlag, FlagKind
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import insert_or_ignore, utcnow
from portal.core.errors import NotFound
from portal.extensions import db


def raise_flag(*, practice_id: int, kind: FlagKind, session_id: str, message: str, patient_id: int | None = None,
               payment_id: int | None = None, amount_cents: int = 0) -> bool:
    """Record a flag once per kind and Checkout Session (a second webhook, a second run of the job
    or a flag already handled by staff adds nothing). True when it is new."""
    values = {"practice_id": practice_id, "kind": kind, "session_id": session_id[:255], "message": message,
              "patient_id": patient_id, "payment_id": payment_id, "amount_cents": amount_cents,
              "created_at": utcnow()}
    new_id = db.session.execute(insert_or_ignore(BillingFlag, values, ["practice_id", "kind", "session_id"])
                                .returning(BillingFlag.id)).scalar()
    return new_id is not None


def has_flag(*, practice_id: int, kind: FlagKind, session_id: str) -> bool:
    """Whether this session already has a flag of this kind, handled or not."""
    return db.session.scalar(select(BillingFlag.id).where(
        BillingFlag.practice_id == practice_id, BillingFlag.kind == kind,
        BillingFlag.session_id == session_id[:255])) is not None


def open_flags(practice_id: int) -> list[BillingFlag]:
    """The practice's flags not yet handled, newest first (their patient loaded)."""
    return list(db.session.scalars(
        select(BillingFlag).where(BillingFlag.practice_id == practice_id, BillingFlag.resolved_at.is_(None))
        .options(selectinload(BillingFlag.patient)).order_by(BillingFlag.created_at.desc(), BillingFlag.id.desc())))


def open_count(practice_id: int) -> int:
    """How many flags wait for staff (the console menu's badge)."""
    return db.session.scalar(select(func.count(BillingFlag.id)).where(
        BillingFlag.practice_id == practice_id, BillingFlag.resolved_at.is_(None))) or 0


def count_all(practice_id: int) -> int:
    """Every flag of the practice, handled or not (the reconciliation counts what it added)."""
    return db.session.scalar(select(func.count(BillingFlag.id)).where(BillingFlag.practice_id == practice_id)) or 0


def resolve_flag(*, practice_id: int, flag_id: int, staff, actor: Actor) -> bool:
    """Mark a flag handled by `staff` (audited). NotFound for another practice's flag; False
    (nothing written) when it was already handled."""
    flag = db.session.scalar(select(BillingFlag).where(BillingFlag.practice_id == practice_id,
                                                       BillingFlag.id == flag_id).with_for_update())
    if flag is None:
        raise NotFound()
    if flag.resolved_at is not None:
        return False
    flag.resolved_at, flag.resolved_by_id = utcnow(), staff.id
    audit.record("billing.flag_resolved", actor=actor, practice_id=practice_id, target=flag,
                 details={"kind": flag.kind.value, "session": flag.session_id, "amount_cents": flag.amount_cents,
                          "patient_id": flag.patient_id})
    return True
