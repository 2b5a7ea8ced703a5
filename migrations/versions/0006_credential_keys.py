"""Open Badges: each body's credential-signing key

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('credential_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('public_key_multibase', sa.String(length=64), nullable=False),
    sa.Column('encrypted_private_key', sa.LargeBinary(), nullable=False),
    sa.Column('master_key_fingerprint', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_credential_keys_body_id_bodies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credential_keys')),
    sa.UniqueConstraint('key_id', name=op.f('uq_credential_keys_key_id'))
    )
    with op.batch_alter_table('credential_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credential_keys_body_id'), ['body_id'], unique=False)
        batch_op.create_index('uq_credential_keys_active_body', ['body_id'], unique=True, sqlite_where=sa.text('retired_at IS NULL'), postgresql_where=sa.text('retired_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('credential_keys', schema=None) as batch_op:
        batch_op.drop_index('uq_credential_keys_active_body', sqlite_where=sa.text('retired_at IS NULL'), postgresql_where=sa.text('retired_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_credential_keys_body_id'))

    op.drop_table('credential_keys')
