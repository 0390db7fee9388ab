"""`flask staff ...`: operator commands for staff accounts."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.accounts import staff_admin
from portal.accounts.models import Role, StaffUser
from portal.core.audit import Actor
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.services import get_practice
from portal.extensions import db

staff_cli = AppGroup("staff", help="Create, disable and help staff accounts.")


def _user(email: str) -> StaffUser:
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no staff account for {email}")
    return user


@staff_cli.command("create")
@click.option("--practice", "practice_ref", required=True, help="Practice id, slug or public code.")
@click.option("--email", required=True, help="Sign-in e-mail.")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="owner", show_default=True)
@click.option("--first-name", default="", help="First name.")
@click.option("--last-name", default="", help="Last name.")
@click.option("--invite/--password", default=True, show_default=True,
              help="Send an invitation e-mail (default), or prompt for a password now.")
def create(practice_ref, email, role, first_name, last_name, invite):
    """Create a staff account. With --invite, the person gets a single-use link by e-mail to
    choose a password and enrol an authenticator app; with --password you type it here and the
    authenticator is enrolled at first sign-in."""
    try:
        practice = get_practice(practice_ref)
        if invite:
            staff_admin.invite_staff(practice_id=practice.id, email=email, role=Role(role), by=None,
                                     actor=Actor.operator())
            commit()
            click.echo(f"invitation sent to {email} (see the outbox if no MAIL_URL is set)")
            return
        password = click.prompt("Password (12 characters or more)", hide_input=True, confirmation_prompt=True)
        user = staff_admin.create_staff(practice=practice, email=email, role=Role(role), first_name=first_name,
                                        last_name=last_name, password=password, actor=Actor.operator())
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    commit()
    click.echo(f"staff {user.id} created: {user.email} ({user.role.value}); authenticator enrolled at first sign-in")


@staff_cli.command("disable")
@click.argument("email")
def disable(email):
    """Disable a staff account; its open sessions end at once."""
    user = _user(email)
    if user.active:
        try:
            staff_admin.set_active(user, False, by=None, actor=Actor.operator())
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
    commit()
    click.echo(f"{user.email} disabled")


@staff_cli.command("enable")
@click.argument("email")
def enable(email):
    """Re-enable a disabled staff account."""
    user = _user(email)
    staff_admin.set_active(user, True, by=None, actor=Actor.operator())
    commit()
    click.echo(f"{user.email} enabled")


@staff_cli.command("reset-2fa")
@click.argument("email")
def reset_2fa(email):
    """Remove a lost authenticator: after checking who asks, the next sign-in enrols a new one."""
    user = _user(email)
    staff_admin.reset_two_factor(user, actor=Actor.operator())
    commit()
    click.echo(f"{user.email}: authenticator and recovery codes removed; sessions ended")


@staff_cli.command("list")
@click.option("--practice", "practice_ref", help="Practice id, slug or public code.")
def list_(practice_ref):
    """List staff accounts."""
    q = select(StaffUser).order_by(StaffUser.practice_id, StaffUser.email)
    if practice_ref:
        try:
            q = q.where(StaffUser.practice_id == get_practice(practice_ref).id)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
    for u in db.session.scalars(q):
        state = "active" if u.active else "disabled"
        tfa = "2fa" if u.totp_confirmed_at else "no-2fa"
        click.echo(f"{u.id}\t{u.practice_id}\t{u.email}\t{u.role.value}\t{state}\t{tfa}")
