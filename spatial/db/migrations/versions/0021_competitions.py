"""competitions: events with targets, criteria, jury and timetable; entries and jurors' scores;
roadmaps published to the public watch; past plans not adopted in a competition

Revision ID: 0021_competitions
Revises: 0015_dask_jobs
Create Date: 2026-12-07 11:45:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0021_competitions"
down_revision = "0020_core_journey"
branch_labels = None
depends_on = None

OUTCOMES = "outcome in ('succeeded', 'partial', 'failed')"
OUTCOMES_WITH_NOT_ADOPTED = "outcome in ('succeeded', 'partial', 'failed', 'not_adopted')"


def _now() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "contest",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("submissions_close_on", sa.Date(), nullable=False),
        sa.Column("scoring_on", sa.Date(), nullable=False),
        sa.Column("results_on", sa.Date(), nullable=False),
        _now(),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("opens_on <= submissions_close_on AND submissions_close_on <= scoring_on "
                           "AND scoring_on <= results_on", name=op.f("ck_contest_timetable_ordered")),
    )
    op.create_table(
        "contest_target",
        sa.Column("contest_id", sa.Integer(), sa.ForeignKey("contest.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("admin_unit.id", ondelete="RESTRICT"), primary_key=True),
    )
    op.create_table(
        "contest_criterion",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("contest_id", sa.Integer(), sa.ForeignKey("contest.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.CheckConstraint("weight > 0", name=op.f("ck_contest_criterion_weight_positive")),
    )
    op.create_index("ix_contest_criterion_contest_id", "contest_criterion", ["contest_id"])
    op.create_table(
        "contest_juror",
        sa.Column("contest_id", sa.Integer(), sa.ForeignKey("contest.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("username", sa.Text(), primary_key=True),
    )
    op.create_table(
        "contest_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("contest_id", sa.Integer(), sa.ForeignKey("contest.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit_id", sa.Integer(), sa.ForeignKey("admin_unit.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("core_id", sa.Integer(), sa.ForeignKey("progress_core.id", ondelete="SET NULL"), nullable=True),
        sa.Column("group_name", sa.Text(), nullable=False),
        sa.Column("roadmap_id", sa.Integer(), sa.ForeignKey("roadmap.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("state", sa.Text(), server_default=sa.text("'draft'"), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("past_plan_id", sa.Integer(), sa.ForeignKey("past_plan.id", ondelete="SET NULL"), nullable=True),
        _now(),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("state in ('draft', 'submitted', 'adopted', 'not_adopted')",
                           name=op.f("ck_contest_entry_state_known")),
        sa.UniqueConstraint("roadmap_id", name=op.f("uq_contest_entry_roadmap_id")),
    )
    op.create_index("ix_contest_entry_contest_id", "contest_entry", ["contest_id"])
    op.create_index("ix_contest_entry_core_id", "contest_entry", ["core_id"])
    op.create_table(
        "contest_score",
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("contest_entry.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("criterion_id", sa.Integer(), sa.ForeignKey("contest_criterion.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("juror", sa.Text(), primary_key=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("score >= 0 AND score <= 100", name=op.f("ck_contest_score_score_in_range")),
    )
    op.create_table(
        "roadmap_publication",
        sa.Column("roadmap_id", sa.Integer(), sa.ForeignKey("roadmap.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("published_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("published_by", sa.Text(), nullable=False),
    )
    op.drop_constraint(op.f("ck_past_plan_outcome_known"), "past_plan", type_="check")
    op.create_check_constraint(op.f("ck_past_plan_outcome_known"), "past_plan", OUTCOMES_WITH_NOT_ADOPTED)


def downgrade() -> None:
    op.execute("DELETE FROM past_plan WHERE outcome = 'not_adopted'")
    op.drop_constraint(op.f("ck_past_plan_outcome_known"), "past_plan", type_="check")
    op.create_check_constraint(op.f("ck_past_plan_outcome_known"), "past_plan", OUTCOMES)
    for table in ("roadmap_publication", "contest_score", "contest_entry", "contest_juror", "contest_criterion",
                  "contest_target", "contest"):
        op.drop_table(table)
