"""analytics: composite indices with stored scores, budget allocations with shares

Revision ID: 0003_analytics
Revises: 0001_foundation
Create Date: 2026-11-26 08:51:29.221215
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003_analytics'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('need_source', sa.Text(), nullable=False),
    sa.Column('level', sa.Text(), nullable=False),
    sa.Column('period', sa.Text(), nullable=True),
    sa.Column('budget', sa.Numeric(precision=24, scale=0), nullable=False),
    sa.Column('parameters', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_by', sa.Text(), server_default=sa.text("'system'"), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation'))
    )
    op.create_table('composite_index',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name_fa', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('domain', sa.Text(), nullable=False),
    sa.Column('definition', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('definition_hash', sa.Text(), nullable=False),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_by', sa.Text(), server_default=sa.text("'system'"), nullable=False),
    sa.CheckConstraint("domain in ('capacity', 'deprivation')", name=op.f('ck_composite_index_domain_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_composite_index'))
    )
    op.create_index('uq_composite_index_code_hash', 'composite_index', ['code', 'definition_hash'], unique=True)
    op.create_table('allocation_share',
    sa.Column('allocation_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('need', sa.Float(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=24, scale=0), nullable=False),
    sa.Column('bound', sa.Text(), nullable=True),
    sa.CheckConstraint("bound is null or bound in ('floor', 'cap')", name=op.f('ck_allocation_share_bound_known')),
    sa.ForeignKeyConstraint(['allocation_id'], ['allocation.id'], name=op.f('fk_allocation_share_allocation_id_allocation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], name=op.f('fk_allocation_share_unit_id_admin_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('allocation_id', 'unit_id', name=op.f('pk_allocation_share'))
    )
    op.create_table('index_score',
    sa.Column('index_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.Text(), nullable=False),
    sa.Column('level', sa.Text(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('rank_overall', sa.Integer(), nullable=False),
    sa.Column('rank_in_parent', sa.Integer(), nullable=True),
    sa.Column('cluster', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['index_id'], ['composite_index.id'], name=op.f('fk_index_score_index_id_composite_index'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], name=op.f('fk_index_score_unit_id_admin_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('index_id', 'unit_id', 'period', name=op.f('pk_index_score'))
    )
    op.create_index('ix_index_score_unit_id', 'index_score', ['unit_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_index_score_unit_id', table_name='index_score')
    op.drop_table('index_score')
    op.drop_table('allocation_share')
    op.drop_index('uq_composite_index_code_hash', table_name='composite_index')
    op.drop_table('composite_index')
    op.drop_table('allocation')
