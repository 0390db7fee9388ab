"""appointment: index (practice, start) for the whole practice's planning

Revision ID: 3c0d6f1a9b21
Revises: 98e001daf390
Create Date: 2026-11-22 02:55:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3c0d6f1a9b21'
down_revision = '98e001daf390'
branch_labels = None
depends_on = None


def upgrade():
    # Outside batch mode on purpose: on SQLite a batch would rebuild the table and drop its
    # no-overlap triggers; CREATE INDEX needs no rebuild.
    op.create_index('ix_appointment_practice_time', 'appointment', ['practice_id', 'starts_at'], unique=False)


def downgrade():
    op.drop_index('ix_appointment_practice_time', table_name='appointment')
