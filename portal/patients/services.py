"""Patient records: creation, the staff search, and who may see which file."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, union

from portal.core import audit
from portal.core.audit import Actor
from portal.core.errors import Invalid, NotFound
from portal.core.phones import normalize_phone
from portal.core.text import name_key
from portal.extensions import db
from portal.patients.models import FileStatus, Patient, Responsible, ResponsibleRole


def with_number(query, e164: str):
    """Restrict a Patient query to patients whose own number, or a responsible's, is `e164`.

    A join on a UNION of two look-ups, each on its own mobile index: the plain
    `mobile = x OR id IN (...)` form made both databases scan the whole practice.
    """
    ids = union(select(Patient.id.label("id")).where(Patient.mobile == e164),
                select(Responsible.patient_id.label("id")).where(Responsible.mobile == e164)).subquery()
    return query.join(ids, Patient.id == ids.c.id)


def linked_patients(account) -> list[Patient]:
    """Every patient of the account's practice linked to its number (own, parent 1, parent 2 or
    financial responsible), except those who asked not to be shared online. Oldest first."""
    return list(db.session.scalars(
        with_number(select(Patient), account.phone).where(
            Patient.practice_id == account.practice_id,
            Patient.do_not_share_online.is_(False),
        ).order_by(Patient.birth_date, Patient.first_name)
    ))


def patient_for_account(account, patient_id: int) -> Patient:
    """A patient the account may see, or `NotFound` (any other id answers 404)."""
    for patient in linked_patients(account):
        if patient.id == patient_id:
            return patient
    raise NotFound()


def patient_contact(patient: Patient) -> tuple[str | None, str]:
    """Where to reach a patient: their own mobile and e-mail, else a responsible's."""
    people = [patient, *patient.responsibles_in_order]
    mobile = next((p.mobile for p in people if p.mobile), None)
    email = next((p.email for p in people if p.email), "")
    return mobile, email


def patient_contacts(patient: Patient) -> list[str]:
    """Every mobile and e-mail on the file (the patient's and the responsibles'), normalised."""
    people = [patient, *patient.responsibles]
    return [v for p in people for v in (p.mobile, (p.email or "").lower()) if v]


def get_patient(*, practice_id: int, patient_id: int) -> Patient:
    """A patient of the practice, or `NotFound`."""
    patient = db.session.scalar(select(Patient).where(Patient.id == patient_id, Patient.practice_id == practice_id))
    if patient is None:
        raise NotFound()
    return patient


def _phone_or_invalid(raw: str | None, field: str) -> str | None:
    if not raw:
        return None
    e164 = normalize_phone(raw)
    if e164 is None:
        raise Invalid(_("Ce numéro de téléphone n'est pas valide."), field)
    return e164


def create_patient(*, practice_id: int, number: str, last_name: str, first_name: str, birth_date: date,
                   actor: Actor, sex: str = "", mobile: str | None = None, email: str = "",
                   address: str = "", postal_code: str = "", city: str = "",
                   treatment_start: date | None = None, file_status: FileStatus = FileStatus.consultation,
                   responsibles: list[dict] | None = None, do_not_share_online: bool = False,
                   audit_it: bool = True) -> Patient:
    """Create a patient and their responsibles. Raises `Invalid` on a bad phone or a taken number."""
    if db.session.scalar(select(Patient.id).where(Patient.practice_id == practice_id, Patient.number == number)):
        raise Invalid(_("Ce numéro de dossier existe déjà."), "number")
    patient = Patient(
        practice_id=practice_id, number=number, last_name=last_name.strip(), first_name=first_name.strip(),
        last_name_key=name_key(last_name), first_name_key=name_key(first_name), sex=sex,
        birth_date=birth_date, mobile=_phone_or_invalid(mobile, "mobile"), email=email.strip().lower(),
        address=address, postal_code=postal_code, city=city, treatment_start=treatment_start,
        file_status=file_status, do_not_share_online=do_not_share_online,
    )
    for data in responsibles or []:
        patient.responsibles.append(Responsible(
            practice_id=practice_id, role=ResponsibleRole(data["role"]), civility=data.get("civility", ""),
            last_name=data.get("last_name", ""), first_name=data.get("first_name", ""),
            mobile=_phone_or_invalid(data.get("mobile"), f"{data['role']}_mobile"),
            email=data.get("email", "").strip().lower(), address=data.get("address", ""),
        ))
    db.session.add(patient)
    db.session.flush()
    if audit_it:
        audit.record("patient.created", actor=actor, practice_id=practice_id, target=patient)
    return patient


def set_sharing(patient: Patient, *, do_not_share: bool, actor: Actor) -> None:
    """The RGPD switch of seed 000: a patient may refuse to have anything shared online.

    Switching it on ends the online access at once: linked accounts no longer see this file.
    """
    if patient.do_not_share_online == do_not_share:
        return
    patient.do_not_share_online = do_not_share
    audit.record("patient.sharing_changed", actor=actor, practice_id=patient.practice_id, target=patient,
                 details={"do_not_share_online": do_not_share})


def search_patients(*, practice_id: int, query: str, limit: int = 50) -> list[Patient]:
    """Staff search: a phone number (the patient's or a responsible's), a file number, an e-mail
    address (exact, the patient's or a responsible's), or the start of a last name, optionally
    followed by a first name. Uses indexed columns only, except for e-mail addresses."""
    query = (query or "").strip()
    base = select(Patient).where(Patient.practice_id == practice_id)
    if not query:
        return list(db.session.scalars(base.order_by(Patient.last_name_key, Patient.first_name_key).limit(limit)))
    if "@" in query:
        email = query.lower()
        ids = union(select(Patient.id.label("id")).where(Patient.practice_id == practice_id, Patient.email == email),
                    select(Responsible.patient_id.label("id")).where(Responsible.practice_id == practice_id,
                                                                     Responsible.email == email)).subquery()
        return list(db.session.scalars(base.join(ids, Patient.id == ids.c.id)
                                       .order_by(Patient.last_name_key, Patient.first_name_key).limit(limit)))
    digits = "".join(c for c in query if c.isdigit())
    if digits and len(digits) >= 9 and len(digits) >= len(query.replace(" ", "").replace("+", "")) - 1:
        e164 = normalize_phone(query)
        if e164 is None:
            return []
        q = with_number(base, e164)
    elif digits and digits == query:
        q = base.where(Patient.number == query)
    else:
        words = name_key(query).split()
        if not words:
            return []
        # The first word always starts the last name: that range keeps the index in use.
        q = base.where(_starts_with(Patient.last_name_key, words[0]))
        if len(words) > 1:
            # "le goff anne": the last name may hold several words, the first name starts after them.
            splits = [(Patient.last_name_key == " ".join(words[:k]))
                      & _starts_with(Patient.first_name_key, " ".join(words[k:])) for k in range(1, len(words))]
            q = q.where(or_(_starts_with(Patient.last_name_key, " ".join(words)), *splits))
    return list(db.session.scalars(q.order_by(Patient.last_name_key, Patient.first_name_key).limit(limit)))


def _starts_with(column, prefix: str):
    """A prefix match on an accent-free key column that can use its index on both databases:
    PostgreSQL through a `varchar_pattern_ops` index and LIKE; SQLite, whose LIKE ignores
    indexes unless told otherwise, through a byte-order range (U+10FFFF sorts after any UTF-8)."""
    if db.session.get_bind().dialect.name == "sqlite":
        return (column >= prefix) & (column < prefix + "\U0010ffff")
    return column.startswith(prefix, autoescape=True)


def count_patients(practice_id: int) -> int:
    """How many patients the practice has."""
    return db.session.scalar(select(func.count(Patient.id)).where(Patient.practice_id == practice_id))


def find_one_patient(*, practice_id: int, query: str) -> Patient:
    """The single patient a staff member means by a file number, a mobile (theirs or a
    responsible's) or a name. `Invalid` (field 'patient_number') when none or several match,
    naming the candidates so that staff can type the file number."""
    query = (query or "").strip()
    exact = db.session.scalar(select(Patient).where(Patient.practice_id == practice_id, Patient.number == query))
    if exact is not None:
        return exact
    found = search_patients(practice_id=practice_id, query=query, limit=6) if query else []
    if len(found) == 1:
        return found[0]
    if not found:
        raise Invalid(_("Aucun patient ne correspond (n° de dossier, portable, nom ou e-mail)."), "patient_number")
    names = ", ".join(f"{p.last_name} {p.first_name} (n° {p.number})" for p in found[:5])
    raise Invalid(_("Plusieurs patients correspondent : %(names)s. Saisissez le n° de dossier.", names=names),
                  "patient_number")


def family_of(patient: Patient, limit: int = 20) -> list[Patient]:
    """The other patients of the practice sharing a mobile with `patient` (their own or a
    responsible's): whom staff may book "for a family member". Oldest first."""
    numbers = {n for n in [patient.mobile, *(r.mobile for r in patient.responsibles)] if n}
    found: dict[int, Patient] = {}
    for number in sorted(numbers):
        for other in db.session.scalars(with_number(select(Patient), number).where(
                Patient.practice_id == patient.practice_id, Patient.id != patient.id).limit(limit)):
            found[other.id] = other
    return sorted(found.values(), key=lambda p: (p.birth_date, p.first_name))[:limit]


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def next_patient_number(practice_id: int) -> str:
    """A free file number for a patient created here (the desk, online booking): after the
    highest numeric one. The unique (practice, number) index settles a race."""
    numbers = db.session.scalars(select(Patient.number).where(Patient.practice_id == practice_id))
    highest = max((int(n) for n in numbers if n.isdigit() and len(n) < 12), default=0)
    return str(highest + 1)


def create_patient_at_desk(*, practice_id: int, last_name: str, first_name: str, birth_date: date | None,
                           mobile: str = "", email: str = "", actor: Actor) -> Patient:
    """A new patient typed in while booking (seed 003 § 1: "il faudra créer un nouveau
    patient"): names, birth date, and a mobile and/or an e-mail to reach them. Gets the next
    free file number. Raises `Invalid` naming the field at fault; audited as `patient.created`."""
    if not last_name.strip():
        raise Invalid(_("Saisissez le nom du patient."), "new_last_name")
    if not first_name.strip():
        raise Invalid(_("Saisissez le prénom du patient."), "new_first_name")
    if birth_date is None:
        raise Invalid(_("Saisissez la date de naissance du patient."), "new_birth_date")
    if birth_date > date.today():
        raise Invalid(_("La date de naissance ne peut pas être dans le futur."), "new_birth_date")
    if not mobile.strip() and not email.strip():
        raise Invalid(_("Donnez un portable ou une adresse e-mail pour joindre le patient."), "new_mobile")
    if mobile.strip() and normalize_phone(mobile) is None:
        raise Invalid(_("Ce numéro de téléphone n'est pas valide."), "new_mobile")
    if email.strip() and not EMAIL_RE.match(email.strip()):
        raise Invalid(_("Cette adresse e-mail n'est pas valide."), "new_email")
    return create_patient(practice_id=practice_id, number=next_patient_number(practice_id),
                          last_name=last_name.strip().upper(), first_name=first_name.strip(), birth_date=birth_date,
                          mobile=mobile.strip() or None, email=email.strip(), actor=actor)


def update_patient_details(patient: Patient, values: dict, *, actor: Actor) -> None:
    """Apply accepted changes (strings as `portal.patients.requests` stores them: ISO birth
    date, E.164 mobile) to a patient's file, keeping the name keys in step. Audited as
    `patient.details_changed` with the old and new values."""
    changed = {}
    for name, value in values.items():
        if name == "birth_date":
            value = date.fromisoformat(value)
        elif name == "mobile":
            value = _phone_or_invalid(value, "mobile")
        old = getattr(patient, name)
        if old != value:
            changed[name] = [str(old or ""), str(value or "")]
            setattr(patient, name, value)
    patient.last_name_key, patient.first_name_key = name_key(patient.last_name), name_key(patient.first_name)
    if changed:
        audit.record("patient.details_changed", actor=actor, practice_id=patient.practice_id, target=patient,
                     details={"changes": changed})


def update_responsible_details(responsible: Responsible, values: dict, *, actor: Actor) -> None:
    """Apply accepted changes (names, e-mail, address) to one responsible row of a file.
    Audited as `patient.details_changed` on the patient, naming the responsible's role."""
    changed = {}
    for name, value in values.items():
        old = getattr(responsible, name)
        if old != value:
            changed[name] = [old or "", value or ""]
            setattr(responsible, name, value)
    if changed:
        audit.record("patient.details_changed", actor=actor, practice_id=responsible.practice_id,
                     target=responsible.patient, details={"responsible": responsible.role.value, "changes": changed})


LINK_ROLES = ("patient", "parent1", "parent2", "financial")


def link_number(patient: Patient, *, phone: str, role: str, actor: Actor, names: dict | None = None) -> None:
    """Put a portal number on a file, where `linked_patients` looks for it: the patient's own
    mobile (`role` "patient") or a responsible's (parent 1, parent 2, financial; the row is
    created with `names` when the file has none for that role). A place already holding another
    number is never overwritten (that would take the file away from its person): `Invalid` on
    field "role". Nothing changes when the number is already anywhere on the file. Audited as
    `patient.number_linked` (role and the number's last two digits)."""
    if role not in LINK_ROLES:
        raise Invalid(_("Choisissez où enregistrer le numéro dans le dossier."), "role")
    if phone in {patient.mobile, *(r.mobile for r in patient.responsibles)}:
        return
    if role == "patient":
        if patient.mobile:
            raise Invalid(_("Le patient a déjà un autre portable : choisissez une place de responsable."), "role")
        patient.mobile = phone
    else:
        row = next((r for r in patient.responsibles if r.role.value == role), None)
        if row is not None and row.mobile:
            raise Invalid(_("Cette place a déjà un autre numéro dans le dossier : choisissez-en une autre."), "role")
        if row is None:
            names = names or {}
            row = Responsible(practice_id=patient.practice_id, role=ResponsibleRole(role),
                              last_name=names.get("last_name", ""), first_name=names.get("first_name", ""))
            patient.responsibles.append(row)
        row.mobile = phone
    db.session.flush()
    audit.record("patient.number_linked", actor=actor, practice_id=patient.practice_id, target=patient,
                 details={"role": role, "phone_suffix": phone[-2:]})
