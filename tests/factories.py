"""Factories that go through the services, like real data does."""
from __future__ import annotations

import itertools
import re
from datetime import date

import pyotp
from sqlalchemy import select

from portal.accounts import staff_admin
from portal.accounts.models import Role
from portal.core.audit import Actor
from portal.core.db import commit, utcnow
from portal.core.phones import normalize_phone
from portal.core.services import create_practice
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.notify.services import delivery_text
from portal.patients.services import create_patient

PASSWORD = "correct horse battery staple"
PATIENT_PASSWORD = "un mot de passe bien long"
_seq = itertools.count(1)
OPERATOR = Actor.operator()


def make_practice(name: str | None = None, **kw):
    n = next(_seq)
    practice = create_practice(name=name or f"Cabinet {n}", slug=kw.pop("slug", f"cabinet-{n}"), actor=OPERATOR, **kw)
    commit()
    return practice


def make_staff(practice, role: Role | str = Role.owner, *, enrolled: bool = True, email: str | None = None,
               first_name: str = "Alex", last_name: str | None = None):
    n = next(_seq)
    user = staff_admin.create_staff(practice=practice, email=email or f"staff{n}@example.com", role=Role(role),
                                    first_name=first_name, last_name=last_name or f"Staff{n}", password=PASSWORD,
                                    actor=OPERATOR)
    if enrolled:
        user.totp_key = pyotp.random_base32()
        user.totp_confirmed_at = utcnow()
    commit()
    return user


def make_patient(practice, *, parent_mobile: str | None = None, **overrides):
    n = next(_seq)
    data = {"number": str(1000 + n), "last_name": "Durand", "first_name": f"Enfant{n}",
            "birth_date": date(2012, 1, 1 + n % 27), "sex": "F"}
    data.update(overrides)
    responsibles = data.pop("responsibles", None)
    if responsibles is None and parent_mobile:
        responsibles = [{"role": "parent1", "last_name": data["last_name"], "first_name": "Parent",
                         "mobile": parent_mobile}]
    patient = create_patient(practice_id=practice.id, responsibles=responsibles or [], actor=OPERATOR, **data)
    commit()
    return patient


def outbox(recipient: str | None = None, category: str | None = None) -> list[OutboxMessage]:
    q = select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient:
        q = q.where(OutboxMessage.recipient == (normalize_phone(recipient) or recipient))
    if category:
        q = q.where(OutboxMessage.category == category)
    db.session.expire_all()
    return list(db.session.scalars(q))


def last_code(phone: str) -> str:
    """The 6-digit code of the latest sign-in SMS to `phone`, read from the outbox."""
    messages = outbox(phone, "auth_code")
    assert messages, f"no code sent to {phone}"
    return re.search(r"\b(\d{6})\b", delivery_text(messages[-1])).group(1)


def last_link(email: str) -> str:
    messages = outbox(email)
    assert messages, f"no e-mail to {email}"
    return re.search(r"https?://\S+", delivery_text(messages[-1])).group(0)
