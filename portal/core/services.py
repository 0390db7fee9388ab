"""Practices: creation by an operator, and the lookups every domain needs."""
from __future__ import annotations

import re
import secrets
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import gettext as _
from sqlalchemy import select

from portal.core import audit
from portal.core.audit import Actor
from portal.core.errors import Conflict, Invalid, NotFound
from portal.core.models import INFO_ZONES, Location, Practice, Practitioner
from portal.core.text import name_key
from portal.extensions import db

_SLUG_OK = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(name: str) -> str:
    """A URL-safe slug from a practice name."""
    return "-".join(name_key(name).split())[:60] or "cabinet"


def _new_public_code() -> str:
    """Six digits, the "identifiant de cabinet" patients are given (seed 001)."""
    while True:
        code = f"{secrets.randbelow(900000) + 100000}"
        if not db.session.scalar(select(Practice.id).where(Practice.public_code == code)):
            return code


def create_practice(*, name: str, actor: Actor, slug: str | None = None, timezone: str = "Europe/Paris",
                    address: str = "", postal_code: str = "", city: str = "", phone: str = "",
                    email: str = "") -> Practice:
    """Create a practice with one location named after it. Raises `Invalid`/`Conflict`."""
    name = name.strip()
    if not name:
        raise Invalid(_("Le nom du cabinet est obligatoire."), "name")
    slug = (slug or slugify(name)).strip().lower()
    if not _SLUG_OK.match(slug):
        raise Invalid(_("L'identifiant d'adresse ne peut contenir que des lettres, chiffres et tirets."), "slug")
    if timezone not in available_timezones():
        raise Invalid(_("Fuseau horaire inconnu : %(tz)s", tz=timezone), "timezone")
    if db.session.scalar(select(Practice.id).where(Practice.slug == slug)):
        raise Conflict(_("Un cabinet utilise déjà l'adresse « %(slug)s ».", slug=slug), "slug")
    practice = Practice(name=name, slug=slug, public_code=_new_public_code(), timezone=timezone,
                        address=address, postal_code=postal_code, city=city, phone=phone, email=email,
                        info_zones=[""] * INFO_ZONES, options={})
    db.session.add(practice)
    db.session.flush()
    db.session.add(Location(practice_id=practice.id, name=name, address=address, postal_code=postal_code,
                            city=city, phone=phone))
    audit.record("practice.created", actor=actor, practice_id=practice.id, target=practice)
    return practice


def get_practice(ref: str | int) -> Practice:
    """By id, slug or public code; `NotFound` otherwise."""
    q = select(Practice)
    if (isinstance(ref, int) or str(ref).isdigit()) and int(ref) > 2**31 - 1:
        practice = None
    elif isinstance(ref, int) or str(ref).isdigit():
        practice = db.session.scalar(q.where((Practice.id == int(ref)) | (Practice.public_code == str(ref))))
    else:
        practice = db.session.scalar(q.where(Practice.slug == ref))
    if practice is None:
        raise NotFound(_("Cabinet introuvable : %(ref)s", ref=ref))
    return practice


def add_practitioner(practice: Practice, *, first_name: str, last_name: str, actor: Actor, title: str = "Dr",
                     specialty: str = "", staff_user_id: int | None = None) -> Practitioner:
    """Add a practitioner to the practice (optionally linked to a staff account)."""
    initials = (first_name[:1] + last_name[:1]).upper()
    p = Practitioner(practice_id=practice.id, title=title, first_name=first_name, last_name=last_name,
                     initials=initials, specialty=specialty, staff_user_id=staff_user_id)
    db.session.add(p)
    db.session.flush()
    audit.record("practitioner.created", actor=actor, practice_id=practice.id, target=p)
    return p


def zone(practice: Practice) -> ZoneInfo:
    """The practice's time zone."""
    return ZoneInfo(practice.timezone)
