"""Migration f4c1e0000006: Mon cabinet's messages already stored become incoming messages of
the Messagerie's inbox, on SQLite and PostgreSQL, and the migration steps back down."""
from __future__ import annotations

from datetime import datetime, timezone

from flask_migrate import downgrade, upgrade
from sqlalchemy import text as sql
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db
from portal.messaging import services
from portal.messaging.models import Direction, Message
from tests import factories
from tests.conftest import DATABASE_URL, TEST_CONFIG, TMP
from tests.database import fresh_database


def _scratch_url() -> str:
    url = make_url(DATABASE_URL)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{TMP / 'sourire-msg-migration.db'}"
    return url.set(database=f"{url.database}_migration").render_as_string(hide_password=False)


def test_existing_contact_messages_join_the_inbox(files_dir):
    url = _scratch_url()
    fresh_database(url)
    app = create_app({**TEST_CONFIG, "DATABASE_URL": url})
    with app.app_context():
        upgrade(revision="e4c1e0000005")
        practice = factories.make_practice("Cabinet Ancien")
        child = factories.make_patient(practice, parent_mobile="06 12 34 56 78", first_name="Ancien")
        db.session.execute(sql(
            "INSERT INTO practice_message (practice_id, sender_phone, patient_id, subject, body, created_at) "
            "VALUES (:p, '+33612345678', :c, 'Appareil', 'La bague est décollée.', :at)"),
            {"p": practice.id, "c": child.id, "at": datetime(2026, 11, 1, 9, tzinfo=timezone.utc)})
        db.session.commit()

        upgrade()
        db.session.expire_all()
        message = db.session.scalar(db.select(Message))
        assert message.direction is Direction.incoming and message.subject == "Appareil"
        assert message.author_id is None and not message.has_attachment and message.read_at is None
        assert [m.id for m in services.thread(practice_id=practice.id, patient_id=child.id)] == [message.id]
        assert services.unread_count(practice.id) == 1

        # Alembic runs on its own connection: ours must not hold a lock the DDL waits for.
        db.session.remove()
        downgrade(revision="e4c1e0000005")  # and back: the contact message survives both ways
        assert db.session.execute(sql("SELECT subject FROM practice_message")).scalar() == "Appareil"
        db.session.remove()
        upgrade()
        assert db.session.scalar(db.select(Message)).direction is Direction.incoming
        db.session.remove()
        db.engine.dispose()
