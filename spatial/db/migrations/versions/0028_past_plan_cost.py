"""past plans' money: an estimated cost or budget, carried into a roadmap made from them (#27)

A past plan records what it cost or was budgeted (rials, optional: older plans often do not
say). When a past plan is kept in a consolidated roadmap or taken as a suggested action, the
new action carries that amount as a financing line whose source is the past plan
(``financing.source = 'past_plan'``), so the money is compared and planned again rather
than lost.

Revision ID: 0028_past_plan_cost
Revises: 0026_refresh_queue
"""
from alembic import op
import sqlalchemy as sa

revision = "0028_past_plan_cost"
down_revision = "0026_refresh_queue"
branch_labels = None
depends_on = None

_SOURCES = ("investment_fund", "bank_loan", "sponsor", "government_budget", "people")


def _sources_check(sources: tuple[str, ...]) -> None:
    op.drop_constraint(op.f("ck_financing_source_known"), "financing", type_="check")
    op.create_check_constraint(op.f("ck_financing_source_known"), "financing",
                               "source in (" + ", ".join(f"'{s}'" for s in sources) + ")")


def upgrade() -> None:
    op.add_column("past_plan", sa.Column("cost_rials", sa.BigInteger(), nullable=True))
    op.create_check_constraint(op.f("ck_past_plan_cost_nonnegative"), "past_plan", "cost_rials >= 0")
    _sources_check((*_SOURCES, "past_plan"))


def downgrade() -> None:
    op.execute("DELETE FROM financing WHERE source = 'past_plan'")
    _sources_check(_SOURCES)
    op.drop_constraint(op.f("ck_past_plan_cost_nonnegative"), "past_plan", type_="check")
    op.drop_column("past_plan", "cost_rials")
