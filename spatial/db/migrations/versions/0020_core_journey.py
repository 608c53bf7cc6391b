"""core journey: a core's stages with their history, kind and contacts; members' accounts;
assessment rounds and score forms; courses, sessions and attendance; drafts and their review

Revision ID: 0020_core_journey
Revises: 0015_dask_jobs
Create Date: 2026-12-07 11:45:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0020_core_journey"
down_revision = "0023_coalesced_tiles"
branch_labels = None
depends_on = None

STAGES = ("proposed", "identified", "assessed", "selected", "in_training", "trained", "drafting", "submitted",
          "adopted", "not_selected", "paused")
OLD_STAGES = ("identified", "assessed", "selected", "trained")
KINDS = ("jihadi_group", "student_organisation", "community_institution", "cooperative", "other")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in ({', '.join(repr(v) for v in values)})"


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.drop_constraint(op.f("ck_progress_core_stage_known"), "progress_core", type_="check")
    op.create_check_constraint(op.f("ck_progress_core_stage_known"), "progress_core", _one_of("stage", STAGES))
    op.alter_column("progress_core", "stage", server_default=sa.text("'proposed'"))
    op.add_column("progress_core", sa.Column("kind", sa.Text(), server_default=sa.text("'other'"), nullable=False))
    op.add_column("progress_core", sa.Column("contacts", sa.Text(), server_default=sa.text("''"), nullable=False))
    op.create_check_constraint(op.f("ck_progress_core_kind_known"), "progress_core", _one_of("kind", KINDS))
    op.add_column("core_member", sa.Column("username", sa.Text(), nullable=True))

    op.create_table(
        "core_stage_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("core_id", sa.Integer(), sa.ForeignKey("progress_core.id", ondelete="CASCADE"), nullable=False),
        sa.Column("from_stage", sa.Text(), nullable=True),
        sa.Column("to_stage", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), server_default=sa.text("''"), nullable=False),
    )
    op.create_index("ix_core_stage_event_core_id_at", "core_stage_event", ["core_id", "at"])
    # Cores registered before: their current stage as the first event, by whoever made them.
    op.execute("""INSERT INTO core_stage_event (core_id, from_stage, to_stage, at, by)
                  SELECT id, NULL, stage, created_at, created_by FROM progress_core""")

    op.create_table(
        "assessment_round",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("admin_unit.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), server_default=sa.text("'weighted_sum'"), nullable=False),
        sa.Column("criteria", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("assessors", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("method in ('weighted_sum', 'topsis')", name=op.f("ck_assessment_round_method_known")),
    )
    op.create_table(
        "assessment_score",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("assessment_round.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("core_id", sa.Integer(), sa.ForeignKey("progress_core.id", ondelete="CASCADE"), nullable=False),
        sa.Column("assessor", sa.Text(), nullable=False),
        sa.Column("scores", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("round_id", "core_id", "assessor", name=op.f("uq_assessment_score_one_form_per_assessor")),
    )
    op.create_table(
        "course",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("admin_unit.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("required_sessions", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("required_sessions >= 1", name=op.f("ck_course_requires_a_session")),
    )
    op.create_table(
        "course_core",
        sa.Column("course_id", sa.Integer(), sa.ForeignKey("course.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("core_id", sa.Integer(), sa.ForeignKey("progress_core.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_table(
        "course_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("course_id", sa.Integer(), sa.ForeignKey("course.id", ondelete="CASCADE"), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("topic", sa.Text(), server_default=sa.text("''"), nullable=False),
    )
    op.create_table(
        "attendance",
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("course_session.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id", ondelete="RESTRICT"), primary_key=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "core_draft",
        sa.Column("roadmap_id", sa.Integer(), sa.ForeignKey("roadmap.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("core_id", sa.Integer(), sa.ForeignKey("progress_core.id", ondelete="CASCADE"), nullable=False),
        sa.Column("state", sa.Text(), server_default=sa.text("'drafting'"), nullable=False),
        sa.CheckConstraint("state in ('drafting', 'submitted', 'changes_requested', 'adopted')",
                           name=op.f("ck_core_draft_state_known")),
    )
    op.create_table(
        "review_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("roadmap_id", sa.Integer(), sa.ForeignKey("roadmap.id", ondelete="CASCADE"), nullable=False),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("by", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("step in ('started', 'submitted', 'changes_requested', 'adopted')",
                           name=op.f("ck_review_event_step_known")),
    )
    op.create_index("ix_review_event_roadmap_id_at", "review_event", ["roadmap_id", "at"])
    op.create_table(
        "review_comment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("review_event.id", ondelete="CASCADE"), nullable=False),
        sa.Column("section", sa.Text(), nullable=False),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("action.id", ondelete="CASCADE"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint("section in ('general', 'current_state', 'capacities', 'strategies', 'action')",
                           name=op.f("ck_review_comment_section_known")),
        sa.CheckConstraint("(section = 'action') = (action_id is not null)",
                           name=op.f("ck_review_comment_action_iff_section")),
    )


def downgrade() -> None:
    for table in ("review_comment", "review_event", "core_draft", "attendance", "course_session", "course_core",
                  "course", "assessment_score", "assessment_round", "core_stage_event"):
        op.drop_table(table)
    op.drop_column("core_member", "username")
    op.drop_constraint(op.f("ck_progress_core_kind_known"), "progress_core", type_="check")
    op.drop_column("progress_core", "contacts")
    op.drop_column("progress_core", "kind")
    op.execute(f"UPDATE progress_core SET stage = 'identified' WHERE NOT ({_one_of('stage', OLD_STAGES)})")
    op.drop_constraint(op.f("ck_progress_core_stage_known"), "progress_core", type_="check")
    op.create_check_constraint(op.f("ck_progress_core_stage_known"), "progress_core", _one_of("stage", OLD_STAGES))
    op.alter_column("progress_core", "stage", server_default=sa.text("'identified'"))
