"""rate buckets: partner keys' token buckets, shared by every app process

Revision ID: 0009_rate_bucket
Revises: 0008_tile_geometry
"""
from alembic import op
import sqlalchemy as sa

revision = "0009_rate_bucket"
down_revision = "0008_tile_geometry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_bucket",
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("refilled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["api_key.id"], name=op.f("fk_rate_bucket_key_id_api_key"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_rate_bucket")),
    )


def downgrade() -> None:
    op.drop_table("rate_bucket")
