"""What partner systems read: OGC API collections and features, vector and raster tiles.

:mod:`~spatial.serving.collections` (the four administrative levels and every catalogue
layer, with their whitelisted properties), :mod:`~spatial.serving.features` (pages of
GeoJSON built in SQL), :mod:`~spatial.serving.tiles` (Mapbox Vector Tiles from PostGIS),
:mod:`~spatial.serving.raster_tiles` (PNG tiles from COGs), :mod:`~spatial.serving.tile_cache`
and :mod:`~spatial.serving.generation` (the number that invalidates caches when data
changes). It may import :mod:`spatial.db`, :mod:`spatial.units` and the shared modules.
"""
