"""partner APIs: unit properties function, data generation counter, generalised boundaries

Revision ID: 0005_partner
Revises: 0004_roadmaps

- ``pishraft_units_properties(unit_ids)``: the one place that assembles the extra
  properties (latest indicator values; composite index scores can be added here) that
  the OGC collections ``provinces`` … ``neighbourhoods`` publish for units;
  ``pishraft_unit_properties(unit_id)`` is its one-unit form.
- ``pishraft_meta['data_generation']``: a counter bumped by statement-level triggers
  whenever units, indicators, their values or the layer catalogue change; the tile
  cache and the collection catalogue are keyed by it, so they never serve stale data.
- ``admin_unit_generalised``: each unit's boundary in Web Mercator, simplified for
  bands of zoom levels, kept current by triggers on ``admin_unit``; low-zoom vector
  tiles read it instead of simplifying and reprojecting on every request.
"""
from alembic import op
import sqlalchemy as sa
import geoalchemy2

revision = "0005_partner"
down_revision = "0004_roadmaps"
branch_labels = None
depends_on = None

#: (band, highest zoom served, simplification tolerance in metres = half a tile
#: pixel at that zoom with 4096-unit tiles). Frozen copy of
#: spatial.models.generalised.GENERALISED_BANDS at the time of this migration.
BANDS = ((0, 4, 306.0), (1, 7, 38.0), (2, 10, 4.8))

_REFRESH = """
    INSERT INTO admin_unit_generalised (unit_id, band, geom)
    SELECT n.id, b.band,
           ST_Multi(ST_SimplifyPreserveTopology(ST_Transform(
               -- Web Mercator stops at ±85.06°; clip only the rare unit that reaches beyond.
               CASE WHEN ST_YMax(n.geom) > 85.06 OR ST_YMin(n.geom) < -85.06
                    THEN ST_Intersection(n.geom, ST_MakeEnvelope(-180, -85.06, 180, 85.06, 4326))
                    ELSE n.geom END, 3857), b.tolerance))
    FROM new_rows n CROSS JOIN (VALUES {bands}) AS b(band, tolerance)
    WHERE NOT ST_IsEmpty(n.geom)
""".format(bands=", ".join(f"({b}, {t})" for b, _, t in BANDS))


def create_generalised() -> None:
    """The band table, its triggers and its rows for the units there are (also the
    downgrade of ``0008_tile_geometry``, which replaced it)."""
    op.create_table(
        "admin_unit_generalised",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("geom", geoalchemy2.types.Geometry(geometry_type="MULTIPOLYGON", srid=3857, spatial_index=False,
                                                     from_text="ST_GeomFromEWKT", name="geometry"), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["admin_unit.id"], name="fk_admin_unit_generalised_unit_id_admin_unit",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("unit_id", "band", name="pk_admin_unit_generalised"),
    )
    # One partial GiST index per band: a tile reads one band (a literal in its SQL).
    for band, _, _ in BANDS:
        op.execute(f"CREATE INDEX ix_admin_unit_generalised_geom_b{band} ON admin_unit_generalised "
                   f"USING gist (geom) WHERE band = {band}")

    op.execute(f"""
        CREATE FUNCTION pishraft_generalise_units() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                DELETE FROM admin_unit_generalised g USING new_rows n WHERE g.unit_id = n.id;
            END IF;
            {_REFRESH};
            RETURN NULL;
        END $$
    """)
    op.execute("""CREATE TRIGGER admin_unit_generalise_insert AFTER INSERT ON admin_unit
                  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pishraft_generalise_units()""")
    op.execute("""CREATE TRIGGER admin_unit_generalise_update AFTER UPDATE ON admin_unit
                  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pishraft_generalise_units()""")
    # Units that exist already (a database migrated after the demo was loaded).
    op.execute(_REFRESH.replace("new_rows", "admin_unit"))


def drop_generalised() -> None:
    """Drop the band table and its triggers (also the upgrade of ``0008_tile_geometry``)."""
    op.execute("DROP TRIGGER IF EXISTS admin_unit_generalise_insert ON admin_unit")
    op.execute("DROP TRIGGER IF EXISTS admin_unit_generalise_update ON admin_unit")
    op.execute("DROP FUNCTION IF EXISTS pishraft_generalise_units()")
    op.drop_table("admin_unit_generalised")


def upgrade() -> None:
    create_generalised()

    # The one place that assembles a unit's extra properties, for many units at once
    # (tiles); the single-unit form below (feature pages) calls it.
    op.execute("""
        CREATE FUNCTION pishraft_units_properties(p_unit_ids integer[])
        RETURNS TABLE (unit_id integer, properties jsonb)
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT latest.unit_id, jsonb_object_agg(latest.code, latest.value)
            FROM (SELECT DISTINCT ON (v.unit_id, i.code) v.unit_id, i.code, v.value
                  FROM indicator_value v JOIN indicator i ON i.id = v.indicator_id
                  WHERE v.unit_id = ANY (p_unit_ids)
                  ORDER BY v.unit_id, i.code, v.period DESC) AS latest
            GROUP BY latest.unit_id
        $$
    """)
    op.execute("COMMENT ON FUNCTION pishraft_units_properties(integer[]) IS "
               "'Extra OGC properties of administrative units: latest value of every indicator, by code.'")
    op.execute("""
        CREATE FUNCTION pishraft_unit_properties(p_unit_id integer) RETURNS jsonb
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
            SELECT coalesce((SELECT properties FROM pishraft_units_properties(ARRAY[p_unit_id])), '{}'::jsonb)
        $$
    """)

    # Numbers come from a sequence, which never hands out a number twice, even across
    # rolled-back transactions: a generation number always names one committed state.
    op.execute("CREATE SEQUENCE pishraft_data_generation")
    op.execute("INSERT INTO pishraft_meta (key, value) VALUES ('data_generation', "
               "to_jsonb(nextval('pishraft_data_generation'))) ON CONFLICT (key) DO NOTHING")
    op.execute("""
        CREATE FUNCTION pishraft_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE pishraft_meta SET value = to_jsonb(nextval('pishraft_data_generation'))
            WHERE key = 'data_generation';
            RETURN NULL;
        END $$
    """)
    for table in ("admin_unit", "indicator", "indicator_value", "layer"):
        op.execute(f"""CREATE TRIGGER {table}_bump_generation
                       AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                       FOR EACH STATEMENT EXECUTE FUNCTION pishraft_bump_generation()""")


def downgrade() -> None:
    for table in ("admin_unit", "indicator", "indicator_value", "layer"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_generation ON {table}")
    op.execute("DROP FUNCTION IF EXISTS pishraft_bump_generation()")
    op.execute("DELETE FROM pishraft_meta WHERE key = 'data_generation'")
    op.execute("DROP SEQUENCE IF EXISTS pishraft_data_generation")
    op.execute("DROP FUNCTION IF EXISTS pishraft_unit_properties(integer)")
    op.execute("DROP FUNCTION IF EXISTS pishraft_units_properties(integer[])")
    drop_generalised()
