"""code batches replace subjects.qr_ref: codes name a random batch tag, only the server links it to the subject

Revision ID: e3752d5a7115
Revises: e8f9a0b1c2d3
Create Date: 2026-12-06 10:00:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e3752d5a7115'
down_revision = 'e8f9a0b1c2d3'
branch_labels = None
depends_on = None


def _foreign_keys(on: bool) -> None:
    """SQLite rebuilds `subjects` to change it, and dropping a table others point at fails while it checks them."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    op.create_table('code_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('online', 'offline')", name=op.f('ck_code_batches_kind')),
    sa.ForeignKeyConstraint(['subject_id'], ['subjects.id'], name=op.f('fk_code_batches_subject_id_subjects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_batches')),
    sa.UniqueConstraint('tag', name=op.f('uq_code_batches_tag'))
    )
    with op.batch_alter_table('code_batches', schema=None) as batch_op:
        batch_op.create_index('ix_code_batches_subject_live', ['subject_id', 'kind', 'valid_until'], unique=False)
        batch_op.create_index('ix_code_batches_valid_until', ['valid_until'], unique=False)

    _foreign_keys(False)
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_subjects_qr_ref'), type_='unique')
        batch_op.drop_column('qr_ref')
    _foreign_keys(True)


def downgrade():
    # Every subject gets a fresh random reference of the old alphabet (base32 letters and digits).
    _foreign_keys(False)
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qr_ref', sa.VARCHAR(length=8), nullable=True))
    subjects = sa.table('subjects', sa.column('id', sa.Integer), sa.column('qr_ref', sa.String))
    connection = op.get_bind()
    ids = connection.execute(sa.select(subjects.c.id)).scalars().all()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    if ids:
        connection.execute(subjects.update().where(subjects.c.id == sa.bindparam('subject_id'))
                           .values(qr_ref=sa.bindparam('ref')),
                           [{'subject_id': id_, 'ref': ''.join(secrets.choice(alphabet) for _ in range(8))}
                            for id_ in ids])
    with op.batch_alter_table('subjects', schema=None) as batch_op:
        batch_op.alter_column('qr_ref', existing_type=sa.VARCHAR(length=8), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_subjects_qr_ref'), ['qr_ref'])
    _foreign_keys(True)

    with op.batch_alter_table('code_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_code_batches_valid_until')
        batch_op.drop_index('ix_code_batches_subject_live')

    op.drop_table('code_batches')
