"""Messagerie tests store files: each test gets its own FILES_DIR (other suites may run at the
same time against the shared default)."""
from __future__ import annotations

import html as html_lib
from io import BytesIO

import pytest
from PIL import Image

from tests.conftest import Auth

PHONE = "06 12 34 56 78"


@pytest.fixture(autouse=True)
def files_dir(app, tmp_path):
    before = app.config["FILES_DIR"]
    app.config["FILES_DIR"] = str(tmp_path / "files")
    yield tmp_path / "files"
    app.config["FILES_DIR"] = before


def text(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def photo(fmt: str = "JPEG", *, maker: str = "SecretPhone") -> bytes:
    """A small photo with an EXIF tag (the camera's maker), as phones send them."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = maker
    out = BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


@pytest.fixture
def family(app, auth, make_practice, make_patient):
    """A practice, a parent's child signed in on `client`, and a staff client factory."""
    practice = make_practice("Cabinet Messagerie", email="")
    child = make_patient(practice, parent_mobile=PHONE, first_name="Léa")
    auth.patient_first_signin(child, PHONE)
    return practice, child


@pytest.fixture
def desk(app):
    def signed_in(user):
        client = app.test_client()
        Auth(client).staff(user)
        return client

    return signed_in
