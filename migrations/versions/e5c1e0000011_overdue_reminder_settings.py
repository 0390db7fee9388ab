"""overdue reminder settings: per practice, when and how overdue payments are reminded

Revision ID: e5c1e0000011
Revises: a5c1e0000013
Create Date: 2026-11-22 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db  # noqa: F401  custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'e5c1e0000011'
down_revision = 'a5c1e0000013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('overdue_reminder_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('first_after_days', sa.Integer(), nullable=False),
    sa.Column('every_days', sa.Integer(), nullable=False),
    sa.Column('max_count', sa.Integer(), nullable=False),
    sa.Column('by_email', sa.Boolean(), nullable=False),
    sa.Column('by_sms', sa.Boolean(), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('first_after_days >= 1 AND every_days >= 1 AND max_count >= 1',
                       name=op.f('ck_overdue_reminder_settings_positive_periods')),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'],
                            name=op.f('fk_overdue_reminder_settings_practice_id_practice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_overdue_reminder_settings')),
    sa.UniqueConstraint('practice_id', name=op.f('uq_overdue_reminder_settings_practice_id'))
    )
    with op.batch_alter_table('overdue_reminder_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_overdue_reminder_settings_practice_id'), ['practice_id'], unique=False)


def downgrade():
    with op.batch_alter_table('overdue_reminder_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_overdue_reminder_settings_practice_id'))
    op.drop_table('overdue_reminder_settings')
