"""Paiements (seed 000 "Mes paiements", seed 001 "Comptabilité"): a patient's treatment schedule
(échéancier) and fees (honoraires), the payments recorded against them and how each payment is
allocated, the balance due at a date, the console's Paiements tab and the patient's read-only
page; the practice's Stripe account and Stripe's webhook. Online payment plugs into
`services.record_payment`."""
from flask import Blueprint

bp = Blueprint("billing", __name__)
