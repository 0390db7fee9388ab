"""refund.form_token: one refund per console form, however many times it is sent

Revision ID: b5c1e0000014
Revises: f5c1e0000012
Create Date: 2026-11-22 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5c1e0000014'
down_revision = 'f5c1e0000012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_refund_practice_id_form_token'), ['practice_id', 'form_token'])


def downgrade():
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_refund_practice_id_form_token'), type_='unique')
        batch_op.drop_column('form_token')
