"""Patients: records, their responsibles (parents, financial responsible), RGPD flags."""
from flask import Blueprint

bp = Blueprint("patients", __name__, url_prefix="/console/patients")
