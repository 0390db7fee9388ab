"""Invitations to the patient space (seed 001's publipostage): templates with merge fields, who
receives what (the responsible of a minor, the adult patient), the patients not yet signed in,
the preview of a send (recipients, skipped, SMS segments) and the send itself through the outbox.

Templates never carry a password: sign-in is the mobile number the practice holds, the patient's
names and birth date, then an SMS code (and the practice code when two practices follow a child).
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import selectinload

from portal.accounts.models import PatientAccount
from portal.console.models import InvitationBatch, InvitationChannel, InvitationTemplate
from portal.core import audit, jobs
from portal.core.audit import Actor
from portal.core.auth import is_minor
from portal.core.db import insert_or_ignore, utcnow
from portal.core.errors import Invalid, NotFound
from portal.core.models import Practice
from portal.extensions import db
from portal.notify.models import OutboxMessage
from portal.notify.segments import sms_cost
from portal.patients.models import Patient, Responsible, ResponsibleRole
from portal.patients.services import patient_contact

# Every merge field a template may use, with what it stands for (shown beside the editor).
MERGE_FIELDS: dict[str, object] = {
    "PNOM": _l("Nom du patient"),
    "PPREN": _l("Prénom du patient"),
    "ORDRE": _l("Numéro de dossier du patient"),
    "DCIVIL": _l("Civilité du destinataire : le responsable d'un patient mineur, sinon le patient"),
    "DNOM": _l("Nom du destinataire"),
    "DPREN": _l("Prénom du destinataire"),
    "DADR1": _l("Adresse du destinataire, première ligne"),
    "DADR2": _l("Adresse du destinataire, seconde ligne (souvent vide)"),
    "DCPOST": _l("Code postal du destinataire"),
    "DVILLE": _l("Ville du destinataire"),
    "CABINET": _l("Nom du cabinet"),
    "CODE": _l("Identifiant du cabinet (demandé quand un enfant est suivi par deux cabinets)"),
    "URL": _l("Adresse de connexion à l'espace patient"),
}
# "@" then capitals: an e-mail address (contact@cabinet.fr) is not a field; "@ORDREapo" is @ORDRE.
FIELD_RE = re.compile(r"(?<![\w.+-])@([A-Z][A-Z0-9]*)")
POSTAL_LINE = re.compile(r"^\s*(\d{4,5})\s+(.+?)\s*$")
CHANNEL_LABEL = {"letter": _l("Courrier"), "email": _l("E-mail"), "sms": _l("SMS")}
SKIP_REASON = {"no_mobile": _l("pas de portable"), "no_email": _l("pas d'adresse e-mail"),
               "no_address": _l("adresse postale incomplète")}
CHUNK = 500  # patients read, and messages queued, per round


def unknown_fields(text: str) -> list[str]:
    """The @FIELDS of `text` that are not merge fields, in order of appearance, each once."""
    return list(dict.fromkeys(name for name in FIELD_RE.findall(text or "") if name not in MERGE_FIELDS))


@dataclass
class Recipient:
    """Who a patient's invitation is addressed to, and how to reach them."""

    civility: str
    last_name: str
    first_name: str
    address1: str
    address2: str
    postal_code: str
    city: str
    mobile: str | None
    email: str

    @property
    def has_address(self) -> bool:
        return bool(self.address1.strip() and (self.postal_code.strip() or self.city.strip()))


def recipient_of(patient: Patient, practice: Practice) -> Recipient:
    """The addressee: for a minor, the first responsible on file (parent 1, parent 2, then the
    financial responsible) with their own mobile and e-mail, else the file's; for an adult, the
    patient. A responsible's address, typed as one text, is used when it is whole (lines, then a
    "75011 Paris" line); otherwise the patient's, where the child lives."""
    own_mobile, own_email = patient_contact(patient)
    person = None
    if is_minor(patient, practice):
        person = next((r for r in patient.responsibles_in_order if r.last_name or r.first_name), None)
    if person is None:
        return Recipient(patient.civility, patient.last_name, patient.first_name, *_lines(patient.address),
                         patient.postal_code, patient.city, own_mobile, own_email)
    (address1, address2), postal_code, city = _lines(patient.address), patient.postal_code, patient.city
    lines = [x.strip() for x in re.split(r"[\n,]", person.address) if x.strip()]
    postal = POSTAL_LINE.match(lines[-1]) if lines else None
    if postal and len(lines) > 1:  # a whole address of their own: "9 avenue Foch, 75016 Paris"
        address1, address2, postal_code, city = lines[0], " ".join(lines[1:-1]), postal.group(1), postal.group(2)
    return Recipient(person.civility, person.last_name or patient.last_name, person.first_name, address1, address2,
                     postal_code, city, person.mobile or own_mobile, person.email or own_email)


def _lines(address: str) -> tuple[str, str]:
    parts = [x.strip() for x in (address or "").splitlines() if x.strip()]
    return (parts + [""])[0], " ".join(parts[1:])


def merge_values(practice: Practice, patient: Patient, recipient: Recipient) -> dict[str, str]:
    """The value of each merge field for one patient."""
    return {"PNOM": patient.last_name, "PPREN": patient.first_name, "ORDRE": patient.number,
            "DCIVIL": recipient.civility, "DNOM": recipient.last_name, "DPREN": recipient.first_name,
            "DADR1": recipient.address1, "DADR2": recipient.address2, "DCPOST": recipient.postal_code,
            "DVILLE": recipient.city, "CABINET": practice.name, "CODE": practice.public_code,
            "URL": f"{current_app.config['BASE_URL'].rstrip('/')}/connexion"}


def merge(text: str, values: dict[str, str]) -> str:
    """`text` with each merge field replaced; spaces left by an empty field (a missing civility)
    are closed up, and a line left empty by fields alone (no second address line) is dropped."""
    out = []
    for line in (text or "").splitlines():
        merged = FIELD_RE.sub(lambda m: values.get(m.group(1), m.group(0)), line)
        merged = re.sub(r"[ \t]{2,}", " ", merged).rstrip()
        if merged.strip() or not FIELD_RE.search(line):
            out.append(merged.lstrip() if FIELD_RE.match(line.lstrip()) else merged)
    return "\n".join(out)


def sample_patient(practice: Practice) -> Patient:
    """A made-up minor and parent for previews when no patient is chosen; never saved."""
    child = Patient(practice_id=practice.id, number="1234", civility="", last_name="DUPONT", first_name="Léa",
                    birth_date=date(date.today().year - 12, 5, 14), mobile=None, email="", address="", postal_code="",
                    city="", do_not_share_online=False)
    child.responsibles = [Responsible(practice_id=practice.id, role=ResponsibleRole.parent1, civility="Mme", last_name="DUPONT",
                                      first_name="Claire", mobile="+33612345678", email="claire.dupont@example.com",
                                      address="12 rue des Lilas\nBâtiment B\n75011 Paris")]
    return child


@dataclass
class Rendered:
    subject: str
    body: str
    recipient: Recipient
    segments: int = 0
    encoding: str = ""


def render_for(practice: Practice, template: InvitationTemplate, patient: Patient) -> Rendered:
    """The template as this patient's addressee would receive it (with its SMS cost)."""
    recipient = recipient_of(patient, practice)
    values = merge_values(practice, patient, recipient)
    body = merge(template.body, values)
    cost = sms_cost(body) if template.channel is InvitationChannel.sms else None
    return Rendered(merge(template.subject, values), body, recipient, cost.segments if cost else 0,
                    cost.encoding if cost else "")


def default_templates(practice: Practice) -> list[InvitationTemplate]:
    """Ensure the practice has templates: when it has none (first visit, or all deleted), the
    three of seed 001 — letter, e-mail, SMS — are written, rewritten for today's sign-in."""
    found = list(db.session.scalars(select(InvitationTemplate).where(InvitationTemplate.practice_id == practice.id)
                                    .order_by(InvitationTemplate.channel, InvitationTemplate.name)))
    if found:
        return found
    how = _("Pour cela, rendez-vous sur @URL depuis votre téléphone ou votre ordinateur, puis saisissez :\n"
            "- le numéro de portable que vous avez donné au cabinet ;\n"
            "- le nom, le prénom et la date de naissance de @PPREN ;\n"
            "- le code que vous recevrez alors par SMS.\n"
            "Vous choisirez ensuite votre mot de passe. Si l'identifiant du cabinet vous est demandé, saisissez "
            "@CODE.\n\nLe cabinet ne vous demandera jamais votre mot de passe ni le code reçu par SMS.")
    intro = _("Dans le cadre d'un meilleur suivi du dossier orthodontique de @PPREN, vous pouvez désormais "
              "consulter le dossier en ligne : prochains rendez-vous, échéancier, documents et messages.")
    end = _("Restant à votre disposition pour toute information complémentaire, recevez, Madame, Monsieur, "
            "l'expression de nos salutations les meilleures.\n\n@CABINET")
    rows = [
        InvitationTemplate(practice_id=practice.id, name=_("Courrier d'invitation"), channel=InvitationChannel.letter,
                           body=_("Patient : @PPREN @PNOM (dossier n° @ORDRE)") + "\n\n" + _("Madame, Monsieur,")
                           + "\n\n" + intro + "\n\n" + how + "\n\n" + end),
        InvitationTemplate(practice_id=practice.id, name=_("E-mail d'invitation"), channel=InvitationChannel.email,
                           subject=_("Le dossier de @PPREN en ligne – @CABINET"),
                           body=_("Madame, Monsieur,") + "\n\n" + intro + "\n\n" + how + "\n\n" + end),
        InvitationTemplate(practice_id=practice.id, name=_("SMS d'invitation"), channel=InvitationChannel.sms,
                           body=_("@CABINET : le dossier de @PPREN est en ligne. Connectez-vous sur @URL avec ce "
                                  "numéro, le nom, le prénom et la date de naissance de @PPREN, puis le code envoyé "
                                  "par SMS.")),
    ]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def get_template(*, practice_id: int, template_id: int) -> InvitationTemplate:
    """A template of the practice, or `NotFound`."""
    template = db.session.scalar(select(InvitationTemplate).where(InvitationTemplate.id == template_id,
                                                                  InvitationTemplate.practice_id == practice_id))
    if template is None:
        raise NotFound()
    return template


def save_template(*, practice: Practice, template: InvitationTemplate | None, name: str, channel: str,
                  subject: str, body: str, actor: Actor) -> InvitationTemplate:
    """Create (`template` None) or change a template. `Invalid` on the field at fault: a missing
    name, body or e-mail subject, an unknown channel, or an unknown @FIELD (named). Audited."""
    if not name.strip():
        raise Invalid(_("Donnez un nom au modèle."), "name")
    if channel not in CHANNEL_LABEL:
        raise Invalid(_("Choisissez courrier, e-mail ou SMS."), "channel")
    if channel == "email" and not subject.strip():
        raise Invalid(_("Un e-mail a besoin d'un objet."), "subject")
    if not body.strip():
        raise Invalid(_("Écrivez le texte du modèle."), "body")
    for field_name, text in (("subject", subject if channel == "email" else ""), ("body", body)):
        unknown = unknown_fields(text)
        if unknown:
            raise Invalid(_("Champ de fusion inconnu : %(names)s. Les champs possibles sont listés à côté.",
                            names=", ".join("@" + n for n in unknown)), field_name)
    if template is None:
        template = InvitationTemplate(practice_id=practice.id)
        db.session.add(template)
    template.name, template.channel = name.strip()[:120], InvitationChannel(channel)
    template.subject = subject.strip()[:200] if channel == "email" else ""
    template.body = body.replace("\r\n", "\n").strip()
    db.session.flush()
    audit.record("invitation.template_saved", actor=actor, practice_id=practice.id, target=template,
                 details={"name": template.name, "channel": channel})
    return template


def delete_template(template: InvitationTemplate, *, actor: Actor) -> None:
    """Delete a template; its past sends keep their own copy of the text. Audited."""
    audit.record("invitation.template_deleted", actor=actor, practice_id=template.practice_id, target=template,
                 details={"name": template.name})
    db.session.delete(template)
    db.session.flush()


def not_signed_in(practice: Practice) -> list[Patient]:
    """Every patient whose file may be shown online (not "Ne pas partager en ligne") and whom no
    portal account has ever opened: no account of the practice that has signed in at least once
    carries the patient's own mobile or a responsible's. Two queries (patients, responsibles)."""
    signed = select(PatientAccount.phone).where(PatientAccount.practice_id == practice.id,
                                                PatientAccount.last_signin_at.is_not(None))
    through_responsible = exists().where(Responsible.patient_id == Patient.id, Responsible.mobile.in_(signed))
    query = (select(Patient).where(Patient.practice_id == practice.id, Patient.do_not_share_online.is_(False),
                                   ~through_responsible, Patient.mobile.is_(None) | Patient.mobile.not_in(signed))
             .options(selectinload(Patient.responsibles)).order_by(Patient.last_name_key, Patient.first_name_key))
    return list(db.session.scalars(query))


def skip_reason(channel: InvitationChannel, recipient: Recipient) -> str | None:
    """Why this addressee cannot receive on this channel, or None."""
    if channel is InvitationChannel.sms and not recipient.mobile:
        return "no_mobile"
    if channel is InvitationChannel.email and not recipient.email:
        return "no_email"
    if channel is InvitationChannel.letter and not recipient.has_address:
        return "no_address"
    return None


@dataclass
class Plan:
    """What a send would do: who receives, who is skipped and why, its SMS cost, one sample, and
    a `stamp` of exactly this (template text, channel, recipients) for the confirmation to match."""

    template: InvitationTemplate
    recipients: list[Patient] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    skipped_patients: list[tuple[Patient, str]] = field(default_factory=list)
    segments: int = 0
    ucs2: int = 0
    sample: Rendered | None = None
    stamp: str = ""


def plan_send(practice: Practice, template: InvitationTemplate, patients: list[Patient]) -> Plan:
    """Sort `patients` into recipients and skipped for this template's channel, counting SMS
    segments on each rendered text (merged names change the length and the encoding)."""
    plan = Plan(template)
    for patient in patients:
        rendered = render_for(practice, template, patient)
        reason = skip_reason(template.channel, rendered.recipient)
        if reason:
            plan.skipped[reason] += 1
            plan.skipped_patients.append((patient, reason))
            continue
        plan.recipients.append(patient)
        plan.segments += rendered.segments
        plan.ucs2 += rendered.encoding == "UCS-2"
        plan.sample = plan.sample or rendered
    shown = json.dumps([template.id, template.channel.value, template.subject, template.body,
                        sorted(p.id for p in plan.recipients)])
    plan.stamp = hashlib.sha256(shown.encode()).hexdigest()
    return plan


def send(*, practice: Practice, plan: Plan, token: str, mass: bool, staff, actor: Actor) -> tuple[InvitationBatch, bool]:
    """Record the batch and, for e-mail and SMS, put each message in the outbox: at once for one
    patient, through a job for a mass send (read and queued by chunks). Returns (batch, created):
    a token already used (a double click, a retried request) returns that batch and sends nothing.
    `Invalid` when there is nobody to send to. Audited as `invitation.sent`."""
    if not plan.recipients:
        raise Invalid(_("Aucun destinataire : rien n'a été envoyé."))
    template = plan.template
    values = {"practice_id": practice.id, "token": token[:64], "template_id": template.id,
              "template_name": template.name, "channel": template.channel.value, "subject": template.subject,
              "body": template.body, "mass": mass, "staff_user_id": getattr(staff, "id", None),
              "staff_label": actor.label[:200], "patient_ids": [p.id for p in plan.recipients],
              "recipients": len(plan.recipients), "skipped": sum(plan.skipped.values()), "segments": plan.segments,
              "queued": 0, "created_at": utcnow()}
    new_id = db.session.scalar(insert_or_ignore(InvitationBatch, values, ["practice_id", "token"])
                               .returning(InvitationBatch.id))
    if new_id is None:
        return db.session.scalar(select(InvitationBatch).where(InvitationBatch.practice_id == practice.id,
                                                               InvitationBatch.token == token[:64])), False
    batch = db.session.get(InvitationBatch, new_id)
    audit.record("invitation.sent", actor=actor, practice_id=practice.id, target=batch,
                 details={"channel": template.channel.value, "template": template.name, "mass": mass,
                          "recipients": batch.recipients, "skipped": batch.skipped, "segments": plan.segments,
                          **({} if mass else {"patient_id": plan.recipients[0].id})})
    if template.channel is not InvitationChannel.letter:
        if mass:
            from portal.console.jobs import queue_invitations

            jobs.enqueue(queue_invitations, batch.id, title=f"invitations #{batch.id}", timeout=1800)
        else:
            queue_batch_messages(batch.id)
    return batch, True


def batch_patients(batch: InvitationBatch, *, after_id: int = 0, limit: int | None = None) -> list[Patient]:
    """The batch's patients still on file, by id, from `after_id` on: one query per chunk."""
    wanted = sorted(i for i in batch.patient_ids if i > after_id)[:limit]
    found: list[Patient] = []
    for start in range(0, len(wanted), CHUNK):
        found += db.session.scalars(select(Patient).where(
            Patient.practice_id == batch.practice_id, Patient.id.in_(wanted[start:start + CHUNK]))
            .options(selectinload(Patient.responsibles)).order_by(Patient.id))
    return found


def queue_batch_messages(batch_id: int, *, after_id: int = 0, limit: int = CHUNK) -> int | None:
    """Put the next `limit` messages of an e-mail or SMS batch in the outbox, each under the key
    invite:<batch>:<patient>:<channel> so that a re-run sends nothing twice. Returns the last
    patient id handled, or None when the batch is done."""
    from portal.notify.models import Channel
    from portal.notify.services import Outgoing, queue_messages

    batch = db.session.get(InvitationBatch, batch_id)
    practice = db.session.get(Practice, batch.practice_id)
    patients = batch_patients(batch, after_id=after_id, limit=limit)
    text = InvitationTemplate(channel=batch.channel, subject=batch.subject, body=batch.body)
    outgoing = []
    for patient in patients:
        rendered = render_for(practice, text, patient)
        key = f"invite:{batch.id}:{patient.id}:{batch.channel.value}"
        if batch.channel is InvitationChannel.sms and rendered.recipient.mobile:
            outgoing.append(Outgoing(practice_id=practice.id, channel=Channel.sms, key=key, category="invitation",
                                     recipient=rendered.recipient.mobile, body=rendered.body))
        elif batch.channel is InvitationChannel.email and rendered.recipient.email:
            outgoing.append(Outgoing(practice_id=practice.id, channel=Channel.email, key=key, category="invitation",
                                     recipient=rendered.recipient.email, subject=rendered.subject,
                                     body=rendered.body))
    queue_messages(outgoing)  # a chunk in a few statements; keys already in the outbox are skipped
    db.session.flush()
    # Counted from the outbox, not added up: a resumed run re-meets the messages it had queued.
    batch.queued = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.key.startswith(f"invite:{batch.id}:")))
    return patients[-1].id if len(patients) == limit else None


def get_batch(*, practice_id: int, batch_id: int) -> InvitationBatch:
    """A send of the practice, or `NotFound`."""
    batch = db.session.scalar(select(InvitationBatch).where(InvitationBatch.id == batch_id,
                                                            InvitationBatch.practice_id == practice_id))
    if batch is None:
        raise NotFound()
    return batch


def recent_batches(practice_id: int, limit: int = 30) -> list[InvitationBatch]:
    """The practice's latest sends, newest first."""
    return list(db.session.scalars(select(InvitationBatch).where(InvitationBatch.practice_id == practice_id)
                                   .order_by(InvitationBatch.id.desc()).limit(limit)))


def plan_for_patient(practice: Practice, template: InvitationTemplate, patient: Patient) -> Plan:
    """The plan of an invitation to one patient. `Invalid` when the file must not be shown online
    (the RGPD switch), or when the addressee lacks the contact this channel needs (named)."""
    if patient.do_not_share_online:
        raise Invalid(_("Ce dossier n'est pas partagé en ligne (RGPD) : pas d'invitation possible."))
    plan = plan_send(practice, template, [patient])
    if plan.skipped_patients:
        raise Invalid(_("Envoi impossible : %(reason)s.", reason=SKIP_REASON[plan.skipped_patients[0][1]]))
    return plan
