"""Tampered URLs and forms on the agenda and booking pages: a clear answer, never a 500."""
from __future__ import annotations

import pytest

from portal.core.db import commit
from tests.agenda.test_booking import MONDAY
from tests.conftest import csrf_from

ODD = {"jour": "9999-12-31", "du": "9999-12-31", "praticien": "99999999999999999999", "type": "-3",
       "debut": "9999-12-31T23:00:00+00:00", "annee": "99999"}


@pytest.mark.parametrize("path", ["/console/agenda/", "/console/agenda/semaine", "/console/agenda/tous",
                                  "/console/agenda/tous/semaine", "/console/agenda/passe", "/console/agenda/conges",
                                  "/console/agenda/attente", "/console/agenda/reglages", "/console/agenda/extras"])
def test_console_pages_survive_odd_arguments(auth, client, week, make_staff, path):
    auth.staff(make_staff(week.practice, "owner"))
    query = "&".join(f"{k}={v}" for k, v in ODD.items())
    assert client.get(f"{path}?{query}").status_code in (200, 400, 404)


def test_public_pages_survive_odd_arguments(client, week):
    week.practice.options = {"booking": True}
    week.type.online = True
    commit()
    slug = week.practice.slug
    for query in (f"praticien={week.practitioner.id}&type={week.type.id}&du=9999-12-31",
                  f"praticien={week.practitioner.id}&type={week.type.id}&du=0001-01-01",
                  "praticien=99999999999999999999&type=1"):
        assert client.get(f"/cabinet/{slug}/rendez-vous?{query}").status_code == 200
    for debut in ("9999-12-31T23:00:00%2B00:00", "demain", "2030-11-25T09:00:00"):
        url = f"/cabinet/{slug}/rendez-vous/reserver?praticien={week.practitioner.id}&type={week.type.id}&debut={debut}"
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("slot", ["2030-11-25T08:00:00+00:00|abc", "2030-11-25T08:00:00+00:00|", "|1",
                                  "9999-12-31T23:00:00+00:00|1", "2030-11-25T08:00:00|1"])
def test_a_tampered_slot_button_is_refused_in_place(auth, client, week, make_staff, slot):
    auth.staff(make_staff(week.practice, "secretary"))
    html = client.get(f"/console/agenda/?praticien={week.practitioner.id}&jour={MONDAY.isoformat()}").get_data(
        as_text=True)
    r = client.post(f"/console/agenda/rendez-vous?jour={MONDAY.isoformat()}",
                    data={"csrf_token": csrf_from(html), "practitioner_id": week.practitioner.id,
                          "patient_number": "777", "slot": slot})
    assert r.status_code == 422 and "Choisissez un créneau." in r.get_data(as_text=True)
