"""Agenda: appointment types, weekly schedules and their activation periods, free slots, and
appointments that the database never lets overlap for one practitioner."""
from flask import Blueprint

bp = Blueprint("agenda", __name__, url_prefix="/console/agenda")
