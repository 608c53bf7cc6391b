"""Pishraft's core: database, models, migrations, embedded PostGIS and analysis.

Nothing in this package knows about HTTP; ``api`` wraps it.
"""
