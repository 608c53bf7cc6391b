"""The administrative hierarchy: province → county → district → neighbourhood or village.

:mod:`~spatial.units.hierarchy` answers queries on units and their boundary versions
(children, ancestors, a unit by code, as of a date); :mod:`~spatial.units.access` says
whether a unit lies within an area (the scope of a progress core's writes);
:mod:`~spatial.units.frames` reads many units with their polygons as a GeoDataFrame (for
maps and overlays). It may import
:mod:`spatial.db` and the shared modules; the analytics, planning and serving rooms build on it.
"""
