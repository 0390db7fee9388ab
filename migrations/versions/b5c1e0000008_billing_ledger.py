"""billing ledger: schedule installments and fees a patient's file owes, payments, and the
allocations of payments to items (paid and remaining are computed from them)

Revision ID: b5c1e0000008
Revises: f4c1e0000006
Create Date: 2026-11-22 06:02:47.755861

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db  # noqa: F401  custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'b5c1e0000008'
down_revision = 'f4c1e0000006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('billing_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('installment', 'fee', name='itemkind', native_enum=False, length=12), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('care_date', sa.Date(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('processed', sa.Boolean(), nullable=False),
    sa.Column('responsible_id', sa.Integer(), nullable=True),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_billing_item_amount_positive')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_billing_item_patient_id_patient'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_billing_item_practice_id_practice'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['responsible_id'], ['responsible.id'], name=op.f('fk_billing_item_responsible_id_responsible'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_item'))
    )
    with op.batch_alter_table('billing_item', schema=None) as batch_op:
        batch_op.create_index('ix_billing_item_patient', ['practice_id', 'patient_id', 'due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_item_practice_id'), ['practice_id'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('cheque', 'card', 'transfer', 'cash', 'online', name='paymentmethod', native_enum=False, length=12), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=True),
    sa.Column('payer_name', sa.String(length=170), nullable=False),
    sa.Column('reference', sa.String(length=80), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_payment_amount_positive')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_payment_patient_id_patient'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payer_id'], ['responsible.id'], name=op.f('fk_payment_payer_id_responsible'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_payment_practice_id_practice'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_payment_recorded_by_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index('ix_payment_day', ['practice_id', 'paid_on'], unique=False)
        batch_op.create_index('ix_payment_patient', ['practice_id', 'patient_id', 'paid_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_practice_id'), ['practice_id'], unique=False)

    op.create_table('allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_allocation_amount_positive')),
    sa.ForeignKeyConstraint(['item_id'], ['billing_item.id'], name=op.f('fk_allocation_item_id_billing_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_allocation_payment_id_payment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_allocation_practice_id_practice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation'))
    )
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocation_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_practice_id'), ['practice_id'], unique=False)



def downgrade():
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocation_practice_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_payment_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_item_id'))

    op.drop_table('allocation')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_practice_id'))
        batch_op.drop_index('ix_payment_patient')
        batch_op.drop_index('ix_payment_day')

    op.drop_table('payment')
    with op.batch_alter_table('billing_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_item_practice_id'))
        batch_op.drop_index('ix_billing_item_patient')

    op.drop_table('billing_item')
