"""One period model: periods stored as the Gregorian year in which the Jalali year begins

Periods typed as Jalali years (``1403``) or in Persian digits (``۱۴۰۳``) become the
Gregorian year (``2024``), as :func:`spatial.periods.period_key` now stores every new one.
Where a table already held the same row under the Gregorian year, that row is kept and
the Jalali duplicate dropped (the Gregorian one is what every reader has been shown).

Revision ID: 0011_one_period_model
Revises: 0010_deprivation_af
Create Date: 2026-12-07 09:00:00
"""
from alembic import op

revision = "0011_one_period_model"
down_revision = "0010_deprivation_af"
branch_labels = None
depends_on = None

#: table -> the columns that, with the period, identify a row.
TABLES: dict[str, tuple[str, ...]] = {
    "indicator_value": ("indicator_id", "unit_id"),
    "index_score": ("index_id", "unit_id"),
    "af_measure": ("code", "definition_hash"),
    "allocation": ("id",),
}

# Mirrors spatial.periods.period_key (kept here: a migration must not change with the code).
_LATIN = "translate(period, '۰۱۲۳۴۵۶۷۸۹', '0123456789')"
KEY = (f"CASE WHEN {_LATIN} ~ '^[0-9]{{4}}$' AND {_LATIN}::int < 1800 "
       f"THEN ({_LATIN}::int + 621)::text ELSE {_LATIN} END")


def upgrade() -> None:
    for table, identity in TABLES.items():
        same = " AND ".join(f"kept.{c} = old.{c}" for c in identity)
        old_key = KEY.replace("period", "old.period")
        op.execute(f"""DELETE FROM {table} old USING {table} kept
                       WHERE old.period IS DISTINCT FROM ({old_key}) AND {same}
                         AND kept.period = ({old_key})""")
        op.execute(f"UPDATE {table} SET period = {KEY} WHERE period IS DISTINCT FROM ({KEY})")


def downgrade() -> None:
    # Which stored years were typed in Jalali is not kept; the Gregorian form stays valid.
    pass
