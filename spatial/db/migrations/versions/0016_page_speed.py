"""data generation also bumped by composite indices and deprivation measures

Revision ID: 0016_page_speed
Revises: 0010_deprivation_af

Pages and maps keep what they show of a whole level (index ranks and clusters, the
capacity × deprivation classes, map class breaks) under the data generation
(:class:`spatial.db.generation.GenerationCache`). Those come from stored index scores
and Alkire-Foster results as well as from indicator values, so a newly scored index or
measure must also make a new generation: the statement-level trigger of migration
``0005_partner`` is added to their tables.
"""
from alembic import op

revision = "0016_page_speed"
down_revision = "0013_form_tokens"
branch_labels = None
depends_on = None

#: Tables whose changes now also bump the data generation.
TABLES = ("composite_index", "index_score", "af_measure", "af_result")


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"""CREATE TRIGGER {table}_bump_generation
                       AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                       FOR EACH STATEMENT EXECUTE FUNCTION pishraft_bump_generation()""")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_generation ON {table}")
