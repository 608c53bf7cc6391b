"""What partner systems read: OGC API collections and features, vector and raster tiles.

:mod:`~spatial.serving.collections` (the four administrative levels and every catalogue
layer, with their whitelisted properties), :mod:`~spatial.serving.features` (pages of
GeoJSON built in SQL), :mod:`~spatial.serving.item_pages` (those pages kept as sent until the data changes), :mod:`~spatial.serving.tiles` (Mapbox Vector Tiles from PostGIS),
:mod:`~spatial.serving.raster_tiles` (PNG tiles from COGs), :mod:`~spatial.serving.tile_cache`
and :mod:`~spatial.serving.generation` (the number that invalidates caches when data
changes), :mod:`~spatial.serving.freshness` (the background rebuild of the coalesced tiles
and map coverage a change marked stale). It may import :mod:`spatial.db`, :mod:`spatial.units` and the shared modules.
"""
