"""Public self-booking (seed 004): a practice's booking page, newcomers confirmed by SMS with the
slot held meanwhile, the known-patients whitelist, bans, visit reasons, online cancellation."""
from flask import Blueprint

bp = Blueprint("booking", __name__)
