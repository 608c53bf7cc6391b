"""PNG map tiles from raster (COG) layers, rendered by rio-tiler.

``rescale=min,max`` stretches the band to 0–255. Without it every tile of a layer uses
the layer's one scale (:func:`layer_scale`: the 2nd–98th percentile stored in the
catalogue at ingest, else computed once from the COG's overview), so neighbouring tiles
and zoom levels agree and a mosaic is seamless; ``colormap`` names one of
rio-tiler's colour maps (``viridis``, ``rdylgn``…). A tile outside the raster renders
as nothing (the API answers 204).

Examples
--------
>>> png = raster_tile(collection, 7, 50, 83, rescale=(0, 3000), colormap="viridis")  # doctest: +SKIP
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np

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
    image = image.rescale(in_range=(rescale or layer_scale(collection)[0],))
    return image.render(img_format="PNG", colormap=cmap.get(colormap) if colormap else None)


def layer_scale(collection: Collection) -> tuple[tuple[float, float], str]:
    """The colour scale of band 1 for tiles without ``rescale``, and where it comes from.

    The catalogue's 2nd–98th percentile (computed at ingest); for a layer ingested before
    they were stored, the same percentiles of the COG's overview, computed once.
    """
    if collection.raster_scale is not None:
        return collection.raster_scale, "catalogue: 2nd-98th percentile of band 1"
    return _overview_scale(str(collection_raster(collection)), collection.version), \
        "overview: 2nd-98th percentile of band 1"


@lru_cache(maxsize=64)
def _overview_scale(path: str, version: int) -> tuple[float, float]:
    with Reader(path) as cog:
        preview = cog.preview(indexes=1, max_size=1024)
    values = preview.array.compressed().astype("float64")
    values = values[np.isfinite(values)]
    if not values.size:
        return (0.0, 1.0)
    low, high = (float(v) for v in np.percentile(values, (2, 98)))
    return (low, high) if high > low else (low, low + 1.0)


def cached_raster_tile(session: Session, collection: Collection, z: int, y: int, x: int,
                       rescale: tuple[float, float] | None = None, colormap: str | None = None) -> CachedTile:
    """The PNG tile from the cache, rendering and storing it on a miss."""
    check_tile(TILE_MATRIX_SET, z, y, x)
    collection_raster(collection)
    key = cache_key(session, collection, "png", z, y, x, (rescale, colormap))
    return tile_cache().get_or_render(key, lambda: raster_tile(collection, z, y, x, rescale, colormap))[0]
