"""Reading vector files into Arrow: the attribute table and the geometries as WKB.

One entry point, :func:`read_vector`, for GeoJSON, GeoPackage, Shapefile, CSV (lon/lat
or WKT columns), FlatGeobuf, GeoParquet and KML/KMZ (a GeoPackage's layers and a KML's
folders are chosen by name); :func:`find_dataset` picks the data file out of an
unpacked zip. Every failure is an :class:`~spatial.errors.InvalidInput` that names the
user's file (never a server path) and says what to do; options are named as the
caller's user types them (:mod:`layers.options`). Files this module writes (a CSV
re-encoded for GDAL) live in a private temporary folder removed before it returns.

Examples
--------
>>> source = read_vector(Path("schools.gpkg"), "schools.gpkg")  # doctest: +SKIP
>>> source.crs.to_epsg(), len(source.geometries)                 # doctest: +SKIP
(4326, 1200)
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pyogrio.errors
from pyproj import CRS
from pyproj.exceptions import CRSError

from layers import datafiles
from layers.options import CLI, OptionNames
from spatial.errors import InvalidInput

VECTOR_SUFFIXES: dict[str, str] = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".shp": "Shapefile",
    ".csv": "CSV",
    ".fgb": "FlatGeobuf",
    ".parquet": "GeoParquet",
    ".geoparquet": "GeoParquet",
    ".kml": "KML",
    ".kmz": "KMZ",
}
#: Formats holding several layers, one of which is chosen by name (KML: its folders).
MULTI_LAYER = ("GeoPackage", "KML", "KMZ")
RASTER_SUFFIXES: dict[str, str] = {".tif": "GeoTIFF", ".tiff": "GeoTIFF"}
ARCHIVE_SUFFIXES = (".zip",)
KNOWN = ", ".join(sorted({*VECTOR_SUFFIXES, *RASTER_SUFFIXES, *ARCHIVE_SUFFIXES}))

#: GDAL CSV open options: find lon/lat or WKT columns by their usual names, type the rest.
CSV_OPTIONS = {
    "X_POSSIBLE_NAMES": "lon,long,longitude,lng,x,easting",
    "Y_POSSIBLE_NAMES": "lat,latitude,y,northing",
    "GEOM_POSSIBLE_NAMES": "wkt,geom,geometry,the_geom,wkt_geom",
    "KEEP_GEOM_COLUMNS": "NO",
    "AUTODETECT_TYPE": "YES",
}
#: The encoding assumed for a Shapefile without ``.cpg`` whose text is not UTF-8:
#: Persian Shapefiles from desktop GIS on Windows are almost always Windows-1256.
FALLBACK_DBF_ENCODING = "cp1256"


#: One part of a source: its attribute rows and their geometries as read (WKB).
Batch = tuple[pa.Table, pa.ChunkedArray | pa.Array]


@dataclass
class VectorSource:
    """What was read from a vector file, before cleaning and reprojection.

    A file GDAL reads is held whole (``attributes`` and ``wkb``); a GeoParquet file is
    read part by part (its row groups, about ``batch_rows`` rows at a time) when
    :meth:`batches` is iterated, so a layer of ten million points never sits in memory at once.
    """

    name: str
    driver: str
    layer: str | None
    crs: CRS
    #: How many features the file holds.
    features: int
    attributes: pa.Table | None = None
    #: The geometries as read (WKB; cleaned by :func:`layers.geometry.clean_source`).
    wkb: pa.ChunkedArray | None = None
    notes: dict[str, object] = field(default_factory=dict)
    parquet: Path | None = None
    batch_rows: int = 1_000_000

    def batches(self) -> Iterator[Batch]:
        """The source's rows in parts: the whole file at once, or a GeoParquet file's row groups."""
        if self.parquet is None:
            assert self.attributes is not None and self.wkb is not None
            yield self.attributes, self.wkb
            return
        yield from _geoparquet_batches(self.parquet, self.name, self.batch_rows)


def format_of(path: Path) -> str:
    """``'vector'``, ``'raster'`` or ``'zip'`` from the file name, or an error listing what is known."""
    suffix = path.suffix.lower()
    if suffix in VECTOR_SUFFIXES:
        return "vector"
    if suffix in RASTER_SUFFIXES:
        return "raster"
    if suffix in ARCHIVE_SUFFIXES:
        return "zip"
    raise InvalidInput(
        f"{path.name}: unknown file type {suffix or '(no extension)'!r}; use one of {KNOWN}.", reason="unknown_file_type", name=path.name, suffix=suffix or "—", known=KNOWN, field="file"
    )


def find_dataset(folder: Path, archive_name: str, layer: str | None, say: OptionNames = CLI) -> Path:
    """The one data file in an unpacked archive (or the one named by ``layer``)."""
    candidates = sorted(
        p for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith((".", "__MACOSX")) for part in p.relative_to(folder).parts)
        and (p.suffix.lower() in VECTOR_SUFFIXES or p.suffix.lower() in RASTER_SUFFIXES)
    )
    if layer and len(candidates) > 1:
        named = [p for p in candidates if p.stem == layer or p.name == layer]
        if len(named) == 1:
            return named[0]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise InvalidInput(
            f"{archive_name} holds no data file this service reads ({KNOWN}); "
            "a zipped Shapefile needs at least .shp, .shx and .dbf.",
            reason="no_data_file", name=archive_name, known=KNOWN, field="file",
        )
    names = ", ".join(str(p.relative_to(folder)) for p in candidates)
    raise InvalidInput(
        f"{archive_name} holds several datasets ({names}); pick one with {say.example('layer', 'NAME')}.",
        reason="several_datasets", name=archive_name, names=names, field="layer",
    )


def parse_crs(text: str, say: OptionNames = CLI) -> CRS:
    """A CRS from ``EPSG:NNNN``, a bare code, WKT or PROJ text; an error that says what to give."""
    value = text.strip()
    try:
        return CRS.from_user_input(f"EPSG:{value}" if value.isdigit() else value)
    except CRSError:
        raise InvalidInput(
            f"{say.name('s_srs')}: unknown coordinate reference system {text!r}; "
            "give an EPSG code such as EPSG:32640.",
            reason="unknown_crs", value=text, field="s_srs",
        ) from None


def python_encoding(name: str, say: OptionNames = CLI) -> str:
    """The codec name for ``name`` (``windows-1256`` → ``cp1256``), or an error."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InvalidInput(
            f"{say.name('encoding')}: unknown text encoding {name!r}; use e.g. UTF-8 or windows-1256.",
            reason="unknown_encoding", value=name, field="encoding",
        ) from None


def gdal_reason(exc: BaseException, path: Path, name: str) -> str:
    """GDAL's complaint about ``path`` in words for the user who knows the file as ``name``.

    Server paths (temporary folders) are cut down to file names, and SQLite's internals
    (a damaged GeoPackage) are replaced by what they mean.
    """
    text = " ".join(str(exc).split())
    if re.search(r"sqlite|file is not a database|disk image is malformed", text, re.IGNORECASE):
        return "the file is damaged or is not a GeoPackage (SQLite database)"
    text = text.replace(str(path), path.name)
    # Any other absolute path (a temporary folder, GDAL's /vsizip/...) down to its last part.
    text = re.sub(r"(?<![^\s'\"(])(?:/[^/\s'\"]+)+/(?=[^/\s'\"]+)", "", text)
    return text[:300].rstrip(" .;:") or "GDAL could not read it"


def read_vector(
    path: Path, name: str, *, layer: str | None = None, encoding: str | None = None, s_srs: str | None = None,
    say: OptionNames = CLI, batch_rows: int = 1_000_000,
) -> VectorSource:
    """Read the vector dataset at ``path`` (shown to the user as ``name``).

    ``layer`` picks a GeoPackage layer or a KML folder (required when there are
    several), ``encoding`` overrides the text encoding (Shapefile, CSV), ``s_srs``
    declares or overrides the source CRS. GeoJSON, CSV and KML without a CRS are taken
    as EPSG:4326. ``say`` names options in messages (CLI flags or API form fields).
    A GeoParquet file is only opened and checked here; its rows are read in parts of
    about ``batch_rows`` when the source's :meth:`~VectorSource.batches` are iterated.
    """
    suffix = path.suffix.lower()
    driver = VECTOR_SUFFIXES[suffix]
    declared = parse_crs(s_srs, say) if s_srs else None
    codec = python_encoding(encoding, say) if encoding else None
    notes: dict[str, object] = {"driver": driver}
    attributes: pa.Table | None = None
    wkb: pa.ChunkedArray | None = None
    if driver == "GeoParquet":
        features, crs = _geoparquet_facts(path, name)
        chosen = None
    else:
        prj_problem = None
        if driver == "Shapefile":
            codec, prj_problem = _shapefile_preflight(path, name, codec, declared, notes, say)
        chosen = _choose_layer(path, name, driver, layer, say) if driver in MULTI_LAYER else None
        with datafiles.work_folder("read") as scratch:
            readable = path
            if driver == "CSV":
                readable = _csv_for_gdal(path, name, codec, Path(scratch), notes, say)
            try:
                attributes, wkb, crs = _read_ogr(readable, name, driver, chosen,
                                                 codec if driver == "Shapefile" else None,
                                                 CSV_OPTIONS if driver == "CSV" else {}, say)
            except InvalidInput:
                if prj_problem and declared is None:  # GDAL stumbled on the .prj: say so, not how it stumbled
                    raise InvalidInput(prj_problem, reason="prj_unreadable", name=name, field="s_srs") from None
                raise
        if crs is None and driver in ("GeoJSON", "CSV", "KML", "KMZ"):
            crs = CRS.from_epsg(4326)
        if crs is None and prj_problem and declared is None:
            raise InvalidInput(prj_problem, reason="prj_unreadable", name=name, field="s_srs")
    if declared is not None:
        crs = declared
    if crs is None:
        raise InvalidInput(
            f"{name} does not say which coordinate reference system it uses; "
            f"give it with {say.example('s_srs', 'EPSG:32640')} for UTM zone 40N.",
            reason="no_crs", name=name, field="s_srs",
        )
    if codec:
        notes["encoding"] = codec
    if driver == "GeoParquet":
        return VectorSource(name=name, driver=driver, layer=None, crs=crs, features=features, notes=notes,
                            parquet=path, batch_rows=batch_rows)
    assert attributes is not None and wkb is not None
    return VectorSource(name=name, driver=driver, layer=chosen, crs=crs, features=len(wkb),
                        attributes=attributes, wkb=wkb, notes=notes)


def _sidecar(path: Path, suffix: str) -> Path | None:
    for candidate in path.parent.glob(path.stem + ".*"):
        if candidate.suffix.lower() == suffix:
            return candidate
    return None


def _shapefile_preflight(path: Path, name: str, codec: str | None, declared: CRS | None,
                         notes: dict[str, object], say: OptionNames) -> tuple[str | None, str | None]:
    """Check the Shapefile's companions and settle its text encoding.

    Returns the encoding and, when the ``.prj`` cannot be read as a CRS, the message to
    give if GDAL cannot read it either.
    """
    for needed in (".shx", ".dbf"):
        if _sidecar(path, needed) is None:
            raise InvalidInput(
                f"{name}: the Shapefile {path.name} has no {needed} file beside it; "
                "zip the .shp, .shx, .dbf and .prj (and .cpg) files together.",
                reason="shapefile_part_missing", name=name, part=needed, field="file",
            )
    prj = _sidecar(path, ".prj")
    if prj is None and declared is None:
        raise InvalidInput(
            f"{name}: the Shapefile {path.name} has no .prj file, so its coordinate reference system is unknown; "
            f"give it with {say.example('s_srs', 'EPSG:32640')} for UTM zone 40N.",
            reason="shapefile_no_prj", name=name, field="s_srs",
        )
    prj_problem = _prj_problem(prj, name, say) if prj is not None and declared is None else None
    if codec:
        notes["encoding_source"] = "--encoding"
        return codec, prj_problem
    cpg = _sidecar(path, ".cpg")
    if cpg is not None:
        notes["encoding_source"] = ".cpg"
        return python_encoding(cpg.read_text(encoding="ascii", errors="replace").strip() or "utf-8", say), prj_problem
    # No .cpg and no --encoding: UTF-8 if the table decodes as UTF-8, else the Persian code page.
    dbf = _sidecar(path, ".dbf")
    assert dbf is not None
    raw = dbf.read_bytes()
    notes["encoding_source"] = "detected"
    try:
        raw[32:].decode("utf-8")
        return "utf-8", prj_problem
    except UnicodeDecodeError:
        return FALLBACK_DBF_ENCODING, prj_problem


def _prj_problem(prj: Path, name: str, say: OptionNames) -> str | None:
    """What is wrong with a ``.prj`` that does not define a CRS, or ``None`` when it does."""
    try:
        text = prj.read_bytes().decode("utf-8").strip()
    except UnicodeDecodeError:
        reason = "is not text"
    else:
        if not text:
            reason = "is empty"
        else:
            try:
                CRS.from_wkt(text)
                return None
            except CRSError:
                reason = "is not a coordinate reference system this service can read"
    return (f"{name}: the Shapefile's {prj.name} {reason}; fix or replace it (e.g. export the layer again), "
            f"or give the CRS with {say.example('s_srs', 'EPSG:32640')} for UTM zone 40N.")


#: Persian (۰-۹) and Arabic-Indic (٠-٩) digits, the Arabic decimal and thousands separators and
#: the minus sign, as the ASCII a CSV reader understands (the thousands separator is dropped).
_NUMERALS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫−", "01234567890123456789.-", "٬")
_NATIVE_NUMERAL = re.compile("[۰-۹٠-٩٫٬]")
_NATIVE_NUMERAL_UTF8 = re.compile(rb"\xdb[\xb0-\xb9]|\xd9[\xa0-\xa9\xab\xac]")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def latin_number(cell: str) -> str | None:
    """``cell`` as an ASCII number if it is a number written in Persian or Arabic-Indic digits.

    >>> latin_number("۵۱٫۴"), latin_number("-٣٥٫٧"), latin_number("۱٬۲۰۰"), latin_number("مدرسه ۱۲")
    ('51.4', '-35.7', '1200', None)
    """
    if not _NATIVE_NUMERAL.search(cell):
        return None
    ascii_text = cell.strip().translate(_NUMERALS)
    return ascii_text if _NUMBER.fullmatch(ascii_text) else None


def _csv_for_gdal(path: Path, name: str, codec: str | None, scratch: Path, notes: dict[str, object],
                  say: OptionNames) -> Path:
    """The CSV as GDAL should read it: UTF-8, numbers in ASCII digits; a copy in ``scratch`` if changed.

    GDAL reads only UTF-8 and reads ``۵۱٫۴`` as text, so a CSV in another encoding or
    with numbers in Persian or Arabic-Indic digits is rewritten into the private folder
    ``scratch``; only whole cells that are numbers change (names keep their digits).
    """
    recode = codec is not None and codec != "utf-8"
    if not recode and not _holds_native_numerals(path):
        return path
    text = _decode(path.read_bytes(), name, codec or "utf-8", say)
    if _NATIVE_NUMERAL.search(text):
        text, converted = _latin_numbers(text)
        if converted:
            notes["persian_digit_cells"] = converted
    target = scratch / path.name
    target.write_text(text, encoding="utf-8")
    return target


def _holds_native_numerals(path: Path, chunk: int = 16 * 1024 * 1024) -> bool:
    """Whether the UTF-8 file at ``path`` holds a Persian or Arabic-Indic digit, read a chunk at a time."""
    tail = b""
    with path.open("rb") as source:
        while block := source.read(chunk):
            if _NATIVE_NUMERAL_UTF8.search(tail + block):
                return True
            tail = block[-1:]  # a two-byte character may straddle the chunks
    return False


def _latin_numbers(text: str) -> tuple[str, int]:
    """CSV ``text`` with every cell that is a Persian/Arabic-Indic number in ASCII digits, and how many."""
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t|", key=first_line.count)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    converted = 0
    for row in rows:
        for i, cell in enumerate(row):
            number = latin_number(cell)
            if number is not None:
                row[i] = number
                converted += 1
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue(), converted


def _decode(raw: bytes, name: str, codec: str, say: OptionNames) -> str:
    try:
        return raw.decode("utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{name}: the text is not valid {codec} (byte {exc.start}); "
            f"give the right encoding with {say.example('encoding', 'windows-1256')} (or UTF-8).",
            reason="wrong_encoding", name=name, codec=codec, field="encoding",
        ) from None


def _choose_layer(path: Path, name: str, driver: str, layer: str | None, say: OptionNames) -> str | None:
    what = "folders" if driver in ("KML", "KMZ") else "layers"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's notes name server paths; errors follow
            layers = [str(row[0]) for row in pyogrio.list_layers(path)]
    except (pyogrio.errors.DataSourceError, RuntimeError) as exc:
        raise InvalidInput(f"{name} cannot be opened as a {driver} file: {gdal_reason(exc, path, name)}.",
                           reason="file_unreadable", name=name, driver=driver, field="file") from None
    if layer is not None:
        if layer not in layers:
            raise InvalidInput(f"{name} has no {what[:-1]} {layer!r}; its {what} are: {', '.join(layers)}.",
                               reason="no_such_inner_layer", name=name, layer=layer, layers=", ".join(layers), field="layer")
        return layer
    if len(layers) > 1:
        raise InvalidInput(
            f"{name} holds {len(layers)} {what} ({', '.join(layers)}); pick one with {say.example('layer', 'NAME')}.",
            reason="several_inner_layers", name=name, layers=", ".join(layers), field="layer",
        )
    return layers[0] if layers else None


def _read_ogr(path: Path, name: str, driver: str, layer: str | None, encoding: str | None,
              options: dict[str, str], say: OptionNames) -> tuple[pa.Table, pa.ChunkedArray, CRS | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's notes name server paths; errors follow
            meta, table = pyogrio.read_arrow(path, layer=layer, encoding=encoding, **options)
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{name}: text is not valid {encoding or 'UTF-8'} (byte {exc.start}); "
            f"give the right encoding with {say.example('encoding', 'windows-1256')}.",
            reason="wrong_encoding", name=name, codec=encoding or "UTF-8", field="encoding",
        ) from None
    except (RuntimeError, ValueError) as exc:  # pyogrio's errors are RuntimeErrors
        raise InvalidInput(f"{name} could not be read as {driver}: {gdal_reason(exc, path, name)}.",
                           reason="file_unreadable", name=name, driver=driver, field="file") from None
    geometry_name = meta.get("geometry_name") or "wkb_geometry"
    if meta.get("geometry_type") is None or geometry_name not in table.column_names:
        hint = (" (name the coordinate columns lon/lat, x/y or give a WKT column named wkt or geometry)"
                if driver == "CSV" else "")
        raise InvalidInput(f"{name} has no geometry column{hint}; a layer needs locations.", reason="no_geometry_column", name=name, field="file")
    try:
        crs = CRS.from_user_input(meta["crs"]) if meta.get("crs") else None
    except CRSError:
        crs = None  # reported below as an unknown CRS, with what to do
    attributes = table.drop_columns([geometry_name])
    _check_text(attributes, name, encoding, say)
    return attributes, table.column(geometry_name), crs


def _check_text(table: pa.Table, name: str, encoding: str | None, say: OptionNames) -> None:
    """GDAL passes undecodable bytes through; catch them here rather than at COPY time."""
    for position, column in enumerate(table.schema):
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            try:
                table.column(position).validate(full=True)
            except pa.ArrowInvalid:
                raise InvalidInput(
                    f"{name}: the text in column {column.name!r} is not valid {encoding or 'UTF-8'}; "
                    f"give the file's encoding with {say.example('encoding', 'windows-1256')}.",
                    reason="wrong_encoding_column", name=name, column=column.name, codec=encoding or "UTF-8", field="encoding",
                ) from None


def _open_geoparquet(path: Path, name: str) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(f"{name} is not a readable Parquet file ({gdal_reason(exc, path, name)}).",
                           reason="file_unreadable", name=name, driver="GeoParquet", field="file") from None


def _geometry_column(parquet: pq.ParquetFile, name: str) -> tuple[str, dict[str, object]]:
    """The primary geometry column's name and its GeoParquet metadata, or an error saying what is wrong."""
    raw = (parquet.schema_arrow.metadata or {}).get(b"geo")
    if raw is None:
        raise InvalidInput(f"{name} is Parquet without GeoParquet 'geo' metadata, so it has no geometry column.",
                           reason="parquet_no_geo", name=name, field="file")
    geo = json.loads(raw)
    column = geo.get("primary_column", "geometry")
    spec = geo.get("columns", {}).get(column, {})
    if str(spec.get("encoding", "WKB")).upper() != "WKB":
        raise InvalidInput(
            f"{name} stores geometries as {spec['encoding']!r}; write it with WKB encoding "
            "(the GeoParquet default, e.g. geopandas to_parquet).",
            reason="parquet_not_wkb", name=name, field="file",
        )
    return column, spec


def _geoparquet_facts(path: Path, name: str) -> tuple[int, CRS | None]:
    """How many rows a GeoParquet file holds and its CRS, read from its footer alone."""
    parquet = _open_geoparquet(path, name)
    _, spec = _geometry_column(parquet, name)
    # GeoParquet: a missing crs means OGC:CRS84 (lon/lat); an explicit null means unknown.
    crs_value = spec.get("crs", "OGC:CRS84")
    crs = CRS.from_user_input(crs_value) if crs_value is not None else None
    return parquet.metadata.num_rows, crs


def _geoparquet_batches(path: Path, name: str, batch_rows: int) -> Iterator[Batch]:
    parquet = _open_geoparquet(path, name)
    column, _ = _geometry_column(parquet, name)
    try:
        for batch in parquet.iter_batches(batch_size=batch_rows):
            table = pa.Table.from_batches([batch])
            yield table.drop_columns([column]), table.column(column)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(f"{name} is not a readable Parquet file ({gdal_reason(exc, path, name)}).",
                           reason="file_unreadable", name=name, driver="GeoParquet", field="file") from None
