"""Messagerie (seed 000): the conversation between a patient's file and the practice, the
practice's single inbox (Mon cabinet's contact form lands there too), attachments, and the
predefined messages staff pick from."""
from flask import Blueprint

bp = Blueprint("messaging", __name__)
