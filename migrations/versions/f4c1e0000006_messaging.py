"""messaging: Mon cabinet's messages become the practice's one inbox (both directions, staff
author, attachment), and predefined messages

Revision ID: f4c1e0000006
Revises: e4c1e0000005
Create Date: 2026-11-22 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import portal.core.db  # noqa: F401  custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = 'f4c1e0000006'
down_revision = 'e4c1e0000005'
branch_labels = None
depends_on = None


def _attachment_columns():
    return [sa.Column('attachment_key', sa.String(length=120), nullable=True),
            sa.Column('attachment_name', sa.String(length=200), nullable=False, server_default=''),
            sa.Column('attachment_type', sa.String(length=60), nullable=False, server_default=''),
            sa.Column('attachment_size', sa.Integer(), nullable=False, server_default='0')]


def upgrade():
    # Existing rows are Mon cabinet's contact messages: incoming, written by the patient side;
    # the server default migrates them as they are.
    with op.batch_alter_table('practice_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('direction', sa.Enum('incoming', 'outgoing', name='direction',
                                                           native_enum=False, length=8),
                                      nullable=False, server_default='incoming'))
        batch_op.add_column(sa.Column('author_id', sa.Integer(), nullable=True))
        for column in _attachment_columns():
            batch_op.add_column(column)
        batch_op.create_foreign_key(batch_op.f('fk_practice_message_author_id_staff_user'), 'staff_user',
                                    ['author_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_practice_message_thread', ['practice_id', 'patient_id', 'created_at'],
                              unique=False)

    op.create_table('message_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    *_attachment_columns(),
    sa.Column('practice_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.core.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['practice_id'], ['practice.id'], name=op.f('fk_message_template_practice_id_practice'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_template'))
    )
    with op.batch_alter_table('message_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_template_practice_id'), ['practice_id'], unique=False)


def downgrade():
    with op.batch_alter_table('message_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_template_practice_id'))
    op.drop_table('message_template')
    # The practice's replies have no place in the older table: they go with the columns.
    op.execute("DELETE FROM practice_message WHERE direction = 'outgoing'")
    with op.batch_alter_table('practice_message', schema=None) as batch_op:
        batch_op.drop_index('ix_practice_message_thread')
        batch_op.drop_constraint(batch_op.f('fk_practice_message_author_id_staff_user'), type_='foreignkey')
        for name in ('attachment_size', 'attachment_type', 'attachment_name', 'attachment_key', 'author_id',
                     'direction'):
            batch_op.drop_column(name)
