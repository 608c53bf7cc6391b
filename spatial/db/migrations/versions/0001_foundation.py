"""foundation: units, indicators, layer catalogue

Revision ID: 0001_foundation
Revises: 
Create Date: 2026-11-26 08:40:46.632548
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2
from sqlalchemy.dialects import postgresql

revision = '0001_foundation'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("create extension if not exists postgis")
    # Per-layer tables live in their own schema, out of the way of ours.
    op.execute("create schema if not exists layers")
    op.create_table('admin_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('level', sa.Text(), nullable=False),
    sa.Column('name_fa', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('population', sa.BigInteger(), nullable=True),
    sa.Column('valid_from', sa.Date(), server_default=sa.text("'1900-01-01'"), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('meta', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('geom', geoalchemy2.types.Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.CheckConstraint("level in ('province', 'county', 'district', 'rural_district', 'neighbourhood', 'village')", name=op.f('ck_admin_unit_level_known')),
    sa.CheckConstraint('ST_IsValid(geom)', name=op.f('ck_admin_unit_geom_valid')),
    sa.CheckConstraint('population is null or population >= 0', name=op.f('ck_admin_unit_population_nonnegative')),
    sa.CheckConstraint('valid_to is null or valid_to > valid_from', name=op.f('ck_admin_unit_valid_range')),
    sa.ForeignKeyConstraint(['parent_id'], ['admin_unit.id'], name=op.f('fk_admin_unit_parent_id_admin_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_unit'))
    )
    # GeoAlchemy2 creates the GiST index idx_admin_unit_geom with the table.
    op.create_index('ix_admin_unit_current_code', 'admin_unit', ['code'], unique=True, postgresql_where=sa.text('valid_to is null'))
    op.create_index('ix_admin_unit_level', 'admin_unit', ['level'], unique=False)
    op.create_index('ix_admin_unit_parent_id', 'admin_unit', ['parent_id'], unique=False)
    op.create_index('uq_admin_unit_code_version', 'admin_unit', ['code', 'valid_from'], unique=True)
    op.create_table('indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name_fa', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('unit_of_measure', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('domain', sa.Text(), nullable=False),
    sa.Column('direction', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('rollup', sa.Text(), server_default=sa.text("'weighted_mean'"), nullable=False),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('meta', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.CheckConstraint("direction in ('higher_is_better', 'higher_is_worse')", name=op.f('ck_indicator_direction_known')),
    sa.CheckConstraint("domain in ('capacity', 'deprivation', 'target_community', 'context')", name=op.f('ck_indicator_domain_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator')),
    sa.UniqueConstraint('code', name=op.f('uq_indicator_code'))
    )
    op.create_table('layer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), server_default=sa.text("'context'"), nullable=False),
    sa.Column('storage', sa.Text(), nullable=False),
    sa.Column('table_name', sa.Text(), nullable=True),
    sa.Column('raster_path', sa.Text(), nullable=True),
    sa.Column('geometry_type', sa.Text(), nullable=True),
    sa.Column('source_crs', sa.Text(), nullable=True),
    sa.Column('source_file', sa.Text(), nullable=True),
    sa.Column('feature_count', sa.BigInteger(), nullable=True),
    sa.Column('bbox', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('columns', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('details', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('previous_versions', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_by', sa.Text(), server_default=sa.text("'system'"), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind in ('capacity', 'deprivation', 'context')", name=op.f('ck_layer_kind_known')),
    sa.CheckConstraint("slug ~ '^[a-z][a-z0-9_]{0,62}$'", name=op.f('ck_layer_slug_safe')),
    sa.CheckConstraint("storage in ('vector', 'raster')", name=op.f('ck_layer_storage_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_layer')),
    sa.UniqueConstraint('slug', name=op.f('uq_layer_slug'))
    )
    op.create_table('pishraft_meta',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('value', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_pishraft_meta'))
    )
    op.create_table('indicator_value',
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.Text(), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_indicator_value_indicator_id_indicator'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], name=op.f('fk_indicator_value_unit_id_admin_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('indicator_id', 'unit_id', 'period', name=op.f('pk_indicator_value'))
    )
    op.create_index('ix_indicator_value_unit_id', 'indicator_value', ['unit_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_indicator_value_unit_id', table_name='indicator_value')
    op.drop_table('indicator_value')
    op.drop_table('pishraft_meta')
    op.drop_table('layer')
    op.drop_table('indicator')
    op.drop_index('uq_admin_unit_code_version', table_name='admin_unit')
    op.drop_index('ix_admin_unit_parent_id', table_name='admin_unit')
    op.drop_index('ix_admin_unit_level', table_name='admin_unit')
    op.drop_index('ix_admin_unit_current_code', table_name='admin_unit', postgresql_where=sa.text('valid_to is null'))
    op.drop_table('admin_unit')
    op.execute("drop schema if exists layers cascade")
