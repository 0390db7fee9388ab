"""Accounts: staff users and roles, patients' sign-in, sessions, two factors for everyone."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)
