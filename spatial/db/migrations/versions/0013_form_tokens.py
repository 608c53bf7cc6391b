"""form tokens and the audit log in words: one-time tokens of workspace forms, and what
a recorded write did (action, object kind and id, the words that describe it)

Revision ID: 0013_form_tokens
Revises: 0010_deprivation_af
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

revision = "0013_form_tokens"
down_revision = "0012_people_and_corrections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_token",
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_form_token")),
    )
    op.add_column("audit_log", sa.Column("action", sa.Text(), nullable=True))
    op.add_column("audit_log", sa.Column("object_kind", sa.Text(), nullable=True))
    op.add_column("audit_log", sa.Column("object_id", sa.Text(), nullable=True))
    op.add_column("audit_log", sa.Column("words", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False))
    op.create_index("ix_audit_log_object", "audit_log", ["object_kind", "object_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_object", table_name="audit_log")
    for column in ("words", "object_id", "object_kind", "action"):
        op.drop_column("audit_log", column)
    op.drop_table("form_token")
