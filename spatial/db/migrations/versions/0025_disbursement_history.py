"""money committed and disbursed is written in the roadmap's history

Revision ID: 0025_disbursement_history
Revises: 0024_map_coverage

The history's entity list (a check constraint) gains ``disbursement``: adding money
committed or disbursed on a financing line is filed under its roadmap's history, like
the roadmap's other parts.
"""
from alembic import op

revision = "0025_disbursement_history"
down_revision = "0024_map_coverage"
branch_labels = None
depends_on = None

_BEFORE = "('roadmap', 'action', 'measurement', 'core', 'past_plan', 'organisation', 'person')"
_AFTER = "('roadmap', 'action', 'measurement', 'core', 'past_plan', 'organisation', 'person', 'disbursement')"


def _entities(allowed: str) -> None:
    op.execute("ALTER TABLE history DROP CONSTRAINT ck_history_entity_known")
    op.execute(f"ALTER TABLE history ADD CONSTRAINT ck_history_entity_known CHECK (entity IN {allowed})")


def upgrade() -> None:
    _entities(_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM history WHERE entity = 'disbursement'")
    _entities(_BEFORE)
