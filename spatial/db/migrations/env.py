"""Alembic environment: migrates whichever database spatial.db.engine points at."""

from alembic import context
from sqlalchemy import create_engine, pool

from spatial.models import Base

target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # PostGIS's own tables and the per-layer tables in schema 'layers' are not ours to diff.
    if type_ == "table" and (name == "spatial_ref_sys" or getattr(obj, "schema", None) == "layers"):
        return False
    return True


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url", "")
    connectable = context.config.attributes.get("connection") or create_engine(url, poolclass=pool.NullPool)
    if hasattr(connectable, "connect"):
        with connectable.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
