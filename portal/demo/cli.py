"""`flask demo ...`: load the demo practice, print a demo authenticator code."""
from __future__ import annotations

import click
import pyotp
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal.accounts.models import StaffUser
from portal.core.db import commit
from portal.demo.data import DEMO_PASSWORD, DEMO_PHONE, DEMO_SLUG, FAMILY, STAFF, demo_practice, load_demo
from portal.extensions import db

demo_cli = AppGroup("demo", help="Demo data for trying Sourire.")


@demo_cli.command("load")
@click.option("--patients", default=60, show_default=True, help="How many extra random patients.")
def load(patients):
    """Create the demo practice, its team (owner, practitioner, secretary) and a family."""
    if demo_practice() is not None:
        click.echo("demo practice already loaded")
    else:
        load_demo(extra_patients=patients)
        commit()
    base = current_app.config["BASE_URL"]
    click.echo(f"""
Sourire demo — {base}
  Patient space : {base}/connexion
    phone {DEMO_PHONE}, then the child's last name, first name and birth date:
{chr(10).join(f'      {last} {first}, born {born:%d/%m/%Y}' for _, last, first, _, born, _, _ in FAMILY)}
    the SMS code is printed in this terminal (the console's "Messages envoyés" lists the SMS with
    its code masked: staff never see a sign-in code).
  Online booking: {base}/cabinet/{DEMO_SLUG}/rendez-vous  (a newcomer's SMS code is printed here too)
  Staff console : {base}/console  (password {DEMO_PASSWORD})
{chr(10).join(f'    {role.value:<12} {email}' for email, role, _, _ in STAFF)}
    authenticator code, from this folder in another terminal:
      SOURIRE_ENV=development .venv/bin/flask --app wsgi demo code claire.martin@example.com
""")


@demo_cli.command("code")
@click.argument("email")
def code(email):
    """Print the current authenticator code of a demo staff account (demo practice only)."""
    practice = demo_practice()
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if practice is None or user is None or user.practice_id != practice.id or not user.totp_secret:
        raise click.ClickException("only the demo practice's enrolled accounts have printable codes")
    click.echo(pyotp.TOTP(user.totp_key).now())
