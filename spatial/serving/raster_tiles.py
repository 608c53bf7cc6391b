"""PNG map tiles from raster (COG) layers, rendered by rio-tiler.

``rescale=min,max`` stretches the band to 0–255 (default: the layer's statistics from
the catalogue, else the band's data type range); ``colormap`` names one of
rio-tiler's colour maps (``viridis``, ``rdylgn``…). A tile outside the raster renders
as nothing (the API answers 204).

Examples
--------
>>> png = raster_tile(collection, 7, 50, 83, rescale=(0, 3000), colormap="viridis")  # doctest: +SKIP
"""

from __future__ import annotations

import math
from pathlib import Path

from rio_tiler.colormap import cmap
from rio_tiler.errors import TileOutsideBounds
from rio_tiler.io import Reader
from sqlalchemy.orm import Session

from spatial.catalogue import raster_file
from spatial.serving.collections import Collection
from spatial.errors import InvalidParameter, NotFound
from spatial.serving.tile_cache import CachedTile, tile_cache
from spatial.serving.tiles import TILE_MATRIX_SET, cache_key, check_tile

TILE_SIZE = 256


def parse_rescale(value: str | None) -> tuple[float, float] | None:
    """``rescale=min,max``: two finite numbers with min < max."""
    if value is None or value == "":
        return None
    try:
        low, high = (float(v) for v in value.split(","))
    except ValueError:
        raise InvalidParameter(f"rescale must be two numbers min,max; got '{value}'.", field="rescale") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise InvalidParameter(f"rescale {value}: min must be less than max, both finite.", field="rescale")
    return (low, high)


def parse_colormap(value: str | None) -> str | None:
    """``colormap``: the name of one of rio-tiler's colour maps."""
    if value is None or value == "":
        return None
    name = value.lower()
    if name not in cmap.list():
        raise InvalidParameter(
            f"Unknown colormap '{value}'; use one of: {', '.join(sorted(cmap.list())[:20])}…", field="colormap"
        )
    return name


def collection_raster(collection: Collection) -> Path:
    """The COG of a raster collection (see :func:`spatial.catalogue.raster_file`)."""
    if collection.storage != "raster" or not collection.raster_path:
        raise NotFound(f"Collection '{collection.id}' is not a raster layer; use its vector tiles "
                       f"(/collections/{collection.id}/tiles/{TILE_MATRIX_SET}/...).", field="collectionId")
    return raster_file(collection.id, collection.raster_path, field="collectionId")


def raster_tile(collection: Collection, z: int, y: int, x: int, rescale: tuple[float, float] | None = None,
                colormap: str | None = None) -> bytes:
    """The PNG of tile (z, y, x) of the first band; empty bytes outside the raster."""
    check_tile(TILE_MATRIX_SET, z, y, x)
    with Reader(str(collection_raster(collection))) as cog:
        try:
            image = cog.tile(x, y, z, tilesize=TILE_SIZE, indexes=1)
        except TileOutsideBounds:
            return b""
    if not image.mask.any():
        return b""
    if rescale is None:
        stats = (collection_statistics(collection) or {})
        rescale = (stats["min"], stats["max"]) if stats and stats.get("max", 0) > stats.get("min", 0) else None
    if rescale is not None:
        image = image.rescale(in_range=(rescale,))
    elif image.data.dtype.name != "uint8":
        # Without a range, stretch the tile's own values so that something is visible.
        valid = image.array.compressed()
        if valid.size:
            low, high = float(valid.min()), float(valid.max())
            image = image.rescale(in_range=((low, high if high > low else low + 1),))
    return image.render(img_format="PNG", colormap=cmap.get(colormap) if colormap else None)


def collection_statistics(collection: Collection) -> dict[str, float] | None:
    """Min/max of band 1 from the COG's own statistics, if it holds them."""
    with Reader(str(collection_raster(collection))) as cog:
        tags = cog.dataset.tags(1)
    try:
        return {"min": float(tags["STATISTICS_MINIMUM"]), "max": float(tags["STATISTICS_MAXIMUM"])}
    except (KeyError, ValueError):
        return None


def cached_raster_tile(session: Session, collection: Collection, z: int, y: int, x: int,
                       rescale: tuple[float, float] | None = None, colormap: str | None = None) -> CachedTile:
    """The PNG tile from the cache, rendering and storing it on a miss."""
    check_tile(TILE_MATRIX_SET, z, y, x)
    collection_raster(collection)
    key = cache_key(session, collection, "png", z, y, x, (rescale, colormap))
    return tile_cache().get_or_render(key, lambda: raster_tile(collection, z, y, x, rescale, colormap))
