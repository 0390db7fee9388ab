"""House rules that can be checked mechanically (STYLE.md rule 8)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVICE_MODULES = ["portal/core/services.py", "portal/console/services.py", "portal/console/health.py",
                   "portal/console/charts.py", "portal/patients/services.py", "portal/notify/services.py",
                   "portal/accounts/patient_signin.py", "portal/accounts/staff_auth.py",
                   "portal/accounts/staff_admin.py", "portal/accounts/sessions.py", "portal/accounts/passkeys.py",
                   "portal/agenda/services.py", "portal/agenda/availability.py", "portal/agenda/planning.py",
                   "portal/agenda/desk.py", "portal/agenda/waiting.py", "portal/agenda/bulk.py", "portal/agenda/jobs.py", "portal/agenda/setup.py",
                   "portal/booking/services.py", "portal/booking/newcomers.py", "portal/booking/confirmations.py",
                   "portal/booking/setup.py", "portal/notify/reminders.py", "portal/notify/reminder_rules.py",
                   "portal/core/images.py", "portal/patients/requests.py", "portal/patients/privacy.py",
                   "portal/space/services.py", "portal/agenda/checkin.py", "portal/patients/links.py",
                   "portal/console/invitations.py", "portal/console/letters.py", "portal/console/jobs.py",
                   "portal/messaging/services.py", "portal/messaging/predefined.py", "portal/messaging/attachments.py",
                   "portal/billing/services.py", "portal/billing/journal.py",
                   "portal/billing/stripe_account.py", "portal/billing/stripe_api.py", "portal/billing/webhooks.py",
                   "portal/billing/online.py", "portal/billing/flags.py", "portal/billing/reconcile.py",
                   "portal/billing/reminders.py", "portal/billing/paylinks.py",
                   "portal/billing/jobs.py", "portal/billing/teleconsult.py", "portal/billing/refunds.py"]


def test_every_endpoint_is_protected_or_public(app):
    unguarded = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if not getattr(view, "access", None):
            unguarded.append(rule.endpoint)
    assert unguarded == [], f"endpoints with neither a role nor @public: {unguarded}"


def test_public_endpoints_are_the_expected_ones(app):
    public = sorted(r.endpoint for r in app.url_map.iter_rules()
                    if r.endpoint != "static" and app.view_functions[r.endpoint].access == ("public",))
    # booking.*: a practice's public booking page; offers.*: the waiting-list offer link, opened
    # by a random token (seed 003 § 3); stripe.webhook: Stripe's deliveries, proven by their signature;
    # paylinks.*: an overdue-payment reminder's link, opened by a signed, expiring token (issue 5)
    assert all(e.startswith(("accounts.", "core.", "booking.", "offers.", "stripe.webhook", "paylinks."))
               for e in public), public


def test_views_do_not_call_stripe_pyotp_or_redis():
    for path in ROOT.glob("portal/**/views*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in {"stripe", "pyotp", "redis", "rq"}, f"{path}: imports {name}"


def test_every_service_has_a_docstring():
    missing = []
    for rel in SERVICE_MODULES:
        tree = ast.parse((ROOT / rel).read_text())
        assert ast.get_docstring(tree), f"{rel} has no module docstring"
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                if not ast.get_docstring(node):
                    missing.append(f"{rel}:{node.name}")
    assert missing == [], f"public service functions without a docstring: {missing}"


def test_services_do_not_commit_or_touch_the_request():
    for rel in SERVICE_MODULES:
        source = (ROOT / rel).read_text()
        assert "session.commit()" not in source or rel.endswith("sessions.py"), f"{rel} commits"
        assert not re.search(r"^from flask import .*\brequest\b", source, re.M), f"{rel} uses request"


def test_templates_have_no_inline_script_or_style():
    for path in ROOT.glob("templates/**/*.html"):
        text = path.read_text()
        assert not re.search(r"<script>|<script [^>]*>[^<]", text), f"inline script in {path}"
        assert not re.search(r"\son[a-z]+=", text), f"inline event handler in {path}"
        assert not re.search(r'\sstyle="', text), f"inline style in {path} (the CSP refuses it)"


def test_fragments_declare_their_inputs():
    for path in ROOT.glob("templates/**/_*.html"):
        assert path.read_text().lstrip().startswith("{#"), f"{path} should open with an inputs comment"


def test_no_float_money_or_naive_datetimes():
    for path in ROOT.glob("portal/**/models.py"):
        text = path.read_text()
        assert "Float" not in text and "Mapped[float]" not in text, path
        assert "DateTime(" not in text.replace("UTCDateTime", ""), f"{path}: use UTCDateTime for instants"


def test_no_junk_drawer_modules():
    names = {p.name for p in ROOT.glob("portal/**/*.py")}
    assert not names & {"utils.py", "helpers.py"}


def test_files_stay_small():
    big = [str(p) for p in ROOT.glob("portal/**/*.py") if len(p.read_text().splitlines()) > 500]
    assert big == []


def test_every_audit_action_has_a_journal_label():
    from portal.core.labels import AUDIT_ACTION

    used = set()
    for path in ROOT.glob("portal/**/*.py"):
        text = path.read_text()
        used |= set(re.findall(r'audit\.record\(\s*"([a-z0-9_.]+)"', text))
        used |= set(re.findall(r'"((?:staff|patient)\.[a-z0-9_]+)" if ', text))
        used |= set(re.findall(r' else "((?:staff|patient)\.[a-z0-9_]+)"', text))
    assert used and used <= set(AUDIT_ACTION), f"no journal label for {sorted(used - set(AUDIT_ACTION))}"


def test_the_stylesheet_closes_every_block():
    """A lost "}" (a merge) silently moves every later rule into the block above it, such as
    @media print: no rule may open a block while another @media is still open, and all close."""
    depth = 0
    for number, line in enumerate((ROOT / "static" / "css" / "app.css").read_text().splitlines(), 1):
        if line.lstrip().startswith("@media"):
            assert depth == 0, f"app.css:{number}: @media inside an unclosed block"
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"app.css:{number}: a '}}' closes nothing"
    assert depth == 0, "app.css ends inside an unclosed block"
