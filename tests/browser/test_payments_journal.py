"""The console's Paiements page in a browser (1280x800): a secretary opens it from the side menu and
sees today's payments, the parent's partial online payment among them as "Virement (en ligne)";
asks for the last two weeks by cheque with the period form (htmx swaps the journal and keeps the
address), goes back a day, opens a patient's Paiements tab from a line. Passes axe-core."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.billing import services
from portal.billing.models import ItemKind, PaymentMethod, Refund, RefundStatus
from portal.core.audit import Actor
from portal.core.db import commit
from portal.extensions import db
from tests.browser.conftest import DESKTOP, assert_clean, staff_signin
from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.browser

FAMILIES = [("Lefèvre", ["Léa", "Hugo"]), ("Benhamou", ["Inès"]), ("Le Goff", ["Maël", "Zoé"]), ("Nguyen", ["Théo"]),
            ("Da Silva", ["Jade"]), ("Fontaine", ["Louise", "Jules"])]
METHODS = [PaymentMethod.cheque, PaymentMethod.card, PaymentMethod.transfer, PaymentMethod.cash]


def _practice(make_practice, make_patient, make_staff):
    """A demo-like fortnight: children of six families paying their schedules by every method,
    an online payment today and a refund."""
    practice = make_practice("Cabinet du Parc")
    secretary = make_staff(practice, "secretary", first_name="Julie", last_name="Petit")
    op, today = Actor.operator(), services.practice_today(practice)
    patients = []
    for last, children in FAMILIES:
        parent = {"role": "financial", "civility": "Mme", "last_name": last, "first_name": "Claire",
                  "mobile": "06 12 34 56 78"}
        for first in children:
            p = make_patient(practice, last_name=last, first_name=first, responsibles=[parent])
            services.add_item(practice=practice, patient=p, kind=ItemKind.installment, label="Semestre 1",
                              amount_cents=390000, due_date=today - timedelta(days=60), actor=op)
            patients.append(p)
    payments = []
    for i in range(30):
        p = patients[i % len(patients)]
        payments.append(services.record_payment(
            practice=practice, patient=p, amount_cents=[39000, 12000, 19500, 4500, 7800][i % 5],
            method=METHODS[i % 4], paid_on=today - timedelta(days=i % 14), actor=op, recorded_by=secretary,
            payer_id=services.default_responsible(p).id, reference=f"Chèque n° 04215{i:02d}" if i % 4 == 0 else ""))
    online = services.record_payment(practice=practice, patient=patients[0], amount_cents=20000,
                                     method=PaymentMethod.online, paid_on=today, reference="cs_test_a1b2c3",
                                     payer_id=services.default_responsible(patients[0]).id, actor=op)
    db.session.add(Refund(practice_id=practice.id, patient_id=payments[1].patient_id, payment_id=payments[1].id,
                          amount_cents=2000, refunded_on=today, status=RefundStatus.succeeded, reason="Trop perçu"))
    commit()
    return practice, secretary, patients, online, today


def test_secretary_sees_the_day_then_a_period_by_cheque(page, shot, make_practice, make_patient, make_staff):
    _practice_, secretary, patients, online, today = _practice(make_practice, make_patient, make_staff)
    page.set_viewport_size(DESKTOP)
    staff_signin(page, secretary)
    page.get_by_role("navigation", name="Menu de la console").get_by_role("link", name="Paiements").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paiements du jour")
    line = page.locator(f"#payments-payment-{online.id}")
    expect(line).to_contain_text("Virement (en ligne)")
    expect(line).to_contain_text(re.compile(r"200,00\s€"))
    expect(page.locator("#payments-total-online")).to_contain_text("Virement (en ligne)")
    expect(page.locator("#payments-list .row-refund")).to_contain_text("Remboursement")
    assert violations(page) == []
    assert_clean(page)
    shot("day")

    form = page.locator("#payments-period")
    form.get_by_label("Du").fill((today - timedelta(days=13)).isoformat())
    form.get_by_label("Au").fill(today.isoformat())
    form.get_by_label("Moyen de paiement").select_option("cheque")
    form.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"au {today:%d/%m/%Y}")
    expect(page).to_have_url(re.compile(r"/console/paiements\?du=.*&moyen=cheque"))
    expect(page.locator("#payments-total-card")).to_have_count(0)
    expect(page.locator("#payments-total-cheque")).to_contain_text("Chèque")
    expect(page.locator("#payments-chart rect")).to_have_count(14)
    page.locator("#payments-days summary").click()
    assert violations(page) == []
    assert_clean(page)
    shot("fortnight-by-cheque")

    page.goto("/console/paiements")
    page.get_by_role("link", name="Jour précédent").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{today - timedelta(days=1):%Y}")
    expect(page.get_by_role("link", name="Aujourd'hui")).to_be_visible()
    page.locator("#payments-list tbody a").first.click()
    expect(page).to_have_url(re.compile(r"/console/patients/\d+\?rubrique=paiements"))
    expect(page.locator("#billing-payments")).to_be_visible()
    assert_clean(page)
