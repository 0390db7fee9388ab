"""Notifications: the outbox of SMS and e-mail, their delivery and what staff see of it."""
from flask import Blueprint

bp = Blueprint("notify", __name__, url_prefix="/console/messages-envoyes")
