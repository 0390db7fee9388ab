"""Imports every domain's tables, so that metadata (and Alembic) sees them all."""
from portal.accounts.models import (AuthSession, PasskeyChallenge, PatientAccount, PatientPasskey,  # noqa: F401
                                     RecoveryCode, SmsChallenge, StaffToken, StaffUser)
from portal.agenda.models import (Appointment, AppointmentType, CalendarEvent, CheckIn, ExtraRange,  # noqa: F401
                                  Replacement, Schedule, ScheduleActivation, ScheduleRange, SecretaryRight,
                                  Unavailability, WaitingEntry, WaitingOffer)
from portal.booking.models import (BookingBan, BookingRequest, BookingSettings, KnownContact,  # noqa: F401
                                   VisitReason)
from portal.core.models import AuditEvent, Location, Practice, Practitioner  # noqa: F401
from portal.notify.models import OutboxMessage, PatientNotice  # noqa: F401
from portal.patients.models import Patient, Responsible  # noqa: F401
from portal.space.models import CalendarAddition  # noqa: F401
from portal.console.models import InvitationBatch, InvitationTemplate  # noqa: F401
from portal.messaging.models import Message, MessageTemplate  # noqa: F401
from portal.billing.models import (Allocation, BillingFlag, BillingItem, OverdueReminderSettings,  # noqa: F401
                                   Payment, Refund, RefundPart, TeleconsultCharge)
from portal.billing.stripe_models import StripeAccount, StripeEvent  # noqa: F401
