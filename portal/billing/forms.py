"""Forms of the console's Paiements tab: an item (installment or fee) and an offline payment.
Amounts are typed as text ("390,50") and parsed by the service, so a bad one comes back as typed."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from portal.billing.services import LABEL_MAX, NOTE_MAX, REFERENCE_MAX
from portal.core.labels import ITEM_KIND, PAYMENT_METHOD, RESPONSIBLE_ROLE

DATE_REQUIRED = _l("Saisissez une date valide.")


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def responsible_choices(patient, none_label) -> list[SelectChoice]:
    return [SelectChoice("", none_label)] + [
        SelectChoice(str(r.id), f"{RESPONSIBLE_ROLE.get(r.role.value, r.role.value)} : {r.full_name}")
        for r in patient.responsibles_in_order]


class ItemForm(FlaskForm):
    kind = SelectField(_l("Nature"), choices=[SelectChoice(k, ITEM_KIND[k]) for k in ("installment", "fee")],
                       default="installment")
    label = StringField(_l("Libellé"), validators=[Length(max=LABEL_MAX)])
    amount = StringField(_l("Montant (€)"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    care_date = DateField(_l("Date des soins"), validators=[Optional()])
    due_date = DateField(_l("Date d'échéance"), validators=[DataRequired(DATE_REQUIRED)])
    processed = BooleanField(_l("Traité"))
    responsible_id = SelectField(_l("Dû par"), choices=[], validate_choice=False)


class PaymentForm(FlaskForm):
    amount = StringField(_l("Montant reçu (€)"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    method = SelectField(_l("Moyen de paiement"),
                         choices=[SelectChoice(k, PAYMENT_METHOD[k]) for k in ("cheque", "card", "transfer", "cash")])
    paid_on = DateField(_l("Date du règlement"), validators=[DataRequired(DATE_REQUIRED)])
    payer_id = SelectField(_l("Payé par"), choices=[], validate_choice=False)
    reference = StringField(_l("Référence (n° de chèque, de virement…)"), validators=[Length(max=REFERENCE_MAX)])
    note = TextAreaField(_l("Note"), validators=[Length(max=NOTE_MAX)], render_kw={"rows": 2})
    items = CheckboxesField(_l("Affecter à (sinon : aux échéances les plus anciennes)"), coerce=int, choices=[],
                            validate_choice=False)
    token = HiddenField()  # one payment per form, however many times it is sent


class OnlinePaymentForm(FlaskForm):
    """"Régler en ligne": the amount (the balance due, which may be lowered) and the e-mail for
    the receipt; `token` makes one Checkout Session per form, however many times it is sent."""
    amount = StringField(_l("Montant à régler (€)"), validators=[Length(max=20)])
    email = StringField(_l("E-mail pour le reçu"), validators=[Length(max=254)])
    token = HiddenField()


class OverdueSettingsForm(FlaskForm):
    """Relances de paiement: numbers typed as text, checked by the service, so a bad one comes
    back as typed with its message."""
    enabled = BooleanField(_l("Relancer les règlements en retard"))
    first_after_days = StringField(_l("Première relance, jours après l'échéance"), validators=[Length(max=5)],
                                   render_kw={"inputmode": "numeric", "autocomplete": "off"})
    every_days = StringField(_l("Puis tous les (jours)"), validators=[Length(max=5)],
                             render_kw={"inputmode": "numeric", "autocomplete": "off"})
    max_count = StringField(_l("Nombre de relances au plus"), validators=[Length(max=5)],
                            render_kw={"inputmode": "numeric", "autocomplete": "off"})
    by_email = BooleanField(_l("Par e-mail"))
    by_sms = BooleanField(_l("Par SMS"))


class PayLinkForm(FlaskForm):
    """The payment link's page: only the e-mail for the receipt (never pre-filled: the link may
    have been forwarded); `token` makes one Checkout Session per page."""
    email = StringField(_l("E-mail pour le reçu"), validators=[Length(max=254)],
                        render_kw={"autocomplete": "email", "inputmode": "email"})
    token = HiddenField()


class TeleconsultPaidForm(FlaskForm):
    """Staff mark a teleconsultation paid: how the money came, and an optional reference."""
    method = SelectField(_l("Moyen de paiement"),
                         choices=[SelectChoice(k, PAYMENT_METHOD[k]) for k in ("cheque", "card", "transfer", "cash")])
    reference = StringField(_l("Référence (n° de chèque, de virement…)"), validators=[Length(max=REFERENCE_MAX)])


class TeleconsultPayForm(FlaskForm):
    """"Payer maintenant": the e-mail for the receipt; `token` makes one Checkout Session per form."""
    email = StringField(_l("E-mail pour le reçu"), validators=[Length(max=254)])
    token = HiddenField()


class EditPaymentForm(PaymentForm):
    """A payment recorded at the desk, corrected: a new amount is allocated afresh, oldest due first."""
    items = None


class RefundForm(FlaskForm):
    """"Rembourser": the amount (what the payment still holds, which may be lowered), the reason,
    for a payment received at the desk how the money is given back, and the form's one-time
    `token` (a form sent twice refunds once)."""
    amount = StringField(_l("Montant à rembourser (€)"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    given_back_by = SelectField(_l("Rendu par"),
                                choices=[SelectChoice(k, PAYMENT_METHOD[k]) for k in ("cheque", "transfer", "cash",
                                                                                       "card")],
                                validate_choice=False)  # online refunds have none: the service checks it
    reason = TextAreaField(_l("Motif"), validators=[Length(max=500)], render_kw={"rows": 2})
    token = HiddenField()


class JournalForm(FlaskForm):
    """The console's Paiements journal: a period (?du=&au=) and a method (?moyen=), read from the
    query string (a GET: no CSRF token). The URL keeps the French names of the seed's screens."""

    class Meta:
        csrf = False

    start = DateField(_l("Du"), name="du", validators=[DataRequired(_l("Saisissez une date de début valide."))])
    end = DateField(_l("Au"), name="au", validators=[DataRequired(_l("Saisissez une date de fin valide."))])
    method = SelectField(_l("Moyen de paiement"), name="moyen", default="",
                         choices=[SelectChoice("", _l("Tous"))] + [
                             SelectChoice(k, PAYMENT_METHOD[k]) for k in ("cheque", "card", "transfer", "cash", "online")])
