"""Setting up an agenda beyond the basics of `services`: editing and ordering appointment
types, copying a weekday or a type, one-off extra ranges, replacements and secretaries' rights.

Every function flushes, never commits, and writes its audit entry.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select

from portal.accounts.models import Role, StaffUser
from portal.agenda.models import (AppointmentType, ExtraRange, Replacement, Schedule, ScheduleRange,
                                  SecretaryRight)
from portal.agenda.rights import DEFAULTS, RIGHTS
from portal.agenda.services import practitioners
from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import move_in_order, utcnow
from portal.core.errors import Invalid, NotFound
from portal.core.labels import WEEKDAY
from portal.core.models import Practice, Practitioner
from portal.core.services import add_practitioner
from portal.extensions import db

COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_SPAN_DAYS = 366
TYPE_FIELDS = ("name", "code", "duration_minutes", "color", "online", "new_patients", "min_notice_hours",
               "max_days_ahead", "booking_message", "teleconsultation", "prepayment", "carte_vitale",
               "patient_can_cancel", "cancel_deadline_hours")


def find(model, *, practice_id: int, row_id: int):
    """A row of `model` belonging to the practice, or `NotFound` (never another practice's)."""
    row = db.session.get(model, row_id)
    if row is None or row.practice_id != practice_id:
        raise NotFound()
    return row


def local_today(practice: Practice) -> date:
    """Today's date in the practice's zone."""
    return utcnow().astimezone(ZoneInfo(practice.timezone)).date()


def _check_type_values(values: dict) -> None:
    if not (values.get("name") or "").strip():
        raise Invalid(_("Ce champ est obligatoire."), "name")
    if not 5 <= values["duration_minutes"] <= 480:
        raise Invalid(_("La durée doit être comprise entre 5 minutes et 8 heures."), "duration_minutes")
    if not COLOR_RE.match(values.get("color") or ""):
        raise Invalid(_("Choisissez une couleur (#rrggbb)."), "color")
    if not 0 <= values["min_notice_hours"] <= 24 * 365:
        raise Invalid(_("Entre 0 heure et un an."), "min_notice_hours")
    if not 1 <= values["max_days_ahead"] <= 730:
        raise Invalid(_("Entre 1 et 730 jours."), "max_days_ahead")
    if not 0 <= values["cancel_deadline_hours"] <= 24 * 365:
        raise Invalid(_("Entre 0 heure et un an."), "cancel_deadline_hours")


def _price(text: str | None, prepayment: bool, teleconsultation: bool) -> int | None:
    """The typed price in cents (empty: none). Prepayment needs a teleconsultation and a price."""
    from portal.billing.services import parse_amount

    cents = parse_amount(text, "price") if (text or "").strip() else None
    if prepayment and not teleconsultation:
        raise Invalid(_("Le paiement à la réservation ne concerne que les téléconsultations."), "prepayment")
    if prepayment and cents is None:
        raise Invalid(_("Indiquez le prix de la visite, payé à la réservation."), "price")
    return cents


def update_appointment_type(kind: AppointmentType, *, actor: Actor, price: str | None = None,
                            **values) -> AppointmentType:
    """Change every setting of an appointment type (`TYPE_FIELDS`, and the price typed as text
    when `price` is given).

    Raises `Invalid` for an empty name, a duration out of 5 min–8 h, a colour that is not
    #rrggbb, notice, horizon or cancellation limits out of range, a bad price, or prepayment
    without a teleconsultation or a price. Records "agenda.type_changed".
    """
    values = {k: values[k] for k in TYPE_FIELDS}
    if price is not None:
        values["price_cents"] = _price(price, values["prepayment"], values["teleconsultation"])
    elif values["prepayment"]:
        _price("1" if kind.price_cents else "", True, values["teleconsultation"])  # the kept price
    values["name"], values["code"] = values["name"].strip(), (values["code"] or "").strip().upper()
    values["booking_message"] = (values["booking_message"] or "").strip()
    _check_type_values(values)
    changed = sorted(k for k, v in values.items() if getattr(kind, k) != v)
    for key, value in values.items():
        setattr(kind, key, value)
    db.session.flush()
    if changed:
        audit.record("agenda.type_changed", actor=actor, practice_id=kind.practice_id, target=kind,
                     details={"fields": changed})
    return kind


def _active_types(kind: AppointmentType) -> list[AppointmentType]:
    return list(db.session.scalars(select(AppointmentType).where(
        AppointmentType.practitioner_id == kind.practitioner_id, AppointmentType.active.is_(True))
        .order_by(AppointmentType.position, AppointmentType.name)))


def move_appointment_type(kind: AppointmentType, *, up: bool, actor: Actor) -> None:
    """Swap a type with its neighbour above (`up`) or below in the practitioner's order
    (renumbering them all 0, 1, 2…); nothing happens at either end."""
    ordered = _active_types(kind)
    if kind not in ordered:
        raise NotFound()
    if not move_in_order(ordered, kind, up=up):
        return
    audit.record("agenda.types_reordered", actor=actor, practice_id=kind.practice_id, target=kind)


def deactivate_appointment_type(kind: AppointmentType, *, actor: Actor) -> None:
    """Retire a type: it leaves the lists and its ranges stop offering slots; booked visits
    keep it. Records "agenda.type_deactivated"."""
    kind.active = False
    db.session.flush()
    audit.record("agenda.type_deactivated", actor=actor, practice_id=kind.practice_id, target=kind)


def copy_type_to(kind: AppointmentType, *, targets: list[Practitioner], actor: Actor) -> list[AppointmentType]:
    """Create the same type (every setting) for each of `targets`, at the end of their order.

    Raises `Invalid` when no other practitioner is chosen, or when one of them already has an
    active type of that name (nothing is created then).
    """
    targets = [t for t in targets if t.id != kind.practitioner_id]
    if not targets:
        raise Invalid(_("Choisissez au moins un autre praticien."), "practitioner_ids")
    created = []
    for target in targets:
        existing = db.session.scalars(select(AppointmentType).where(
            AppointmentType.practitioner_id == target.id, AppointmentType.active.is_(True))).all()
        if any(t.name.lower() == kind.name.lower() for t in existing):
            raise Invalid(_("%(name)s a déjà un type « %(type)s ».", name=target.display_name, type=kind.name),
                          "practitioner_ids")
        copy = AppointmentType(practice_id=kind.practice_id, practitioner_id=target.id, position=len(existing),
                               price_cents=kind.price_cents, **{k: getattr(kind, k) for k in TYPE_FIELDS})
        db.session.add(copy)
        created.append(copy)
    db.session.flush()
    for copy in created:
        audit.record("agenda.type_created", actor=actor, practice_id=kind.practice_id, target=copy,
                     details={"copied_from": kind.id})
    return created


def delete_range(schedule: Schedule, *, range_id: int, actor: Actor) -> None:
    """Remove one range from a template; `NotFound` when it is not one of its ranges."""
    row = next((r for r in schedule.ranges if r.id == range_id), None)
    if row is None:
        raise NotFound()
    schedule.ranges.remove(row)
    db.session.flush()
    audit.record("agenda.schedule_changed", actor=actor, practice_id=schedule.practice_id, target=schedule,
                 details={"removed": f"{row.weekday} {row.starts:%H:%M}-{row.ends:%H:%M}"})


def copy_weekday(schedule: Schedule, *, source: int, targets: list[int], replace: bool, actor: Actor) -> int:
    """Copy every range of weekday `source` onto each of `targets` in the same template.

    With `replace`, the target days' own ranges are removed first; otherwise they stay, and a
    copied range that would overlap one of them raises `Invalid` naming both (nothing changes).
    Returns how many ranges were created. Records "agenda.schedule_changed".
    """
    targets = sorted({t for t in targets if 0 <= t <= 6 and t != source})
    if not targets:
        raise Invalid(_("Cochez au moins un autre jour."), "targets")
    originals = [r for r in schedule.ranges if r.weekday == source]
    if not originals:
        raise Invalid(_("Le %(day)s n'a aucune plage à copier.", day=str(WEEKDAY[source]).lower()), "source")
    if not replace:
        for target in targets:
            for mine in (r for r in schedule.ranges if r.weekday == target):
                for copied in originals:
                    if mine.starts < copied.ends and copied.starts < mine.ends:
                        raise Invalid(_("%(day)s : la plage %(a)s–%(b)s chevaucherait celle de %(c)s–%(d)s. "
                                        "Cochez « Remplacer les plages de ces jours » ou supprimez-la d'abord.",
                                        day=WEEKDAY[target], a=f"{copied.starts:%H:%M}", b=f"{copied.ends:%H:%M}",
                                        c=f"{mine.starts:%H:%M}", d=f"{mine.ends:%H:%M}"), "targets")
    else:
        for row in [r for r in schedule.ranges if r.weekday in targets]:
            schedule.ranges.remove(row)
        db.session.flush()
    for target in targets:
        for copied in originals:
            schedule.ranges.append(ScheduleRange(practice_id=schedule.practice_id, weekday=target, starts=copied.starts,
                                                 ends=copied.ends, appointment_type_id=copied.appointment_type_id))
    db.session.flush()
    audit.record("agenda.schedule_changed", actor=actor, practice_id=schedule.practice_id, target=schedule,
                 details={"copied_day": source, "onto": targets, "replace": replace})
    return len(targets) * len(originals)


def days_between(first: date, last: date, weekdays: int) -> list[date]:
    """The dates from `first` to `last` (inclusive) whose weekday bit is set (bit 0 = Monday).

    Raises `Invalid` when `last` is before `first` or the span is longer than a year."""
    if last < first:
        raise Invalid(_("La date de fin doit être après la date de début."), "last")
    if (last - first).days >= MAX_SPAN_DAYS:
        raise Invalid(_("Une période d'un an au plus."), "last")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)
            if weekdays >> (first + timedelta(days=n)).weekday() & 1]


def add_extra_ranges(*, practitioner: Practitioner, types: list[AppointmentType], days: list[date], starts: time,
                     ends: time, actor: Actor) -> list[ExtraRange]:
    """One-off ranges ("E", seed 003 § 7) for each chosen type on each chosen date.

    Raises `Invalid` for no type or no date, an end before the start, a range too short for
    one visit, a past date, another practitioner's type, or an overlap with an extra range of
    the same type on that date. Records "agenda.extras_added".
    """
    if not types:
        raise Invalid(_("Cochez au moins un type de rendez-vous."), "appointment_type_ids")
    if not days:
        raise Invalid(_("Aucune date ne correspond à ces jours de la semaine."), "weekdays")
    if ends <= starts:
        raise Invalid(_("La fin de la plage doit être après son début."), "ends")
    if any(t.practitioner_id != practitioner.id for t in types):
        raise NotFound()
    span = (datetime.combine(date.min, ends) - datetime.combine(date.min, starts)).seconds // 60
    if span < min(t.duration_minutes for t in types):
        raise Invalid(_("Plage trop courte pour un seul rendez-vous."), "ends")
    if min(days) < local_today(practitioner.practice):
        raise Invalid(_("Cette date est déjà passée."), "first")
    existing = db.session.scalars(select(ExtraRange).where(
        ExtraRange.practitioner_id == practitioner.id, ExtraRange.day.in_(days))).all()
    created = []
    for day in days:
        for kind in types:
            clash = next((e for e in existing if e.day == day and e.appointment_type_id == kind.id
                          and e.starts < ends and starts < e.ends), None)
            if clash:
                raise Invalid(_("Le %(day)s, une plage extra %(type)s existe déjà de %(a)s à %(b)s.",
                                day=day.strftime("%d/%m/%Y"), type=kind.name, a=f"{clash.starts:%H:%M}",
                                b=f"{clash.ends:%H:%M}"), "starts")
            created.append(ExtraRange(practice_id=practitioner.practice_id, practitioner_id=practitioner.id, day=day,
                                      starts=starts, ends=ends, appointment_type_id=kind.id))
    db.session.add_all(created)
    db.session.flush()
    audit.record("agenda.extras_added", actor=actor, practice_id=practitioner.practice_id, target=practitioner,
                 details={"days": [d.isoformat() for d in days], "types": [t.id for t in types],
                          "range": f"{starts:%H:%M}-{ends:%H:%M}"})
    return created


def upcoming_extras(*, practice: Practice, practitioner_id: int) -> list[ExtraRange]:
    """A practitioner's extra ranges from today on, in order."""
    return list(db.session.scalars(select(ExtraRange).where(
        ExtraRange.practice_id == practice.id, ExtraRange.practitioner_id == practitioner_id,
        ExtraRange.day >= local_today(practice)).order_by(ExtraRange.day, ExtraRange.starts).limit(500)))


def delete_extra(extra: ExtraRange, *, actor: Actor) -> None:
    """Delete an extra range: its free slots disappear (booked visits stay). Records
    "agenda.extra_deleted"."""
    audit.record("agenda.extra_deleted", actor=actor, practice_id=extra.practice_id, target=extra,
                 details={"day": extra.day.isoformat(), "range": f"{extra.starts:%H:%M}-{extra.ends:%H:%M}"})
    db.session.delete(extra)
    db.session.flush()


def all_practitioners(practice_id: int) -> list[Practitioner]:
    """Every practitioner of the practice, substitutes hidden from patients included."""
    return list(db.session.scalars(select(Practitioner).where(Practitioner.practice_id == practice_id)
                                   .order_by(Practitioner.last_name, Practitioner.first_name)))


def add_substitute(practice: Practice, *, title: str, first_name: str, last_name: str, actor: Actor) -> Practitioner:
    """A substitute created on the fly (seed 003 § 11 "+"): a practitioner that patients do
    not see in lists (`active` False). Raises `Invalid` without a last name."""
    if not last_name.strip():
        raise Invalid(_("Saisissez le nom du remplaçant."), "substitute_last_name")
    substitute = add_practitioner(practice, first_name=first_name.strip(), last_name=last_name.strip(),
                                  title=title.strip() or "Dr", actor=actor)
    substitute.active = False
    db.session.flush()
    return substitute


def replacements_of(practice_id: int) -> list[Replacement]:
    """The practice's replacements, latest first."""
    return list(db.session.scalars(select(Replacement).where(Replacement.practice_id == practice_id)
                                   .order_by(Replacement.starts_on.desc(), Replacement.id.desc())))


def save_replacement(*, replacement: Replacement | None, name: str, practitioner: Practitioner,
                     substitute: Practitioner, schedule: Schedule, starts_on: date, ends_on: date, weekdays: int,
                     skipped_dates: list[date], actor: Actor) -> Replacement:
    """Create (`replacement` None) or change a replacement: `substitute` works with `schedule`
    in `practitioner`'s place on the chosen weekdays between the dates, except `skipped_dates`.

    Raises `Invalid` for no name or weekday, the practitioner replacing themself, another
    practitioner's template, an end before the start or a span over a year. Records
    "agenda.replacement_saved".
    """
    if not name.strip():
        raise Invalid(_("Donnez un nom au remplacement (par exemple « Noël »)."), "name")
    if not weekdays & 0b1111111:
        raise Invalid(_("Cochez au moins un jour de la semaine."), "weekdays")
    if substitute.id == practitioner.id:
        raise Invalid(_("Un praticien ne se remplace pas lui-même."), "substitute_id")
    if schedule.practitioner_id != practitioner.id:
        raise Invalid(_("Choisissez un emploi du temps de ce praticien."), "schedule_id")
    covered = set(days_between(starts_on, ends_on, weekdays))
    row = replacement or Replacement(practice_id=practitioner.practice_id)
    row.name, row.practitioner_id, row.substitute_id, row.schedule_id = (name.strip(), practitioner.id, substitute.id,
                                                                         schedule.id)
    row.starts_on, row.ends_on, row.weekdays = starts_on, ends_on, weekdays & 0b1111111
    row.skipped_dates = sorted(d.isoformat() for d in set(skipped_dates) & covered)
    if replacement is None:
        db.session.add(row)
    db.session.flush()
    audit.record("agenda.replacement_saved", actor=actor, practice_id=row.practice_id, target=row,
                 details={"from": starts_on.isoformat(), "to": ends_on.isoformat(), "skipped": row.skipped_dates})
    return row


def delete_replacement(replacement: Replacement, *, actor: Actor) -> None:
    """Delete a replacement: the usual template applies again on its days."""
    audit.record("agenda.replacement_deleted", actor=actor, practice_id=replacement.practice_id, target=replacement,
                 details={"name": replacement.name})
    db.session.delete(replacement)
    db.session.flush()


def secretaries(practice_id: int) -> list[StaffUser]:
    """The practice's active secretaries, by name."""
    return list(db.session.scalars(select(StaffUser).where(
        StaffUser.practice_id == practice_id, StaffUser.role == Role.secretary, StaffUser.active.is_(True))
        .order_by(StaffUser.last_name, StaffUser.first_name)))


def rights_grid(practice_id: int) -> dict[tuple[int, int], dict[str, bool]]:
    """Per (secretary id, practitioner id), the four rights in force (rows, else `DEFAULTS`)."""
    rows = db.session.scalars(select(SecretaryRight).where(SecretaryRight.practice_id == practice_id))
    return {(r.staff_user_id, r.practitioner_id): {"view": r.can_view, "book": r.can_book, "manage": r.can_manage,
                                                   "configure": r.can_configure} for r in rows}


def save_secretary_rights(*, practice_id: int, granted: dict[tuple[int, int], set[str]], actor: Actor) -> int:
    """Set every secretary × practitioner pair of the practice to the rights in `granted`
    (a pair absent from it gets none). Pairs of other practices are ignored. Returns how many
    pairs changed; records "agenda.rights_changed" for each."""
    current = rights_grid(practice_id)
    rows = {(r.staff_user_id, r.practitioner_id): r for r in db.session.scalars(
        select(SecretaryRight).where(SecretaryRight.practice_id == practice_id))}
    changed = 0
    for secretary in secretaries(practice_id):
        for practitioner in practitioners(practice_id):
            key = (secretary.id, practitioner.id)
            wanted = {right: right in granted.get(key, set()) for right in RIGHTS}
            if wanted == current.get(key, DEFAULTS):
                continue
            row = rows.get(key) or SecretaryRight(practice_id=practice_id, staff_user_id=secretary.id,
                                                  practitioner_id=practitioner.id)
            row.can_view, row.can_book = wanted["view"], wanted["book"]
            row.can_manage, row.can_configure = wanted["manage"], wanted["configure"]
            db.session.add(row)
            db.session.flush()
            audit.record("agenda.rights_changed", actor=actor, practice_id=practice_id, target=row,
                         details={"secretary": secretary.id, "practitioner": practitioner.id, **wanted})
            changed += 1
    return changed
