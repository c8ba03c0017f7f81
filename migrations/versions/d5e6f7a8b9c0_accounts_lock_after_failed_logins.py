"""accounts lock after failed logins; sessions end with their account

Revision ID: d5e6f7a8b9c0
Revises: c4d5e6f7a8b9
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e6f7a8b9c0'
down_revision = 'c4d5e6f7a8b9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_accounts_failed_logins_not_negative'), 'failed_logins >= 0')
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_access_tokens_ended_by'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_access_tokens_ended_by'),
                                         "ended_by IN ('logout', 'device', 'admin', 'disabled', 'password')")


def downgrade():
    op.execute("UPDATE access_tokens SET ended_by = 'admin' WHERE ended_by IN ('disabled', 'password')")
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_access_tokens_ended_by'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_access_tokens_ended_by'),
                                         "ended_by IN ('logout', 'device', 'admin')")
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_accounts_failed_logins_not_negative'), type_='check')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
