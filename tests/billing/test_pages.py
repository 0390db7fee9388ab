"""The patient's "Mes paiements" page and the console's Paiements tab: what they show, the
module switches (off, minors, only what is due), the forms with their errors, other practices
and other families (404), and the number of statements a large file costs."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event, select

from portal.accounts.models import Role
from portal.billing import services
from portal.billing.models import BillingItem, ItemKind, Payment, PaymentMethod
from portal.core.db import commit
from portal.extensions import db
from tests.billing.conftest import OPERATOR, text
from tests.conftest import Auth, csrf_from
from tests.notify.test_messages_page import parse


def _ledger(practice, child):
    today = services.practice_today(practice)
    services.add_item(practice=practice, patient=child, kind=ItemKind.installment, label="1er semestre",
                      amount_cents=39000, due_date=today - timedelta(days=40), actor=OPERATOR)
    services.add_item(practice=practice, patient=child, kind=ItemKind.installment, label="2e semestre",
                      amount_cents=39000, due_date=today + timedelta(days=150), actor=OPERATOR)
    fee = services.add_item(practice=practice, patient=child, kind=ItemKind.fee, label="Contention",
                            amount_cents=12000, due_date=today - timedelta(days=10),
                            care_date=today - timedelta(days=20), actor=OPERATOR)
    services.record_payment(practice=practice, patient=child, amount_cents=39000, method=PaymentMethod.cheque,
                            paid_on=today - timedelta(days=30), actor=OPERATOR)
    commit()
    return today, fee


def test_patient_page_lists_items_with_details_overdue_and_balance(client, family):
    practice, child = family
    today, fee = _ledger(practice, child)
    page = text(client.get("/paiements"))
    assert f"Solde restant dû : 120,00 € au {today:%d/%m/%Y}" in page
    row = parse(page).by_id(f"billing-item-{fee.id}")
    details = row.find_all("details")
    assert details and "billing-item-overdue" in details[0].attrs["class"].split()
    assert "Déjà réglé" in row.text and "120,00 €" in row.text and "En retard" in row.text
    assert "2e semestre" in page  # not due yet, shown unless the option says otherwise
    assert "Régler en ligne" not in page  # the option payments_online is off by default
    for url in ("/", "/menu"):
        assert 'href="/paiements"' in text(client.get(url))


def test_only_due_installments_with_the_option(client, family):
    practice, child = family
    _ledger(practice, child)
    practice.options = {**(practice.options or {}), "payments_due_only": True}
    commit()
    page = text(client.get("/paiements"))
    assert "1er semestre" in page and "2e semestre" not in page and "Contention" in page


def test_module_off_or_off_for_minors_refuses_and_hides(client, family, make_patient, app):
    practice, child = family
    practice.options = {**(practice.options or {}), "payments": False}
    commit()
    assert client.get("/paiements").status_code == 404
    assert 'href="/paiements"' not in text(client.get("/"))
    practice.options = {**practice.options, "payments": True, "payments_minors": False}
    commit()
    assert client.get("/paiements").status_code == 200  # Léa is an adult
    minor = make_patient(practice, parent_mobile="06 77 77 77 77", birth_date=date.today() - timedelta(days=365 * 10))
    kid = app.test_client()
    Auth(kid).patient_first_signin(minor, "06 77 77 77 77")
    assert kid.get("/paiements").status_code == 404
    assert 'href="/paiements"' not in text(kid.get("/menu"))


def test_other_family_sees_only_its_own_file(app, family, make_patient):
    practice, child = family
    _ledger(practice, child)
    neighbour = make_patient(practice, parent_mobile="06 55 44 33 22", first_name="Voisin", birth_date=date(1990, 1, 1))
    other = app.test_client()
    Auth(other).patient_first_signin(neighbour, "06 55 44 33 22")
    page = text(other.get("/paiements"))
    assert "semestre" not in page and "Solde restant dû : 0,00 €" in page


def test_console_tab_records_payment_and_refuses_too_much(family, make_staff, desk):
    practice, child = family
    today, fee = _ledger(practice, child)
    staff = desk(make_staff(practice, Role.secretary))
    url = f"/console/patients/{child.id}"
    page = text(staff.get(url, query_string={"rubrique": "paiements"}))
    assert f"Solde restant dû : 120,00 € au {today:%d/%m/%Y}" in page and "Contention" in page
    form = {"csrf_token": csrf_from(page), "amount": "600", "method": "card", "paid_on": today.isoformat(),
            "payer_id": "", "reference": "CB 42", "note": ""}
    r = staff.post(f"{url}/paiements/reglements", data=form)
    assert r.status_code == 422
    refused = text(r)
    assert "dépasse ce qui reste dû (510,00 €)" in refused and 'value="CB 42"' in refused
    r = staff.post(f"{url}/paiements/reglements", data={**form, "amount": "120", "items": [str(fee.id)]})
    assert r.status_code == 303
    payment = db.session.scalar(select(Payment).where(Payment.reference == "CB 42"))
    assert [a.item_id for a in payment.allocations] == [fee.id] and payment.recorded_by_id is not None
    page = text(staff.get(url, query_string={"rubrique": "paiements"}))
    assert "Solde restant dû : 0,00 €" in page and "Carte bancaire (au cabinet)" in page


def test_console_items_add_edit_delete(family, make_staff, desk):
    practice, child = family
    staff = desk(make_staff(practice, Role.secretary))
    url = f"/console/patients/{child.id}"
    page = text(staff.get(url, query_string={"rubrique": "paiements"}))
    form = {"csrf_token": csrf_from(page), "kind": "fee", "label": "Bilan", "amount": "12x",
            "due_date": "2025-01-05", "care_date": "2025-01-02", "responsible_id": ""}
    r = staff.post(f"{url}/paiements/elements", data=form)
    assert r.status_code == 422 and "Montant invalide" in text(r) and 'value="Bilan"' in text(r)
    assert staff.post(f"{url}/paiements/elements", data={**form, "amount": "75,50"}).status_code == 303
    item = db.session.scalar(select(BillingItem))
    assert (item.kind, item.amount_cents, item.responsible_id) == (ItemKind.fee, 7550, None)
    edit = f"{url}/paiements/elements/{item.id}"
    page = text(staff.get(edit))
    assert 'value="75,50"' in page
    r = staff.post(edit, data={**form, "csrf_token": csrf_from(page), "amount": "80", "label": "Bilan initial"})
    assert r.status_code == 303
    db.session.expire_all()
    assert (item.label, item.amount_cents) == ("Bilan initial", 8000)
    assert staff.post(f"{edit}/supprimer", data={"csrf_token": csrf_from(page)}).status_code == 303
    assert db.session.scalar(select(BillingItem)) is None


def test_other_practice_staff_get_404(family, make_practice, make_staff, desk):
    practice, child = family
    _today, fee = _ledger(practice, child)
    stranger = desk(make_staff(make_practice("Autre cabinet"), Role.owner))
    base = f"/console/patients/{child.id}/paiements"
    assert stranger.get(f"/console/patients/{child.id}", query_string={"rubrique": "paiements"}).status_code == 404
    assert stranger.get(f"{base}/elements/{fee.id}").status_code == 404
    token = csrf_from(text(stranger.get("/console/")))
    for path in ("/elements", f"/elements/{fee.id}", f"/elements/{fee.id}/supprimer", "/reglements"):
        assert stranger.post(base + path, data={"csrf_token": token, "amount": "1", "label": "x"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(BillingItem, fee.id).amount_cents == 12000


def test_large_file_renders_in_a_handful_of_statements(client, family, app):
    practice, child = family
    start = date(2020, 1, 1)
    db.session.add_all([BillingItem(practice_id=practice.id, patient_id=child.id, kind=ItemKind.installment,
                                    label=f"Échéance {i}", amount_cents=10000, due_date=start + timedelta(days=30 * i))
                        for i in range(40)] +
                       [BillingItem(practice_id=practice.id, patient_id=child.id, kind=ItemKind.fee,
                                    label=f"Acte {i}", amount_cents=2500, due_date=start + timedelta(days=7 * i))
                        for i in range(200)])
    commit()
    services.record_payment(practice=practice, patient=child, amount_cents=300000, method=PaymentMethod.transfer,
                            paid_on=date(2024, 1, 1), actor=OPERATOR)
    commit()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        page = client.get("/paiements")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert page.status_code == 200 and "Acte 199" in text(page)
    billing = [s for s in statements if "billing_item" in s or "allocation" in s or "payment" in s]
    assert len(billing) <= 3, billing
    assert len(statements) <= 15, statements
