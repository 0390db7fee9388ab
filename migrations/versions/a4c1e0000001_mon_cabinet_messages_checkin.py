"""mon cabinet: opening hours, patients' messages to the practice, calendar additions, check-ins

Revision ID: a4c1e0000001
Revises: d4c1e0000004
Create Date: 2026-11-23 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db  # noqa: F401  custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'a4c1e0000001'
down_revision = 'd4c1e0000004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opening_hours', sa.Text(), nullable=False, server_default=sa.text("''")))

    op.create_table('practice_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('sender_phone', sa.String(length=16), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=160), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('read_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('read_by_id', sa.Integer(), nullable=True),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['patient_account.id'], name=op.f('fk_practice_message_account_id_patient_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_practice_message_patient_id_patient'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_practice_message_practice_id_practice'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['read_by_id'], ['staff_user.id'], name=op.f('fk_practice_message_read_by_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_message'))
    )
    with op.batch_alter_table('practice_message', schema=None) as batch_op:
        batch_op.create_index('ix_practice_message_inbox', ['practice_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_message_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_practice_message_practice_id'), ['practice_id'], unique=False)

    op.create_table('calendar_addition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('added_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['patient_account.id'], name=op.f('fk_calendar_addition_account_id_patient_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_calendar_addition_appointment_id_appointment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_calendar_addition_practice_id_practice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_addition')),
    sa.UniqueConstraint('account_id', 'appointment_id', name='uq_calendar_addition')
    )
    with op.batch_alter_table('calendar_addition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_addition_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_addition_practice_id'), ['practice_id'], unique=False)

    op.create_table('check_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_check_in_appointment_id_appointment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['by_id'], ['staff_user.id'], name=op.f('fk_check_in_by_id_staff_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_check_in_practice_id_practice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_check_in_appointment_id'))
    )
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_practice_id'), ['practice_id'], unique=False)


def downgrade():
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_in_practice_id'))

    op.drop_table('check_in')
    with op.batch_alter_table('calendar_addition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_addition_practice_id'))
        batch_op.drop_index(batch_op.f('ix_calendar_addition_appointment_id'))

    op.drop_table('calendar_addition')
    with op.batch_alter_table('practice_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practice_message_practice_id'))
        batch_op.drop_index(batch_op.f('ix_practice_message_patient_id'))
        batch_op.drop_index('ix_practice_message_inbox')

    op.drop_table('practice_message')
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('opening_hours')
