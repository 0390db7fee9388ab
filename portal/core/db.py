"""Column types, mixins and the one commit helper shared by every domain."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.types import TypeDecorator

from portal.extensions import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """An instant, always returned timezone-aware in UTC.

    PostgreSQL keeps the zone itself; SQLite keeps naive text, so values are converted to UTC
    on the way in and marked UTC on the way out. A naive datetime is refused: it is a bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class PracticeOwned:
    """Every practice-owned row carries `practice_id` (tenancy invariant)."""

    @declared_attr
    def practice_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("practice.id", ondelete="CASCADE"), index=True)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def commit() -> None:
    """The one place an entry point (request, job, CLI command) commits.

    Jobs enqueued during the unit of work are handed to the queue only after the commit
    succeeds (see portal.core.jobs), so a worker never sees rows that were rolled back.
    """
    from portal.core import jobs

    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        jobs.discard_pending()
        raise
    jobs.flush_pending()


def insert_or_ignore(model, values: dict, conflict_columns: list):
    """INSERT … ON CONFLICT DO NOTHING, on PostgreSQL and SQLite alike.

    For rows that two requests may create at the same moment (a double tap): the loser's insert
    does nothing instead of failing, and it then reads the winner's row. Add `.returning(...)`.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]
    return insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict_columns)


def insert_many_or_ignore(model, rows: list[dict], conflict_columns: list, *, returning: tuple = ()) -> list:
    """INSERT … ON CONFLICT DO NOTHING [RETURNING …] of many rows, on PostgreSQL and SQLite
    (≥ 3.35) alike, in one statement per thousand rows or so rather than one per row: with
    RETURNING, SQLAlchemy's "insertmanyvalues" sends multi-row VALUES (batched under each
    database's parameter limit); without, the driver's executemany. Core rather than the ORM:
    building the statement per row in Python cost more than the database's work. Every row must
    have the same keys. Returns the RETURNING rows of the rows written (a row whose conflict
    columns already exist returns nothing)."""
    from sqlalchemy.dialects import postgresql, sqlite

    if not rows:
        return []
    table = model.__table__
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]
    stmt = insert(table).on_conflict_do_nothing(index_elements=[getattr(c, "key", c) for c in conflict_columns])
    if not returning:
        db.session.execute(stmt, rows)
        return []
    return db.session.execute(stmt.returning(*(table.c[c.key] for c in returning)), rows).all()


def bump(column, row_id: int, by: int = 1) -> int:
    """Add `by` to an integer column of one row in a single statement and return the new value.

    Counters that guard secrets (wrong passwords, wrong codes) must not be read, changed in
    Python and written back: parallel requests would each see the old value.
    """
    from sqlalchemy import update
    from sqlalchemy.orm import attributes

    model = column.class_
    new = db.session.execute(
        update(model).where(model.id == row_id).values({column.key: column + by}).returning(column)
    ).scalar_one()
    obj = db.session.identity_map.get(db.session.identity_key(model, row_id))
    if obj is not None:
        attributes.set_committed_value(obj, column.key, new)
    return new


def move_in_order(rows: list, row, *, up: bool) -> bool:
    """Swap `row` with its neighbour above (`up`) or below in `rows` and renumber every row's
    `position` 0, 1, 2… (so gaps and ties left by deletions disappear). False at either end."""
    i = rows.index(row)
    j = i - 1 if up else i + 1
    if not 0 <= j < len(rows):
        return False
    rows[i], rows[j] = rows[j], rows[i]
    for position, item in enumerate(rows):
        item.position = position
    db.session.flush()
    return True
