"""wechat_bindings: WeChat accounts (openid keyed-hashed) bound to subjects for the mini-program's one-tap sign-in

Revision ID: a7c3e9f1b2d4
Revises: e3752d5a7115
Create Date: 2026-12-03 06:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9f1b2d4'
down_revision = 'e3752d5a7115'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('wechat_bindings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid_hash', sa.String(length=64), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('bound_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('proved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_wechat_bindings_subject_id_subjects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wechat_bindings')),
    sa.UniqueConstraint('openid_hash', name=op.f('uq_wechat_bindings_openid_hash'))
    )
    with op.batch_alter_table('wechat_bindings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wechat_bindings_subject_id'), ['subject_id'], unique=False)


def downgrade():
    with op.batch_alter_table('wechat_bindings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wechat_bindings_subject_id'))
    op.drop_table('wechat_bindings')
