"""The ledger: what a patient owes (schedule installments and fees), the payments received, and
the allocations that tie one to the other. Paid and remaining amounts are computed from the
allocations, never stored; and the flags of online payments staff must check. Money in integer
cents (DESIGN invariant 3)."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (Boolean, CheckConstraint, Date, Enum, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import PracticeOwned, Timestamped, UTCDateTime, utcnow
from portal.extensions import db


class ItemKind(str, enum.Enum):
    installment = "installment"  # a line of the treatment schedule (échéancier)
    fee = "fee"                  # a fee for care given (honoraires)


class PaymentMethod(str, enum.Enum):
    cheque = "cheque"
    card = "card"                # card at the desk
    transfer = "transfer"
    cash = "cash"
    online = "online"            # "Virement (en ligne)": recorded from a verified Stripe event only


OFFLINE_METHODS = (PaymentMethod.cheque, PaymentMethod.card, PaymentMethod.transfer, PaymentMethod.cash)


class BillingItem(PracticeOwned, Timestamped, db.Model):
    """Something a patient's file owes: an installment (label, amount, due date, processed) or a
    fee (label, date of care, amount, due date). `responsible_id` names who owes it (the
    financial responsible by default; None: the patient themselves)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    kind: Mapped[ItemKind] = mapped_column(Enum(ItemKind, native_enum=False, length=12))
    label: Mapped[str] = mapped_column(String(120))
    care_date: Mapped[date | None] = mapped_column(Date)  # fees: the date of the care
    due_date: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(Integer)
    processed: Mapped[bool] = mapped_column(Boolean, default=False)  # installments: "Traité" (seed 001)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("responsible.id", ondelete="SET NULL"))

    responsible = relationship("Responsible")

    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),
                      Index("ix_billing_item_patient", "practice_id", "patient_id", "due_date"))


class Payment(PracticeOwned, Timestamped, db.Model):
    """Money received for a patient's file, by `method`, on `paid_on`, from the payer (a
    responsible, or the patient when None; `payer_name` keeps the name as it was)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    amount_cents: Mapped[int] = mapped_column(Integer)
    method: Mapped[PaymentMethod] = mapped_column(Enum(PaymentMethod, native_enum=False, length=12))
    paid_on: Mapped[date] = mapped_column(Date)
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("responsible.id", ondelete="SET NULL"))
    payer_name: Mapped[str] = mapped_column(String(170), default="")
    reference: Mapped[str] = mapped_column(String(80), default="")  # cheque number, transfer or Stripe id
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    form_token: Mapped[str | None] = mapped_column(String(64))  # the desk form's: sent twice, recorded once

    allocations: Mapped[list[Allocation]] = relationship(back_populates="payment", cascade="all, delete-orphan")
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")
    recorded_by = relationship("StaffUser")

    @property
    def refunded_cents(self) -> int:
        """What was given back of this payment (refunds under way count; failed ones don't)."""
        return sum(r.amount_cents for r in self.refunds if r.status is not RefundStatus.failed)

    @property
    def net_cents(self) -> int:
        return self.amount_cents - self.refunded_cents

    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),
                      UniqueConstraint("practice_id", "form_token"),
                      Index("ix_payment_patient", "practice_id", "patient_id", "paid_on"),
                      Index("ix_payment_day", "practice_id", "paid_on"))


class Allocation(PracticeOwned, db.Model):
    """The part of a payment that settles one item."""

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("billing_item.id", ondelete="CASCADE"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)

    payment: Mapped[Payment] = relationship(back_populates="allocations")

    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)


class RefundStatus(str, enum.Enum):
    pending = "pending"      # asked of Stripe, not settled yet: already counted (the money is leaving)
    succeeded = "succeeded"
    failed = "failed"        # Stripe could not give the money back: the payment counts in full again


class Refund(PracticeOwned, Timestamped, db.Model):
    """Money given back of one payment, on `refunded_on`: through Stripe for an online payment
    (`stripe_refund_id`), by hand otherwise. Its parts take money back from the items the payment
    had settled, so those items are due again from that date; a failed refund counts for nothing."""

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id", ondelete="CASCADE"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    refunded_on: Mapped[date] = mapped_column(Date)
    status: Mapped[RefundStatus] = mapped_column(Enum(RefundStatus, native_enum=False, length=12),
                                                 default=RefundStatus.succeeded)
    reason: Mapped[str] = mapped_column(Text, default="")
    stripe_refund_id: Mapped[str | None] = mapped_column(String(80))  # re_…; None for a refund by hand
    # How the money went back (cash for a card payment refunded at the desk, online through
    # Stripe): the day's totals by method count it there. None on refunds older than the column.
    method: Mapped[PaymentMethod | None] = mapped_column(Enum(PaymentMethod, native_enum=False, length=12))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    # The console form's one-time token: a form sent twice (double click, retry) gives back once,
    # by hand as through Stripe. None for a refund learnt from Stripe's dashboard.
    form_token: Mapped[str | None] = mapped_column(String(64))

    payment: Mapped[Payment] = relationship(back_populates="refunds")
    parts: Mapped[list[RefundPart]] = relationship(back_populates="refund", cascade="all, delete-orphan")
    recorded_by = relationship("StaffUser")

    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),
                      UniqueConstraint("practice_id", "stripe_refund_id"),
                      UniqueConstraint("practice_id", "form_token"),
                      Index("ix_refund_day", "practice_id", "refunded_on"))


class RefundPart(PracticeOwned, db.Model):
    """The part of a refund taken back from one item (the reverse of an `Allocation`)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refund.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("billing_item.id", ondelete="CASCADE"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)

    refund: Mapped[Refund] = relationship(back_populates="parts")

    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)


class FlagKind(str, enum.Enum):
    excess = "excess"                    # paid more than due: the ledger took the balance, the rest waits
    unmatched = "unmatched"              # a paid session the ledger could not take (unknown file, other practice)
    amount_mismatch = "amount_mismatch"  # the recorded payment differs from what the session was paid
    not_paid = "not_paid"                # an online payment recorded for a session Stripe says is not paid
    refund = "refund"                    # a refund made in Stripe's dashboard the ledger cannot place by itself


class BillingFlag(PracticeOwned, Timestamped, db.Model):
    """An online payment staff must look at ("À vérifier"): what the ledger could not settle by
    itself. Never changes the ledger; closed by staff ("Marquer comme traité"). One per kind and
    Checkout Session, so the daily reconciliation and the webhook never raise it twice."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FlagKind] = mapped_column(Enum(FlagKind, native_enum=False, length=20))
    session_id: Mapped[str] = mapped_column(String(255), default="")  # the Checkout Session (cs_…)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id", ondelete="SET NULL"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id", ondelete="SET NULL"))
    amount_cents: Mapped[int] = mapped_column(Integer, default=0)  # the sum in question (the excess, the paid)
    message: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))

    patient = relationship("Patient")
    resolved_by = relationship("StaffUser")

    __table_args__ = (UniqueConstraint("practice_id", "kind", "session_id"),
                      Index("ix_billing_flag_open", "practice_id", "resolved_at"))


class OverdueReminderSettings(PracticeOwned, db.Model):
    """A practice's overdue-payment reminders (issue 5): off unless switched on; the first one
    `first_after_days` after the due date, then every `every_days`, at most `max_count`, by
    e-mail and/or SMS. One row per practice; no row reads as the defaults, switched off."""

    __tablename__ = "overdue_reminder_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    first_after_days: Mapped[int] = mapped_column(Integer, default=3)
    every_days: Mapped[int] = mapped_column(Integer, default=7)
    max_count: Mapped[int] = mapped_column(Integer, default=3)
    by_email: Mapped[bool] = mapped_column(Boolean, default=True)
    by_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("practice_id"),
                      CheckConstraint("first_after_days >= 1 AND every_days >= 1 AND max_count >= 1",
                                      name="positive_periods"))


class TeleconsultCharge(PracticeOwned, db.Model):
    """The fee a prepaid teleconsultation owes (seed 004), tied to its appointment. A table of its
    own rather than a column: altering `appointment` on SQLite rebuilds it and drops its
    no-overlap triggers. Paid or not is read from the item's allocations, never stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("billing_item.id", ondelete="CASCADE"), index=True)

    item: Mapped[BillingItem] = relationship()
