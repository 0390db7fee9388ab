"""teleconsultation prepayment: a price and a prepayment flag on appointment types, and the fee
each prepaid teleconsultation owes (a table of its own: the appointment table is never altered)

Revision ID: f5c1e0000012
Revises: e5c1e0000011
Create Date: 2026-11-22 08:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f5c1e0000012'
down_revision = 'e5c1e0000011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appointment_type', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prepayment', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('price_cents', sa.Integer(), nullable=True))

    op.create_table('teleconsult_charge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointment.id'], name=op.f('fk_teleconsult_charge_appointment_id_appointment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['billing_item.id'], name=op.f('fk_teleconsult_charge_item_id_billing_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_teleconsult_charge_practice_id_practice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teleconsult_charge')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_teleconsult_charge_appointment_id'))
    )
    with op.batch_alter_table('teleconsult_charge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teleconsult_charge_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_teleconsult_charge_practice_id'), ['practice_id'], unique=False)


def downgrade():
    with op.batch_alter_table('teleconsult_charge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teleconsult_charge_practice_id'))
        batch_op.drop_index(batch_op.f('ix_teleconsult_charge_item_id'))

    op.drop_table('teleconsult_charge')
    with op.batch_alter_table('appointment_type', schema=None) as batch_op:
        batch_op.drop_column('price_cents')
        batch_op.drop_column('prepayment')
