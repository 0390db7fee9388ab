"""Overdue-payment reminders (issue 5): each practice's settings, and the daily sweep that
reminds whoever owes an overdue item, by e-mail and/or SMS, with a payment link when the
practice offers online payment.

When: step 0 on the due date + `first_after_days`, step s on that day + s × `every_days`, for
s < `max_count`, counted in days where the practice is. The step is worked out from the dates,
so a sweep that did not run for a while sends only the latest step due, never several at once.
Once: each message's outbox key is `overdue:<item>:<step>:<channel>`, so a sweep run twice (or
hourly) sends nothing new. Stops: an item with nothing left to pay is not read at all.

Cost per practice with reminders on: one query for its overdue items with what each still lacks
(a grouped subquery of the allocations), one for their patients and responsibles, then the
outbox's one look-up of keys and one multi-row insert (`queue_messages`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.billing import online, paylinks, services
from portal.billing.models import BillingItem, OverdueReminderSettings
from portal.billing.services import money
from portal.core import audit
from portal.core.audit import Actor
from portal.core.errors import Invalid
from portal.core.models import Practice
from portal.extensions import db
from portal.notify.models import SECRET_MARK, Channel
from portal.notify.services import Outgoing, queue_messages
from portal.patients.models import Patient
from portal.patients.services import patient_contact

DAYS_MAX, COUNT_MAX = 90, 10
CATEGORY = "overdue_payment"
FIELDS = ("enabled", "first_after_days", "every_days", "max_count", "by_email", "by_sms")


def settings_for(practice_id: int) -> OverdueReminderSettings:
    """The practice's settings; when it never saved any, the defaults (off), not stored."""
    row = db.session.scalar(select(OverdueReminderSettings).where(OverdueReminderSettings.practice_id == practice_id))
    return row or OverdueReminderSettings(practice_id=practice_id, enabled=False, first_after_days=3, every_days=7,
                                          max_count=3, by_email=True, by_sms=False)


def _days(value, field: str, low: int, high: int) -> int:
    if value is None or not str(value).strip().isdigit():
        raise Invalid(_("Saisissez un nombre entier."), field)
    number = int(str(value).strip())
    if not low <= number <= high:
        raise Invalid(_("Saisissez un nombre entre %(low)d et %(high)d.", low=low, high=high), field)
    return number


def save_settings(practice, *, enabled: bool, first_after_days, every_days, max_count, by_email: bool,
                  by_sms: bool, actor: Actor) -> bool:
    """Check and save the practice's reminder settings. Raises `Invalid` on the field concerned
    (periods of 1 to 90 days, 1 to 10 reminders, at least one channel when on). Audited when
    something changed; returns whether it did."""
    values = {"enabled": bool(enabled),
              "first_after_days": _days(first_after_days, "first_after_days", 1, DAYS_MAX),
              "every_days": _days(every_days, "every_days", 1, DAYS_MAX),
              "max_count": _days(max_count, "max_count", 1, COUNT_MAX),
              "by_email": bool(by_email), "by_sms": bool(by_sms)}
    if values["enabled"] and not (values["by_email"] or values["by_sms"]):
        raise Invalid(_("Choisissez au moins un moyen d'envoi : e-mail ou SMS."), "by_email")
    row = settings_for(practice.id)
    before = {f: getattr(row, f) for f in FIELDS}
    if row.id is not None and before == values:
        return False
    for name, value in values.items():
        setattr(row, name, value)
    db.session.add(row)
    db.session.flush()
    audit.record("billing.overdue_settings_changed", actor=actor, practice_id=practice.id, target=row,
                 details={"before": before, "after": values})
    return True


def reminder_step(days_late: int, settings) -> int | None:
    """The latest reminder due `days_late` days after the due date (0 for the first), or None
    before the first. Never beyond the last one (`max_count` − 1)."""
    if days_late < settings.first_after_days:
        return None
    return min((days_late - settings.first_after_days) // settings.every_days, settings.max_count - 1)


@dataclass
class _Overdue:
    item: BillingItem
    remaining: int


def _overdue_items(practice_id: int, latest_due) -> list[_Overdue]:
    """The practice's items due on or before `latest_due` that still lack money, with what
    each lacks: one statement (allocations summed per item in a subquery)."""
    paid = services.paid_subquery(practice_id=practice_id)
    remaining = BillingItem.amount_cents - func.coalesce(paid.c.paid, 0)
    rows = db.session.execute(
        select(BillingItem, remaining.label("remaining")).outerjoin(paid, paid.c.item_id == BillingItem.id)
        .where(BillingItem.practice_id == practice_id, BillingItem.due_date <= latest_due, remaining > 0)
        .options(selectinload(BillingItem.responsible)).order_by(BillingItem.due_date, BillingItem.id)).all()
    return [_Overdue(item, int(left)) for item, left in rows]


def _recipients(item: BillingItem, patient: Patient) -> tuple[str | None, str]:
    """Who owes it: the item's responsible, else (or for a channel they lack) the file's contact."""
    mobile, email = patient_contact(patient)
    owner = item.responsible
    return (owner.mobile if owner and owner.mobile else mobile), (owner.email if owner and owner.email else email)


def _texts(practice, patient, row: _Overdue, with_link: bool) -> tuple[str, str, str]:
    """(subject, e-mail body, SMS body). The link is the message's secret: sealed in the outbox,
    put in only when sent, so the outbox never keeps a live payment link in clear."""
    item, amount = row.item, money(row.remaining)
    due = item.due_date.strftime("%d/%m/%Y")
    subject = _("Règlement en attente — %(practice)s", practice=practice.name)
    pay = (_("Pour régler en ligne, en toute sécurité : %(link)s", link=SECRET_MARK) if with_link else
           _("Pour régler, adressez-vous au cabinet."))
    email = "\n".join([
        _("Bonjour,"), "",
        _("Sauf erreur de notre part, %(practice)s n'a pas encore reçu le règlement suivant pour %(patient)s :",
          practice=practice.name, patient=patient.full_name), "",
        _("%(label)s — échéance du %(date)s", label=item.label, date=due),
        _("Reste à régler : %(amount)s", amount=amount), "",
        pay, "",
        _("Si vous avez réglé entre-temps, merci de ne pas tenir compte de ce message."),
    ])
    sms = _("%(practice)s : %(label)s de %(patient)s (échéance du %(date)s), reste %(amount)s à régler.",
            practice=practice.name, label=item.label, patient=patient.first_name, date=due, amount=amount)
    sms_pay = _("Régler en ligne : %(link)s", link=SECRET_MARK) if with_link else pay
    return subject, email, f"{sms} {sms_pay}"


def _practice_messages(practice: Practice, settings, now: datetime) -> list[Outgoing]:
    today = now.astimezone(ZoneInfo(practice.timezone)).date()
    rows = _overdue_items(practice.id, today - timedelta(days=settings.first_after_days))
    if not rows:
        return []
    patients = {p.id: p for p in db.session.scalars(
        select(Patient).where(Patient.practice_id == practice.id, Patient.id.in_({r.item.patient_id for r in rows}))
        .options(selectinload(Patient.responsibles)))}
    with_link = online.offered(practice)
    messages = []
    for row in rows:
        step = reminder_step((today - row.item.due_date).days, settings)
        patient = patients[row.item.patient_id]
        mobile, email = _recipients(row.item, patient)
        link = paylinks.link_url(paylinks.make_token(practice_id=practice.id, patient_id=patient.id,
                                                     item_id=row.item.id, amount_cents=row.remaining,
                                                     now=now)) if with_link else None
        subject, email_body, sms_body = _texts(practice, patient, row, with_link)
        key = f"overdue:{row.item.id}:{step}"
        if settings.by_email and email:
            messages.append(Outgoing(practice.id, Channel.email, f"{key}:email", CATEGORY, email, email_body,
                                     subject=subject, secret=link))
        if settings.by_sms and mobile:
            messages.append(Outgoing(practice.id, Channel.sms, f"{key}:sms", CATEGORY, mobile, sms_body,
                                     secret=link))
    return messages


def send_overdue_reminders(now: datetime | None = None) -> int:
    """Queue the overdue-payment reminders due at `now` (default: now) for every practice whose
    reminders and payments module are on: for each item still owed, the latest step due, once
    per item, step and channel (outbox keys). Returns how many messages were queued now."""
    now = now or datetime.now(UTC)
    found = db.session.execute(
        select(Practice, OverdueReminderSettings)
        .join(OverdueReminderSettings, OverdueReminderSettings.practice_id == Practice.id)
        .where(OverdueReminderSettings.enabled.is_(True)).order_by(Practice.id)).all()
    messages = []
    for practice, settings in found:
        if practice.module_on("payments"):
            messages += _practice_messages(practice, settings, now)
    return len(queue_messages(messages)) if messages else 0
