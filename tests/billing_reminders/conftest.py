"""A practice whose overdue-payment reminders are on (first 3 days after the due date, then every
7 days, at most 3, by e-mail and SMS), with a child whose financial responsible has an e-mail and
a mobile, and helpers to run the sweep at a date and read what it queued."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from portal.billing import reminders, services, stripe_account
from portal.billing.models import ItemKind
from portal.core.audit import Actor
from portal.core.db import commit
from tests.billing.conftest import OPERATOR, desk, family, text  # noqa: F401  (fixtures, helper)
from tests.billing_stripe.conftest import PK, SK, WHSEC, stub  # noqa: F401  (fixture)
from tests.factories import outbox

DUE = date(2026, 9, 1)  # a fixed past date: the sweep takes its "now", payments are dated today
FINANCIAL_EMAIL, FINANCIAL_MOBILE = "paul.martin@example.org", "+33611223344"


def at(day: date, hour: int = 8) -> datetime:
    """The sweep's hour on `day` (08:00 UTC: the same date in Paris)."""
    return datetime.combine(day, time(hour), tzinfo=UTC)


def sweep(day: date) -> int:
    count = reminders.send_overdue_reminders(at(day))
    commit()
    return count


def sent(item=None) -> list:
    """The reminders in the outbox (of one item), oldest first."""
    return [m for m in outbox(category=reminders.CATEGORY) if item is None or m.key.startswith(f"overdue:{item.id}:")]


def keys(item=None) -> list[str]:
    return [m.key for m in sent(item)]


def add(practice, child, label="1er semestre", amount=39000, due=DUE, kind=ItemKind.installment):
    item = services.add_item(practice=practice, patient=child, kind=kind, label=label, amount_cents=amount,
                             due_date=due, actor=OPERATOR)
    commit()
    return item


@pytest.fixture
def overdue(family):  # noqa: F811
    practice, child = family
    financial = next(r for r in child.responsibles if r.role.value == "financial")
    financial.email, financial.mobile = FINANCIAL_EMAIL, FINANCIAL_MOBILE
    reminders.save_settings(practice, enabled=True, first_after_days="3", every_days="7", max_count="3",
                            by_email=True, by_sms=True, actor=Actor.operator())
    commit()
    return practice, child, add(practice, child)


@pytest.fixture
def online(overdue, stub):  # noqa: F811
    """The same practice offering online payment (Stripe keys, stub API), its item due 3 days ago."""
    practice, child, item = overdue
    practice.options = {**(practice.options or {}), "payments_online": True}
    stripe_account.save_keys(practice, publishable_key=PK, secret_key=SK, webhook_secret=WHSEC,
                             actor=Actor.operator())
    item.due_date = services.practice_today(practice) - timedelta(days=3)
    commit()
    return practice, child, item, stripe_account.account_for(practice.id)
