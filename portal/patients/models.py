"""Patients and the people responsible for them."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import PracticeOwned, Timestamped, UTCDateTime, utcnow
from portal.core.models import Practice
from portal.core.phones import display_phone
from portal.extensions import db


class FileStatus(str, enum.Enum):
    consultation = "consultation"
    in_treatment = "in_treatment"
    retention = "retention"
    finished = "finished"


class ResponsibleRole(str, enum.Enum):
    parent1 = "parent1"
    parent2 = "parent2"
    financial = "financial"


class Patient(PracticeOwned, Timestamped, db.Model):
    __table_args__ = (
        UniqueConstraint("practice_id", "number"),
        Index("ix_patient_practice_name", "practice_id", "last_name_key", "first_name_key",
              postgresql_ops={"last_name_key": "varchar_pattern_ops", "first_name_key": "varchar_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20))  # the practice's internal number (seed 001)
    civility: Mapped[str] = mapped_column(String(10), default="")
    last_name: Mapped[str] = mapped_column(String(80))
    first_name: Mapped[str] = mapped_column(String(80))
    # Accent- and case-free copies, kept in step by the service that writes names, so that the
    # sign-in match and the staff search use an index instead of scanning.
    last_name_key: Mapped[str] = mapped_column(String(80))
    first_name_key: Mapped[str] = mapped_column(String(80))
    sex: Mapped[str] = mapped_column(String(1), default="")  # F, M, or empty when unknown
    birth_date: Mapped[date] = mapped_column(Date)
    mobile: Mapped[str | None] = mapped_column(String(16), index=True)  # E.164
    email: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(12), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    treatment_start: Mapped[date | None] = mapped_column(Date)
    file_status: Mapped[FileStatus] = mapped_column(
        db.Enum(FileStatus, native_enum=False, length=20), default=FileStatus.consultation
    )
    # Seed 000, RGPD: the patient asked that nothing of theirs be shared online.
    do_not_share_online: Mapped[bool] = mapped_column(Boolean, default=False)
    remarks: Mapped[str] = mapped_column(Text, default="")  # staff's remarks, shown on the planning
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    practice: Mapped[Practice] = relationship()
    responsibles: Mapped[list[Responsible]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="Responsible.role"
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def mobile_display(self) -> str:
        return display_phone(self.mobile)

    @property
    def responsibles_in_order(self) -> list[Responsible]:
        """Parent 1, parent 2, then the financial responsible."""
        rank = list(ResponsibleRole)
        return sorted(self.responsibles, key=lambda r: rank.index(r.role))

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


class Responsible(PracticeOwned, db.Model):
    __table_args__ = (UniqueConstraint("patient_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    role: Mapped[ResponsibleRole] = mapped_column(db.Enum(ResponsibleRole, native_enum=False, length=20))
    civility: Mapped[str] = mapped_column(String(10), default="")
    last_name: Mapped[str] = mapped_column(String(80), default="")
    first_name: Mapped[str] = mapped_column(String(80), default="")
    mobile: Mapped[str | None] = mapped_column(String(16), index=True)  # E.164
    email: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(200), default="")

    patient: Mapped[Patient] = relationship(back_populates="responsibles")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def mobile_display(self) -> str:
        return display_phone(self.mobile)


class RequestKind(str, enum.Enum):
    details = "details"                # a change of names, birth date, e-mail, phone or address
    account_deletion = "account_deletion"  # RGPD: close my portal account
    patient_link = "patient_link"      # "Gestion des patients": link this patient's file to my number


class RequestState(str, enum.Enum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"


class ChangeRequest(PracticeOwned, Timestamped, db.Model):
    """What a person asked from the patient space for staff to decide (seed 000 "Mes infos"
    passed nothing to the practice; here a change waits for staff, and the person sees its state).

    `patient_id` set: a change to that patient's file. Unset: a change to the person themselves
    (every responsible row carrying the account's number) or, for `account_deletion`, the account.
    For `patient_link`, `changes` holds what the person typed (names, ISO birth date, relation,
    note; plain values, not pairs) and `patient_id` is the file staff linked, once accepted.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RequestKind] = mapped_column(db.Enum(RequestKind, native_enum=False, length=20))
    # SET NULL: a deleted account leaves its decided requests as the practice's record.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("patient_account.id", ondelete="SET NULL"), index=True)
    requested_by: Mapped[str] = mapped_column(String(16))  # the account's number, kept after a deletion
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    changes: Mapped[dict] = mapped_column(db.JSON, default=dict)  # field -> [old, new] (see above for links)
    state: Mapped[RequestState] = mapped_column(db.Enum(RequestState, native_enum=False, length=10),
                                                default=RequestState.pending, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")  # why staff rejected it, shown to the person

    patient: Mapped[Patient | None] = relationship()

    @property
    def typed_birth_date(self) -> date | None:
        """A link request's typed birth date as a date (`changes` keeps it as ISO text)."""
        raw = (self.changes or {}).get("birth_date") if self.kind is RequestKind.patient_link else None
        return date.fromisoformat(raw) if isinstance(raw, str) else None
