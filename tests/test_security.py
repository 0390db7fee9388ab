"""Headers, cookies, CSRF and per-IP limits on every kind of page."""
from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import csrf_from


@pytest.mark.parametrize("path", ["/connexion", "/console/connexion", "/page-qui-n-existe-pas"])
def test_security_headers(client, path):
    r = client.get(path)
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Cache-Control"] == "no-store"


def test_private_pages_are_no_store(auth, client, make_practice, make_staff):
    auth.staff(make_staff(make_practice()))
    for path in ("/console/", "/console/patients/", "/console/messages-envoyes/"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    r = client.get("/static/css/app.css")
    assert r.status_code == 200 and r.headers.get("Cache-Control") != "no-store"


def test_session_cookie_flags(client):
    r = client.get("/connexion")
    cookie = next(v for k, v in r.headers.items() if k == "Set-Cookie" and v.startswith("__Host-sourire="))
    lowered = cookie.lower()
    assert "secure" in lowered and "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    assert "domain=" not in lowered  # required by the __Host- prefix


def test_every_form_post_needs_the_csrf_token(client, make_practice, make_patient):
    practice = make_practice()
    make_patient(practice, parent_mobile="0612345678")
    r = client.post("/connexion", data={"phone": "0612345678", "last_name": "Durand", "first_name": "x",
                                        "birth_date": "2012-01-01"})
    assert r.status_code == 400 and "La page a expiré" in r.get_data(as_text=True)
    assert client.post("/console/connexion", data={"email": "a@example.com", "password": "x"}).status_code == 400
    assert client.post("/langue", data={"lang": "en"}).status_code == 400


def test_htmx_requests_carry_csrf_in_a_header(client):
    page = client.get("/connexion").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in page
    token = csrf_from(page)
    r = client.post("/langue", data={"lang": "en"}, headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert r.status_code == 303


def test_no_inline_script_in_pages(client):
    page = client.get("/connexion").get_data(as_text=True)
    assert "<script>" not in page and " onclick=" not in page
    assert all('src="/static/' in tag for tag in page.split("<script")[1:])


def test_per_ip_limit_on_sign_in(client):
    page = client.get("/connexion?autre=1").get_data(as_text=True)
    token = csrf_from(page)
    data = {"phone": "0612345678", "last_name": "X", "first_name": "Y", "birth_date": "2012-01-01", "csrf_token": token}
    codes = [client.post("/connexion", data=data).status_code for _ in range(31)]
    assert codes[:30] == [422] * 30 and codes[30] == 429
    r = client.post("/connexion", data=data)
    assert "Trop de tentatives" in r.get_data(as_text=True)
    # another address is not affected
    other = client.application.test_client()
    page = other.get("/connexion?autre=1", environ_base={"REMOTE_ADDR": "10.0.0.2"}).get_data(as_text=True)
    r = other.post("/connexion", data={**data, "csrf_token": csrf_from(page)}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert r.status_code == 422


def test_open_redirects_are_refused(auth, client, make_practice, make_staff):
    user = make_staff(make_practice())
    r = auth.post("/console/connexion?next=https://evil.example/", {"email": user.email, "password": factories.PASSWORD},
                  get_url="/console/connexion")
    import pyotp

    r = auth.post("/console/connexion/code", {"code": pyotp.TOTP(user.totp_key).now()})
    assert r.headers["Location"].endswith("/console/")


def test_error_pages_are_french(client):
    r = client.get("/nulle-part")
    assert r.status_code == 404 and "Page introuvable" in r.get_data(as_text=True)


def test_htmx_error_becomes_a_toast(client):
    r = client.get("/nulle-part", headers={"HX-Request": "true"})
    assert r.status_code == 404 and r.headers["HX-Retarget"] == "#flash"
    assert 'class="toast toast-error"' in r.get_data(as_text=True)
