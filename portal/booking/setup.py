"""Setting up online booking (seed 004's "paramétrage de l'officine"): the practice's booking
settings, practitioners' profiles, the known-contacts list and its CSV import, bans, visit reasons."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from portal.booking.models import ROLLING_WINDOWS, BookingBan, BookingSettings, KnownContact, VisitReason
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import move_in_order
from portal.core.errors import Invalid, NotFound
from portal.core.images import identity_photo
from portal.core.models import Practitioner
from portal.core.phones import normalize_phone
from portal.booking.services import (EMAIL_RE, extend_windows, normalize_contact, settings_for,  # noqa: F401
                                     visit_reasons)
from portal.extensions import db

MODES = ("open", "known")
REASON_MODES = ("free", "list")
IMPORT_MAX_LINES = 5000


def _https_url(value: str, name: str, *, required: bool) -> str:
    value = (value or "").strip()
    if not value:
        if required:
            raise Invalid(_("Saisissez une adresse https://…"), name)
        return ""
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise Invalid(_("L'adresse doit commencer par https:// (connexion chiffrée)."), name)
    return value


def update_settings(settings: BookingSettings, *, actor: Actor, **values) -> BookingSettings:
    """Change the practice's booking settings. `values` are BookingSettings columns.

    Raises `Invalid` for a rolling window other than 90 or 180 days, an unknown mode, a
    duration or hold out of range, a video server or map address that is not https, or a
    secretariat number that is not a phone number. Records "booking.settings_changed".
    """
    if "rolling_window_days" in values and values["rolling_window_days"] not in ROLLING_WINDOWS:
        raise Invalid(_("Choisissez 90 ou 180 jours."), "rolling_window_days")
    if values.get("mode", settings.mode) not in MODES:
        raise Invalid(_("Mode de réservation inconnu."), "mode")
    if values.get("reason_mode", settings.reason_mode) not in REASON_MODES:
        raise Invalid(_("Mode de saisie du motif inconnu."), "reason_mode")
    if not 5 <= values.get("default_duration_minutes", settings.default_duration_minutes) <= 480:
        raise Invalid(_("La durée doit être comprise entre 5 minutes et 8 heures."), "default_duration_minutes")
    if not 1 <= values.get("hold_minutes", settings.hold_minutes) <= 60:
        raise Invalid(_("Entre 1 et 60 minutes."), "hold_minutes")
    if "video_base_url" in values:
        values["video_base_url"] = _https_url(values["video_base_url"], "video_base_url", required=True).rstrip("/")
    if "map_url" in values:
        values["map_url"] = _https_url(values["map_url"], "map_url", required=False)
    if values.get("secretariat_phone"):
        phone = normalize_phone(values["secretariat_phone"])
        if phone is None:
            raise Invalid(_("Ce numéro de téléphone n'est pas valide."), "secretariat_phone")
        values["secretariat_phone"] = phone
    changed = sorted(k for k, v in values.items() if getattr(settings, k) != v)
    for key, value in values.items():
        setattr(settings, key, value.strip() if isinstance(value, str) else value)
    db.session.flush()
    if changed:
        audit.record("booking.settings_changed", actor=actor, practice_id=settings.practice_id, target=settings,
                     details={"fields": changed})
    if "rolling_window_days" in changed:
        extend_windows(practice_id=settings.practice_id)  # a longer window opens now, not tonight
    return settings


def update_practitioner_profile(practitioner: Practitioner, *, specialty: str, diplomas: str, actor: Actor,
                                photo: bytes | None = None, remove_photo: bool = False) -> Practitioner:
    """A practitioner's own booking-page details: specialty, diplomas, identity photo.

    The photo is re-encoded (`portal.core.images.identity_photo`), which raises `Invalid` for a
    file that is not an image or is too large. Records "booking.profile_changed".
    """
    practitioner.specialty = specialty.strip()[:120]
    practitioner.diplomas = diplomas.strip()
    if photo:
        practitioner.photo = identity_photo(photo)
    elif remove_photo:
        practitioner.photo = None
    db.session.flush()
    audit.record("booking.profile_changed", actor=actor, practice_id=practitioner.practice_id, target=practitioner,
                 details={"photo": "new" if photo else "removed" if remove_photo else "kept"})
    return practitioner


def known_contacts(practice_id: int, query: str = "") -> list[KnownContact]:
    """The whitelist, searched by part of an address, number or note."""
    stmt = select(KnownContact).where(KnownContact.practice_id == practice_id)
    query = query.strip().lower()
    if query:
        digits = re.sub(r"\D", "", query)
        needles = [KnownContact.value.contains(query), func.lower(KnownContact.note).contains(query)]
        if len(digits) >= 3:  # "06 12" finds +33612…: compare without the leading 0
            needles.append(KnownContact.value.contains(digits.lstrip("0")))
        stmt = stmt.where(or_(*needles))
    return list(db.session.scalars(stmt.order_by(KnownContact.value).limit(500)))


def _contact_exists(practice_id: int, value: str) -> bool:
    return db.session.scalar(select(KnownContact.id).where(KnownContact.practice_id == practice_id,
                                                           KnownContact.value == value)) is not None


def add_known_contact(*, practice_id: int, value: str, actor: Actor, note: str = "") -> KnownContact:
    """Allow an e-mail address or mobile number to book in "known patients only" mode.

    Raises `Invalid` for an unreadable value or one already in the list.
    """
    value = normalize_contact(value)
    if _contact_exists(practice_id, value):
        raise Invalid(_("« %(value)s » est déjà dans la liste.", value=value), "value")
    contact = KnownContact(practice_id=practice_id, value=value, note=(note or "").strip()[:200])
    db.session.add(contact)
    db.session.flush()
    audit.record("booking.contact_added", actor=actor, practice_id=practice_id, target=contact)
    return contact


def remove_known_contact(*, practice_id: int, contact_id: int, actor: Actor) -> None:
    """Take an entry off the whitelist; `NotFound` for an id of another practice."""
    contact = db.session.get(KnownContact, contact_id)
    if contact is None or contact.practice_id != practice_id:
        raise NotFound()
    audit.record("booking.contact_removed", actor=actor, practice_id=practice_id, target=contact,
                 details={"value": contact.value})
    db.session.delete(contact)
    db.session.flush()


@dataclass
class ImportReport:
    added: int = 0
    already: int = 0  # in the list before, or twice in the file: skipped, not an error
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)
    imported: bool = True  # False when errors stopped the whole import


def import_known_contacts(*, practice_id: int, text: str, actor: Actor, skip_bad_lines: bool) -> ImportReport:
    """Import a CSV of contacts: one per line, `value[;note]` (`,` or `;`), an optional header.

    Bad lines are reported with their numbers. Without `skip_bad_lines` a single bad line
    imports nothing; with it, the good lines are imported. Records "booking.contacts_imported".
    """
    lines = text.splitlines()
    if len(lines) > IMPORT_MAX_LINES:
        raise Invalid(_("Fichier trop long (%(n)s lignes au plus).", n=IMPORT_MAX_LINES), "file")
    report, good, seen = ImportReport(), [], set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        delimiter = ";" if ";" in line else ","
        cells = next(csv.reader([line], delimiter=delimiter))
        raw, note = (cells[0] if cells else "").strip(), (cells[1] if len(cells) > 1 else "").strip()
        if number == 1 and raw.lower() in ("contact", "email", "e-mail", "mail", "mobile", "portable", "valeur"):
            continue
        try:
            value = normalize_contact(raw)
        except Invalid as exc:
            report.errors.append((number, exc.message))
            continue
        if value in seen or _contact_exists(practice_id, value):
            report.already += 1
            continue
        seen.add(value)
        good.append((value, note[:200]))
    if not good and not report.errors and not report.already:
        raise Invalid(_("Le fichier ne contient aucun contact."), "file")
    if report.errors and not skip_bad_lines:
        report.imported = False
        return report
    for value, note in good:
        db.session.add(KnownContact(practice_id=practice_id, value=value, note=note))
    report.added = len(good)
    db.session.flush()
    audit.record("booking.contacts_imported", actor=actor, practice_id=practice_id,
                 details={"added": report.added, "bad_lines": [n for n, _m in report.errors]})
    return report


def bans(practice_id: int) -> list[BookingBan]:
    """Who may not book online, newest first."""
    return list(db.session.scalars(select(BookingBan).where(BookingBan.practice_id == practice_id)
                                   .order_by(BookingBan.created_at.desc(), BookingBan.id.desc())))


def add_ban(*, practice_id: int, value: str, reason: str, actor: Actor) -> BookingBan:
    """Forbid online booking to an e-mail address or mobile number, whatever the mode.

    Raises `Invalid` for an unreadable value or one already banned.
    """
    value = normalize_contact(value)
    if db.session.scalar(select(BookingBan.id).where(BookingBan.practice_id == practice_id,
                                                     BookingBan.value == value)) is not None:
        raise Invalid(_("« %(value)s » est déjà interdit de réservation.", value=value), "value")
    ban = BookingBan(practice_id=practice_id, value=value, reason=(reason or "").strip()[:200])
    db.session.add(ban)
    db.session.flush()
    audit.record("booking.ban_added", actor=actor, practice_id=practice_id, target=ban)
    return ban


def remove_ban(*, practice_id: int, ban_id: int, actor: Actor) -> None:
    """Lift a ban; `NotFound` for an id of another practice."""
    ban = db.session.get(BookingBan, ban_id)
    if ban is None or ban.practice_id != practice_id:
        raise NotFound()
    audit.record("booking.ban_removed", actor=actor, practice_id=practice_id, target=ban,
                 details={"value": ban.value})
    db.session.delete(ban)
    db.session.flush()


def add_reason(*, practice_id: int, label: str, actor: Actor) -> VisitReason:
    """Add a visit reason at the end of the list; `Invalid` when empty or already listed."""
    label = " ".join(label.split())
    if not label:
        raise Invalid(_("Saisissez le motif."), "label")
    current = visit_reasons(practice_id)
    if any(r.label.lower() == label.lower() for r in current):
        raise Invalid(_("Ce motif est déjà dans la liste."), "label")
    reason = VisitReason(practice_id=practice_id, label=label[:200],
                         position=max((r.position for r in current), default=-1) + 1)
    db.session.add(reason)
    db.session.flush()
    audit.record("booking.reason_added", actor=actor, practice_id=practice_id, target=reason)
    return reason


def _reason(practice_id: int, reason_id: int) -> VisitReason:
    reason = db.session.get(VisitReason, reason_id)
    if reason is None or reason.practice_id != practice_id or not reason.active:
        raise NotFound()
    return reason


def remove_reason(*, practice_id: int, reason_id: int, actor: Actor) -> None:
    """Take a reason off the list (appointments keep their text); `NotFound` for a foreign id."""
    reason = _reason(practice_id, reason_id)
    audit.record("booking.reason_removed", actor=actor, practice_id=practice_id, target=reason,
                 details={"label": reason.label})
    db.session.delete(reason)
    db.session.flush()


def move_reason(*, practice_id: int, reason_id: int, up: bool, actor: Actor) -> None:
    """Swap a reason with its neighbour above (`up`) or below; nothing at either end."""
    reason = _reason(practice_id, reason_id)
    if not move_in_order(visit_reasons(practice_id), reason, up=up):
        return
    audit.record("booking.reasons_reordered", actor=actor, practice_id=practice_id, target=reason)
