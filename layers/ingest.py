"""Adding a layer: one file in, one table (or COG) and one catalogue row out, in one transaction.

:func:`add_layer` checks the name and the file, unpacks zips safely, reads any common
vector format or a GeoTIFF, reprojects to EPSG:4326, repairs and promotes geometries,
checks that the layer lies in the territory (:mod:`layers.territory`), bulk-loads with COPY into ``layers.<slug>_v<version>``, indexes and analyses it, and
writes the catalogue row. With ``replace=True`` it loads the next version beside the
current one and swaps them in the same transaction, so readers see the old version
until the swap commits. Any failure raises and leaves nothing behind once the
caller's transaction rolls back (COGs are moved into place only on commit).

Examples
--------
>>> with session_scope() as session:                                    # doctest: +SKIP
...     layer = add_layer(session, Path("health.zip"), name="health_centres",
...                       kind="capacity", added_by="analyst1")
>>> layer.feature_count, layer.geometry_type                            # doctest: +SKIP
(412, 'MultiPoint')
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
from psycopg import sql
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from layers import datafiles
from layers.archive import Limits, check_size, extract_zip
from layers.columns import Column, plan_columns
from layers.geometry import FAMILY_OF, CleanGeometries, clean_source
from layers.options import CLI, OptionNames
from layers.raster import convert_to_cog
from layers.readers import VectorSource, find_dataset, format_of, read_vector
from layers.territory import check_extent
from spatial.accounts import audit
from spatial.db.bulk import copy_arrow, multi_ewkb_hex
from spatial.db.engine import driver_connection
from spatial.errors import Conflict, InvalidInput
from spatial.models.catalogue import KINDS, Layer
from spatial.settings import get_settings

SCHEMA = "layers"
RASTER_FOLDER = "rasters"
#: Slugs leave room for the ``_v<version>`` suffix within PostgreSQL's 63-byte identifiers.
SLUG = re.compile(r"^[a-z][a-z0-9_]{0,49}$")

#: ``progress(stage, done, total)``: what is happening, and how far (``None`` when unknown).
Progress = Callable[[str, int | None, int | None], None]


def _quiet(stage: str, done: int | None, total: int | None) -> None:
    """The default progress callback: say nothing."""


@dataclass(frozen=True)
class LayerRequest:
    """What the analyst asked for, as given on the command line or in the upload form.

    ``say`` names the options in messages as that user types them (CLI flags or form fields).
    """

    name: str
    title: str | None = None
    kind: str | None = None
    layer: str | None = None
    encoding: str | None = None
    s_srs: str | None = None
    replace: bool = False
    say: OptionNames = CLI


def check_slug(slug: str, say: OptionNames = CLI) -> str:
    """``slug`` if it is a safe identifier, else an error saying what a slug may hold."""
    if not SLUG.match(slug or ""):
        raise InvalidInput(
            f"{say.name('name')} {slug!r} is not a valid layer name: "
            "use 1–50 lower-case letters, digits and underscores, "
            "starting with a letter (e.g. health_centres).",
            reason="bad_layer_name", slug=slug, field="name",
        )
    return slug


def add_layer(
    session: Session,
    path: Path,
    request: LayerRequest,
    *,
    added_by: str,
    file_name: str | None = None,
    details: dict[str, Any] | None = None,
    limits: Limits | None = None,
    progress: Progress = _quiet,
) -> Layer:
    """Add (or with ``request.replace``, replace) the layer ``request.name`` from the file at ``path``.

    Parameters
    ----------
    session
        The transaction to work in; the caller commits (or rolls back).
    path
        The file: GeoJSON, GeoPackage, Shapefile (``.shp`` or zipped), CSV, FlatGeobuf,
        GeoParquet, GeoTIFF, or a zip holding one of them.
    request
        Name, title, kind and reading options.
    added_by
        Who adds it (the principal's username), kept in the catalogue.
    file_name
        The name to show in messages and keep as ``source_file`` (an upload's name).
    details
        Extra facts merged into ``Layer.details`` (e.g. ``{"synthetic": True}``).
    limits
        Upload limits; the configured ones by default.
    progress
        Called as ``progress(stage, done, total)`` while working.

    Returns
    -------
    Layer
        The catalogue row, flushed (its id set) but not committed.
    """
    say = request.say
    slug = check_slug(request.name, say)
    if request.kind is not None and request.kind not in KINDS:
        raise InvalidInput(f"{say.name('kind')} {request.kind!r} is unknown; use one of {', '.join(KINDS)}.",
                           reason="unknown_layer_kind", field="kind")
    name = file_name or path.name
    kind = format_of(Path(name))
    current = session.execute(select(Layer).where(Layer.slug == slug).with_for_update()).scalar_one_or_none()
    if current is not None and not request.replace:
        raise Conflict(
            f"A layer named {slug!r} already exists (version {current.version}); "
            f"add {say.switch('replace')} to load a new version, or choose another {say.name('name')}.",
            reason="layer_exists", slug=slug, field="name",
        )
    limits = limits or Limits.from_settings()
    check_size(path, limits, name)
    version = current.version + 1 if current else 1
    with datafiles.work_folder("layer") as work:
        dataset = path
        if kind == "zip":
            progress("unpacking", None, None)
            dataset = find_dataset(extract_zip(path, Path(work), limits, name), name, request.layer, say)
            kind = format_of(dataset)
        if kind == "raster":
            facts = _add_raster(session, dataset, name, slug, version, request, progress)
        else:
            progress("reading", None, None)
            source = read_vector(dataset, name, layer=request.layer, encoding=request.encoding, s_srs=request.s_srs,
                                 say=say, batch_rows=get_settings().ingest_batch_rows)
            facts = _add_vector(session, source, slug, version, progress, say)
    facts["details"] = {**facts["details"], **(details or {})}
    audit.did("create" if current is None else "edit", "layer", slug, name=request.title or name)
    return _record(session, current, slug, version, request, name, added_by, facts)


def _add_vector(session: Session, source: VectorSource, slug: str, version: int, progress: Progress,
                say: OptionNames) -> dict[str, Any]:
    """Clean and COPY the source part by part (one part unless it is a large GeoParquet file).

    Each part's geometries are cleaned and written before the next is read, so memory
    holds one part; the layer's type is settled by the first part and every later part
    must agree. The extent is checked on the whole layer, before indexing.
    """
    table = f"{slug}_v{version}"
    total = source.features
    layer = _VectorLoad()
    # Writing and indexing ten million features takes minutes, in this transaction only;
    # the server-wide statement timeout is there to stop runaway reads.
    _execute(session, sql.SQL("SET LOCAL statement_timeout = 0"))
    progress("writing", 0, total)
    for attributes, wkb in source.batches():
        try:
            clean = clean_source(wkb, source.crs, source.name, say)
        except InvalidInput as refusal:
            if refusal.reason != "no_geometries":
                raise
            layer.empty_parts.append(refusal)  # a part without geometry is fine if another part has some
            layer.dropped_empty += len(wkb)
            continue
        columns, dropped_columns = plan_columns(attributes.filter(pa.array(clean.keep)))
        if layer.geometry_type is None:
            _create_table(session, table, clean.geometry_type, columns)
            layer.start(clean.geometry_type, columns, dropped_columns)
        elif clean.geometry_type != layer.geometry_type:
            raise InvalidInput(
                f"{source.name} mixes {FAMILY_OF[layer.geometry_type]} and "
                f"{FAMILY_OF[clean.geometry_type]} (from row {layer.rows_read + 1:,}); a layer holds one kind of "
                "geometry: split the file into one layer per kind.",
                reason="mixed_geometry_types", name=source.name, field="file",
            )
        count = len(clean.wkb)
        data = pa.table(
            {"fid": pa.array(np.arange(layer.written + 1, layer.written + count + 1, dtype=np.int64)),
             "geom": multi_ewkb_hex(clean.wkb, clean.geometry_type)}
            | {c.name: c.data for c in columns}
        )
        _copy(session, table, data, source.name, lambda done: progress("writing", layer.rows_read + done, total))
        layer.add(clean, len(wkb))
    if layer.geometry_type is None:
        raise layer.empty_parts[0]
    warnings = check_extent(session, layer.bbox, source.name, say)
    progress("indexing", None, None)
    _index(session, table)
    epsg = source.crs.to_epsg()
    return {
        "storage": "vector",
        "table_name": table,
        "raster_path": None,
        "geometry_type": layer.geometry_type,
        "source_crs": f"EPSG:{epsg}" if epsg else source.crs.to_string(),
        "feature_count": layer.written,
        "bbox": layer.bbox,
        "columns": [c.catalogue_entry() for c in layer.columns],
        "details": {
            **source.notes,
            "source_layer": source.layer,
            "source_features": total,
            "repaired_geometries": layer.repaired,
            "dropped_empty_geometries": layer.dropped_empty,
            "dropped_after_repair": layer.dropped_after_repair,
            "dropped_columns": layer.dropped_columns,
            "warnings": warnings,
        },
    }


@dataclass
class _VectorLoad:
    """What has been written of a vector layer so far, part by part."""

    geometry_type: str | None = None
    columns: list[Column] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    written: int = 0
    rows_read: int = 0
    repaired: int = 0
    dropped_empty: int = 0
    dropped_after_repair: int = 0
    bbox: list[float] = field(default_factory=list)
    empty_parts: list[InvalidInput] = field(default_factory=list)

    def start(self, geometry_type: str, columns: list[Column], dropped_columns: list[str]) -> None:
        self.geometry_type, self.columns, self.dropped_columns = geometry_type, columns, dropped_columns

    def add(self, clean: CleanGeometries, rows: int) -> None:
        self.written += len(clean.wkb)
        self.rows_read += rows
        self.repaired += clean.repaired
        self.dropped_empty += clean.dropped_empty
        self.dropped_after_repair += clean.dropped_after_repair
        box = clean.bbox
        self.bbox = box if not self.bbox else [min(self.bbox[0], box[0]), min(self.bbox[1], box[1]),
                                               max(self.bbox[2], box[2]), max(self.bbox[3], box[3])]


def _copy(session: Session, table: str, data: pa.Table, name: str, progress: Callable[[int], None]) -> None:
    try:
        copy_arrow(session, table, data.column_names, data, schema=SCHEMA, verbatim=("geom",), progress=progress)
    except psycopg.errors.DataError as exc:
        raise InvalidInput(
            f"{name}: a value cannot be stored ({exc.diag.message_primary}; {(exc.diag.context or '')[:200]}); "
            "fix it in the file and try again.",
            reason="value_not_storable", name=name, field="file",
        ) from None


def _create_table(session: Session, table: str, geometry_type: str, columns: list[Column]) -> None:
    # No keys or indexes yet: building them after COPY is much faster than maintaining them during it.
    definition = sql.SQL("CREATE TABLE {} (fid bigint NOT NULL, geom geometry({}, 4326) NOT NULL{})").format(
        sql.Identifier(SCHEMA, table),
        sql.SQL(geometry_type),  # one of three fixed names from layers.geometry.MULTI_TYPES
        sql.SQL("").join(sql.SQL(", {} {}").format(sql.Identifier(c.name), sql.SQL(c.sql_type)) for c in columns),
    )
    try:
        _execute(session, definition)
    except psycopg.errors.DuplicateTable:
        raise Conflict(
            f"Layer table {table!r} already exists: the same layer is being added by someone else right now. "
            "List the layers and try again.",
            reason="layer_being_added", field="name",
        ) from None


def _index(session: Session, table: str) -> None:
    target = sql.Identifier(SCHEMA, table)
    _execute(session, sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (fid)").format(target))
    _execute(session, sql.SQL("CREATE INDEX {} ON {} USING gist (geom)").format(sql.Identifier(f"{table}_geom_idx"), target))
    _execute(session, sql.SQL("ANALYZE {}").format(target))


def _execute(session: Session, statement: sql.SQL | sql.Composed) -> None:
    raw = driver_connection(session)
    with raw.cursor() as cursor:
        cursor.execute(statement)


def drop_table(session: Session, table: str) -> None:
    """Drop ``layers.<table>`` inside the session's transaction."""
    _execute(session, sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(SCHEMA, table)))


def _add_raster(session: Session, dataset: Path, name: str, slug: str, version: int, request: LayerRequest,
                progress: Progress) -> dict[str, Any]:
    progress("converting to Cloud-Optimised GeoTIFF", None, None)
    relative = f"{RASTER_FOLDER}/{slug}_v{version}.tif"
    final = datafiles.data_path(relative)
    temporary = datafiles.temporary_path(final)
    cog = convert_to_cog(dataset, name, temporary, s_srs=request.s_srs, say=request.say)
    datafiles.move_on_commit(session, temporary, final)
    warnings = check_extent(session, cog.bbox, name, request.say)
    return {
        "storage": "raster",
        "table_name": None,
        "raster_path": relative,
        "geometry_type": None,
        "source_crs": cog.source_crs,
        "feature_count": None,
        "bbox": cog.bbox,
        "columns": [],
        "details": {**cog.details, "warnings": warnings},
    }


#: The catalogue fields that describe one version (kept in ``previous_versions`` on replace).
VERSION_FIELDS = ("version", "title", "storage", "table_name", "raster_path", "geometry_type", "source_crs",
                  "source_file", "feature_count", "bbox", "columns", "details", "created_by")


def _record(session: Session, current: Layer | None, slug: str, version: int, request: LayerRequest,
            file_name: str, added_by: str, facts: dict[str, Any]) -> Layer:
    now = datetime.now(UTC)
    title = request.title or (current.title if current else slug.replace("_", " ").capitalize())
    if current is None:
        layer = Layer(slug=slug, version=version, title=title, kind=request.kind or "context", source_file=file_name,
                      created_by=added_by, created_at=now, updated_at=now, previous_versions=[], **facts)
        session.add(layer)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(f"A layer named {slug!r} was added by someone else meanwhile; "
                           f"use {request.say.switch('replace')}.", reason="layer_being_added", field="name") from None
        return layer
    previous = {f: getattr(current, f) for f in VERSION_FIELDS} | {"created_at": current.created_at.isoformat(),
                                                                    "replaced_at": now.isoformat()}
    old_table, old_raster = current.table_name, current.raster_path
    for key, value in facts.items():
        setattr(current, key, value)
    current.version = version
    current.title = title
    current.kind = request.kind or current.kind
    current.source_file = file_name
    current.created_by = added_by
    current.created_at = now
    current.updated_at = now
    current.previous_versions = [*current.previous_versions, previous]
    session.flush()
    # Last step, so that the old table is locked for the shortest time before the commit.
    if old_table:
        drop_table(session, old_table)
    if old_raster:
        datafiles.delete_on_commit(session, datafiles.data_path(old_raster))
    return current
