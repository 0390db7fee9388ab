"""The practice's online booking settings, a practitioner's profile and photo, the known
contacts (with CSV import), bans and visit reasons."""
from __future__ import annotations

import io
import re

from PIL import Image
from sqlalchemy import select

from portal.booking import services, setup
from portal.booking.models import BookingBan, BookingSettings, KnownContact, VisitReason
from portal.core.audit import Actor
from portal.core.db import commit
from portal.core.models import AuditEvent, Practitioner
from portal.core.services import add_practitioner
from tests.conftest import csrf_from

SETTINGS = {"specialties": "Orthodontiste\nDiplômée de Paris VII", "payment_methods": "Carte bancaire\nChèque",
            "transport": "Bus 12, arrêt Mairie", "floor": "2e étage", "lift": "y", "disabled_access": "y",
            "access_notes": "Interphone « Ortho »", "rolling_window_days": "180", "visit_kinds": "Au cabinet sur RDV",
            "convention": "Secteur 2", "carte_vitale": "y", "default_duration_minutes": "20",
            "secretariat_phone": "01 42 00 00 00", "map_url": "", "mode": "known", "reason_mode": "list",
            "video_base_url": "https://visio.example.org/", "hold_minutes": "15"}


def _post(client, page_url, url, data, **kw):
    page = client.get(page_url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_from(page), **data}, **kw)


def _owner(auth, make_practice, make_staff, **kw):
    practice = make_practice(address="8 place Leclerc", postal_code="06000", city="Nice", **kw)
    auth.staff(make_staff(practice, "owner"))
    return practice


def test_save_the_booking_settings(auth, client, make_practice, make_staff, db):
    practice = _owner(auth, make_practice, make_staff)
    url = "/console/reservation/reglages"
    page = client.get(url).get_data(as_text=True)
    assert "https://www.openstreetmap.org/search?query=8+place+Leclerc+06000+Nice" in page
    r = _post(client, url, url, {**SETTINGS, "video_base_url": "http://visio.example.org"})
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "https://" in body and "Bus 12, arrêt Mairie" in body
    r = _post(client, url, url, {**SETTINGS, "rolling_window_days": "120"})
    assert r.status_code == 422
    r = _post(client, url, url, {**SETTINGS, "secretariat_phone": "12"})
    assert r.status_code == 422 and "numéro de téléphone n&#39;est pas valide" in r.get_data(as_text=True)
    r = _post(client, url, url, SETTINGS, follow_redirects=True)
    assert "Réglages de la réservation en ligne enregistrés" in r.get_data(as_text=True)
    s = db.session.scalar(select(BookingSettings).where(BookingSettings.practice_id == practice.id))
    assert (s.rolling_window_days, s.mode, s.reason_mode, s.hold_minutes, s.default_duration_minutes) == \
        (180, "known", "list", 15, 20)
    assert s.lift and s.disabled_access and s.carte_vitale and s.floor == "2e étage"
    assert s.video_base_url == "https://visio.example.org" and s.secretariat_phone == "+33142000000"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.settings_changed"))
    r = _post(client, url, url, {**SETTINGS, "map_url": "https://maps.example.org/cabinet"}, follow_redirects=True)
    assert 'href="https://maps.example.org/cabinet"' in r.get_data(as_text=True)


def test_map_link_helper(make_practice, db):
    practice = make_practice(address="", postal_code="", city="")
    settings = services.settings_for(practice.id)
    assert services.map_link(practice, settings) == ""
    settings.map_url = "https://osm.org/go/x"
    assert services.map_link(practice, settings) == "https://osm.org/go/x"


IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Version/18.1 Mobile/15E148 Safari/604.1"
ANDROID = "Mozilla/5.0 (Linux; Android 15; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"


def test_map_link_opens_the_phones_own_maps(make_practice, db):
    practice = make_practice(address="3 rue Aristide Bergès", postal_code="21800", city="Sennecey")
    settings = services.settings_for(practice.id)
    query = "3+rue+Aristide+Berg%C3%A8s+21800+Sennecey"
    assert services.map_link(practice, settings, IPHONE) == f"https://maps.apple.com/?q={query}"
    assert services.map_link(practice, settings, ANDROID) == f"geo:0,0?q={query}"
    assert services.map_link(practice, settings, "Mozilla/5.0 (X11; Linux x86_64)") == (
        f"https://www.openstreetmap.org/search?query={query}")
    settings.map_url = "https://osm.org/go/x"  # the practice's own link wins everywhere
    assert services.map_link(practice, settings, ANDROID) == "https://osm.org/go/x"


def _jpeg(size=(800, 600), orientation=None, fmt="JPEG") -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    if orientation:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(out, fmt, exif=exif)
    else:
        image.save(out, fmt)
    return out.getvalue()


def test_practitioner_profile_and_photo(auth, client, make_practice, make_staff, db):
    practice = _owner(auth, make_practice, make_staff)
    doc = add_practitioner(practice, first_name="Claire", last_name="Martin", actor=Actor.operator())
    commit()
    page_url = f"/console/reservation/reglages?praticien={doc.id}"
    url = f"/console/reservation/reglages/profil?praticien={doc.id}"
    r = _post(client, page_url, url, {"specialty": "Orthodontiste", "diplomas": "DU",
                                      "photo": (io.BytesIO(b"%PDF-1.4 not an image"), "photo.jpg")},
              content_type="multipart/form-data")
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "n&#39;est pas une image lisible" in body and "Orthodontiste" in body
    big = b"\xff\xd8" + b"0" * (3 * 1024 * 1024 + 10)
    r = _post(client, page_url, url, {"specialty": "Orthodontiste", "diplomas": "DU",
                                      "photo": (io.BytesIO(big), "big.jpg")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "trop lourde" in r.get_data(as_text=True)
    # a PNG turned on its side by its EXIF orientation: stored upright, as a small JPEG, without EXIF
    r = _post(client, page_url, url, {"specialty": "Orthodontiste", "diplomas": "DU Paris VII",
                                      "photo": (io.BytesIO(_jpeg((1000, 500), orientation=6)), "p.jpg")},
              content_type="multipart/form-data")
    assert r.status_code == 303, r.get_data(as_text=True)
    db.session.expire_all()
    doc = db.session.get(Practitioner, doc.id)
    stored = Image.open(io.BytesIO(doc.photo))
    assert stored.format == "JPEG" and stored.size == (200, 400) and not stored.getexif()
    assert doc.specialty == "Orthodontiste" and doc.diplomas == "DU Paris VII"
    photo = client.get(f"/console/reservation/praticiens/{doc.id}/photo")
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"
    r = _post(client, page_url, url, {"specialty": "Orthodontiste", "diplomas": "", "remove_photo": "y"},
              content_type="multipart/form-data")
    assert r.status_code == 303 and client.get(f"/console/reservation/praticiens/{doc.id}/photo").status_code == 404


def test_whitelist_add_search_remove(auth, client, make_practice, make_staff, db):
    _owner(auth, make_practice, make_staff)
    url = "/console/reservation/contacts"
    assert _post(client, url, url, {"value": "Lea.Durand@Example.com ", "note": "maman de Léa"}).status_code == 303
    assert _post(client, url, url, {"value": "06 12 34 56 78"}).status_code == 303
    r = _post(client, url, url, {"value": "lea.durand@example.com"})
    assert r.status_code == 422 and "déjà dans la liste" in r.get_data(as_text=True)
    r = _post(client, url, url, {"value": "01 42 00 00 00"})
    assert r.status_code == 422 and "ni une adresse e-mail ni un numéro de portable" in r.get_data(as_text=True)
    assert sorted(db.session.scalars(select(KnownContact.value))) == ["+33612345678", "lea.durand@example.com"]
    found = client.get(url, query_string={"q": "maman"}, headers={"HX-Request": "true",
                                                                 "HX-Target": "booking-contacts"})
    body = found.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="booking-contacts">') and "lea.durand@example.com" in body
    assert "06 12 34 56 78" not in body
    assert "06 12 34 56 78" in client.get(url, query_string={"q": "06 12"}).get_data(as_text=True)
    contact_id = re.search(r'id="contact-(\d+)"', body).group(1)
    assert _post(client, url, f"{url}/{contact_id}/supprimer", {}).status_code == 303
    assert list(db.session.scalars(select(KnownContact.value))) == ["+33612345678"]


def test_csv_import_reports_bad_lines(auth, client, make_practice, make_staff, db):
    _owner(auth, make_practice, make_staff)
    url = "/console/reservation/contacts"
    csv_text = "contact;note\nzoe@example.com;Zoé\n06 11 22 33 44;papa\nnot-a-contact\n\nzoe@example.com\n01 42 00 00 00;fixe\n"

    def upload(**extra):
        return _post(client, url, f"{url}/import", {"file": (io.BytesIO(csv_text.encode()), "c.csv"), **extra},
                     content_type="multipart/form-data")
    r = upload()
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "Rien n'a été importé" in body
    assert "Ligne 4 :" in body and "Ligne 7 :" in body and "Ligne 2 :" not in body
    assert db.session.scalars(select(KnownContact)).all() == []
    r = upload(skip_bad_lines="y")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "2 contacts importés" in body and "Ligne 4 :" in body
    assert sorted(db.session.scalars(select(KnownContact.value))) == ["+33611223344", "zoe@example.com"]
    r = _post(client, url, f"{url}/import", {"file": (io.BytesIO(b"\xff\xfe\x00garbage"), "c.csv")},
              content_type="multipart/form-data")
    assert r.status_code == 422


def test_bans(auth, client, make_practice, make_staff, db):
    _owner(auth, make_practice, make_staff)
    url = "/console/reservation/interdits"
    assert _post(client, url, url, {"value": "07 50 00 00 01", "reason": "faux rendez-vous"}).status_code == 303
    r = _post(client, url, url, {"value": "+33750000001"})
    assert r.status_code == 422 and "déjà interdit" in r.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "07 50 00 00 01" in page and "faux rendez-vous" in page
    ban_id = re.search(r'id="ban-(\d+)"', page).group(1)
    assert _post(client, url, f"{url}/{ban_id}/supprimer", {}).status_code == 303
    assert db.session.scalars(select(BookingBan)).all() == []


def test_visit_reasons(auth, client, make_practice, make_staff, db):
    _owner(auth, make_practice, make_staff)
    url = "/console/reservation/motifs"
    for label in ("Contrôle", "Urgence", "Visite par téléconsultation"):
        assert _post(client, url, url, {"label": label}).status_code == 303
    r = _post(client, url, url, {"label": "urgence"})
    assert r.status_code == 422 and "déjà dans la liste" in r.get_data(as_text=True)
    reasons = {r.label: r.id for r in db.session.scalars(select(VisitReason))}
    assert _post(client, url, f"{url}/{reasons['Urgence']}/deplacer", {"sens": "haut"}).status_code == 303
    assert _post(client, url, f"{url}/{reasons['Contrôle']}/supprimer", {}).status_code == 303
    practice_id = db.session.scalar(select(VisitReason.practice_id))
    assert [r.label for r in services.visit_reasons(practice_id)] == ["Urgence", "Visite par téléconsultation"]


def test_secretaries_and_other_practices_are_kept_out(auth, client, make_practice, make_staff, db):
    practice = make_practice()
    other = make_practice()
    foreign = setup.add_known_contact(practice_id=other.id, value="x@example.com", actor=Actor.operator())
    commit()
    auth.staff(make_staff(practice, "secretary"))
    for url in ("/console/reservation/reglages", "/console/reservation/contacts", "/console/reservation/interdits",
                "/console/reservation/motifs"):
        assert client.get(url).status_code == 403
    owner_client = client.application.test_client()
    from tests.conftest import Auth

    Auth(owner_client).staff(make_staff(practice, "owner"))
    page = owner_client.get("/console/reservation/contacts").get_data(as_text=True)
    r = owner_client.post(f"/console/reservation/contacts/{foreign.id}/supprimer", data={"csrf_token": csrf_from(page)})
    assert r.status_code == 404 and db.session.get(KnownContact, foreign.id) is not None
