"""one hook for "boundaries or data changed": derived products marked stale, refreshed in the background

Revision ID: 0026_refresh_queue
Revises: 0025_disbursement_history

Two products are derived from the units' boundaries and values: the coalesced tile
features (``admin_unit_coalesced_tile``, 0023) and the stored map coverage of large levels
(``map_coverage``, 0024). ``refresh_queue`` holds, per product and level, a mark that it is
stale; statement-level triggers set it in the transaction that makes the change
(:func:`pishraft_mark_stale`), and the server's background refresher
(:mod:`spatial.serving.freshness`) rebuilds what is marked and clears the marks it saw:

- a unit added, removed, reshaped, moved to another level or retired: both products of
  its level(s) (a stale coverage is forgotten at once, as 0024's trigger did, which this
  hook replaces);
- a unit's code, parent or population changed, an indicator value of it entered, changed
  or removed: the tiles of its level (merged features carry codes, parent and rolled-up values);
- an indicator's code or roll-up rule changed: the tiles of every level.

Each mark carries a number from a sequence, renewed by every change: a refresh clears only
the marks it read before rebuilding, so a change made meanwhile stays marked.
"""
import importlib
from types import ModuleType

from alembic import op
import sqlalchemy as sa

revision = "0026_refresh_queue"
down_revision = "0025_disbursement_history"
branch_labels = None
depends_on = None


def _map_coverage() -> ModuleType:
    """Migration 0024, whose trigger this one's hook replaces."""
    return importlib.import_module("spatial.db.migrations.versions.0024_map_coverage")


def upgrade() -> None:
    op.execute("CREATE SEQUENCE refresh_queue_mark")
    op.create_table(
        "refresh_queue",
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("mark", sa.BigInteger(), server_default=sa.text("nextval('refresh_queue_mark')"), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"),
                  nullable=False),
        sa.CheckConstraint("product IN ('tiles', 'coverage')", name="ck_refresh_queue_product"),
        sa.PrimaryKeyConstraint("product", "level", name="pk_refresh_queue"),
    )
    op.execute("""
        CREATE FUNCTION pishraft_mark_stale(p_products text[], p_levels text[]) RETURNS void
        LANGUAGE sql AS $$
            INSERT INTO refresh_queue (product, level)
            SELECT DISTINCT p, l FROM unnest(p_products) p, unnest(p_levels) l WHERE l IS NOT NULL
            ON CONFLICT (product, level) DO UPDATE
                SET mark = nextval('refresh_queue_mark'), marked_at = clock_timestamp();
            -- A stale coverage is never drawn: maps draw the exact boundaries until it is rebuilt.
            DELETE FROM map_coverage WHERE 'coverage' = ANY (p_products) AND level = ANY (p_levels);
        $$
    """)
    _map_coverage().drop_forget_triggers()
    op.execute("""
        CREATE FUNCTION pishraft_units_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                PERFORM pishraft_mark_stale(ARRAY['tiles', 'coverage'], ARRAY(SELECT DISTINCT level FROM new_rows));
            ELSIF TG_OP = 'DELETE' THEN
                PERFORM pishraft_mark_stale(ARRAY['tiles', 'coverage'], ARRAY(SELECT DISTINCT level FROM old_rows));
            ELSE
                -- What a map draws; a new name changes neither product (tiles read names live).
                PERFORM pishraft_mark_stale(ARRAY['tiles', 'coverage'], ARRAY(
                    SELECT DISTINCT unnest(ARRAY[o.level, n.level]) FROM old_rows o JOIN new_rows n USING (id)
                    WHERE o.level IS DISTINCT FROM n.level OR o.valid_to IS DISTINCT FROM n.valid_to
                       OR o.geom IS DISTINCT FROM n.geom));
                -- What merged tile features also carry: member codes, the parent, summed population.
                PERFORM pishraft_mark_stale(ARRAY['tiles'], ARRAY(
                    SELECT DISTINCT n.level FROM old_rows o JOIN new_rows n USING (id)
                    WHERE o.code IS DISTINCT FROM n.code OR o.parent_id IS DISTINCT FROM n.parent_id
                       OR o.population IS DISTINCT FROM n.population));
            END IF;
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE FUNCTION pishraft_values_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                PERFORM pishraft_mark_stale(ARRAY['tiles'], ARRAY(
                    SELECT DISTINCT u.level FROM admin_unit u WHERE u.id IN (SELECT unit_id FROM new_rows)));
            ELSIF TG_OP = 'DELETE' THEN
                PERFORM pishraft_mark_stale(ARRAY['tiles'], ARRAY(
                    SELECT DISTINCT u.level FROM admin_unit u WHERE u.id IN (SELECT unit_id FROM old_rows)));
            ELSE
                PERFORM pishraft_mark_stale(ARRAY['tiles'], ARRAY(
                    SELECT DISTINCT u.level FROM admin_unit u
                    WHERE u.id IN (SELECT unit_id FROM old_rows UNION SELECT unit_id FROM new_rows)));
            END IF;
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE FUNCTION pishraft_indicators_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n USING (id)
                       WHERE o.code IS DISTINCT FROM n.code OR o.rollup IS DISTINCT FROM n.rollup) THEN
                PERFORM pishraft_mark_stale(ARRAY['tiles'], ARRAY(
                    SELECT DISTINCT level FROM admin_unit WHERE valid_to IS NULL));
            END IF;
            RETURN NULL;
        END $$
    """)
    for table, function, events in (("admin_unit", "pishraft_units_changed", ("insert", "delete", "update")),
                                     ("indicator_value", "pishraft_values_changed", ("insert", "delete", "update")),
                                     ("indicator", "pishraft_indicators_changed", ("update",))):
        for event in events:
            tables = {"insert": "NEW TABLE AS new_rows", "delete": "OLD TABLE AS old_rows",
                      "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}[event]
            op.execute(f"""CREATE TRIGGER {table}_mark_stale_{event} AFTER {event.upper()} ON {table}
                           REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {function}()""")


def downgrade() -> None:
    for table, events in (("admin_unit", ("insert", "delete", "update")),
                          ("indicator_value", ("insert", "delete", "update")), ("indicator", ("update",))):
        for event in events:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_mark_stale_{event} ON {table}")
    for function in ("pishraft_units_changed", "pishraft_values_changed", "pishraft_indicators_changed"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    _map_coverage().create_forget_triggers()
    op.execute("DROP FUNCTION IF EXISTS pishraft_mark_stale(text[], text[])")
    op.drop_table("refresh_queue")
    op.execute("DROP SEQUENCE IF EXISTS refresh_queue_mark")
