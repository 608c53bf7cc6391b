"""Alkire-Foster multidimensional deprivation: measure versions and their results per unit

Revision ID: 0010_deprivation_af
Revises: 0009_rate_bucket
Create Date: 2026-12-03 15:55:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0010_deprivation_af"
down_revision = "0009_rate_bucket"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "af_measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name_fa", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("definition_hash", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.Text(), server_default=sa.text("'system'"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_af_measure")),
    )
    op.create_index("uq_af_measure_code_hash_period", "af_measure", ["code", "definition_hash", "period"], unique=True)
    op.create_table(
        "af_result",
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("population", sa.Float(), nullable=False),
        sa.Column("h", sa.Float(), nullable=False),
        sa.Column("a", sa.Float(), nullable=False),
        sa.Column("m0", sa.Float(), nullable=False),
        sa.Column("censored_headcounts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("contributions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(["measure_id"], ["af_measure.id"], name=op.f("fk_af_result_measure_id_af_measure"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["admin_unit.id"], name=op.f("fk_af_result_unit_id_admin_unit"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("measure_id", "unit_id", name=op.f("pk_af_result")),
    )
    op.create_index("ix_af_result_unit_id", "af_result", ["unit_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_af_result_unit_id", table_name="af_result")
    op.drop_table("af_result")
    op.drop_index("uq_af_measure_code_hash_period", table_name="af_measure")
    op.drop_table("af_measure")
