"""Who may open a view. Every endpoint is either decorated here or on the public allowlist
(tests/test_conventions.py checks it)."""
from __future__ import annotations

from datetime import datetime
from functools import wraps
from zoneinfo import ZoneInfo

from flask import abort, g, redirect, request, url_for
from flask_login import current_user

from portal.accounts.models import Role

# Endpoints anyone may open, signed in or not.
PUBLIC_ENDPOINTS: set[str] = set()


def public(view):
    PUBLIC_ENDPOINTS.add(f"{view.__module__}:{view.__name__}")
    view.access = ("public",)
    return view


def staff_required(role: Role = Role.secretary):
    """A signed-in staff member whose role is at least `role` (an owner can do everything a
    practitioner can, who can do everything a secretary can — seed 004)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user
            if not user.is_authenticated or user.kind != "staff":
                return redirect(url_for("accounts.staff_signin", next=request.full_path.rstrip("?")))
            if not user.can(role):
                abort(403)
            g.practice = user.practice
            return view(*args, **kwargs)

        wrapped.access = ("staff", role)
        return wrapped

    return decorator


def patient_required(view):
    """A signed-in patient account; `g.patient` is the file being looked at, always one of the
    patients linked to the account's number."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        from portal.patients.privacy import CONSENT_VERSION
        from portal.patients.services import linked_patients

        user = current_user
        if not user.is_authenticated or user.kind != "patient":
            return redirect(url_for("accounts.patient_signin"))
        patients = linked_patients(user)
        if not patients:
            # Every file was withdrawn (RGPD switch) since sign-in: nothing left to show.
            abort(403)
        if user.privacy_consent_version != CONSENT_VERSION and not getattr(view, "before_consent", False):
            # RGPD: nothing of the space before the privacy notice is accepted (first sign-in).
            return redirect(url_for("space.consent"))
        current = next((p for p in patients if p.id == user.auth_session.current_patient_id), patients[0])
        g.practice, g.patients, g.patient = user.practice, patients, current
        return view(*args, **kwargs)

    wrapped.access = ("patient",)
    return wrapped


def is_minor(patient, practice) -> bool:
    """Under 18 on today's date where the practice is (a birthday counts from its local midnight)."""
    today = datetime.now(ZoneInfo(practice.timezone)).date()
    return patient.age_on(today) < 18


def module_open(name: str) -> bool:
    """Whether the module is on for this request: the practice's switch and, when a patient's
    file is shown, the switch for minors (seed 000 "accès pour les mineurs")."""
    practice = getattr(g, "practice", None)
    if practice is None:
        return False
    patient = getattr(g, "patient", None)
    return practice.module_for(name, minor=patient is not None and is_minor(patient, practice))


def module_required(name: str):
    """Refuse the view (404) when the practice switched the module off, or off for minors and the
    file shown is a minor's (DESIGN invariant 8). Goes after `patient_required` when both apply."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not module_open(name):
                abort(404)
            return view(*args, **kwargs)

        wrapped.module = name
        return wrapped

    return decorator
