"""roadmaps: roadmaps, actions, financing, key results, measurements, progress cores,
past plans, organisations, people, handovers and the history of every edit

Revision ID: 0004_roadmaps
Revises: 0003_analytics
Create Date: 2026-11-26 08:51:55.179684
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2
from sqlalchemy.dialects import postgresql

revision = '0004_roadmaps'
down_revision = '0003_analytics'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('history',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('entity', sa.Text(), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('roadmap_id', sa.Integer(), nullable=True),
    sa.Column('operation', sa.Text(), nullable=False),
    sa.Column('author', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.CheckConstraint("entity in ('roadmap', 'action', 'measurement', 'core', 'past_plan', 'organisation', 'person')", name=op.f('ck_history_entity_known')),
    sa.CheckConstraint("operation in ('create', 'update', 'delete')", name=op.f('ck_history_operation_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history'))
    )
    op.create_index('ix_history_entity_entity_id_at', 'history', ['entity', 'entity_id', 'at'], unique=False)
    op.create_index('ix_history_roadmap_id_at', 'history', ['roadmap_id', 'at'], unique=False)
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('contact', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=False),
    sa.CheckConstraint("kind in ('government', 'economic_sponsor', 'cooperative', 'ngo', 'other')", name=op.f('ck_organisation_kind_known')),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], name=op.f('fk_organisation_unit_id_admin_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation'))
    )
    op.create_table('past_plan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('start_year', sa.Integer(), nullable=True),
    sa.Column('end_year', sa.Integer(), nullable=True),
    sa.Column('sector', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('strengths', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('weaknesses', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('spread', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('lessons', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=False),
    sa.CheckConstraint("outcome in ('succeeded', 'partial', 'failed')", name=op.f('ck_past_plan_outcome_known')),
    sa.CheckConstraint('end_year is null or start_year is null or end_year >= start_year', name=op.f('ck_past_plan_years_ordered')),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], name=op.f('fk_past_plan_unit_id_admin_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_past_plan'))
    )
    op.create_index('ix_past_plan_unit_id', 'past_plan', ['unit_id'], unique=False)
    op.create_table('progress_core',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('members_count', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('stage', sa.Text(), server_default=sa.text("'identified'"), nullable=False),
    sa.Column('assessment', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('training', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=False),
    sa.CheckConstraint("stage in ('identified', 'assessed', 'selected', 'trained')", name=op.f('ck_progress_core_stage_known')),
    sa.CheckConstraint('members_count >= 0', name=op.f('ck_progress_core_members_nonnegative')),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], name=op.f('fk_progress_core_unit_id_admin_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_core'))
    )
    op.create_table('person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('role', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('contact', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_person_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], name=op.f('fk_person_unit_id_admin_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person'))
    )
    op.create_table('roadmap',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('status', sa.Text(), server_default=sa.text("'draft'"), nullable=False),
    sa.Column('responsible_person_id', sa.Integer(), nullable=True),
    sa.Column('responsible_organisation_id', sa.Integer(), nullable=True),
    sa.Column('sponsor_id', sa.Integer(), nullable=True),
    sa.Column('parent_roadmap_id', sa.Integer(), nullable=True),
    sa.Column('core_id', sa.Integer(), nullable=True),
    sa.Column('current_state', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('capacities', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('advantages', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('strategies', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=False),
    sa.CheckConstraint("status in ('draft', 'approved', 'archived')", name=op.f('ck_roadmap_status_known')),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_roadmap_period_ordered')),
    sa.ForeignKeyConstraint(['core_id'], ['progress_core.id'], name=op.f('fk_roadmap_core_id_progress_core'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_roadmap_id'], ['roadmap.id'], name=op.f('fk_roadmap_parent_roadmap_id_roadmap'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['responsible_organisation_id'], ['organisation.id'], name=op.f('fk_roadmap_responsible_organisation_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['responsible_person_id'], ['person.id'], name=op.f('fk_roadmap_responsible_person_id_person'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['sponsor_id'], ['organisation.id'], name=op.f('fk_roadmap_sponsor_id_organisation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_unit.id'], name=op.f('fk_roadmap_unit_id_admin_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roadmap'))
    )
    op.create_index('ix_roadmap_unit_id', 'roadmap', ['unit_id'], unique=False)
    op.create_table('action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('roadmap_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('sector', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('geom', geoalchemy2.types.Geometry(srid=4326, dimension=2, from_text='ST_GeomFromEWKT', name='geometry', nullable=True), nullable=True),
    sa.Column('target_group', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('target_size', sa.Integer(), nullable=True),
    sa.Column('jobs_expected', sa.Integer(), nullable=True),
    sa.Column('responsible_person_id', sa.Integer(), nullable=True),
    sa.Column('sponsor_id', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('status', sa.Text(), server_default=sa.text("'planned'"), nullable=False),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=False),
    sa.CheckConstraint("status in ('planned', 'in_progress', 'done', 'stalled', 'cancelled')", name=op.f('ck_action_status_known')),
    sa.CheckConstraint('end_date is null or start_date is null or end_date >= start_date', name=op.f('ck_action_dates_ordered')),
    sa.CheckConstraint('geom is null or ST_IsValid(geom)', name=op.f('ck_action_geom_valid')),
    sa.CheckConstraint('jobs_expected is null or jobs_expected >= 0', name=op.f('ck_action_jobs_nonnegative')),
    sa.CheckConstraint('target_size is null or target_size >= 0', name=op.f('ck_action_target_size_nonnegative')),
    sa.ForeignKeyConstraint(['responsible_person_id'], ['person.id'], name=op.f('fk_action_responsible_person_id_person'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['roadmap_id'], ['roadmap.id'], name=op.f('fk_action_roadmap_id_roadmap'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sponsor_id'], ['organisation.id'], name=op.f('fk_action_sponsor_id_organisation'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action'))
    )
    # GeoAlchemy2 creates the GiST index idx_action_geom with the table.
    op.create_index('ix_action_roadmap_id', 'action', ['roadmap_id'], unique=False)
    op.create_table('handover',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_person_id', sa.Integer(), nullable=False),
    sa.Column('to_person_id', sa.Integer(), nullable=False),
    sa.Column('roadmap_id', sa.Integer(), nullable=True),
    sa.Column('handed_over_on', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('transferred', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.CheckConstraint('from_person_id <> to_person_id', name=op.f('ck_handover_different_people')),
    sa.ForeignKeyConstraint(['from_person_id'], ['person.id'], name=op.f('fk_handover_from_person_id_person'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['roadmap_id'], ['roadmap.id'], name=op.f('fk_handover_roadmap_id_roadmap'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['to_person_id'], ['person.id'], name=op.f('fk_handover_to_person_id_person'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handover'))
    )
    op.create_table('financing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('amount_rials', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.CheckConstraint("source in ('investment_fund', 'bank_loan', 'sponsor', 'government_budget', 'people')", name=op.f('ck_financing_source_known')),
    sa.CheckConstraint('amount_rials >= 0', name=op.f('ck_financing_amount_nonnegative')),
    sa.ForeignKeyConstraint(['action_id'], ['action.id'], name=op.f('fk_financing_action_id_action'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_financing'))
    )
    op.create_index('ix_financing_action_id', 'financing', ['action_id'], unique=False)
    op.create_table('key_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.Text(), nullable=False),
    sa.Column('unit_of_measure', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('target_date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['action.id'], name=op.f('fk_key_result_action_id_action'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_result'))
    )
    op.create_index('ix_key_result_action_id', 'key_result', ['action_id'], unique=False)
    op.create_table('measurement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_result_id', sa.Integer(), nullable=False),
    sa.Column('measured_on', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('source', sa.Text(), server_default=sa.text("''"), nullable=False),
    sa.Column('reported_by', sa.Text(), nullable=False),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['key_result_id'], ['key_result.id'], name=op.f('fk_measurement_key_result_id_key_result'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurement'))
    )
    op.create_index('ix_measurement_key_result_id_measured_on', 'measurement', ['key_result_id', 'measured_on'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_measurement_key_result_id_measured_on', table_name='measurement')
    op.drop_table('measurement')
    op.drop_index('ix_key_result_action_id', table_name='key_result')
    op.drop_table('key_result')
    op.drop_index('ix_financing_action_id', table_name='financing')
    op.drop_table('financing')
    op.drop_table('handover')
    op.drop_index('ix_action_roadmap_id', table_name='action')
    op.drop_table('action')
    op.drop_index('ix_roadmap_unit_id', table_name='roadmap')
    op.drop_table('roadmap')
    op.drop_table('person')
    op.drop_table('progress_core')
    op.drop_index('ix_past_plan_unit_id', table_name='past_plan')
    op.drop_table('past_plan')
    op.drop_table('organisation')
    op.drop_index('ix_history_roadmap_id_at', table_name='history')
    op.drop_index('ix_history_entity_entity_id_at', table_name='history')
    op.drop_table('history')
