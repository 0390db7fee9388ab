"""A practice with a child in treatment whose parent is also the financial responsible, signed in
on `client`, and a staff client factory."""
from __future__ import annotations

import html as html_lib
import re
from datetime import date

import pytest

from portal.core.audit import Actor
from tests.conftest import Auth

PHONE = "06 12 34 56 78"
OPERATOR = Actor.operator()


def text(response) -> str:
    """The page as a reader sees it: entities decoded, the narrow spaces of French amounts plain."""
    return re.sub(r"[\u00a0\u202f]", " ", html_lib.unescape(response.get_data(as_text=True)))


@pytest.fixture
def family(app, auth, make_practice, make_patient):
    practice = make_practice("Cabinet Paiements")
    parent = {"role": "parent1", "civility": "Mme", "last_name": "Martin", "first_name": "Claire", "mobile": PHONE}
    child = make_patient(practice, last_name="Martin", first_name="Léa", birth_date=date(2000, 3, 4),
                         responsibles=[parent, {**parent, "role": "financial", "first_name": "Paul", "mobile": None}])
    auth.patient_first_signin(child, PHONE)
    return practice, child


@pytest.fixture
def desk(app):
    def signed_in(user):
        client = app.test_client()
        Auth(client).staff(user)
        return client

    return signed_in
