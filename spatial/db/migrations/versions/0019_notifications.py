"""Notifications: accounts linked to the person they are, and the e-mails already sent per item

Revision ID: 0019_notifications
Revises: 0015_dask_jobs
Create Date: 2026-12-07 11:50:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0019_notifications"
down_revision = "0018_monitor_money"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("person_id", sa.Integer(), nullable=True))
    op.create_foreign_key(op.f("fk_app_user_person_id_person"), "app_user", "person", ["person_id"], ["id"],
                          ondelete="SET NULL")
    op.create_table(
        "notification_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind in ('late', 'due')", name=op.f("ck_notification_sent_kind_known")),
        sa.ForeignKeyConstraint(["action_id"], ["action.id"], name=op.f("fk_notification_sent_action_id_action"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_sent")),
        sa.UniqueConstraint("recipient", "action_id", "kind", "due_date",
                            name=op.f("uq_notification_sent_recipient_action_id_kind_due_date")),
    )


def downgrade() -> None:
    op.drop_table("notification_sent")
    op.drop_constraint(op.f("fk_app_user_person_id_person"), "app_user", type_="foreignkey")
    op.drop_column("app_user", "person_id")
