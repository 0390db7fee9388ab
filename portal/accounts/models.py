"""Staff users, patients' portal accounts, sessions and the secrets that protect them."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import PracticeOwned, Timestamped, UTCDateTime
from portal.core.models import Practice
from portal.extensions import db


class Role(str, enum.Enum):
    owner = "owner"
    practitioner = "practitioner"
    secretary = "secretary"


# Seed 004: "qui peut le plus peut le moins" — each role can do all that the roles below it can.
ROLE_RANK = {Role.secretary: 1, Role.practitioner: 2, Role.owner: 3}


class Principal(UserMixin):
    """What Flask-Login keeps: the id is the server-side session token, not the user id, so
    revoking the session row signs the browser out at its next request."""

    session_token: str | None = None
    auth_session = None

    def get_id(self):
        return self.session_token


class StaffUser(Principal, PracticeOwned, Timestamped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)  # stored lower-case
    first_name: Mapped[str] = mapped_column(String(80), default="")
    last_name: Mapped[str] = mapped_column(String(80), default="")
    role: Mapped[Role] = mapped_column(db.Enum(Role, native_enum=False, length=20))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # The authenticator key, sealed (portal.core.tokens.seal): a copy of the database alone does
    # not let anyone generate a staff member's codes. Read and write it through `totp_key`.
    totp_secret: Mapped[str | None] = mapped_column(String(300))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Last accepted TOTP time step: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_signins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_signin_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locale: Mapped[str] = mapped_column(String(5), default="fr")

    practice: Mapped[Practice] = relationship()

    kind = "staff"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def totp_key(self) -> str | None:
        from portal.core.tokens import unseal

        return unseal(self.totp_secret) if self.totp_secret else None

    @totp_key.setter
    def totp_key(self, value: str | None) -> None:
        from portal.core.tokens import seal

        self.totp_secret = seal(value) if value else None

    def can(self, role: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


class RecoveryCode(PracticeOwned, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffToken(PracticeOwned, Timestamped, db.Model):
    """A single-use, expiring link sent by e-mail: an invitation or a password reset."""

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(10))  # invite, reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role | None] = mapped_column(db.Enum(Role, native_enum=False, length=20))
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PatientAccount(Principal, PracticeOwned, Timestamped, db.Model):
    """A person (patient, parent or financial responsible) identified by a mobile number.

    They see every patient of the practice linked to that number; the link is computed from the
    patient records at each request, so a number removed from a file stops giving access at once.
    """

    __table_args__ = (UniqueConstraint("practice_id", "phone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16))  # E.164
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_passwords: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_signin_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # False until the person changes their reminders (portal.notify.reminder_rules): until then
    # they get the default rule, and once set, an empty list means "no reminders".
    reminders_customised: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    # The privacy notice the person accepted at first sign-in, and when (RGPD consent step).
    privacy_consent_version: Mapped[str] = mapped_column(String(20), default="")
    privacy_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    practice: Mapped[Practice] = relationship()

    kind = "patient"

    @property
    def is_active(self) -> bool:
        return self.active


class SmsChallenge(PracticeOwned, Timestamped, db.Model):
    """A 6-digit code sent by SMS. Only its hash is kept; a resend replaces the code but keeps
    the failure counter, so resending never buys more guesses."""

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("patient_account.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(16), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # enrol (first sign-in), signin
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    send_count: Mapped[int] = mapped_column(Integer, default=1)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthSession(Timestamped, db.Model):
    """A signed-in browser. The cookie carries a random token; the row holds the truth."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # staff, patient
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id", ondelete="CASCADE"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    patient_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("patient_account.id", ondelete="CASCADE"), index=True
    )
    # The patient whose file a person is looking at, among those linked to their number.
    current_patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id", ondelete="SET NULL"))
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(String(40), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")

    staff_user: Mapped[StaffUser | None] = relationship()
    patient_account: Mapped[PatientAccount | None] = relationship()


class PatientPasskey(PracticeOwned, Timestamped, db.Model):
    """A passkey (WebAuthn credential) of a patient account, with user verification required:
    the phone's biometrics or PIN plus the device itself, two factors in one gesture."""

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("patient_account.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url of up to 1023 bytes
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(120), default="")
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[PatientAccount] = relationship()


class PasskeyChallenge(db.Model):
    """A WebAuthn challenge, spent once on the server (the cookie alone could be replayed)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(10))  # register, signin
    account_id: Mapped[int | None] = mapped_column(ForeignKey("patient_account.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
