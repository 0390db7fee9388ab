"""invitations: templates with merge fields and the record of each send

Revision ID: e4c1e0000005
Revises: a4c1e0000001
Create Date: 2026-11-22 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db  # noqa: F401  custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'e4c1e0000005'
down_revision = 'a4c1e0000001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invitation_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('channel', sa.Enum('letter', 'email', 'sms', name='invitationchannel', native_enum=False, length=10), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_invitation_template_practice_id_practice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_template'))
    )
    with op.batch_alter_table('invitation_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_template_practice_id'), ['practice_id'], unique=False)

    op.create_table('invitation_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('template_name', sa.String(length=120), nullable=False),
    sa.Column('channel', sa.Enum('letter', 'email', 'sms', name='invitationchannel', native_enum=False, length=10), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('mass', sa.Boolean(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('staff_label', sa.String(length=200), nullable=False),
    sa.Column('patient_ids', sa.JSON(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('segments', sa.Integer(), nullable=False),
    sa.Column('queued', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_invitation_batch_practice_id_practice'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], name=op.f('fk_invitation_batch_staff_user_id_staff_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['template_id'], ['invitation_template.id'], name=op.f('fk_invitation_batch_template_id_invitation_template'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_batch')),
    sa.UniqueConstraint('practice_id', 'token', name='uq_invitation_batch_token')
    )
    with op.batch_alter_table('invitation_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_batch_practice_id'), ['practice_id'], unique=False)


def downgrade():
    with op.batch_alter_table('invitation_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_batch_practice_id'))
    op.drop_table('invitation_batch')
    with op.batch_alter_table('invitation_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_template_practice_id'))
    op.drop_table('invitation_template')
