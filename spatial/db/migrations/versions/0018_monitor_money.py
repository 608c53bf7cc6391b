"""Money of financing lines: amounts committed and disbursed, each on a day (the monitoring centre)

Revision ID: 0018_monitor_money
Revises: 0015_dask_jobs
Create Date: 2026-12-07 11:55:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0018_monitor_money"
down_revision = "0015_dask_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disbursement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("financing_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("amount_rials", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("synthetic", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("kind in ('committed', 'disbursed')", name=op.f("ck_disbursement_kind_known")),
        sa.CheckConstraint("amount_rials > 0", name=op.f("ck_disbursement_amount_positive")),
        sa.ForeignKeyConstraint(["financing_id"], ["financing.id"], name=op.f("fk_disbursement_financing_id_financing"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursement")),
    )
    op.create_index("ix_disbursement_financing_id", "disbursement", ["financing_id"])


def downgrade() -> None:
    op.drop_index("ix_disbursement_financing_id", table_name="disbursement")
    op.drop_table("disbursement")
