"""stored simplified coverage of large levels for their national maps

Revision ID: 0024_map_coverage
Revises: 0015_dask_jobs

``map_coverage`` names the levels whose boundaries are kept simplified for their national
map, with the zoom they were simplified for; ``map_coverage_geom`` holds each unit's
simplified boundary (:mod:`spatial.units.coverage` writes both), and the maps keep their
compact encoding of it there for the next process. A trigger on
``admin_unit`` forgets a level's stored coverage as soon as one of its units is added,
removed, reshaped, moved to another level or retired, so a map never draws outdated
boundaries; the map then draws without it and starts a new one.
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2

revision = "0024_map_coverage"
down_revision = "0021_competitions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "map_coverage",
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("zoom", sa.SmallInteger(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"),
                  nullable=False),
        # The maps' compact encoding of the stored coverage for browsers (opaque here).
        sa.Column("encoded", sa.dialects.postgresql.JSONB(), nullable=True),
        sa.PrimaryKeyConstraint("level", name="pk_map_coverage"),
    )
    op.create_table(
        "map_coverage_geom",
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("geom", geoalchemy2.types.Geometry(geometry_type="MULTIPOLYGON", srid=4326, spatial_index=False,
                                                     from_text="ST_GeomFromEWKT", name="geometry"), nullable=False),
        sa.ForeignKeyConstraint(["level"], ["map_coverage.level"], name="fk_map_coverage_geom_level_map_coverage",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["admin_unit.id"], name="fk_map_coverage_geom_unit_id_admin_unit",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("level", "unit_id", name="pk_map_coverage_geom"),
    )
    create_forget_triggers()


def create_forget_triggers() -> None:
    """The trigger that forgets a level's coverage (replaced by ``0026_refresh_queue``'s hook)."""
    op.execute("""
        CREATE FUNCTION pishraft_forget_map_coverage() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                DELETE FROM map_coverage WHERE level IN (SELECT level FROM new_rows);
            ELSIF TG_OP = 'DELETE' THEN
                DELETE FROM map_coverage WHERE level IN (SELECT level FROM old_rows);
            ELSE
                -- Only what a map of the level draws: a new name or population keeps the coverage.
                DELETE FROM map_coverage WHERE level IN (
                    SELECT unnest(ARRAY[o.level, n.level]) FROM old_rows o JOIN new_rows n USING (id)
                    WHERE o.level IS DISTINCT FROM n.level OR o.valid_to IS DISTINCT FROM n.valid_to
                       OR o.geom IS DISTINCT FROM n.geom);
            END IF;
            RETURN NULL;
        END $$
    """)
    for event, tables in (("INSERT", "NEW TABLE AS new_rows"), ("DELETE", "OLD TABLE AS old_rows"),
                          ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows")):
        op.execute(f"""CREATE TRIGGER admin_unit_forget_map_coverage_{event.lower()} AFTER {event} ON admin_unit
                       REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION pishraft_forget_map_coverage()""")


def drop_forget_triggers() -> None:
    """Drop what :func:`create_forget_triggers` made."""
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS admin_unit_forget_map_coverage_{event} ON admin_unit")
    op.execute("DROP FUNCTION IF EXISTS pishraft_forget_map_coverage()")


def downgrade() -> None:
    drop_forget_triggers()
    op.drop_table("map_coverage_geom")
    op.drop_table("map_coverage")
