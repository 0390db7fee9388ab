"""The console's Paiements page: the payments of the day (an online payment reads "Virement (en
ligne)"), totals by method with refunds (failed ones count for nothing), the period and method
filters, bad and too long periods (422 in place), the module switch, roles, other practices, and
a statement count that does not grow with the rows."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event

from portal.accounts.models import Role
from portal.billing import journal, services
from portal.billing.models import ItemKind, PaymentMethod, RefundStatus
from portal.core.db import commit
from portal.extensions import db
from tests.billing.conftest import family, text  # noqa: F401  (fixture)
from tests.billing_journal.conftest import OPERATOR, URL, cells, page_of, refund
from tests.billing_stripe.conftest import event_body, post_event, stub  # noqa: F401  (fixture)
from tests.billing_stripe.test_online import _paid, online  # noqa: F401  (fixture)
from tests.conftest import Auth


def test_a_partial_online_payment_shows_as_virement_en_ligne_in_the_day(app, online, make_staff, desk):  # noqa: F811
    practice, child, account, _items = online
    # The parent pays 200 € of the 510 € due, online: Stripe's signed event records it.
    r = post_event(app.test_client(), account, event_body("checkout.session.completed",
                                                          _paid(practice, child, 20000, "cs_test_part")))
    assert r.get_json()["status"] == "applied"
    staff = desk(make_staff(practice, Role.secretary))
    response = staff.get(URL)
    assert response.status_code == 200
    page = page_of(response)
    assert page.by_id("payments-journal").find_all("h1")[0].text.startswith("Paiements du jour")
    [line] = [row for row in page.by_id("payments-list").find_all("tr") if row.attrs.get("id", "").startswith("payments-payment-")]
    assert "Virement (en ligne)" in line.text and "200,00 €" in line.text and "Léa Martin" in line.text
    assert "cs_test_part" in line.text and "En ligne" in line.text  # nobody of the staff recorded it
    link = next(a for a in line.find_all("a"))
    assert link.attrs["href"] == f"/console/patients/{child.id}?rubrique=paiements"
    assert cells(page.by_id("payments-total-online"))[:3] == ["Virement (en ligne)", "1", "200,00 €"]


def test_totals_by_method_with_refunds_failed_ones_ignored(clinic, pay, make_staff, desk):
    practice, (lea, hugo, zoe) = clinic
    cheque = pay(lea, 10000, PaymentMethod.cheque, reference="Chèque 0421")
    pay(hugo, 5050, PaymentMethod.cheque)
    card = pay(zoe, 3000, PaymentMethod.card)
    pay(lea, 2000, PaymentMethod.cash)
    pay(hugo, 4000, PaymentMethod.transfer)
    refund(card, 1000)                                   # given back at the desk
    refund(cheque, 500, RefundStatus.pending)            # under way: the money is leaving
    refund(cheque, 9999, RefundStatus.failed)            # nothing was given back
    totals = {t.method: t for t in journal.totals_by_method(practice_id=practice.id, start=cheque.paid_on,
                                                            end=cheque.paid_on)}
    assert [(t.payments, t.received, t.refunds, t.refunded, t.net) for t in totals.values()] == [
        (2, 15050, 1, 500, 14550), (1, 3000, 1, 1000, 2000), (1, 4000, 0, 0, 4000), (1, 2000, 0, 0, 2000)]
    assert list(totals) == [PaymentMethod.cheque, PaymentMethod.card, PaymentMethod.transfer, PaymentMethod.cash]

    page = page_of(desk(make_staff(practice, Role.secretary)).get(URL))
    assert cells(page.by_id("payments-total-cheque")) == ["Chèque", "2", "150,50 €", "−5,00 €", "145,50 €"]
    assert cells(page.by_id("payments-total-card"))[-1] == "20,00 €"
    assert cells(page.by_id("payments-total-all")) == ["Total", "5", "240,50 €", "−15,00 €", "225,50 €"]
    rows = {r.attrs["id"]: r for r in page.by_id("payments-list").find_all("tr") if "id" in r.attrs}
    assert len(rows) == 7  # five payments, two refunds (the failed one is not a line)
    refund_rows = [r for key, r in rows.items() if key.startswith("payments-refund-")]
    assert any("−10,00 €" in r.text and "Carte bancaire" in r.text for r in refund_rows)
    assert "dont 5,00 € remboursés" in rows[f"payments-payment-{cheque.id}"].text  # pending counts, failed doesn't


def test_default_day_previous_days_period_and_method_filter(clinic, pay, make_staff, desk):
    practice, (lea, hugo, _zoe) = clinic
    today = services.practice_today(practice)
    pay(lea, 1000, PaymentMethod.cheque)
    pay(hugo, 2000, PaymentMethod.card, days_ago=1)
    pay(lea, 3000, PaymentMethod.cheque, days_ago=10)
    staff = desk(make_staff(practice, Role.secretary))
    day = page_of(staff.get(URL))
    assert cells(day.by_id("payments-total-all"))[1:3] == ["1", "10,00 €"]
    links = {a.attrs.get("rel"): a.attrs["href"] for a in day.by_id("payments-links").find_all("a")}
    yesterday = (today - timedelta(days=1)).isoformat()
    assert links["prev"] == f"{URL}?du={yesterday}&au={yesterday}" and "next" not in links  # no day after today
    before = page_of(staff.get(links["prev"]))
    assert cells(before.by_id("payments-total-all"))[1:3] == ["1", "20,00 €"]
    assert "Paiements du" in before.find_all("h1")[0].text and "jour" not in before.find_all("h1")[0].text
    period = {"du": (today - timedelta(days=30)).isoformat(), "au": today.isoformat()}
    month = page_of(staff.get(URL, query_string=period))
    assert cells(month.by_id("payments-total-all"))[1:3] == ["3", "60,00 €"]
    assert month.by_id("payments-chart") is not None  # a period: the chart of its days
    days = [cells(r) for r in month.by_id("payments-days-table").find_all("tr")][1:-1]
    assert len(days) == 31 and days[-1][1:3] == ["1", "10,00 €"] and days[-11][1:3] == ["1", "30,00 €"]
    cheques = page_of(staff.get(URL, query_string={**period, "moyen": "cheque"}))
    assert cells(cheques.by_id("payments-total-all"))[1:3] == ["2", "40,00 €"]
    assert cheques.by_id("payments-total-card") is None
    only_from = page_of(staff.get(URL, query_string={"du": (today - timedelta(days=10)).isoformat()}))
    assert cells(only_from.by_id("payments-total-all"))[1:3] == ["1", "30,00 €"]  # no end: that day alone


def test_bad_dates_come_back_in_place_as_typed(clinic, make_staff, desk):
    practice, _patients = clinic
    staff = desk(make_staff(practice, Role.secretary))
    r = staff.get(URL, query_string={"du": "31/02/2026", "au": "2026-03-01", "moyen": "card"})
    assert r.status_code == 422
    page = page_of(r)
    start = next(e for e in page.find_all("input") if e.attrs.get("name") == "du")
    assert start.attrs["value"] == "31/02/2026" and start.attrs.get("aria-invalid") == "true"
    assert "Saisissez une date de début valide." in page.by_id("payments-period").text
    chosen = [o for o in page.find_all("option") if "selected" in o.attrs]
    assert [o.attrs["value"] for o in chosen] == ["card"]
    assert page.by_id("payments-list") is None and page.by_id("payments-csv") is None
    r = staff.get(URL, query_string={"du": "2026-03-10", "au": "2026-03-01"})
    assert r.status_code == 422 and "La date de fin doit suivre la date de début." in text(r)
    assert staff.get(URL, query_string={"du": "2026-01-01", "au": "2026-01-01", "moyen": "bitcoin"}).status_code == 422


def test_a_period_longer_than_a_year_is_refused(clinic, make_staff, desk):
    practice, _patients = clinic
    staff = desk(make_staff(practice, Role.secretary))
    r = staff.get(URL, query_string={"du": "2025-01-01", "au": "2026-01-02"})
    assert r.status_code == 422
    assert "Choisissez une période de 366 jours au plus." in text(r) and 'value="2026-01-02"' in text(r)
    assert staff.get(f"{URL}/export.csv", query_string={"du": "2020-01-01", "au": "2026-01-02"}).status_code == 422
    assert staff.get(URL, query_string={"du": "2025-01-01", "au": "2026-01-01"}).status_code == 200  # 366 days


def test_htmx_swaps_the_journal_only(clinic, pay, make_staff, desk):
    practice, (lea, _hugo, _zoe) = clinic
    pay(lea, 1000)
    staff = desk(make_staff(practice, Role.secretary))
    r = staff.get(URL, headers={"HX-Request": "true", "HX-Target": "payments-journal"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="payments-journal"' in body and "side-menu" not in body
    assert r.headers["Vary"] == "HX-Request" or "HX-Request" in r.headers["Vary"]
    bad = staff.get(URL, query_string={"du": "x"}, headers={"HX-Request": "true", "HX-Target": "payments-journal"})
    assert bad.status_code == 422 and "side-menu" not in bad.get_data(as_text=True)


def test_the_patients_option_off_leaves_the_consoles_accounting(clinic, pay, make_staff, desk):
    """"Paiements" in Options is what patients see (seed 000); the practice's own journal stays."""
    practice, (lea, _hugo, _zoe) = clinic
    pay(lea, 1000)
    staff = desk(make_staff(practice, Role.secretary))
    practice.options = {**(practice.options or {}), "payments": False}
    commit()
    assert page_of(staff.get("/console/")).by_id("side-payments") is not None
    assert staff.get(URL).status_code == 200 and staff.get(f"{URL}/export.csv").status_code == 200


def test_every_staff_role_may_see_it_patients_may_not(clinic, pay, make_staff, desk, app):
    practice, (lea, _hugo, _zoe) = clinic
    pay(lea, 1000)
    for role in (Role.secretary, Role.practitioner, Role.owner):
        assert desk(make_staff(practice, role)).get(URL).status_code == 200
    assert app.test_client().get(URL).status_code == 302  # to the staff sign-in
    parent = app.test_client()
    Auth(parent).patient_first_signin(lea, "06 12 34 56 78")
    assert parent.get(URL).status_code == 302 and "/console/connexion" in parent.get(URL).headers["Location"]


def test_other_practices_payments_are_never_shown(clinic, pay, make_practice, make_patient, make_staff, desk):
    practice, (lea, _hugo, _zoe) = clinic
    pay(lea, 1000)
    other = make_practice("Autre cabinet")
    stranger = make_patient(other, last_name="Dupont", first_name="Arthur")
    services.add_item(practice=other, patient=stranger, kind=ItemKind.installment, label="T",
                      amount_cents=90000, due_date=date(2020, 1, 1), actor=OPERATOR)
    services.record_payment(practice=other, patient=stranger, amount_cents=77700, method=PaymentMethod.cash,
                            paid_on=services.practice_today(other), actor=OPERATOR)
    commit()
    page = desk(make_staff(practice, Role.owner)).get(URL)
    assert "Arthur" not in text(page) and "777,00" not in text(page)
    assert cells(page_of(page).by_id("payments-total-all"))[1:3] == ["1", "10,00 €"]
    theirs = page_of(desk(make_staff(other, Role.owner)).get(URL))
    assert cells(theirs.by_id("payments-total-all"))[1:3] == ["1", "777,00 €"] and "Léa" not in theirs.text


def _statements(client, url, **kw) -> tuple[int, object]:
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(url, **kw)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len(seen), response


def test_statements_do_not_grow_with_the_rows_and_pages_split_them(clinic, pay, make_staff, desk):
    practice, patients = clinic
    today = services.practice_today(practice)
    period = {"du": (today - timedelta(days=3)).isoformat(), "au": today.isoformat()}
    staff = desk(make_staff(practice, Role.secretary))
    pay(patients[0], 1000, recorded_by=None)
    few, _r = _statements(staff, URL, query_string=period)
    methods = list(PaymentMethod)
    for i in range(150):
        pay(patients[i % 3], 100 + i, methods[i % 4], days_ago=i % 4)
    many, response = _statements(staff, URL, query_string=period)
    assert many == few and many <= 12, many
    page = page_of(response)
    listed = [r for r in page.by_id("payments-list").find_all("tr") if r.attrs.get("id", "").startswith("payments-")]
    assert len(listed) == journal.PAGE_SIZE and "151 lignes" in page.by_id("payments-list").text
    second = page_of(staff.get(URL, query_string={**period, "page": 2}))
    rest = [r for r in second.by_id("payments-list").find_all("tr") if r.attrs.get("id", "").startswith("payments-")]
    assert len(rest) == 51 and not {r.attrs["id"] for r in rest} & {r.attrs["id"] for r in listed}
    assert staff.get(URL, query_string={**period, "page": 99999999999999999999}).status_code == 200
