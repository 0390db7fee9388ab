"""What a staff member may do in one practitioner's agenda (seed 003 § 10).

Practitioners and owners may do everything in every agenda of their practice ("qui peut le
plus peut le moins"). A secretary may see and book unless a `SecretaryRight` row says
otherwise, and may change schedules (`manage`) or types and settings (`configure`) only where
a row allows it.

- view: the planning pages;
- book: the desk's work — book, move, cancel, mark a no-show, block slots, days off, reopen,
  bulk cancellation, the waiting list (seed 004: any secretary may close public holidays);
- manage: weekly schedules, extra ranges, replacements, calendar events, the holiday calendar;
- configure: appointment types.
"""
from __future__ import annotations

from flask import abort
from sqlalchemy import select

from portal.accounts.models import Role
from portal.agenda.models import SecretaryRight
from portal.extensions import db

RIGHTS = ("view", "book", "manage", "configure")
DEFAULTS = {"view": True, "book": True, "manage": False, "configure": False}


def rights_of(user) -> dict[int, dict[str, bool]]:
    """Per practitioner id, the rights a secretary's rows set (absent: `DEFAULTS`)."""
    rows = db.session.scalars(select(SecretaryRight).where(SecretaryRight.practice_id == user.practice_id,
                                                           SecretaryRight.staff_user_id == user.id))
    return {r.practitioner_id: {"view": r.can_view, "book": r.can_book, "manage": r.can_manage,
                                "configure": r.can_configure} for r in rows}


def can(user, practitioner_id: int, right: str) -> bool:
    """Whether `user` (a staff user or its `Principal`) may do `right` in that agenda."""
    if right not in RIGHTS:
        raise ValueError(right)
    if user.can(Role.practitioner):
        return True
    return rights_of(user).get(practitioner_id, DEFAULTS)[right]


def require(user, practitioner_id: int, right: str) -> None:
    """Refuse the request (403) unless `can(...)`."""
    if not can(user, practitioner_id, right):
        abort(403)


def visible_practitioner_ids(user, practitioner_ids: list[int]) -> list[int]:
    """The agendas among `practitioner_ids` the user may see, in the same order."""
    if user.can(Role.practitioner):
        return list(practitioner_ids)
    rows = rights_of(user)
    return [pid for pid in practitioner_ids if rows.get(pid, DEFAULTS)["view"]]


def visible_team(user, team: list) -> list:
    """The practitioners among `team` whose agenda the user may see, in the same order."""
    ids = set(visible_practitioner_ids(user, [p.id for p in team]))
    return [p for p in team if p.id in ids]
