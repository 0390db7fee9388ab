"""The Messagerie in a real browser: a parent at 360x800 sends a message with a photo (htmx
swaps the conversation), staff read it and reply in the console at 1280x800, the parent sees
the reply behind the nav's badge; then staff switch the Messagerie off in Options and it is
gone from the parent's navigation. Each page passes axe-core."""
from __future__ import annotations

import re
from io import BytesIO

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, SCREENSHOTS, assert_clean, staff_signin
from tests.browser.test_accessibility import violations
from tests.browser.test_patient_flows import LEA, MOBILE, first_signin

pytestmark = pytest.mark.browser


def _photo() -> bytes:
    image = Image.new("RGB", (640, 480), (236, 220, 200))
    for x in range(200, 440):
        for y in range(180, 300):
            image.putpixel((x, y), (250, 250, 250))
    out = BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def files_dir(app, tmp_path):
    before, app.config["FILES_DIR"] = app.config["FILES_DIR"], str(tmp_path / "files")
    yield
    app.config["FILES_DIR"] = before


def test_parent_and_practice_exchange_messages(page, browser, live_server, shot, files_dir, make_practice,
                                               make_patient, make_staff):
    practice = make_practice("Cabinet du Parc")
    make_patient(practice, parent_mobile=MOBILE, **LEA)
    owner = make_staff(practice, "owner", first_name="Claire", last_name="Martin")
    first_signin(page, LEA)

    # the parent writes, with a photo, without a page load
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Messagerie").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Messagerie")
    page.get_by_label("Votre message").fill("Bonjour, la bague du haut est décollée depuis ce matin.")
    page.get_by_label("Joindre une photo ou un PDF").set_input_files(
        files=[{"name": "bague.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
    page.get_by_role("button", name="Envoyer").click()
    thread = page.locator("#messaging-thread")
    expect(thread).to_contain_text("la bague du haut est décollée")
    expect(thread.get_by_role("img", name="Photo jointe : bague.jpg")).to_be_visible()
    expect(page.get_by_label("Votre message")).to_have_value("")
    assert violations(page) == []
    shot("parent-sent")

    # staff read and reply in the console
    desk = browser.new_context(locale="fr-FR", viewport=DESKTOP, base_url=live_server, timezone_id="Europe/Paris")
    desk.set_default_timeout(8000)
    staff = desk.new_page()
    staff_signin(staff, owner)
    menu_link = staff.locator("#side-messaging")
    expect(menu_link).to_contain_text("1")
    menu_link.click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Messagerie")
    expect(staff.locator("#messaging-summary")).to_contain_text("1 message non lu")
    assert violations(staff) == []
    staff.get_by_role("link", name="LEFEVRE Léa").click()
    expect(staff.locator("#messaging-thread")).to_contain_text("la bague du haut est décollée")
    expect(staff.get_by_role("img", name="Photo jointe : bague.jpg")).to_be_visible()
    staff.get_by_label("Votre message").fill("Bonjour, passez demain à 9 h, nous la recollerons.")
    staff.get_by_role("button", name="Envoyer la réponse").click()
    expect(staff.locator("#flash")).to_contain_text("Réponse envoyée.")
    expect(staff.locator("#messaging-thread")).to_contain_text("passez demain à 9 h")
    assert violations(staff) == []
    SCREENSHOTS.mkdir(exist_ok=True)
    staff.screenshot(path=str(SCREENSHOTS / "test_parent_and_practice_exchange_messages-staff-replied.png"),
                     full_page=True, caret="initial")

    # the parent sees the badge, then the reply
    page.goto("/")
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.locator("#nav-messaging .nav-badge")).to_have_text("1")
    shot("parent-badge")
    nav.get_by_role("link", name=re.compile("Messagerie")).click()
    expect(page.locator("#messaging-thread")).to_contain_text("passez demain à 9 h")
    expect(page.locator("#messaging-thread")).to_contain_text("Claire")
    assert violations(page) == []
    shot("parent-reads-reply")

    # staff switch the Messagerie off: it is gone from the parent's navigation
    staff.goto("/console/cabinet/options")
    staff.locator("#option-messaging").get_by_role("switch", name="Messagerie").uncheck()
    staff.get_by_role("button", name="Enregistrer").click()
    expect(staff.locator("#flash")).to_contain_text("Options enregistrées.")
    page.goto("/")
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Mes RDV")).to_be_visible()
    expect(nav.get_by_role("link", name=re.compile("Messagerie"))).to_have_count(0)
    expect(page.locator("#home-messaging")).to_have_count(0)
    shot("parent-messaging-off")
    assert_clean(page)
    desk.close()
