"""The console's "Paiements à vérifier": the flags of the webhook and of the job shown to staff
(patient, amount, message, a count in the menu), marked handled (POST, CSRF, audited), another
practice's flag a 404; and `flask billing reconcile`."""
from __future__ import annotations

import html as html_lib
import re

from sqlalchemy import select

from portal.accounts.models import Role
from portal.billing import services
from portal.billing.models import FlagKind, PaymentMethod
from portal.core.db import commit
from portal.core.models import AuditEvent
from portal.extensions import db
from tests.billing_reconcile.conftest import OPERATOR, all_flags, online_practice, payments, start
from tests.billing_stripe.conftest import event_body, post_event
from tests.conftest import csrf_from


def text(response) -> str:
    return re.sub(r"[\u00a0\u202f]", " ", html_lib.unescape(response.get_data(as_text=True)))


def _excess_by_webhook(app, shop, stub) -> dict:
    session = start(shop, "30")
    paid = stub.complete(session["id"])
    services.record_payment(practice=shop.practice, patient=shop.child, amount_cents=50000,
                            method=PaymentMethod.cheque, paid_on=services.practice_today(shop.practice),
                            actor=OPERATOR)
    commit()
    r = post_event(app.test_client(), shop.account, event_body("checkout.session.completed", paid))
    assert r.get_json()["status"] == "applied"
    return paid


def test_an_excess_noted_by_the_webhook_is_shown_to_staff_and_marked_handled(app, shop, stub, desk):
    paid = _excess_by_webhook(app, shop, stub)
    [flag] = all_flags(shop.practice)
    assert (flag.kind, flag.session_id, flag.amount_cents) == (FlagKind.excess, paid["id"], 2000)
    client = desk(shop.practice, Role.secretary)
    page = text(client.get("/console/paiements/a-verifier"))
    assert f'id="billing-flag-{flag.id}"' in page
    row = page[page.index(f'id="billing-flag-{flag.id}"'):]
    assert shop.child.full_name in row
    assert "20,00 €" in row and "rembourser ou à affecter" in row and "Payé au-delà du solde" in row
    assert 'id="side-payment-flags"' in page and re.search(r'badge-count">1<', page)
    r = client.post(f"/console/paiements/a-verifier/{flag.id}/traite", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 303 and r.headers["Location"].endswith("/console/paiements/a-verifier")
    db.session.expire_all()
    [flag] = all_flags(shop.practice)
    assert flag.resolved_at is not None and flag.resolved_by_id is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "billing.flag_resolved"))
    assert (event.target_type, event.target_id, event.actor_type) == ("BillingFlag", flag.id, "staff")
    after = text(client.get("/console/paiements/a-verifier"))
    assert f'id="billing-flag-{flag.id}"' not in after and "Rien à vérifier." in after
    assert "Marqué comme traité." in after
    assert not re.search(r'side-payment-flags[^>]*>[^<]*<span class="badge', after)
    # Twice: nothing more written
    client.post(f"/console/paiements/a-verifier/{flag.id}/traite", data={"csrf_token": csrf_from(after)})
    assert db.session.query(AuditEvent).filter_by(action="billing.flag_resolved").count() == 1


def test_marking_handled_needs_the_csrf_token(app, shop, stub, desk):
    _excess_by_webhook(app, shop, stub)
    [flag] = all_flags(shop.practice)
    client = desk(shop.practice, Role.secretary)
    r = client.post(f"/console/paiements/a-verifier/{flag.id}/traite", data={})
    assert r.status_code in (303, 400)
    assert all_flags(shop.practice)[0].resolved_at is None


def test_another_practices_flag_is_a_404(app, shop, stub, desk, make_practice, make_patient):
    _excess_by_webhook(app, shop, stub)
    [flag] = all_flags(shop.practice)
    other = online_practice("Cabinet Voisin", make_practice, make_patient)
    client = desk(other.practice, Role.owner)
    page = text(client.get("/console/paiements/a-verifier"))
    assert "rembourser" not in page and f"billing-flag-{flag.id}" not in page
    r = client.post(f"/console/paiements/a-verifier/{flag.id}/traite", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 404
    assert all_flags(shop.practice)[0].resolved_at is None


def test_the_menu_link_shows_where_online_payment_is_used(app, make_practice, desk):
    practice = make_practice("Sans paiement en ligne")
    client = desk(practice, Role.secretary)
    assert 'id="side-payment-flags"' not in text(client.get("/console/"))
    assert "Rien à vérifier." in text(client.get("/console/paiements/a-verifier"))  # still reachable


def test_cli_reconciles_and_refuses_bad_arguments(app, shop, stub):
    session = start(shop, "120")
    stub.complete(session["id"])
    cli = app.test_cli_runner()
    for args, needle in ((["--days", "0"], "--days"), (["--days", "abc"], "--days"), (["--days", "31"], "--days"),
                         (["--practice", "nulle-part"], "nulle-part")):
        result = cli.invoke(args=["billing", "reconcile", *args])
        assert result.exit_code != 0 and needle in result.output, result.output
        assert "Traceback" not in result.output
    assert payments(shop.child) == []
    result = cli.invoke(args=["billing", "reconcile", "--practice", shop.practice.slug, "--days", "2"])
    assert result.exit_code == 0, result.output
    assert f"{shop.practice.slug}: 1 session(s), 1 found, 1 fixed, 0 flagged" in result.output
    assert [p.amount_cents for p in payments(shop.child)] == [12000]
    result = cli.invoke(args=["billing", "reconcile"])
    assert result.exit_code == 0 and "total: 0 found, 0 fixed, 0 flagged, 0 skipped" in result.output
    assert cli.invoke(args=["billing", "reconcile", "--help"]).exit_code == 0


def test_cli_refuses_a_practice_without_keys(app, make_practice):
    practice = make_practice("Sans clés")
    result = app.test_cli_runner().invoke(args=["billing", "reconcile", "--practice", practice.slug])
    assert result.exit_code != 0 and "not configured" in result.output
