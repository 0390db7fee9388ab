"""A practitioner with a working week: Monday to Friday, 09:00–12:00 in 20-minute visits."""
from __future__ import annotations

from datetime import date, time
from types import SimpleNamespace

import pytest

from portal.agenda import services
from portal.core.audit import Actor
from portal.core.db import commit
from portal.core.services import add_practitioner

OPERATOR = Actor.operator()


@pytest.fixture
def week(make_practice, make_patient):
    practice = make_practice()
    practitioner = add_practitioner(practice, first_name="Claire", last_name="Martin", actor=OPERATOR)
    control = services.add_appointment_type(practitioner=practitioner, name="Contrôle", code="CONT",
                                            duration_minutes=20, actor=OPERATOR)
    schedule = services.create_schedule(practitioner=practitioner, name="Semaine type", actor=OPERATOR)
    for weekday in range(5):
        services.add_range(schedule, weekday=weekday, starts=time(9), ends=time(12), appointment_type=control,
                           actor=OPERATOR)
    services.activate_schedule(schedule, starts_on=date(2026, 1, 1), ends_on=None, actor=OPERATOR)
    commit()
    patient = make_patient(practice, number="777", last_name="Durand", first_name="Zoé")
    return SimpleNamespace(practice=practice, practitioner=practitioner, type=control, schedule=schedule,
                           patient=patient)
