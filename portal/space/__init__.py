"""The patient space: what a patient or parent sees on their phone."""
from flask import Blueprint

bp = Blueprint("space", __name__)
