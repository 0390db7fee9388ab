"""Translated labels for values stored as codes, available in every template."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

ROLE = {"owner": _l("Titulaire"), "practitioner": _l("Praticien"), "secretary": _l("Secrétaire")}
FILE_STATUS = {"consultation": _l("Consultation"), "in_treatment": _l("En traitement"),
               "retention": _l("Contention"), "finished": _l("Terminé")}
RESPONSIBLE_ROLE = {"parent1": _l("Parent 1"), "parent2": _l("Parent 2"), "financial": _l("Responsable financier")}
OUTBOX_STATUS = {"queued": _l("En attente"), "sending": _l("En cours d'envoi"), "sent": _l("Envoyé"),
                 "stored": _l("Conservé (aucun fournisseur configuré)"), "failed": _l("Échec")}


def _label(table):
    def lookup(value):
        key = getattr(value, "value", value)
        return table.get(key, key)
    return lookup


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        role_label=_label(ROLE), file_status_label=_label(FILE_STATUS),
        responsible_role_label=_label(RESPONSIBLE_ROLE), outbox_status_label=_label(OUTBOX_STATUS),
    )
