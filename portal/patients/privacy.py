"""RGPD for the person signed in: the privacy notice they accept, and everything the practice
holds about them and the patients linked to their number (the "download my data" page and file).

The export holds the patients' own details and the person's own responsible rows, never another
responsible's contact details (a second parent is another person with their own rights).
"""
from __future__ import annotations

from sqlalchemy import or_, select

from portal.core import audit
from portal.core.audit import Actor
from portal.core.db import utcnow
from portal.core.models import AuditEvent
from portal.extensions import db
from portal.patients import requests, services

# Bump when the privacy page changes in substance: every account is asked again at its next visit.
CONSENT_VERSION = "2026-11"


def needs_consent(account) -> bool:
    """True until the account accepted the current privacy notice."""
    return account.privacy_consent_version != CONSENT_VERSION


def give_consent(account, *, actor: Actor) -> None:
    """Record that the person accepted the privacy notice (its version and the time). Audited
    as `patient.consent_given`; accepting again the same version changes nothing."""
    if not needs_consent(account):
        return
    account.privacy_consent_version, account.privacy_consent_at = CONSENT_VERSION, utcnow()
    audit.record("patient.consent_given", actor=actor, practice_id=account.practice_id, target=account,
                 details={"version": CONSENT_VERSION})


def _when(value) -> str | None:
    return value.isoformat() if value else None


def _patient_data(patient, phone: str) -> dict:
    from portal.agenda.models import Appointment
    from portal.notify.models import PatientNotice

    appointments = db.session.scalars(select(Appointment).where(
        Appointment.practice_id == patient.practice_id, Appointment.patient_id == patient.id)
        .order_by(Appointment.starts_at))
    notices = db.session.scalars(select(PatientNotice).where(
        PatientNotice.practice_id == patient.practice_id, PatientNotice.patient_id == patient.id)
        .order_by(PatientNotice.id))
    return {
        "file_number": patient.number,
        "details": requests.patient_details(patient),
        "file_status": patient.file_status.value,
        "treatment_start": _when(patient.treatment_start),
        "my_roles": [r.role.value for r in patient.responsibles_in_order if r.mobile == phone],
        "appointments": [{
            "starts_at": _when(a.starts_at), "ends_at": _when(a.ends_at), "status": a.status.value,
            "type": a.appointment_type.name, "practitioner": a.practitioner.display_name, "reason": a.reason, "message": a.patient_message,
            "cancel_reason": a.cancel_reason,
        } for a in appointments],
        "notices": [{"created_at": _when(n.created_at), "text": n.text, "read_at": _when(n.read_at)} for n in notices],
    }


def account_data(account) -> dict:
    """Everything held about the account and its linked patients, as plain JSON-able data:
    the account, the person's details, each patient's details, appointments and notices, the
    messages sent to the person's number or e-mail (secrets masked), their requests, and the
    audit events about the account."""
    from portal.notify.models import OutboxMessage

    patients = services.linked_patients(account)
    person = requests.person_records(account)
    addresses = {account.phone} | {r.email for r in person if r.email} | {
        p.email for p in patients if p.mobile == account.phone and p.email}
    messages = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.practice_id == account.practice_id, OutboxMessage.recipient.in_(sorted(addresses)))
        .order_by(OutboxMessage.id))
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.practice_id == account.practice_id,
        or_((AuditEvent.actor_type == "patient") & (AuditEvent.actor_id == account.id),
            (AuditEvent.target_type == "PatientAccount") & (AuditEvent.target_id == account.id)))
        .order_by(AuditEvent.id))
    return {
        "generated_at": _when(utcnow()),
        "practice": {"name": account.practice.name},
        "account": {"phone": account.phone, "created_at": _when(account.created_at),
                    "last_signin_at": _when(account.last_signin_at), "language": account.locale,
                    "privacy_consent_version": account.privacy_consent_version,
                    "privacy_consent_at": _when(account.privacy_consent_at)},
        "me": requests.person_details(account),
        "patients": [{"name": p.full_name, **_patient_data(p, account.phone)} for p in patients],
        "messages": [{"created_at": _when(m.created_at), "channel": m.channel.value, "to": m.recipient,
                      "subject": m.subject, "body": m.shown_body, "status": m.status.value,
                      "sent_at": _when(m.sent_at)} for m in messages],
        "requests": [{"created_at": _when(r.created_at), "kind": r.kind.value, "changes": r.changes,
                      "state": r.state.value, "decided_at": _when(r.decided_at), "reason": r.reason}
                     for r in requests.account_requests(account, limit=1000)],
        "events": [{"at": _when(e.at), "action": e.action, "ip": e.ip} for e in events],
    }


def record_export(account, *, actor: Actor, fmt: str) -> None:
    """Audit a download of the person's data (DESIGN invariant 9: exports are audited)."""
    audit.record("patient.data_exported", actor=actor, practice_id=account.practice_id, target=account,
                 details={"format": fmt})
