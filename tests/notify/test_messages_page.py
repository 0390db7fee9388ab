"""The staff page "Messages envoyés": what staff see of the outbox, and the "Renvoyer" button."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from portal.core.db import commit
from portal.notify.models import OutboxStatus
from portal.notify.services import queue_email, queue_sms
from tests.conftest import csrf_from
from tests.factories import outbox

URL = "/console/messages-envoyes/"
GSM_BODY = "Rappel : rendez-vous demain à 9 h."
UCS2_BODY = "Rappel : n’oubliez pas votre appareil demain, et prévenez-nous en cas d’empêchement s’il vous plaît."


class Element:
    """Just enough of a DOM to find elements by id and read their text (no parser dependency)."""

    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def by_id(self, id_):
        return next((e for e in self.iter() if e.attrs.get("id") == id_), None)

    def find_all(self, tag):
        return [e for e in self.iter() if e.tag == tag]

    @property
    def text(self) -> str:
        parts = []

        def walk(node):
            for child in node.children:
                parts.append(child) if isinstance(child, str) else walk(child)

        walk(self)
        return " ".join(" ".join(parts).split())


class _TreeBuilder(HTMLParser):
    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self):
        super().__init__()
        self.root = self.current = Element("#document", [], None)

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in self.VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(html)
    return builder.root


def rows(page: Element) -> dict[int, Element]:
    table = page.by_id("outbox-table")
    assert table is not None, "no #outbox-table on the page"
    return {int(tr.attrs["id"].removeprefix("outbox-")): tr for tr in table.find_all("tr")
            if tr.attrs.get("id", "").startswith("outbox-")}


@pytest.fixture
def practice(make_practice):
    return make_practice("Cabinet Dupont")


@pytest.fixture
def other_practice(make_practice):
    return make_practice("Cabinet Martin")


@pytest.fixture
def signed_in(auth, practice, make_staff):
    auth.staff(make_staff(practice, "secretary"))
    return auth


def sms(practice, key, body=GSM_BODY, to="+33612345678"):
    return queue_sms(practice_id=practice.id, to=to, body=body, key=key, category="reminder")


def email(practice, key):
    return queue_email(practice_id=practice.id, to="parent@example.com", subject="Votre facture",
                       body="Bonjour, votre facture est disponible.", key=key, category="invoice")


def get_page(client, query=""):
    r = client.get(URL + query)
    assert r.status_code == 200, r.get_data(as_text=True)
    return parse(r.get_data(as_text=True)), r.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_the_staff_sign_in(client):
    r = client.get(URL)
    assert r.status_code in (302, 303)
    assert r.headers["Location"].split("?")[0].endswith("/console/connexion")


def test_staff_see_their_practice_s_messages_with_the_sms_cost(signed_in, client, practice, other_practice,
                                                               configure, run_jobs):
    configure(SMS_URL="", MAIL_URL="")
    short = sms(practice, "short").id
    long = sms(practice, "long", body=UCS2_BODY).id
    mail = email(practice, "mail").id
    foreign = sms(other_practice, "foreign", body="Message du cabinet Martin").id
    operator = queue_sms(practice_id=None, to="+33600000000", body="Test opérateur", key="op", category="test").id
    commit()
    run_jobs()

    page, html = get_page(client)
    shown = rows(page)
    assert {short, long, mail} <= set(shown)
    assert foreign not in shown and operator not in shown
    assert "cabinet Martin" not in html and "Test opérateur" not in html

    assert "1 segment" in shown[short].text and "GSM-7" in shown[short].text
    assert "2 segments" in shown[long].text and "UCS-2" in shown[long].text
    assert "segment" not in shown[mail].text and "Votre facture" in shown[mail].text
    assert "Conservé" in shown[short].text and "06 12 34 56 78" in shown[short].text
    assert list(shown)[:3] == [mail, long, short]  # newest first


def test_filters_by_channel_and_status(signed_in, client, practice, sms_provider, run_jobs):
    sms_provider.fail_next(500, 20500, "Internal Server Error")
    failed = sms(practice, "failed").id
    commit()
    run_jobs()
    sent = sms(practice, "sent").id
    mail = email(practice, "mail").id
    commit()
    run_jobs()
    own = {failed, sent, mail}

    assert set(rows(get_page(client, "?canal=sms")[0])) & own == {failed, sent}
    assert set(rows(get_page(client, "?canal=email")[0])) & own == {mail}
    page, _ = get_page(client, "?statut=failed")
    assert set(rows(page)) & own == {failed}
    selected = [o.attrs["value"] for o in page.by_id("filter-status").find_all("option") if "selected" in o.attrs]
    assert selected == ["failed"]  # the form keeps the filter it shows
    assert set(rows(get_page(client, "?canal=sms&statut=sent")[0])) & own == {sent}
    assert set(rows(get_page(client, "?canal=fax&statut=lost")[0])) & own == own  # unknown values: no filter


def test_a_failed_message_shows_its_error_and_renvoyer_sends_it(signed_in, client, practice, sms_provider,
                                                                  rq_queue, run_jobs):
    sms_provider.fail_next(500, 20500, "Internal Server Error")
    failed = sms(practice, "failed").id
    commit()
    run_jobs()
    sent = sms(practice, "sent").id
    commit()
    run_jobs()

    page, html = get_page(client)
    row = rows(page)[failed]
    assert "Échec" in row.text
    assert "SMS provider answered 500: Internal Server Error" in row.text
    [form] = row.find_all("form")
    assert form.attrs["action"] == f"{URL}{failed}/renvoyer"
    assert "Renvoyer" in form.text
    assert rows(page)[sent].find_all("form") == []

    queued_before = rq_queue.count
    r = client.post(form.attrs["action"], data={"csrf_token": csrf_from(html)})
    assert r.status_code == 303
    assert r.headers["Location"].endswith(URL)
    assert rq_queue.count == queued_before + 1
    assert "Le message va être renvoyé." in client.get(URL).get_data(as_text=True)

    run_jobs()
    [row] = [m for m in outbox() if m.id == failed]
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.sent, 2, "")
    assert len(sms_provider.sent) == 2
    after = rows(get_page(client)[0])[failed]
    assert "Envoyé" in after.text and after.find_all("form") == []


def test_another_practice_s_message_cannot_be_resent(signed_in, client, other_practice, sms_provider, rq_queue,
                                                      run_jobs):
    sms_provider.fail_next(500, 20500, "Internal Server Error")
    foreign = sms(other_practice, "foreign").id
    commit()
    run_jobs()
    token = csrf_from(client.get(URL).get_data(as_text=True))
    queued_before = rq_queue.count

    for message_id in (foreign, foreign + 1000):
        r = client.post(f"{URL}{message_id}/renvoyer", data={"csrf_token": token})
        assert r.status_code == 404
    assert rq_queue.count == queued_before
    assert outbox()[0].status is OutboxStatus.failed


def test_only_a_failed_message_can_be_resent(signed_in, client, practice, rq_queue, run_jobs):
    stored = sms(practice, "stored").id
    commit()
    run_jobs()
    token = csrf_from(client.get(URL).get_data(as_text=True))

    r = client.post(f"{URL}{stored}/renvoyer", data={"csrf_token": token})
    assert r.status_code == 409
    assert "Seul un message en échec peut être renvoyé." in r.get_data(as_text=True)
    assert rq_queue.count == 0


def test_renvoyer_without_the_csrf_token_is_refused(signed_in, client, practice, sms_provider, rq_queue,
                                                    run_jobs):
    sms_provider.fail_next(500, 20500, "Internal Server Error")
    failed = sms(practice, "failed").id
    commit()
    run_jobs()
    queued_before = rq_queue.count

    r = client.post(f"{URL}{failed}/renvoyer")
    assert r.status_code == 400
    assert rq_queue.count == queued_before


def test_htmx_filter_gets_only_the_table(signed_in, client, practice):
    mail = email(practice, "mail").id
    commit()
    r = client.get(URL + "?canal=email", headers={"HX-Request": "true", "HX-Target": "outbox-table"})
    assert r.status_code == 200
    assert "HX-Request" in r.headers.get("Vary", "")
    fragment = parse(r.get_data(as_text=True))
    assert fragment.find_all("h1") == [] and fragment.find_all("nav") == []
    assert mail in rows(fragment)
