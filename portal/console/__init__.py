"""The staff console: dashboard, the team, the audit journal, the Cabinet pages and Invitations."""
from flask import Blueprint

bp = Blueprint("console", __name__, url_prefix="/console")
