"""versions on editable objects; sign-in failures and locks; signed-in sessions

Revision ID: 0017_versions_and_signin
Revises: 0010_deprivation_af
"""
from alembic import op
import sqlalchemy as sa

revision = "0017_versions_and_signin"
down_revision = "0016_page_speed"
branch_labels = None
depends_on = None

#: The tables of editable objects (spatial.models.roadmaps.Tracked).
VERSIONED = ("organisation", "person", "progress_core", "roadmap", "action", "measurement", "past_plan")


def upgrade() -> None:
    for table in VERSIONED:
        op.add_column(table, sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False))
    op.create_table(
        "signin_failure",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind in ('account', 'address')", name=op.f("ck_signin_failure_kind_known")),
        sa.PrimaryKeyConstraint("kind", "subject", name=op.f("pk_signin_failure")),
    )
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("digest", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client", sa.Text(), nullable=True),
        sa.Column("agent", sa.Text(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("digest", name=op.f("uq_user_session_digest")),
    )
    op.create_index(op.f("ix_user_session_username"), "user_session", ["username"])


def downgrade() -> None:
    op.drop_index(op.f("ix_user_session_username"), table_name="user_session")
    op.drop_table("user_session")
    op.drop_table("signin_failure")
    for table in VERSIONED:
        op.drop_column(table, "version")
