"""`flask practice ...`: operator commands for practices."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.core.audit import Actor
from portal.core.db import commit
from portal.core.errors import DomainError
from portal.core.services import create_practice

practice_cli = AppGroup("practice", help="Create and list practices.")


def fail(exc: DomainError) -> None:
    raise click.ClickException(exc.message)


@practice_cli.command("create")
@click.option("--name", required=True, help="Practice name shown to patients.")
@click.option("--slug", help="Address part, e.g. cabinet-martin (default: from the name).")
@click.option("--timezone", default="Europe/Paris", show_default=True, help="IANA time zone.")
@click.option("--address", default="", help="Street address.")
@click.option("--postal-code", default="", help="Postal code.")
@click.option("--city", default="", help="City.")
@click.option("--phone", default="", help="Secretariat phone.")
@click.option("--email", default="", help="Contact e-mail.")
def create(name, slug, timezone, address, postal_code, city, phone, email):
    """Create a practice. Prints its id, slug and public code (the "identifiant de cabinet")."""
    try:
        p = create_practice(name=name, slug=slug, timezone=timezone, address=address, postal_code=postal_code,
                            city=city, phone=phone, email=email, actor=Actor.operator())
    except DomainError as exc:
        fail(exc)
    commit()
    click.echo(f"practice {p.id} created: slug={p.slug} code={p.public_code}")


@practice_cli.command("list")
def list_():
    """List practices."""
    from sqlalchemy import select

    from portal.core.models import Practice
    from portal.extensions import db

    for p in db.session.scalars(select(Practice).order_by(Practice.id)):
        click.echo(f"{p.id}\t{p.slug}\t{p.public_code}\t{p.name}")
