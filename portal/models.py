"""Imports every domain's tables, so that metadata (and Alembic) sees them all."""
from portal.accounts.models import (AuthSession, PasskeyChallenge, PatientAccount, PatientPasskey,  # noqa: F401
                                     RecoveryCode, SmsChallenge, StaffToken, StaffUser)
from portal.agenda.models import (Appointment, AppointmentType, Schedule, ScheduleActivation,  # noqa: F401
                                  ScheduleRange, Unavailability)
from portal.core.models import AuditEvent, Location, Practice, Practitioner  # noqa: F401
from portal.notify.models import OutboxMessage  # noqa: F401
from portal.patients.models import Patient, Responsible  # noqa: F401
