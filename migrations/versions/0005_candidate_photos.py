"""Candidates' photos, checked and re-encoded

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('candidate_photos',
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_candidate_photos_candidate_id_candidates'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('candidate_id', name=op.f('pk_candidate_photos'))
    )


def downgrade() -> None:
    op.drop_table('candidate_photos')
