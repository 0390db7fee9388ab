"""Mon cabinet (seed 000, seed 001): the practice's card as patients see it, what staff edit of it
("Coordonnées"), and which appointments a person already added to their calendar. Messages sent
from Mon cabinet ("Contact") go to the messaging domain's inbox."""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from flask_babel import gettext as _
from sqlalchemy import select

from portal.booking.services import EMAIL_RE, map_link, settings_for
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import insert_or_ignore, utcnow
from portal.core.errors import Invalid
from portal.core.models import INFO_ZONES, Practice
from portal.core.phones import display_phone, normalize_phone
from portal.extensions import db
from portal.space.models import CalendarAddition

@dataclass(frozen=True)
class Phone:
    shown: str  # "03 80 32 01 40"
    dial: str   # "+33380320140", for a tel: link


@dataclass(frozen=True)
class CabinetCard:
    """Everything Mon cabinet shows, already worked out for the template."""

    name: str
    address_lines: list[str]
    map_url: str
    email: str
    phones: list[Phone]
    hours: str
    transport: str
    access: str
    zones: list[str]


def _phone(raw: str) -> Phone | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    e164 = normalize_phone(raw)
    return Phone(shown=display_phone(e164) if e164 else raw, dial=e164 or raw.replace(" ", ""))


def _access_text(settings) -> str:
    parts = [settings.floor.strip()] if settings.floor.strip() else []
    if settings.lift:
        parts.append(_("ascenseur"))
    if settings.disabled_access:
        parts.append(_("accès handicapé"))
    text = " · ".join(parts)
    notes = settings.access_notes.strip()
    return f"{text}\n{notes}".strip() if notes else text


def cabinet_card(practice: Practice, user_agent: str = "", **overrides) -> CabinetCard:
    """The Mon cabinet card of `practice`. `overrides` (the Coordonnées form's values, not yet
    saved) build the console's live preview from the same code as the patient page."""
    values = {name: getattr(practice, name) for name in
              ("address", "postal_code", "city", "phone", "phone_secondary", "email", "opening_hours")}
    values["info_zones"] = list(practice.info_zones or [])
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = settings_for(practice.id)
    town = " ".join(p for p in (values["postal_code"].strip(), values["city"].strip()) if p)
    lines = [line for line in (values["address"].strip(), town) if line]
    # The map search uses the card's address, so the preview's link follows what is typed.
    shown = SimpleNamespace(address=values["address"], postal_code=values["postal_code"], city=values["city"])
    return CabinetCard(
        name=practice.name, address_lines=lines, map_url=map_link(shown, settings, user_agent) if lines else "",
        email=values["email"].strip(),
        phones=[p for p in (_phone(values["phone"]), _phone(values["phone_secondary"])) if p],
        hours=values["opening_hours"].strip(), transport=settings.transport.strip(), access=_access_text(settings),
        zones=[z.strip() for z in values["info_zones"] if z and z.strip()])


def update_coordinates(practice: Practice, *, address: str, postal_code: str, city: str, phone: str,
                       phone_secondary: str, email: str, opening_hours: str, info_zones: list[str],
                       actor: Actor) -> None:
    """Save what patients see in Mon cabinet (console → Cabinet → Coordonnées). Phones are kept
    in E.164. Raises `Invalid` (with the field) for a phone or e-mail that is not one. Audited,
    with the names of the fields that changed."""
    values = {"address": address.strip(), "postal_code": postal_code.strip(), "city": city.strip(),
              "email": email.strip().lower(), "opening_hours": opening_hours.strip()}
    for field in ("phone", "phone_secondary"):
        raw = (phone if field == "phone" else phone_secondary).strip()
        e164 = normalize_phone(raw) if raw else ""
        if e164 is None:
            raise Invalid(_("« %(value)s » n'est pas un numéro de téléphone valide.", value=raw), field)
        values[field] = e164
    if values["email"] and (not EMAIL_RE.match(values["email"]) or len(values["email"]) > 200):
        raise Invalid(_("« %(value)s » n'est pas une adresse e-mail valide.", value=email.strip()), "email")
    zones = [(z or "").strip() for z in info_zones][:INFO_ZONES]
    values["info_zones"] = zones + [""] * (INFO_ZONES - len(zones))
    changed = sorted(k for k, v in values.items() if getattr(practice, k) != v)
    for key, value in values.items():
        setattr(practice, key, value)
    if changed:
        audit.record("practice.coordinates_changed", actor=actor, practice_id=practice.id, target=practice,
                     details={"fields": changed})


def added_to_calendar(account, appointment_ids: list[int]) -> set[int]:
    """Which of these appointments this person already added to their calendar."""
    if not appointment_ids:
        return set()
    return set(db.session.scalars(select(CalendarAddition.appointment_id).where(
        CalendarAddition.account_id == account.id, CalendarAddition.appointment_id.in_(appointment_ids))))


def remember_calendar_addition(account, appointment) -> bool:
    """Note that this person downloaded the appointment's .ics; True the first time. A double tap
    inserts once (ON CONFLICT DO NOTHING)."""
    new_id = db.session.scalar(insert_or_ignore(CalendarAddition, {
        "practice_id": appointment.practice_id, "account_id": account.id, "appointment_id": appointment.id,
        "added_at": utcnow()}, [CalendarAddition.account_id, CalendarAddition.appointment_id])
        .returning(CalendarAddition.id))
    return new_id is not None
