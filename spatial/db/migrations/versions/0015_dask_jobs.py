"""Derivation jobs: overlay derivations run in the background (on a Dask cluster), their state and progress

Revision ID: 0015_dask_jobs
Revises: 0010_deprivation_af
Create Date: 2026-12-07 09:20:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0015_dask_jobs"
down_revision = "0017_versions_and_signin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "derivation_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("request", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", sa.Text(), server_default=sa.text("'queued'"), nullable=False),
        sa.Column("done", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("total", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state in ('queued', 'running', 'done', 'failed', 'cancelled')",
                           name=op.f("ck_derivation_job_state_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_derivation_job")),
    )


def downgrade() -> None:
    op.drop_table("derivation_job")
