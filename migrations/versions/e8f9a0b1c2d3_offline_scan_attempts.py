"""scan attempts decided offline: the offline mark, the counter's key per item, the duplicates' index

Revision ID: e8f9a0b1c2d3
Revises: d5e6f7a8b9c0
Create Date: 2026-12-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e8f9a0b1c2d3'
down_revision = 'd5e6f7a8b9c0'
branch_labels = None
depends_on = None

DUPLICATE = sa.text("reason = 'duplicate_offline'")


def upgrade():
    with op.batch_alter_table('scan_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offline', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=80), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_scan_attempts_staff_id_idempotency_key"),
                                          ["staff_id", "idempotency_key"])
    op.create_index('ix_scan_attempts_duplicate_at', 'scan_attempts', ['at'], unique=False,
                    sqlite_where=DUPLICATE, postgresql_where=DUPLICATE)


def downgrade():
    op.drop_index('ix_scan_attempts_duplicate_at', table_name='scan_attempts')
    with op.batch_alter_table('scan_attempts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_scan_attempts_staff_id_idempotency_key'), type_='unique')
        batch_op.drop_column('idempotency_key')
        batch_op.drop_column('offline')
