"""The state of a practice's portal for the console's Informations page (seed 000 "Cabinet →
Informations": "l'état de l'application et les éventuels messages d'erreur"): each line says
what is on, what is not, and what to do about it.

Redis and RQ are read here, never from a view (STYLE rule 1).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.core.models import Practice
from portal.extensions import db
from portal.notify.models import OutboxMessage, OutboxStatus

MODULE_LABELS = {"appointments": _l("Rendez-vous"), "messaging": _l("Messagerie"), "imaging": _l("Imagerie"),
                 "payments": _l("Paiements"), "documents": _l("Documents"), "questionnaires": _l("Questionnaires"),
                 "booking": _l("Réservation en ligne")}
HEARTBEAT_LATE_SECONDS = 120  # RQ workers beat about every 10 s while idle; two minutes of silence is not normal


@dataclass
class StateLine:
    key: str
    label: str
    level: str        # ok, warn (something to fix), info (works, in a reduced mode)
    state: str
    action: str = ""  # what to do about it, empty when nothing
    link: str = ""    # an endpoint of the console that helps, with `link_args`
    link_text: str = ""
    link_args: dict | None = None
    owner_only: bool = False  # the link leads to a page only the owner may open


def portal_state(practice: Practice, *, now: datetime | None = None) -> list[StateLine]:
    """Every line of the Informations page, in reading order: modules, SMS, e-mail, payments,
    background jobs, failed messages. Never raises: an unreachable Redis is a line saying so."""
    now = now or datetime.now(timezone.utc)
    return [_modules(practice), _sms(), _mail(), _payments(practice), _jobs(now), _failed(practice)]


def _modules(practice: Practice) -> StateLine:
    on = [str(label) for key, label in MODULE_LABELS.items() if practice.module_on(key)]
    return StateLine("modules", _("Modules"), "ok" if on else "warn",
                     ", ".join(on) if on else _("Aucun module activé : l'espace patient n'affiche que l'accueil."),
                     _("Activez ou désactivez-les dans Options."), "console.options", _("Options"),
                     owner_only=True)


def _sms() -> StateLine:
    url = current_app.config.get("SMS_URL")
    if not url:
        return StateLine("sms", _("SMS"), "warn", _("Aucun fournisseur : les SMS restent dans la liste des messages "
                                                    "envoyés, aucun ne part (ni codes de connexion, ni rappels)."),
                         _("Demandez à votre hébergeur de renseigner SMS_URL (fournisseur SMS)."))
    from portal.notify.backends import sms_backend

    try:
        sms_backend()
    except ValueError:
        return StateLine("sms", _("SMS"), "warn", _("Fournisseur mal configuré : les envois échoueront."),
                         _("Demandez à votre hébergeur de vérifier SMS_URL."))
    return StateLine("sms", _("SMS"), "ok", _("Fournisseur configuré : les SMS partent."))


def _mail() -> StateLine:
    url = current_app.config.get("MAIL_URL")
    if not url:
        return StateLine("mail", _("E-mail"), "warn", _("Aucun serveur d'envoi : les e-mails restent dans la liste "
                                                        "des messages envoyés, aucun ne part."),
                         _("Demandez à votre hébergeur de renseigner MAIL_URL (serveur SMTP)."))
    from portal.notify.backends import mail_backend

    try:
        mail_backend()
    except ValueError:
        return StateLine("mail", _("E-mail"), "warn", _("Serveur d'envoi mal configuré : les envois échoueront."),
                         _("Demandez à votre hébergeur de vérifier MAIL_URL."))
    return StateLine("mail", _("E-mail"), "ok",
                     _("Serveur d'envoi configuré (expéditeur %(sender)s).", sender=current_app.config["MAIL_FROM"]))


def _payments(practice: Practice) -> StateLine:
    from portal.billing.stripe_account import configured_account

    account = configured_account(practice.id)
    link = ("stripe.settings", _("Paiement en ligne"))
    if account is not None and account.mode == "live":
        return StateLine("payments", _("Paiement en ligne"), "ok",
                         _("Compte Stripe configuré en mode réel (clé %(mask)s).", mask=account.secret_key_hint),
                         "", *link, owner_only=True)
    if account is not None:
        return StateLine("payments", _("Paiement en ligne"), "info",
                         _("Compte Stripe configuré en mode test (clé %(mask)s) : aucun paiement n'est réel.",
                           mask=account.secret_key_hint),
                         _("Pour encaisser pour de vrai, saisissez vos clés « live » dans Paiement en ligne."),
                         *link, owner_only=True)
    if practice.module_on("payments_online"):
        return StateLine("payments", _("Paiement en ligne"), "warn",
                         _("Non configuré, alors que l'option « paiement en ligne » est cochée : les patients ne "
                           "peuvent pas régler en ligne."),
                         _("Le titulaire saisit les clés Stripe du cabinet dans Paiement en ligne, ou décoche "
                           "« paiement en ligne » dans Options."), *link, owner_only=True)
    return StateLine("payments", _("Paiement en ligne"), "info",
                     _("Non configuré : les patients ne peuvent pas régler en ligne."),
                     _("Le paiement en ligne demande un compte Stripe : le titulaire en saisit les clés dans "
                       "Paiement en ligne."), *link, owner_only=True)


def _jobs(now: datetime) -> StateLine:
    if not current_app.config.get("REDIS_URL"):
        return StateLine("jobs", _("Tâches de fond"), "info",
                         _("Pas de file d'attente (REDIS_URL vide) : les envois se font dans le serveur web, juste "
                           "après chaque action ; les rappels dépendent de la tâche planifiée du serveur."),
                         _("En production, demandez à votre hébergeur Redis et un worker (python worker.py)."))
    from redis.exceptions import RedisError
    from rq import Worker

    from portal.core.jobs import queue

    try:
        q = queue()
        depth = q.count
        workers = Worker.all(connection=q.connection)
    except RedisError:
        return StateLine("jobs", _("Tâches de fond"), "warn",
                         _("Redis injoignable : aucun SMS ni e-mail ne part, les rappels sont en retard."),
                         _("Prévenez votre hébergeur : le serveur Redis ne répond pas."))
    beats = [w.last_heartbeat for w in workers if w.last_heartbeat]
    if not beats:
        return StateLine("jobs", _("Tâches de fond"), "warn",
                         _("Aucun worker actif ; %(n)d tâche(s) en attente.", n=depth),
                         _("Prévenez votre hébergeur : lancez python worker.py."))
    last = max(b if b.tzinfo else b.replace(tzinfo=timezone.utc) for b in beats)
    late = (now - last).total_seconds() > HEARTBEAT_LATE_SECONDS
    state = _("Dernier signe de vie du worker : %(when)s ; %(n)d tâche(s) en attente.",
              when=_local(last), n=depth)
    return StateLine("jobs", _("Tâches de fond"), "warn" if late else "ok", state,
                     _("Le worker ne répond plus : prévenez votre hébergeur.") if late else "")


def _local(instant: datetime) -> str:
    from flask_babel import format_datetime

    return format_datetime(instant, "short")


def _failed(practice: Practice) -> StateLine:
    failed = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.practice_id == practice.id, OutboxMessage.status == OutboxStatus.failed)) or 0
    if not failed:
        return StateLine("failed", _("Messages en échec"), "ok", _("Aucun."))
    return StateLine("failed", _("Messages en échec"), "warn",
                     _("%(n)d message(s) n'ont pas pu partir.", n=failed),
                     _("Ouvrez-les pour lire l'erreur, corrigez le numéro ou l'adresse, puis renvoyez-les."),
                     "notify.index", _("Voir les messages en échec"), {"statut": "failed"})
