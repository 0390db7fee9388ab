"""The ledger: what a patient owes (schedule installments and fees), the payments received, and
the allocations that tie one to the other. Paid and remaining amounts are computed from the
allocations, never stored. Money in integer cents (DESIGN invariant 3)."""
from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import PracticeOwned, Timestamped
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


class TeleconsultCharge(PracticeOwned, db.Model):
    """The fee a prepaid teleconsultation owes (seed 004), tied to its appointment. A table of its
    own rather than a column: altering `appointment` on SQLite rebuilds it and drops its
    no-overlap triggers. Paid or not is read from the item's allocations, never stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("billing_item.id", ondelete="CASCADE"), index=True)

    item: Mapped[BillingItem] = relationship()
