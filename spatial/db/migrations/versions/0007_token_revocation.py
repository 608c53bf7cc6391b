"""token revocation: bearer tokens signed out before they expire

Revision ID: 0007_token_revocation
Revises: 0006_auth
"""
from alembic import op
import sqlalchemy as sa

revision = "0007_token_revocation"
down_revision = "0006_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revoked_token",
        sa.Column("digest", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_revoked_token")),
    )


def downgrade() -> None:
    op.drop_table("revoked_token")
