"""tile geometry: unit boundaries in tile-extent units, one row per zoom

Revision ID: 0008_tile_geometry
Revises: 0007_token_revocation

``admin_unit_tile_geom`` replaces ``admin_unit_generalised`` (0005): one row per (unit,
zoom) for zooms 0–10, the boundary simplified to half a tile pixel of that zoom and
already quantised by ``ST_AsMVTGeom`` in world tile-extent units (SRID 0, y downwards).
A tile only translates its features and clips those that cross its edge, instead of
running ``ST_AsMVTGeom`` on each of thousands of small units. Units smaller than one
screen pixel at a zoom get no row for it, so tiles need no area filter. Triggers on
``admin_unit`` keep the table current, as they kept the band table.
"""
import importlib
import math
from types import ModuleType

from alembic import op
import sqlalchemy as sa
import geoalchemy2

revision = "0008_tile_geometry"
down_revision = "0007_token_revocation"
branch_labels = None
depends_on = None

#: Frozen copies of spatial.models.generalised.GENERALISED_MAX_ZOOM and
#: spatial.serving.tiles.EXTENT at the time of this migration.
MAX_ZOOM = 10
EXTENT = 4096
#: Tile-extent units per screen pixel of a 256-pixel tile.
SCREEN_PIXEL = EXTENT // 256
WORLD_M = 2 * math.pi * 6378137.0


def _pixel_m(zoom: int) -> float:
    return WORLD_M / (1 << zoom) / EXTENT


#: (zoom, simplification tolerance: half a tile-extent unit, smallest area drawn: one
#: screen pixel), in metres of Web Mercator.
ZOOMS = tuple((zoom, _pixel_m(zoom) / 2, (_pixel_m(zoom) * SCREEN_PIXEL) ** 2) for zoom in range(MAX_ZOOM + 1))

_REFRESH = """
    WITH mercator AS MATERIALIZED (  -- transformed once per unit, not once per zoom
        SELECT n.id, ST_Transform(
                   -- Web Mercator stops at ±85.06°; clip only the rare unit that reaches beyond.
                   CASE WHEN ST_YMax(n.geom) > 85.06 OR ST_YMin(n.geom) < -85.06
                        THEN ST_Intersection(n.geom, ST_MakeEnvelope(-180, -85.06, 180, 85.06, 4326))
                        ELSE n.geom END, 3857) AS geom
        FROM new_rows n WHERE NOT ST_IsEmpty(n.geom))
    INSERT INTO admin_unit_tile_geom (unit_id, zoom, geom)
    SELECT m.id, z.zoom, ST_SetSRID(t.geom, 0)
    FROM mercator m
         -- A boundary lies within its bounding box: when the box covers less than a screen
         -- pixel, the unit is not even simplified for that zoom (most units at low zooms).
         JOIN (VALUES {zooms}) AS z(zoom, tolerance, min_area) ON ST_Area(ST_Envelope(m.geom)) >= z.min_area
         -- Functions in FROM run once per row; in the select list they would run once per use.
         CROSS JOIN LATERAL ST_SimplifyPreserveTopology(m.geom, z.tolerance) AS s(geom)
         CROSS JOIN LATERAL ST_AsMVTGeom(s.geom, ST_TileEnvelope(0, 0, 0), {extent} << z.zoom, 0, false) AS t(geom)
    WHERE ST_Area(s.geom) >= z.min_area AND t.geom IS NOT NULL
""".format(zooms=", ".join(f"({z}, {tolerance!r}, {area!r})" for z, tolerance, area in ZOOMS), extent=EXTENT)

#: Tiles cached before the change are drawn from other geometry: a new data generation
#: keeps them from being served (see spatial.serving.tile_cache).
_BUMP_GENERATION = """UPDATE pishraft_meta SET value = to_jsonb(nextval('pishraft_data_generation'))
                      WHERE key = 'data_generation'"""


def _partner() -> ModuleType:
    """Migration 0005, which created the band table this one replaces."""
    return importlib.import_module("spatial.db.migrations.versions.0005_partner")


def create_tile_geom() -> None:
    """The table, its triggers and rows from the current units (also the downgrade of ``0023_coalesced_tiles``)."""
    op.create_table(
        "admin_unit_tile_geom",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("zoom", sa.SmallInteger(), nullable=False),
        sa.Column("geom", geoalchemy2.types.Geometry(geometry_type="GEOMETRY", srid=0, spatial_index=False,
                                                     from_text="ST_GeomFromEWKT", name="geometry"), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["admin_unit.id"], name="fk_admin_unit_tile_geom_unit_id_admin_unit",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("unit_id", "zoom", name="pk_admin_unit_tile_geom"),
    )
    op.execute(f"""
        CREATE FUNCTION pishraft_prepare_tile_geom() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                DELETE FROM admin_unit_tile_geom g USING new_rows n WHERE g.unit_id = n.id;
            END IF;
            {_REFRESH};
            RETURN NULL;
        END $$
    """)
    op.execute("""CREATE TRIGGER admin_unit_tile_geom_insert AFTER INSERT ON admin_unit
                  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pishraft_prepare_tile_geom()""")
    op.execute("""CREATE TRIGGER admin_unit_tile_geom_update AFTER UPDATE ON admin_unit
                  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pishraft_prepare_tile_geom()""")
    # Units that exist already; the indexes are built afterwards, faster than row by row.
    op.execute(_REFRESH.replace("new_rows", "admin_unit"))
    # One partial GiST index per zoom: a tile reads one zoom (a literal in its SQL).
    for zoom in range(MAX_ZOOM + 1):
        op.execute(f"CREATE INDEX ix_admin_unit_tile_geom_geom_z{zoom} ON admin_unit_tile_geom "
                   f"USING gist (geom) WHERE zoom = {zoom}")


def drop_tile_geom() -> None:
    """Drop the table and its triggers (also the upgrade of ``0023_coalesced_tiles``)."""
    op.execute("DROP TRIGGER IF EXISTS admin_unit_tile_geom_insert ON admin_unit")
    op.execute("DROP TRIGGER IF EXISTS admin_unit_tile_geom_update ON admin_unit")
    op.execute("DROP FUNCTION IF EXISTS pishraft_prepare_tile_geom()")
    op.drop_table("admin_unit_tile_geom")


def upgrade() -> None:
    _partner().drop_generalised()
    create_tile_geom()
    op.execute(_BUMP_GENERATION)


def downgrade() -> None:
    drop_tile_geom()
    _partner().create_generalised()
    op.execute(_BUMP_GENERATION)
