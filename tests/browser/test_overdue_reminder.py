"""An overdue-payment reminder on a phone (360x800): the sweep queues it, the payer opens its link
from the outbox message, sees only the label and amount, pays on the stub's Checkout page, comes
back; once the signed event is received the link says the payment is in, and the reminders stop."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from portal.billing import reminders, services, stripe_account
from portal.billing.models import ItemKind
from portal.core.audit import Actor
from portal.core.db import commit
from portal.notify.services import delivery_text
from tests.billing_stripe.conftest import PK, SK, WHSEC, event_body, post_event, stub  # noqa: F401 (fixture)
from tests.browser.conftest import assert_clean
from tests.browser.test_accessibility import violations
from tests.factories import outbox

pytestmark = pytest.mark.browser


def test_reminder_link_paid_on_a_phone_then_reminders_stop(app, page, shot, stub, monkeypatch,  # noqa: F811
                                                           make_practice, make_patient):
    practice = make_practice("Cabinet du Parc")
    practice.options = {**(practice.options or {}), "payments_online": True}
    op = Actor.operator()
    lea = make_patient(practice, last_name="Lefèvre", first_name="Léa",
                       responsibles=[{"role": "financial", "last_name": "Lefèvre", "first_name": "Marc",
                                      "email": "marc@example.org"}])
    stripe_account.save_keys(practice, publishable_key=PK, secret_key=SK, webhook_secret=WHSEC, actor=op)
    reminders.save_settings(practice, enabled=True, first_after_days=3, every_days=7, max_count=3, by_email=True,
                            by_sms=False, actor=op)
    today = services.practice_today(practice)
    item = services.add_item(practice=practice, patient=lea, kind=ItemKind.installment, label="Semestre 2",
                             amount_cents=39000, due_date=today - timedelta(days=3), actor=op)
    commit()
    account = stripe_account.account_for(practice.id)
    monkeypatch.setitem(app.config, "STRIPE_CHECKOUT_ORIGIN", stub.base)  # stands in for checkout.stripe.com

    assert reminders.send_overdue_reminders() == 1
    commit()
    [mail] = outbox("marc@example.org", reminders.CATEGORY)
    link = re.search(r"https?://\S+(/paiements/lien/\S+)", delivery_text(mail)).group(1)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Cabinet du Parc")
    expect(page.locator("#paylink-label")).to_have_text("Semestre 2")
    expect(page.locator(f"#paylink-{item.id}")).to_contain_text("Léa L.")
    assert "Lefèvre" not in page.content() and "marc@example.org" not in page.content()
    page.get_by_label("E-mail pour le reçu").fill("marc@example.org")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert violations(page) == []
    shot("link")
    page.get_by_role("button", name=re.compile("^Payer")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stub Checkout")
    expect(page.locator("#amount")).to_have_text("39000 eur")
    page.locator("#success").click()
    expect(page.locator("#paylink-returned")).to_contain_text("en cours de confirmation")
    [session] = stub.sessions.values()
    r = post_event(app.test_client(), account, event_body("checkout.session.completed", stub.complete(session["id"])))
    assert r.get_json()["status"] == "applied"
    page.reload()
    expect(page.locator("#paylink-gone")).to_contain_text("déjà été reçu")
    assert_clean(page)
    shot("paid")
    later = datetime.now(UTC) + timedelta(days=7)
    assert reminders.send_overdue_reminders(later) == 0
    commit()
    assert len(outbox("marc@example.org", reminders.CATEGORY)) == 1
