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


class OnlinePaymentForm(FlaskForm):
    """"Régler en ligne": the amount (the balance due, which may be lowered) and the e-mail for
    the receipt; `token` makes one Checkout Session per form, however many times it is sent."""
    amount = StringField(_l("Montant à régler (€)"), validators=[Length(max=20)])
    email = StringField(_l("E-mail pour le reçu"), validators=[Length(max=254)])
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
