"""coalesced tiles: administrative units merged per tile for zooms 0–10

Revision ID: 0023_coalesced_tiles
Revises: 0015_dask_jobs

``admin_unit_coalesced_tile`` replaces ``admin_unit_tile_geom`` (0008) and holds, for every level, zoom up to 10 and tile, the
features that tile draws: units alone, and small units of one parent merged, with how
many units each holds, their codes and the values rolled up (see
``spatial.serving.coalesce``). A tile is then one ``ST_AsMVT`` over its rows. The table is
filled here from the current boundaries and rebuilt by ``pishraft tiles refresh``.
"""
import importlib
from types import ModuleType

from alembic import op
import sqlalchemy as sa
import geoalchemy2
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

revision = "0023_coalesced_tiles"
down_revision = "0019_notifications"
branch_labels = None
depends_on = None


def _tile_geometry() -> ModuleType:
    """Migration 0008, which created the table this one replaces."""
    return importlib.import_module("spatial.db.migrations.versions.0008_tile_geometry")


def upgrade() -> None:
    _tile_geometry().drop_tile_geom()
    op.create_table(
        "admin_unit_coalesced_tile",
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("zoom", sa.SmallInteger(), nullable=False),
        sa.Column("x", sa.Integer(), nullable=False),
        sa.Column("y", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("parent", sa.Text(), nullable=True),
        sa.Column("codes", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("rollup", postgresql.JSONB(), nullable=True),
        sa.Column("geom", geoalchemy2.types.Geometry(geometry_type="GEOMETRY", srid=0, spatial_index=False,
                                                     from_text="ST_GeomFromEWKT", name="geometry"), nullable=False),
        sa.PrimaryKeyConstraint("level", "zoom", "x", "y", "seq", name="pk_admin_unit_coalesced_tile"),
    )
    # The precompute needs shapely's coverage simplification: the same code as a refresh.
    coalesce = importlib.import_module("spatial.serving.coalesce")
    coalesce.rebuild_coalesced_tiles(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_table("admin_unit_coalesced_tile")
    _tile_geometry().create_tile_geom()
    op.execute(_tile_geometry()._BUMP_GENERATION)
