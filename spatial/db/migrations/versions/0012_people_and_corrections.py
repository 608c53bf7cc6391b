"""people and corrections: a person's phone and e-mail (private) and retirement,
organisations' new kinds (fund, bank, charity) and retirement, progress-core members by
name, and archiving (not deleting) roadmaps, actions, financing lines, key results and
measurements, with the reason kept in the history

Revision ID: 0012_people_and_corrections
Revises: 0010_deprivation_af
Create Date: 2026-12-07 09:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0012_people_and_corrections"
down_revision = "0011_one_period_model"
branch_labels = None
depends_on = None

ARCHIVED = ("roadmap", "action", "financing", "key_result", "measurement")
OLD_KINDS = "kind in ('government', 'economic_sponsor', 'cooperative', 'ngo', 'other')"
NEW_KINDS = ("kind in ('government', 'economic_sponsor', 'fund', 'bank', 'cooperative', 'charity', 'ngo', "
             "'other')")
OLD_OPERATIONS = "operation in ('create', 'update', 'delete')"
NEW_OPERATIONS = "operation in ('create', 'update', 'delete', 'archive', 'restore', 'withdraw')"


def upgrade() -> None:
    for table in ARCHIVED:
        op.add_column(table, sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
        op.add_column(table, sa.Column("archived_by", sa.Text(), nullable=True))
        op.add_column(table, sa.Column("archive_reason", sa.Text(), nullable=True))
    for table in ("person", "organisation"):
        op.add_column(table, sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
        op.add_column(table, sa.Column("retired_by", sa.Text(), nullable=True))
    op.add_column("person", sa.Column("phone", sa.Text(), server_default=sa.text("''"), nullable=False))
    op.add_column("person", sa.Column("email", sa.Text(), server_default=sa.text("''"), nullable=False))
    # The old free-text contact becomes an e-mail when it looks like one, else a phone.
    op.execute("UPDATE person SET email = contact WHERE position('@' IN contact) > 0")
    op.execute("UPDATE person SET phone = contact WHERE position('@' IN contact) = 0")
    op.drop_column("person", "contact")
    op.add_column("history", sa.Column("reason", sa.Text(), nullable=True))
    op.drop_constraint(op.f("ck_history_operation_known"), "history", type_="check")
    op.create_check_constraint(op.f("ck_history_operation_known"), "history", NEW_OPERATIONS)
    op.drop_constraint(op.f("ck_organisation_kind_known"), "organisation", type_="check")
    op.create_check_constraint(op.f("ck_organisation_kind_known"), "organisation", NEW_KINDS)
    op.create_table(
        "core_member",
        sa.Column("core_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["core_id"], ["progress_core.id"], name=op.f("fk_core_member_core_id_progress_core"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_core_member_person_id_person"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("core_id", "person_id", name=op.f("pk_core_member")),
    )
    op.create_index("ix_core_member_person_id", "core_member", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_core_member_person_id", table_name="core_member")
    op.drop_table("core_member")
    op.execute("DELETE FROM organisation WHERE kind IN ('fund', 'bank', 'charity')")
    op.drop_constraint(op.f("ck_organisation_kind_known"), "organisation", type_="check")
    op.create_check_constraint(op.f("ck_organisation_kind_known"), "organisation", OLD_KINDS)
    op.execute("DELETE FROM history WHERE operation IN ('archive', 'restore', 'withdraw')")
    op.drop_constraint(op.f("ck_history_operation_known"), "history", type_="check")
    op.create_check_constraint(op.f("ck_history_operation_known"), "history", OLD_OPERATIONS)
    op.drop_column("history", "reason")
    op.add_column("person", sa.Column("contact", sa.Text(), server_default=sa.text("''"), nullable=False))
    op.execute("UPDATE person SET contact = concat_ws(' ', nullif(phone, ''), nullif(email, ''))")
    op.drop_column("person", "email")
    op.drop_column("person", "phone")
    for table in ("person", "organisation"):
        op.drop_column(table, "retired_by")
        op.drop_column(table, "retired_at")
    for table in ARCHIVED:
        op.drop_column(table, "archive_reason")
        op.drop_column(table, "archived_by")
        op.drop_column(table, "archived_at")
