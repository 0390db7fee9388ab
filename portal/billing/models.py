"""The ledger: what a patient owes (schedule installments and fees), the payments received, and
the allocations that tie one to the other. Paid and remaining amounts are computed from the
allocations, never stored. Money in integer cents (DESIGN invariant 3)."""
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

    allocations: Mapped[list[Allocation]] = relationship(back_populates="payment", cascade="all, delete-orphan")
    recorded_by = relationship("StaffUser")

    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),
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
