"""reminder rules per portal account, the visits each reminder covered, the sweep's mark

Revision ID: b4c1e0000002
Revises: 3c0d6f1a9b21
Create Date: 2026-11-23 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db  # noqa: F401  custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'b4c1e0000002'
down_revision = '3c0d6f1a9b21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reminder_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('at_time', sa.Time(), nullable=False),
    sa.Column('sms', sa.Boolean(), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('notice', sa.Boolean(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['patient_account.id'], name=op.f('fk_reminder_rule_account_id_patient_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_reminder_rule_practice_id_practice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_rule')),
    sa.UniqueConstraint('account_id', 'days_before', 'at_time', name='uq_reminder_rule')
    )
    with op.batch_alter_table('reminder_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_rule_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_rule_practice_id'), ['practice_id'], unique=False)

    op.create_table('reminder_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('message_key', sa.String(length=120), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_reminder_sent_appointment_id_appointment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_reminder_sent_practice_id_practice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_sent')),
    sa.UniqueConstraint('key', name=op.f('uq_reminder_sent_key'))
    )
    with op.batch_alter_table('reminder_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_sent_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_sent_message_key'), ['message_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_sent_practice_id'), ['practice_id'], unique=False)

    op.create_table('reminder_sweep',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('swept_until', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_sweep'))
    )

    with op.batch_alter_table('patient_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminders_customised', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('patient_account', schema=None) as batch_op:
        batch_op.drop_column('reminders_customised')

    op.drop_table('reminder_sweep')
    with op.batch_alter_table('reminder_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_sent_practice_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_sent_message_key'))
        batch_op.drop_index(batch_op.f('ix_reminder_sent_appointment_id'))
    op.drop_table('reminder_sent')
    with op.batch_alter_table('reminder_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_rule_practice_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_rule_account_id'))
    op.drop_table('reminder_rule')
