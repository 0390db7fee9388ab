"""An appointment as an iCalendar file (RFC 5545), for the confirmation e-mail and the patient
space. Times carry the practice's zone (with its VTIMEZONE, which Outlook needs), so a 09:00
visit reads 09:00 on either side of a daylight-saving change."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Event

from portal.core.db import utcnow


def appointment_ics(appointment, practice, *, cancelled: bool = False, room_url: str | None = None) -> bytes:
    """The .ics bytes for one visit; `cancelled` makes the calendar drop it (METHOD:CANCEL)."""
    zone = ZoneInfo(practice.timezone)
    cal = Calendar()
    cal.add("prodid", "-//Sourire//Agenda//FR")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    host = current_app.config["BASE_URL"].split("//", 1)[-1].split("/", 1)[0]
    event.add("uid", f"appointment-{appointment.id}@{host}")
    event.add("dtstamp", utcnow())
    event.add("dtstart", appointment.starts_at.astimezone(zone))
    event.add("dtend", appointment.ends_at.astimezone(zone))
    # A moved or cancelled visit must replace the copy already in the patient's calendar.
    event.add("sequence", 1 if cancelled else 0)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    kind = appointment.appointment_type
    event.add("summary", _("Rendez-vous %(type)s — %(practice)s", type=kind.name, practice=practice.name))
    address = ", ".join(part for part in (practice.address, f"{practice.postal_code} {practice.city}".strip()) if part)
    if address:
        event.add("location", address)
    details = [appointment.patient_message] if appointment.patient_message else []
    if room_url:
        details.append(_("Téléconsultation : %(url)s", url=room_url))
        event.add("url", room_url)
    if practice.phone:
        details.append(_("Cabinet : %(phone)s", phone=practice.phone))
    if details:
        event.add("description", "\n".join(details))
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
