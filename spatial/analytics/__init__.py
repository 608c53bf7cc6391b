"""Capacities and deprivation per unit: indicators and everything computed from them.

:mod:`~spatial.analytics.indicators` (definitions, values, roll-up), :mod:`~spatial.analytics.overlay`
(indicators derived by overlaying a layer on a level of units; its choices of method in
:mod:`~spatial.analytics.overlay_methods`, the point-in-polygon rule in
:mod:`~spatial.analytics.tallies`, the Dask engine for large layers in
:mod:`~spatial.analytics.overlay_dask`, background derivations in :mod:`~spatial.analytics.jobs`), :mod:`~spatial.analytics.indices`
(composite indices and rankings), :mod:`~spatial.analytics.mcdm` (AHP weights, VIKOR),
:mod:`~spatial.analytics.what_if` (index scores under other weights, not stored),
:mod:`~spatial.analytics.lisa` (queen contiguity and LISA cluster labels),
:mod:`~spatial.analytics.spatial_stats` (Moran's I, LISA, Gini, Theil of a measure),
:mod:`~spatial.analytics.advantage` (location quotients), :mod:`~spatial.analytics.shift_share`
(national share, industry mix, regional shift), :mod:`~spatial.analytics.multidimensional`
(Alkire-Foster deprivation), :mod:`~spatial.analytics.access` (2SFCA / E2SFCA access to services),
:mod:`~spatial.analytics.bivariate` (capacity × deprivation classes),
:mod:`~spatial.analytics.allocation` (fair split of a budget),
:mod:`~spatial.analytics.target_community` and :mod:`~spatial.analytics.profile` (what a
planner reads about one unit). Scoring functions are pure NumPy; the database is read and
written by the functions that say so. It may import :mod:`spatial.db`, :mod:`spatial.units`
and the shared modules, not planning or serving.
"""
