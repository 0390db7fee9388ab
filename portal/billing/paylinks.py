"""Payment links (issue 5): the signed, expiring address an overdue-payment reminder carries,
which opens the payment of one item for at most the amount the reminder named, and nothing else.

The token is the capability: signed with SECRET_KEY (itsdangerous, its own salt), it names the
practice, the patient, the item, the amount (what remained when it was sent) and its expiry. No
row is stored: a token is good until it expires or the item is paid. The page shows only the
practice's name, the patient's first name and initial, the item's label and the amount."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from portal.billing import online, services
from portal.billing.models import BillingItem
from portal.billing.stripe_api import create_checkout_session
from portal.core.errors import DomainError, Invalid, NotFound
from portal.core.models import Practice
from portal.extensions import db
from portal.patients.models import Patient

LINK_LIFETIME = timedelta(days=30)
_SALT = "overdue-payment-link"


class LinkGone(DomainError):
    """A genuine link that can no longer be used: expired, or its item already paid (410)."""

    status = 410


@dataclass
class PayLink:
    """What a valid link opens: one item, and the amount payable now (the link's amount, lowered
    to what the item still lacks)."""

    practice: Practice
    patient: Patient
    item: BillingItem
    amount: int

    @property
    def patient_name(self) -> str:
        """First name and initial only ("Léa M."): the link may be forwarded."""
        initial = self.patient.last_name[:1]
        return f"{self.patient.first_name} {initial}." if initial else self.patient.first_name


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def make_token(*, practice_id: int, patient_id: int, item_id: int, amount_cents: int, now: datetime) -> str:
    """A signed token for paying `amount_cents` on one item, valid `LINK_LIFETIME` from `now`.
    A list rather than a dict keeps the address short enough for an SMS."""
    expires = int((now + LINK_LIFETIME).timestamp())
    return _serializer().dumps([practice_id, patient_id, item_id, amount_cents, expires])


def link_url(token: str) -> str:
    """The public address of a token (BASE_URL, as in every link given out)."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/paiements/lien/{token}"


def open_link(token: str, *, now: datetime | None = None) -> PayLink:
    """The item a token opens. Raises `NotFound` when the token is tampered with or names
    anything that is not there together (another practice's item, another patient's, the
    payments module off); `LinkGone` when it expired or the item is paid."""
    try:
        practice_id, patient_id, item_id, amount, expires = _serializer().loads(token)
        values = [int(v) for v in (practice_id, patient_id, item_id, amount, expires)]
    except (BadSignature, TypeError, ValueError):
        raise NotFound() from None
    practice_id, patient_id, item_id, amount, expires = values
    practice = db.session.get(Practice, practice_id)
    item = db.session.scalar(select(BillingItem).where(BillingItem.id == item_id,
                                                       BillingItem.practice_id == practice_id,
                                                       BillingItem.patient_id == patient_id))
    if practice is None or item is None or not practice.module_on("payments"):
        raise NotFound()
    if (now or datetime.now(UTC)).timestamp() > expires:
        raise LinkGone(_("Ce lien de paiement a expiré. Pour régler, connectez-vous à votre espace patient "
                         "ou contactez le cabinet."))
    remaining = item.amount_cents - services.paid_per_item(practice_id=practice_id, item_ids=[item.id]).get(item.id, 0)
    if remaining <= 0:
        raise LinkGone(_("Ce règlement a déjà été reçu : ce lien n'est plus utile. Merci !"))
    patient = db.session.get(Patient, patient_id)
    return PayLink(practice=practice, patient=patient, item=item, amount=min(amount, remaining))


def start_link_checkout(link: PayLink, *, email: str, token: str, success_url: str, cancel_url: str) -> dict:
    """A Checkout Session for the link's amount, for its item only: the metadata's `items` makes
    the webhook allocate the payment to that item (`online.checkout_paid`). The idempotency key
    comes from the page's form token and the amount, so a double tap makes one session. Raises
    `Invalid` when online payment is not offered or the e-mail is not valid."""
    if not online.offered(link.practice):
        raise Invalid(_("Le paiement en ligne n'est pas proposé par ce cabinet."))
    email = online.check_email(email)
    if not online.TOKEN.match(token or ""):
        raise Invalid(_("Le formulaire a expiré : rechargez la page."))
    practice, patient, item = link.practice, link.patient, link.item
    metadata = {"practice": practice.id, "patient": patient.id, "payer": item.responsible_id or "",
                "amount_cents": link.amount, "items": item.id}
    description = _("%(label)s — %(patient)s — %(practice)s", label=item.label, patient=patient.full_name,
                    practice=practice.name)
    return create_checkout_session(practice, amount_cents=link.amount, description=description, customer_email=email,
                                   success_url=success_url, cancel_url=cancel_url, metadata=metadata,
                                   idempotency_key=f"paylink:{practice.id}:{item.id}:{token}:{link.amount}")
