"""change requests from the patient space, privacy consent on portal accounts

Revision ID: d4c1e0000004
Revises: c4c1e0000003
Create Date: 2026-11-22 02:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db  # noqa: F401  custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'd4c1e0000004'
down_revision = 'c4c1e0000003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('change_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('requested_by', sa.String(length=16), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', portal.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['patient_account.id'], name=op.f('fk_change_request_account_id_patient_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff_user.id'], name=op.f('fk_change_request_decided_by_id_staff_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_change_request_patient_id_patient'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_change_request_practice_id_practice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_request'))
    )
    with op.batch_alter_table('change_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_request_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_change_request_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_change_request_practice_id'), ['practice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_change_request_state'), ['state'], unique=False)

    # Existing accounts have not seen the privacy notice: an empty version asks them at their next visit.
    with op.batch_alter_table('patient_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('privacy_consent_version', sa.String(length=20), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column('privacy_consent_at', portal.core.db.UTCDateTime(timezone=True),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('patient_account', schema=None) as batch_op:
        batch_op.drop_column('privacy_consent_at')
        batch_op.drop_column('privacy_consent_version')

    with op.batch_alter_table('change_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_request_state'))
        batch_op.drop_index(batch_op.f('ix_change_request_practice_id'))
        batch_op.drop_index(batch_op.f('ix_change_request_patient_id'))
        batch_op.drop_index(batch_op.f('ix_change_request_account_id'))

    op.drop_table('change_request')
