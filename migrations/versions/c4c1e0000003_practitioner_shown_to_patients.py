"""practitioner: shown to patients (seed 000 "Actif"), apart from having an agenda

Revision ID: c4c1e0000003
Revises: b4c1e0000002
Create Date: 2026-11-22 03:25:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4c1e0000003'
down_revision = 'b4c1e0000002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shown_to_patients', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))


def downgrade():
    with op.batch_alter_table('practitioner', schema=None) as batch_op:
        batch_op.drop_column('shown_to_patients')
