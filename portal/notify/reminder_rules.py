"""A patient portal account's reminder rules (seed 000, Notifications): "N jours avant à HH:MM"
on SMS, e-mail and/or a notice in the patient space.

An account that never changed them has no rows and gets `DEFAULT_RULE` (1 day before at 12:00
by SMS); the first change writes that default down first, so what the person saw stays, and
from then on their list is exactly what they chose (empty: no reminders).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from flask_babel import gettext as _
from sqlalchemy import select

from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import insert_or_ignore
from portal.core.errors import Invalid, NotFound
from portal.extensions import db
from portal.notify.models import ReminderRule
from portal.patients.models import Patient, Responsible

MAX_DAYS = 14
MAX_RULES = 10  # enough for anyone; a cap so that one account cannot flood itself


@dataclass(frozen=True)
class DefaultRule:
    """The rule of an account that never changed its reminders, and of the practice's patients
    without an account (who get it by SMS, else by e-mail)."""

    id: None = None
    days_before: int = 1
    at_time: time = time(12, 0)
    sms: bool = True
    email: bool = False
    notice: bool = False


DEFAULT_RULE = DefaultRule()


def rules_of(account) -> list:
    """The account's rules, soonest before the visit last (14 days first): its own rows once it
    changed them, else the default rule (not stored)."""
    if not account.reminders_customised:
        return [DEFAULT_RULE]
    return list(db.session.scalars(select(ReminderRule).where(
        ReminderRule.account_id == account.id, ReminderRule.practice_id == account.practice_id)
        .order_by(ReminderRule.days_before.desc(), ReminderRule.at_time, ReminderRule.id)))


def _customise(account) -> None:
    """Write the default rule down before the first change, so that it stays as seen."""
    if account.reminders_customised:
        return
    db.session.execute(insert_or_ignore(ReminderRule, {
        "practice_id": account.practice_id, "account_id": account.id, "days_before": DEFAULT_RULE.days_before,
        "at_time": DEFAULT_RULE.at_time, "sms": DEFAULT_RULE.sms, "email": DEFAULT_RULE.email,
        "notice": DEFAULT_RULE.notice}, [ReminderRule.account_id, ReminderRule.days_before, ReminderRule.at_time]))
    account.reminders_customised = True
    db.session.flush()


def add_rule(account, *, days_before: int | None, at_time: time | None, sms: bool, email: bool, notice: bool,
             actor: Actor) -> ReminderRule:
    """Add "`days_before` days before at `at_time`" on the channels ticked. Raises `Invalid`
    (with the field) for days outside 0–14, a missing time, no channel, the same day and time
    twice, or more than `MAX_RULES` rules. Audited."""
    if days_before is None or not 0 <= days_before <= MAX_DAYS:
        raise Invalid(_("Choisissez un délai de 0 à %(max)s jours.", max=MAX_DAYS), "days_before")
    if at_time is None:
        raise Invalid(_("Indiquez l'heure du rappel."), "at_time")
    if not (sms or email or notice):
        raise Invalid(_("Cochez au moins un moyen : SMS, e-mail ou avis dans l'espace patient."), "channels")
    at_time = at_time.replace(second=0, microsecond=0)
    _customise(account)
    rules = rules_of(account)
    if any(r.days_before == days_before and r.at_time == at_time for r in rules):
        raise Invalid(_("Ce rappel existe déjà : supprimez-le d'abord pour changer ses moyens."), "days_before")
    if len(rules) >= MAX_RULES:
        raise Invalid(_("%(max)s rappels au plus : supprimez-en un d'abord.", max=MAX_RULES))
    rule = ReminderRule(practice_id=account.practice_id, account_id=account.id, days_before=days_before,
                        at_time=at_time, sms=sms, email=email, notice=notice)
    db.session.add(rule)
    db.session.flush()
    audit.record("reminder.rule_added", actor=actor, practice_id=account.practice_id, target=rule,
                 details={"days_before": days_before, "at": at_time.strftime("%H:%M"),
                          "channels": [c for c, on in (("sms", sms), ("email", email), ("notice", notice)) if on]})
    return rule


def remove_rule(account, rule_id: int | None, *, actor: Actor) -> None:
    """Remove one of the account's rules; `NotFound` for any other id. `rule_id` None is the
    default rule of an account that never changed its rules (it has no row yet). Removing the
    last one leaves no reminders at all (the person chose it). Audited."""
    was_default = not account.reminders_customised
    _customise(account)
    match = (ReminderRule.days_before == DEFAULT_RULE.days_before) & (ReminderRule.at_time == DEFAULT_RULE.at_time) \
        if rule_id is None and was_default else ReminderRule.id == rule_id
    rule = db.session.scalar(select(ReminderRule).where(
        match, ReminderRule.account_id == account.id, ReminderRule.practice_id == account.practice_id))
    if rule is None:
        raise NotFound()
    details = {"days_before": rule.days_before, "at": rule.at_time.strftime("%H:%M")}
    db.session.delete(rule)
    db.session.flush()
    audit.record("reminder.rule_removed", actor=actor, practice_id=account.practice_id, target=rule,
                 details=details)


def account_email(account) -> str:
    """The e-mail of the person behind the account's number (the patient or responsible whose
    mobile it is), or "" when none is on file: e-mail reminders need one."""
    own = db.session.scalar(select(Patient.email).where(
        Patient.practice_id == account.practice_id, Patient.mobile == account.phone, Patient.email != "").limit(1))
    if own:
        return own
    return db.session.scalar(select(Responsible.email).where(
        Responsible.practice_id == account.practice_id, Responsible.mobile == account.phone,
        Responsible.email != "").limit(1)) or ""
