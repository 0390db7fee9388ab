"""Practices, their locations and practitioners, and the audit log."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import PracticeOwned, Timestamped, UTCDateTime, utcnow
from portal.extensions import db

# Modules a practice can switch off (DESIGN invariant 8). Where the seeds give a separate
# switch for minors, `<module>_minors` says whether patients under 18 get the module.
MODULE_DEFAULTS: dict[str, bool] = {
    "appointments": True,
    # Seed 000, Rendez-vous → "scan sur borne d'accueil": a QR code per visit of the day.
    "appointments_checkin": False,
    "messaging": True,
    "imaging": True,
    "payments": True,
    "payments_minors": True,
    "payments_online": False,
    "payments_due_only": False,
    "documents": True,
    "documents_minors": True,
    "questionnaires": True,
    "questionnaires_minors": True,
    "booking": False,
    "cases": False,
}

INFO_ZONES = 7  # seed 001: seven free text zones shown to patients


class Practice(Timestamped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # "Identifiant de cabinet" (seed 001): short, printable, given to patients.
    public_code: Mapped[str] = mapped_column(String(12), unique=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(12), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    phone_secondary: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    opening_hours: Mapped[str] = mapped_column(Text, default="")  # Mon cabinet's "Horaires", free text
    timezone: Mapped[str] = mapped_column(String(60), default="Europe/Paris")
    info_zones: Mapped[list] = mapped_column(JSON, default=lambda: [""] * INFO_ZONES)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    locations: Mapped[list[Location]] = relationship(back_populates="practice", order_by="Location.id")
    practitioners: Mapped[list[Practitioner]] = relationship(
        back_populates="practice", order_by="Practitioner.last_name"
    )

    def module_on(self, name: str) -> bool:
        return bool({**MODULE_DEFAULTS, **(self.options or {})}.get(name, False))

    def module_for(self, name: str, *, minor: bool) -> bool:
        """Whether a patient gets the module: it is on and, for a minor, so is its
        `<name>_minors` switch where the module has one."""
        minors_key = f"{name}_minors"
        if not self.module_on(name):
            return False
        return not (minor and minors_key in MODULE_DEFAULTS and not self.module_on(minors_key))

    def __repr__(self) -> str:
        return f"<Practice {self.slug}>"


class Location(PracticeOwned, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(12), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")

    practice: Mapped[Practice] = relationship(back_populates="locations")


class Practitioner(PracticeOwned, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(20), default="Dr")
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    initials: Mapped[str] = mapped_column(String(6), default="")
    specialty: Mapped[str] = mapped_column(String(120), default="")
    diplomas: Mapped[str] = mapped_column(Text, default="")
    # An identity photo for the booking page, re-encoded as JPEG (invariant 7), a few KB.
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # Online booking offers slots up to this date; the nightly job moves it (seed 004's
    # rolling planning), so a day appears at once for every patient, never half-computed.
    booking_open_until: Mapped[date | None] = mapped_column(Date)
    # Works in the practice: has an agenda in the console (substitutes created on the fly don't).
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Seed 000 "Actif": a practitioner may choose not to appear in the patient application and
    # online booking, while their agenda goes on in the console.
    shown_to_patients: Mapped[bool] = mapped_column(Boolean, default=True)
    staff_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), unique=True
    )

    practice: Mapped[Practice] = relationship(back_populates="practitioners")

    @property
    def display_name(self) -> str:
        return f"{self.title} {self.first_name} {self.last_name}".strip()


class AuditEvent(db.Model):
    """Who did what, when, from where (DESIGN invariant 9). Never updated, never deleted by the app."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Null for events that belong to no practice yet (a failed sign-in with an unknown e-mail).
    practice_id: Mapped[int | None] = mapped_column(
        ForeignKey("practice.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_type: Mapped[str] = mapped_column(String(20))  # staff, patient, operator, system, anonymous
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_label: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
