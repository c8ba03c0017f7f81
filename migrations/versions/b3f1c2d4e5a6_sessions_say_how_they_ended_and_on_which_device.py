"""sessions say how they ended and on which device

Revision ID: b3f1c2d4e5a6
Revises: a88fc1c78e90
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3f1c2d4e5a6'
down_revision = 'a88fc1c78e90'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_by', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('device', sa.String(length=40), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_access_tokens_ended_by'),
                                         "ended_by IN ('logout', 'device', 'admin')")


def downgrade():
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_access_tokens_ended_by'), type_='check')
        batch_op.drop_column('device')
        batch_op.drop_column('ended_by')
