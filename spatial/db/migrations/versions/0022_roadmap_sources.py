"""roadmap sources: where a roadmap's parts and an action came from (#27)

A roadmap made by consolidating past plans and roadmaps («اجماع») names them in
``roadmap.sources``; an action taken from a similar place's roadmap or past plan names
it in ``action.source``. Both are kept as written at the time (kind, id, title, unit), so
they still say where the item came from if the source is later renamed or deleted.

Revision ID: 0022_roadmap_sources
Revises: 0015_dask_jobs
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

revision = "0022_roadmap_sources"
down_revision = "0015_dask_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("roadmap", sa.Column("sources", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False))
    op.add_column("action", sa.Column("source", JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("action", "source")
    op.drop_column("roadmap", "sources")
