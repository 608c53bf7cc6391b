"""Pishraft's core, a library without HTTP: ``api`` wraps it, ``maps`` and ``layers`` use it.

Rooms by concern (each ``__init__`` says what it holds and what it may import):

- :mod:`spatial.db` — engine and sessions, the embedded PostGIS, migrations, bulk COPY;
- :mod:`spatial.units` — the administrative hierarchy and area scope;
- :mod:`spatial.analytics` — indicators, overlays, indices, statistics, allocation;
- :mod:`spatial.planning` — roadmaps, actions, progress watch, history, people, cores;
- :mod:`spatial.serving` — what partners read: collections, features, tiles, tile cache;
- :mod:`spatial.accounts` — users, partner keys, tokens, rate limits, audit, backup;
- :mod:`spatial.demo` — the synthetic demo data set.

Shared by all of them, at this level: :mod:`spatial.settings` (the one place the
environment is read), :mod:`spatial.errors` (domain errors), :mod:`spatial.models` (the
schema), :mod:`spatial.geometry` (vectorised geometry helpers), :mod:`spatial.jalali`
(Persian digits and Jalali dates), :mod:`spatial.messages` (the catalogue of every
user-facing word, Persian and English), :mod:`spatial.catalogue` (the one reader of the
layer catalogue) and :mod:`spatial.roles` (the roles of accounts). Nothing in ``spatial``
imports ``api``, ``maps``, ``layers`` or FastAPI.
"""
