"""The CSV export of the Paiements journal (UTF-8 with BOM, `;`, decimal comma, DD/MM/YYYY,
formula cells defused, streamed, audited) and the payments chart on the statistics page."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import Role
from portal.billing import services
from portal.billing.models import PaymentMethod, RefundStatus
from portal.core.db import commit
from portal.core.exports import amount_cell, csv_lines, safe_cell
from portal.core.models import AuditEvent
from portal.extensions import db
from tests.billing_journal.conftest import URL, cells, page_of, refund

CSV = f"{URL}/export.csv"


def _rows(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # the BOM: Excel reads the accents as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_csv_of_a_period_in_french_excel_format_and_audited(clinic, pay, make_staff, desk):
    practice, (lea, hugo, _zoe) = clinic
    today = services.practice_today(practice)
    cheque = pay(lea, 123456, PaymentMethod.cheque, reference="=HYPERLINK(\"http://x\")", note="+33 6 12; \"vu\"")
    pay(hugo, 5000, PaymentMethod.online, days_ago=2, reference="cs_test_1")
    pay(hugo, 700, PaymentMethod.cash, days_ago=40)  # outside the period
    refund(cheque, 1000, reason="@trop perçu")
    refund(cheque, 500, RefundStatus.failed)
    staff = desk(make_staff(practice, Role.secretary, first_name="Inès", last_name="Roux"))
    period = {"du": (today - timedelta(days=30)).isoformat(), "au": today.isoformat()}
    r = staff.get(CSV, query_string=period)
    assert r.status_code == 200 and r.mimetype == "text/csv" and r.is_streamed
    assert "attachment" in r.headers["Content-Disposition"] and "paiements-" in r.headers["Content-Disposition"]
    assert r.headers["Cache-Control"] == "no-store"
    header, *lines = _rows(r)
    assert header == ["Date", "Type", "Patient", "Payé par", "Moyen de paiement", "Référence", "Montant (€)",
                      "Dont remboursé (€)", "Enregistré par", "Note"]
    assert len(lines) == 3
    online, paid, back = lines  # in journal order: by day, payments before refunds
    assert online[0] == (today - timedelta(days=2)).strftime("%d/%m/%Y")
    assert online[1:7] == ["Règlement", "Hugo Martin", "Hugo Martin", "Virement (en ligne)", "cs_test_1", "50,00"]
    assert paid[5] == "'=HYPERLINK(\"http://x\")" and paid[6] == "1234,56" and paid[7] == "10,00"
    assert paid[9] == "'+33 6 12; \"vu\""  # quoted by the CSV writer, defused as a formula
    assert back[1] == "Remboursement" and back[6] == "-10,00" and back[9] == "'@trop perçu"
    assert b";" in r.get_data() and b"\r\n" in r.get_data()

    [audit] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "billing.payments_exported")).all()
    assert audit.practice_id == practice.id and audit.actor_label == staff_email(practice)
    assert audit.details == {"start": period["du"], "end": period["au"], "method": None, "lines": 3}


def staff_email(practice):
    from portal.accounts.models import StaffUser

    return db.session.scalar(select(StaffUser.email).where(StaffUser.practice_id == practice.id))


def test_csv_follows_the_method_filter_and_the_day_default(clinic, pay, make_staff, desk):
    practice, (lea, hugo, _zoe) = clinic
    pay(lea, 1000, PaymentMethod.cheque)
    pay(hugo, 2000, PaymentMethod.card)
    staff = desk(make_staff(practice, Role.secretary))
    assert len(_rows(staff.get(CSV))) == 3
    _header, *cards = _rows(staff.get(CSV, query_string={"moyen": "card"}))
    assert [c[4] for c in cards] == ["Carte bancaire (au cabinet)"]
    details = [e.details for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "billing.payments_exported").order_by(AuditEvent.id))]
    assert [d["method"] for d in details] == [None, "card"]
    assert staff.get(CSV, query_string={"du": "demain"}).status_code == 422
    assert len(details) == 2  # a refused export is not one


def test_the_page_links_to_the_export_of_what_it_shows(clinic, make_staff, desk):
    practice, _patients = clinic
    staff = desk(make_staff(practice, Role.secretary))
    page = page_of(staff.get(URL, query_string={"du": "2026-01-01", "au": "2026-01-31", "moyen": "cash"}))
    link = page.by_id("payments-csv")
    assert link.attrs["href"] == f"{CSV}?du=2026-01-01&au=2026-01-31&moyen=cash"
    assert link.attrs["hx-boost"] == "false"  # a download, not a page for htmx to swap in


def test_the_csv_helper_defuses_formulas_but_not_numbers():
    assert [safe_cell(v) for v in ("=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "-12,50", "12", "Léa", None)] == [
        "'=1+1", "'+1", "'-1+2", "'@SUM(A1)", "'\tx", "-12,50", "12", "Léa", ""]
    assert [amount_cell(c) for c in (0, 5, 123456, -500, -1)] == ["0,00", "0,05", "1234,56", "-5,00", "-0,01"]
    text = "".join(csv_lines(["a", "b"], ([str(i), "x;y"] for i in range(1200))))
    assert text.startswith("\ufeffa;b\r\n0;\"x;y\"\r\n") and text.count("\r\n") == 1201


def test_statistics_page_shows_payments_per_day(clinic, pay, make_staff, desk):
    practice, (lea, hugo, _zoe) = clinic
    today = services.practice_today(practice)
    pay(lea, 1000)
    pay(hugo, 2550, PaymentMethod.card, days_ago=3)
    owner = desk(make_staff(practice, Role.owner))
    page = page_of(owner.get("/console/statistiques"))
    section = page.by_id("stats-payments")
    assert section is not None and "35,50 €" in section.text
    assert page.by_id("payments-chart") is not None and page.by_id("signins-chart") is not None
    rows = [cells(r) for r in page.by_id("payments-days-table").find_all("tr")][1:-1]
    assert len(rows) == 30 and rows[-1][1:3] == ["1", "10,00 €"] and rows[-4][1:3] == ["1", "25,50 €"]
    bars = [e for e in page.by_id("payments-chart").find_all("rect")]
    assert len(bars) == 30 and float(bars[-1].attrs["height"]) > 0 and float(bars[0].attrs["height"]) == 0
    link = next(a for a in section.find_all("a"))
    assert link.attrs["href"] == f"{URL}?du={(today - timedelta(days=29)).isoformat()}&au={today.isoformat()}"
    practice.options = {**(practice.options or {}), "payments": False}  # the patients' option only
    commit()
    assert page_of(owner.get("/console/statistiques")).by_id("stats-payments") is not None
