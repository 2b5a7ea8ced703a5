"""registry PKI (root and body signing keys), cached certificate PDFs, QR payload signatures

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signing_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('role', sa.String(length=4), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=True),
    sa.Column('certificate_pem', sa.Text(), nullable=False),
    sa.Column('encrypted_private_key', sa.LargeBinary(), nullable=False),
    sa.Column('master_key_fingerprint', sa.String(length=16), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(role = 'root') = (body_id IS NULL)", name=op.f('ck_signing_keys_root_has_no_body')),
    sa.CheckConstraint("role IN ('root', 'body')", name=op.f('ck_signing_keys_role')),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_signing_keys_body_id_bodies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_keys')),
    sa.UniqueConstraint('key_id', name=op.f('uq_signing_keys_key_id'))
    )
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signing_keys_body_id'), ['body_id'], unique=False)
        batch_op.create_index('uq_signing_keys_active_body', ['body_id'], unique=True, sqlite_where=sa.text('retired_at IS NULL'), postgresql_where=sa.text('retired_at IS NULL'))
        batch_op.create_index('uq_signing_keys_one_root', ['role'], unique=True, sqlite_where=sa.text("role = 'root'"), postgresql_where=sa.text("role = 'root'"))

    op.create_table('certificate_pdfs',
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_certificate_pdfs_certificate_id_certificates')),
    sa.PrimaryKeyConstraint('certificate_id', name=op.f('pk_certificate_pdfs'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qr_signature', sa.String(length=100), nullable=False, server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('qr_signature')

    op.drop_table('certificate_pdfs')
    with op.batch_alter_table('signing_keys', schema=None) as batch_op:
        batch_op.drop_index('uq_signing_keys_one_root', sqlite_where=sa.text("role = 'root'"), postgresql_where=sa.text("role = 'root'"))
        batch_op.drop_index('uq_signing_keys_active_body', sqlite_where=sa.text('retired_at IS NULL'), postgresql_where=sa.text('retired_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_signing_keys_body_id'))

    op.drop_table('signing_keys')
