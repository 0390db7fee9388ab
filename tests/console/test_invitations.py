"""Invitations (seed 001's publipostage): merge fields, the addressee, who has not signed in yet,
the mass-send preview and its confirmation, sends that happen once, letters as PDF, rights and
tenancy."""
from __future__ import annotations

import re
import zlib
from datetime import date

import pytest
import tinyhtml5
from sqlalchemy import func, select

from portal.accounts.models import PatientAccount
from portal.console import invitations as inv, letters
from portal.console.models import InvitationBatch, InvitationChannel, InvitationTemplate
from portal.core.audit import Actor
from portal.core.db import commit, utcnow
from portal.core.errors import Invalid
from portal.core.models import AuditEvent
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.notify.segments import sms_cost
from tests.conftest import csrf_from
from tests.factories import outbox

OP = Actor.operator()
ADULT = date(1980, 3, 4)


def _template(practice, channel="sms", body="Bonjour @DPREN, le dossier de @PPREN : @URL", subject=""):
    t = inv.save_template(practice=practice, template=None, name=f"Modèle {channel}", channel=channel,
                          subject=subject or ("Objet @PPREN" if channel == "email" else ""), body=body, actor=OP)
    commit()
    return t


def _signed_in(practice, phone):
    db.session.add(PatientAccount(practice_id=practice.id, phone=phone, last_signin_at=utcnow()))
    commit()


X = "{http://www.w3.org/1999/xhtml}"


def _doc(r):
    """The parsed page (WeasyPrint's own HTML5 parser, an ElementTree)."""
    return tinyhtml5.parse(r.get_data(as_text=True))


def _by_id(root, id_):
    element = root.find(f".//*[@id='{id_}']")
    assert element is not None, f"no #{id_}"
    return element


def _text(element) -> str:
    return "".join(element.itertext())


def _all(root, tag, **attrs):
    return [e for e in root.iter(X + tag) if all(e.get(k) == v for k, v in attrs.items())]


def _classed(root, cls):
    return [e for e in root.iter() if cls in (e.get("class") or "").split()]


def _hidden(root) -> dict:
    return {i.get("name"): i.get("value", "") for i in _all(root, "input", type="hidden")}


def _staff_client(app, auth_cls, user):
    client = app.test_client()
    auth_cls(client).staff(user)
    return client


@pytest.fixture
def owner_client(app, make_practice, make_staff):
    from tests.conftest import Auth

    practice = make_practice("Cabinet des Tilleuls", city="Dijon", address="1 place Darcy", postal_code="21000")
    owner = make_staff(practice, "owner")
    return practice, owner, _staff_client(app, Auth, owner)


def test_merge_fields_are_replaced_and_an_unknown_one_is_named(make_practice):
    practice = make_practice()
    assert inv.unknown_fields("@PNOM écrit à contact@CABINET.fr, @ORDREapo et @NOPE puis @NOPE") == ["NOPE"]
    with pytest.raises(Invalid) as exc:
        inv.save_template(practice=practice, template=None, name="x", channel="letter", subject="",
                          body="Bonjour @DNOM @FOO", actor=OP)
    assert exc.value.field == "body" and "@FOO" in exc.value.message
    with pytest.raises(Invalid) as exc:
        inv.save_template(practice=practice, template=None, name="x", channel="email", subject="Pour @BAR",
                          body="ok", actor=OP)
    assert exc.value.field == "subject" and "@BAR" in exc.value.message
    values = {"DCIVIL": "", "DNOM": "MARTIN", "DADR2": "", "PPREN": "Léa"}
    assert inv.merge("@DCIVIL @DNOM\n@DADR2\n\nPour @PPREN.", values) == "MARTIN\n\nPour Léa."


def test_saving_an_unknown_field_keeps_what_was_typed(owner_client):
    practice, _owner, client = owner_client
    page = client.get("/console/invitations/modeles/nouveau")
    assert page.status_code == 200
    assert "@DCIVIL" in _text(_by_id(_doc(page), "invitation-fields"))
    typed = "Bonjour @DNOM,\nvotre code est @MOTDEPASSE"
    r = client.post("/console/invitations/modeles/nouveau", data={
        "csrf_token": csrf_from(page.get_data(as_text=True)), "name": "Mon courrier", "channel": "letter",
        "subject": "", "body": typed})
    assert r.status_code == 422
    doc = _doc(r)
    assert "@MOTDEPASSE" in _text(_classed(_classed(doc, "has-error")[0], "error")[0])
    assert _text(_all(doc, "textarea", name="body")[0]).strip() == typed
    assert _all(doc, "input", name="name")[0].get("value") == "Mon courrier"
    assert db.session.scalar(select(func.count(InvitationTemplate.id)).where(
        InvitationTemplate.name == "Mon courrier")) == 0


def test_defaults_are_safe_and_the_preview_renders_for_a_patient(owner_client, make_patient):
    practice, _owner, client = owner_client
    r = client.get("/console/invitations")
    names = [_text(row) for row in _all(_by_id(_doc(r), "invitation-templates"), "tr")
             if row.get("id", "").startswith("invitation-template-")]
    assert len(names) == 3
    for template in inv.default_templates(practice):
        assert not inv.unknown_fields(template.body) and not inv.unknown_fields(template.subject)
        assert "@ORDREapo" not in template.body and "identifiant" not in template.body.lower().split("cabinet")[0]
        if template.channel is InvitationChannel.sms:
            assert sms_cost(template.body).encoding == "GSM-7"  # the default SMS stays cheap
    patient = make_patient(practice, number="777", last_name="ROUX", first_name="Zoé", address="8 rue Neuve",
                           postal_code="21000", city="Dijon", parent_mobile="0611111111")
    letter = next(t for t in inv.default_templates(practice) if t.channel is InvitationChannel.letter)
    body = _doc(client.get(f"/console/invitations/modeles/{letter.id}", query_string={"patient": "777"}))
    preview = _text(_by_id(body, "invitation-preview"))
    assert "Zoé" in preview and "777" in preview and "https://sourire.test/connexion" in preview
    assert practice.public_code in preview and "8 rue Neuve" in preview and patient.last_name in preview


def test_the_addressee_is_the_parent_of_a_minor_and_the_adult_patient(make_practice, make_patient):
    practice = make_practice()
    child = make_patient(practice, last_name="PETIT", first_name="Tom", address="3 rue Haute", postal_code="21000",
                         city="Dijon", responsibles=[
                             {"role": "parent2", "civility": "M.", "last_name": "PETIT", "first_name": "Marc",
                              "mobile": "0622222222", "address": "9 avenue Foch, Appt 4, 75016 Paris"},
                             {"role": "parent1", "civility": "Mme", "last_name": "DURAND", "first_name": "Anne",
                              "email": "anne@example.com", "mobile": "0611111111"}])
    r = inv.recipient_of(child, practice)
    # Parent 1 first; she has no address of her own: the child's home.
    assert (r.civility, r.last_name, r.first_name, r.mobile, r.email) == ("Mme", "DURAND", "Anne", "+33611111111",
                                                                         "anne@example.com")
    assert (r.address1, r.postal_code, r.city) == ("3 rue Haute", "21000", "Dijon")
    db.session.delete(next(x for x in child.responsibles if x.role.value == "parent1"))
    commit()
    db.session.refresh(child)
    r = inv.recipient_of(child, practice)
    assert (r.first_name, r.address1, r.address2, r.postal_code, r.city) == ("Marc", "9 avenue Foch", "Appt 4",
                                                                             "75016", "Paris")
    adult = make_patient(practice, last_name="BLANC", first_name="Paul", birth_date=ADULT,
                         mobile="0633333333", address="1 rue Basse", city="Beaune", parent_mobile="0644444444")
    adult.civility = "M."
    r = inv.recipient_of(adult, practice)
    assert r.civility == "M." and (r.last_name, r.first_name, r.mobile, r.city) == ("BLANC", "Paul", "+33633333333", "Beaune")


def test_not_signed_in_means_no_number_of_the_file_ever_signed_in(make_practice, make_patient):
    practice, other = make_practice(), make_practice()
    via_parent = make_patient(practice, parent_mobile="0611111111")
    via_own = make_patient(practice, mobile="0622222222", birth_date=ADULT)
    withdrawn = make_patient(practice, parent_mobile="0633333333", do_not_share_online=True)
    never = make_patient(practice, parent_mobile="0644444444")
    no_phone = make_patient(practice)
    elsewhere = make_patient(practice, parent_mobile="0655555555")
    make_patient(other, parent_mobile="0666666666")
    _signed_in(practice, "+33611111111")
    _signed_in(practice, "+33622222222")
    db.session.add(PatientAccount(practice_id=practice.id, phone="+33644444444"))  # account, never signed in
    _signed_in(other, "+33655555555")  # the same number signed in at another practice only
    ids = {p.id for p in inv.not_signed_in(practice)}
    assert ids == {never.id, no_phone.id, elsewhere.id}
    assert not ids & {via_parent.id, via_own.id, withdrawn.id}


def test_mass_preview_counts_recipients_skipped_and_segments(owner_client, make_patient):
    practice, _owner, client = owner_client
    gsm = make_patient(practice, first_name="Lea", parent_mobile="0611111111")
    ucs2 = make_patient(practice, first_name="Françoise", parent_mobile="0622222222")
    make_patient(practice, first_name="Sansnumero")
    template = _template(practice, body="Bonjour, le dossier de @PPREN (@ORDRE) est en ligne : " + "x" * 60)
    r = client.get(f"/console/invitations/modeles/{template.id}/envoi")
    assert r.status_code == 200
    doc = _doc(r)
    expected = sum(sms_cost(inv.render_for(practice, template, p).body).segments for p in (gsm, ucs2))
    assert sms_cost(inv.render_for(practice, template, ucs2).body).encoding == "UCS-2"
    assert "2 destinataires" in _text(_by_id(doc, "invitation-recipient-count"))
    assert f"{expected} segments" in _text(_by_id(doc, "invitation-sms-total"))
    assert expected == 3  # one GSM-7 segment, two UCS-2 ones
    assert "1 (pas de portable)" in _text(_by_id(doc, "invitation-skipped"))
    assert _text(_classed(_by_id(doc, "invitation-preview"), "invitation-body")[0]).startswith("Bonjour, le dossier de")
    assert outbox(category="invitation") == []


def _confirm_data(page):
    form = _by_id(_doc(page), "invitation-mass-form")
    return {**_hidden(form), "csrf_token": csrf_from(page.get_data(as_text=True))}


def test_confirm_sends_exactly_what_was_previewed_and_only_once(owner_client, make_patient, run_jobs):
    practice, _owner, client = owner_client
    first = make_patient(practice, parent_mobile="0611111111")
    template = _template(practice)
    url = f"/console/invitations/modeles/{template.id}/envoi"
    data = _confirm_data(client.get(url))
    late = make_patient(practice, parent_mobile="0622222222")  # arrived after the preview
    r = client.post(url, data=data)
    assert r.status_code == 409 and "a changé depuis" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count(InvitationBatch.id))) == 0
    data = _confirm_data(r)
    r = client.post(url, data=data)
    assert r.status_code == 303
    again = client.post(url, data=data)  # a double click: the same token
    assert again.status_code == 303
    assert "déjà été fait" in client.get(again.headers["Location"]).get_data(as_text=True)
    run_jobs()
    run_jobs()
    sent = outbox(category="invitation")
    assert sorted(m.recipient for m in sent) == ["+33611111111", "+33622222222"]
    assert all(first.first_name in m.body or late.first_name in m.body for m in sent)
    batch = db.session.scalar(select(InvitationBatch))
    db.session.refresh(batch)
    assert (batch.recipients, batch.queued, batch.mass) == (2, 2, True)
    assert sorted(batch.patient_ids) == sorted([first.id, late.id])
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "invitation.sent")))
    assert len(events) == 1 and events[0].details["recipients"] == 2


def test_a_large_batch_is_queued_in_chunks(make_practice, make_patient, run_jobs):
    practice = make_practice()
    patients = [make_patient(practice, parent_mobile=f"06123456{n:02d}") for n in range(7)]
    template = _template(practice, channel="email", body="Bonjour @DPREN")
    for p in patients:
        p.responsibles[0].email = f"parent{p.id}@example.com"
    commit()
    plan = inv.plan_send(practice, template, inv.not_signed_in(practice))
    batch, created = inv.send(practice=practice, plan=plan, token="t1", mass=True, staff=None, actor=OP)
    commit()
    assert created and batch.recipients == 7
    after, rounds = 0, 0
    while after is not None:  # what the job does, with chunks of 3
        after = inv.queue_batch_messages(batch.id, after_id=after, limit=3)
        rounds += 1
    assert rounds == 3
    assert inv.queue_batch_messages(batch.id, limit=10) is None  # a re-run queues nothing new
    commit()
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.category == "invitation")) == 7
    assert batch.queued == 7


def _pdf_pages(data: bytes) -> int:
    """The page count of the PDF's page tree, looked for in its plain and its deflated objects."""
    chunks = [data] + [zlib.decompress(m) for m in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S)
                       if m[:1] == b"x"]
    counts = [int(n) for chunk in chunks for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", chunk)
              + re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", chunk)]
    assert counts, "no page tree found"
    return max(counts)


def test_letters_make_one_pdf_page_per_addressed_recipient(owner_client, make_patient):
    practice, _owner, client = owner_client
    for n in range(3):
        make_patient(practice, first_name=f"Kid{n}", address=f"{n} rue Longue", postal_code="21000", city="Dijon",
                     parent_mobile=f"061111111{n}")
    make_patient(practice, first_name="Nowhere")
    letter = _template(practice, channel="letter", body="Pour @PPREN : @URL")
    url = f"/console/invitations/modeles/{letter.id}/envoi"
    page = client.get(url)
    assert "3 courriers" in page.get_data(as_text=True)
    r = client.post(url, data=_confirm_data(page))
    batch_page = client.get(r.headers["Location"])
    link = _by_id(_doc(batch_page), "invitation-letters-link").get("href")
    pdf = client.get(link)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.data.startswith(b"%PDF-") and _pdf_pages(pdf.data) == 3
    batch = db.session.scalar(select(InvitationBatch))
    assert letters.batch_pdf(batch, actor=OP)[1] == 3
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "invitation.letters_downloaded")) >= 1


def test_any_staff_member_invites_one_patient_once(app, make_practice, make_staff, make_patient):
    from tests.conftest import Auth

    practice = make_practice()
    secretary = make_staff(practice, "secretary")
    client = _staff_client(app, Auth, secretary)
    child = make_patient(practice, first_name="Inès", parent_mobile="0611111111")
    assert "patient-invite" in client.get(f"/console/patients/{child.id}").get_data(as_text=True)
    page = client.get(f"/console/invitations/patient/{child.id}")
    assert page.status_code == 200
    sections = [s for s in _all(_doc(page), "section") if s.get("id", "").startswith("invite-template-")]
    sms = next(s for s in sections if "SMS" in _text(_all(s, "h2")[0]))
    data = {**_hidden(sms), "csrf_token": csrf_from(page.get_data(as_text=True))}
    for _ in range(2):  # a double click
        r = client.post(f"/console/invitations/patient/{child.id}", data=data)
        assert r.status_code == 303
    sent = outbox(category="invitation")
    assert len(sent) == 1 and sent[0].recipient == "+33611111111" and "Inès" in sent[0].body
    email = next(s for s in sections if "E-mail" in _text(_all(s, "h2")[0]))
    assert "pas d'adresse e-mail" in _text(email) and not _all(email, "form")


def test_a_withdrawn_file_is_not_invited(owner_client, make_patient):
    practice, _owner, client = owner_client
    child = make_patient(practice, parent_mobile="0611111111", do_not_share_online=True)
    template = _template(practice)
    page = client.get("/console/")
    r = client.post(f"/console/invitations/patient/{child.id}", data={
        "csrf_token": csrf_from(page.get_data(as_text=True)), "template_id": template.id, "token": "abc"})
    assert r.status_code == 422 and "RGPD" in r.get_data(as_text=True)
    assert outbox(category="invitation") == []


def test_secretaries_neither_edit_templates_nor_send_to_everyone(app, make_practice, make_staff):
    from tests.conftest import Auth

    practice = make_practice()
    template = _template(practice)
    client = _staff_client(app, Auth, make_staff(practice, "secretary"))
    for url in ("/console/invitations", "/console/invitations/modeles/nouveau",
                f"/console/invitations/modeles/{template.id}", f"/console/invitations/modeles/{template.id}/envoi"):
        assert client.get(url).status_code == 403, url
    assert "Invitations" not in [_text(a) for a in _all(_classed(_doc(client.get("/console/")), "side-menu")[0], "a")]


def test_other_practices_templates_sends_and_patients_answer_404(owner_client, make_practice, make_patient):
    _practice, _owner, client = owner_client
    other = make_practice()
    foreign = _template(other, channel="letter", body="Secret @PNOM")
    kid = make_patient(other, address="1 rue X", postal_code="21000", city="Dijon", parent_mobile="0611111111")
    plan = inv.plan_for_patient(other, foreign, kid)
    batch, _ = inv.send(practice=other, plan=plan, token="x", mass=False, staff=None, actor=OP)
    commit()
    for url in (f"/console/invitations/modeles/{foreign.id}", f"/console/invitations/modeles/{foreign.id}/envoi",
                f"/console/invitations/modeles/{foreign.id}/apercu.pdf", f"/console/invitations/envois/{batch.id}",
                f"/console/invitations/envois/{batch.id}/courriers.pdf", f"/console/invitations/patient/{kid.id}"):
        assert client.get(url).status_code == 404, url


def test_a_large_letter_batch_is_printed_in_parts(owner_client, make_patient, monkeypatch):
    practice, _owner, client = owner_client
    monkeypatch.setattr(letters, "PART", 2)
    kids = [make_patient(practice, first_name=f"Kid{n}", address=f"{n} rue Longue", postal_code="21000",
                         city="Dijon") for n in range(5)]
    letter = _template(practice, channel="letter", body="Pour @PPREN")
    plan = inv.plan_send(practice, letter, inv.not_signed_in(practice))
    batch, _ = inv.send(practice=practice, plan=plan, token="big", mass=True, staff=None, actor=OP)
    commit()
    links = [a.get("href") for a in _all(_by_id(_doc(client.get(f"/console/invitations/envois/{batch.id}")),
                                                "invitation-letters-parts"), "a")]
    assert len(links) == 3
    pages = [_pdf_pages(client.get(link).data) for link in links]
    assert pages == [2, 2, 1]
    assert client.get(f"/console/invitations/envois/{batch.id}/courriers.pdf?partie=4").status_code == 404
    assert len(kids) == sum(pages)
