"""Online payment ("Régler en ligne", issue 5): a patient's Checkout Session for an amount up to
the balance due, and the webhook handler that records it in the ledger once Stripe says it is
paid. The ledger changes only from a verified event, never from the patient's return to the site.

Imported at app start (portal/__init__.py) so its handlers are registered with the webhook."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import select

from portal.billing import flags, services
from portal.billing.models import FlagKind, Payment, PaymentMethod
from portal.billing.stripe_account import configured_account
from portal.billing.stripe_api import create_checkout_session
from portal.billing.stripe_models import StripeEvent
from portal.billing.webhooks import APPLIED, IGNORED, on_event
from portal.core.audit import Actor
from portal.core.errors import Invalid
from portal.core.models import Practice
from portal.extensions import db
from portal.notify.services import queue_email
from portal.patients.models import Patient
from portal.patients.services import patient_contact

TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


def offered(practice) -> bool:
    """The option is on and the practice's Stripe account is set up."""
    return practice.module_on("payments_online") and configured_account(practice.id) is not None


def receipt_email(patient) -> str:
    """The e-mail the receipt goes to unless changed: the financial responsible's, else the
    file's contact."""
    owner = services.default_responsible(patient)
    return (owner.email if owner and owner.email else patient_contact(patient)[1]) or ""


def check_email(email: str | None) -> str:
    """The receipt's e-mail, trimmed. Raises `Invalid` on 'email' when missing or malformed."""
    email = (email or "").strip()
    if not email:
        raise Invalid(_("L'adresse e-mail est nécessaire pour recevoir le reçu."), "email")
    if len(email) > 254 or not _EMAIL.match(email):
        raise Invalid(_("Saisissez une adresse e-mail valide."), "email")
    return email


def start_checkout(*, practice, patient, amount_text: str, email: str, token: str, success_url: str,
                   cancel_url: str) -> dict:
    """Check the amount (above zero, never above the balance due) and the e-mail, then create the
    Checkout Session. The idempotency key comes from the form's token and the amount, so a double
    submit of one form makes one session. Raises `Invalid` on the field concerned."""
    amount = services.parse_amount(amount_text, "amount")
    due = services.balance_due(practice_id=practice.id, patient_id=patient.id, at=services.practice_today(practice))
    if amount > due:
        raise Invalid(_("Le montant ne peut pas dépasser le solde restant dû (%(due)s).", due=services.money(due)),
                      "amount")
    email = check_email(email)
    if not TOKEN.match(token or ""):
        raise Invalid(_("Le formulaire a expiré : rechargez la page."))
    payer = services.default_responsible(patient)
    metadata = {"practice": practice.id, "patient": patient.id, "payer": payer.id if payer else "",
                "amount_cents": amount}
    description = _("%(patient)s — %(practice)s", patient=patient.full_name, practice=practice.name)
    return create_checkout_session(practice, amount_cents=amount, description=description, customer_email=email,
                                   success_url=success_url, cancel_url=cancel_url, metadata=metadata,
                                   idempotency_key=f"checkout:{practice.id}:{patient.id}:{token}:{amount}")


def _int(value) -> int | None:
    return int(value) if str(value or "").isdigit() else None


def _metadata_items(meta: dict) -> list[int] | None:
    """The item ids a session pays when its metadata names them (`items`: "12" or "12,13", as a
    teleconsultation's "Payer maintenant" sets it), else None: the oldest due items."""
    raw = str(meta.get("items") or "").strip()
    if not raw:
        return None
    ids = [_int(part.strip()) for part in raw.split(",")]
    return ids if ids and None not in ids else []


@on_event(*PAID_EVENTS)
def checkout_paid(record: StripeEvent, obj: dict) -> str:
    """A paid Checkout Session: one online payment for the file named in its metadata, allocated
    to the items its metadata names (`items`, a teleconsultation's fee) or else to the oldest due
    items, a receipt queued, once per session whatever the events."""
    if obj.get("object") != "checkout.session" or obj.get("payment_status") != "paid":
        return IGNORED
    meta = obj.get("metadata") or {}
    patient_id = _int(meta.get("patient"))
    if _int(meta.get("practice")) != record.practice_id or patient_id is None:
        record.note = _("les métadonnées désignent un autre cabinet ou aucun dossier")
        return IGNORED
    # Locking the file's row serialises two events of one session (PostgreSQL): the second sees
    # the first one's payment below.
    patient = db.session.scalar(select(Patient).where(Patient.practice_id == record.practice_id,
                                                      Patient.id == patient_id).with_for_update())
    if patient is None:
        record.note = _("aucun dossier n° %(id)s dans ce cabinet", id=patient_id)
        return IGNORED
    reference = str(obj.get("id", ""))[:80]
    if db.session.scalar(select(Payment.id).where(Payment.practice_id == record.practice_id,
                                                  Payment.reference == reference)):
        record.note = "already recorded"
        return IGNORED
    practice = db.session.get(Practice, record.practice_id)
    today = services.practice_today(practice)
    paid = _int(obj.get("amount_total")) or 0
    # A payment link's or a teleconsultation's session names its item(s): paid on them only, up to
    # what they lack (nothing when they are not this file's: then all of it is flagged as excess).
    item_ids = _metadata_items(meta)
    if item_ids is None:
        due = services.balance_due(practice_id=practice.id, patient_id=patient.id, at=today)
    else:
        due = services.remaining_on_items(practice_id=practice.id, patient_id=patient.id, item_ids=item_ids)
    taken = min(paid, due)
    excess = paid - taken
    if excess:
        # Staff recorded another payment meanwhile: the ledger takes what is due, staff see the rest.
        record.note = _("Reçu %(excess)s de plus que le solde restant dû (%(paid)s payés, %(due)s dus) : "
                        "à rembourser ou à affecter.", excess=services.money(excess), paid=services.money(paid),
                        due=services.money(due))
        flags.raise_flag(practice_id=practice.id, kind=FlagKind.excess, session_id=reference, message=record.note,
                         patient_id=patient.id, amount_cents=excess)  # shown to staff under "À vérifier"
    if taken <= 0:
        return IGNORED
    payer_id = _int(meta.get("payer"))
    if payer_id not in {r.id for r in patient.responsibles}:
        payer_id = None
    payment = services.record_payment(practice=practice, patient=patient, amount_cents=taken,
                                      method=PaymentMethod.online, paid_on=today, reference=reference,
                                      item_ids=item_ids, due_by=None if item_ids else today,
                                      payer_id=payer_id, note=record.note if excess else "",
                                      actor=Actor.system("stripe"))
    _queue_receipt(practice, patient, payment, obj, today)
    return APPLIED


def _queue_receipt(practice, patient, payment: Payment, obj: dict, today) -> None:
    details = obj.get("customer_details") or {}
    to = obj.get("customer_email") or details.get("email") or receipt_email(patient)
    if not to:
        return
    balance = services.balance_due(practice_id=practice.id, patient_id=patient.id, at=today)
    body = "\n".join([
        _("Bonjour,"), "",
        _("%(practice)s a bien reçu votre règlement pour %(patient)s.", practice=practice.name,
          patient=patient.full_name), "",
        _("Montant : %(amount)s", amount=services.money(payment.amount_cents)),
        _("Date : %(date)s", date=payment.paid_on.strftime("%d/%m/%Y")),
        _("Mode de règlement : %(method)s", method=_("Virement (en ligne)")),
        _("Solde restant dû : %(amount)s", amount=services.money(balance)), "",
        _("Ce message vaut reçu."),
    ])
    queue_email(practice_id=practice.id, to=to, subject=_("Reçu de votre règlement — %(practice)s",
                                                          practice=practice.name),
                body=body, key=f"receipt:{payment.id}", category="receipt")
