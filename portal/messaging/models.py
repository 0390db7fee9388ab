"""The practice's inbox: every message between a patient's file and the practice, both ways,
and the predefined messages staff reply with."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import PracticeOwned, Timestamped, UTCDateTime
from portal.extensions import db
from portal.patients.models import Patient


class Direction(str, enum.Enum):
    incoming = "incoming"  # from the patient or a parent
    outgoing = "outgoing"  # from the practice


class Attached:
    """An optional file, stored under FILES_DIR (never in static/) and served by a view that
    checks who asks."""

    attachment_key: Mapped[str | None] = mapped_column(String(120))  # path under FILES_DIR
    attachment_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    attachment_type: Mapped[str] = mapped_column(String(60), default="", server_default="")
    attachment_size: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    @property
    def has_attachment(self) -> bool:
        return bool(self.attachment_key)

    @property
    def attachment_is_image(self) -> bool:
        return self.attachment_type.startswith("image/")


class Message(PracticeOwned, Timestamped, Attached, db.Model):
    """One message of a patient file's conversation with the practice. The table keeps its
    first name (it began as Mon cabinet's contact messages, which still land here with a
    subject). `read_at` is when the recipient read it: staff for incoming messages, the patient
    space for outgoing ones."""

    __tablename__ = "practice_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    direction: Mapped[Direction] = mapped_column(
        Enum(Direction, native_enum=False, length=8), default=Direction.incoming, server_default="incoming")
    # The sender's account; kept as a phone number too, so the message survives the account.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("patient_account.id", ondelete="SET NULL"))
    sender_phone: Mapped[str] = mapped_column(String(16), default="")  # E.164
    # The staff member who wrote an outgoing message (None once their account is gone).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(160), default="")  # only Mon cabinet's contact form sets one
    body: Mapped[str] = mapped_column(Text, default="")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))

    patient: Mapped[Patient] = relationship()
    author = relationship("StaffUser", foreign_keys=[author_id])

    @property
    def incoming(self) -> bool:
        return self.direction is Direction.incoming

    __table_args__ = (Index("ix_practice_message_inbox", "practice_id", "created_at"),
                      Index("ix_practice_message_thread", "practice_id", "patient_id", "created_at"))


class MessageTemplate(PracticeOwned, Timestamped, Attached, db.Model):
    """A predefined message (seed 000, Paramètres → Onglet Messagerie), optionally with a file."""

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)
