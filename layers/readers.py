"""Reading vector files into Arrow: the attribute table and the geometries as WKB.

One entry point, :func:`read_vector`, for GeoJSON, GeoPackage, Shapefile, CSV (lon/lat
or WKT columns), FlatGeobuf and GeoParquet; :func:`find_dataset` picks the data file
out of an unpacked zip. Every failure is an :class:`~spatial.errors.InvalidInput`
that names the file and says what to do.

Examples
--------
>>> source = read_vector(Path("schools.gpkg"), "schools.gpkg")  # doctest: +SKIP
>>> source.crs.to_epsg(), len(source.geometries)                 # doctest: +SKIP
(4326, 1200)
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pyogrio.errors
from pyproj import CRS
from pyproj.exceptions import CRSError

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
}
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


@dataclass
class VectorSource:
    """What was read from a vector file, before cleaning and reprojection."""

    name: str
    driver: str
    layer: str | None
    attributes: pa.Table
    #: The geometries as read (WKB; cleaned by :func:`layers.geometry.clean_source`).
    wkb: pa.ChunkedArray
    crs: CRS
    notes: dict[str, object] = field(default_factory=dict)


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
        f"{path.name}: unknown file type {suffix or '(no extension)'!r}; use one of {KNOWN}.", field="file"
    )


def find_dataset(folder: Path, archive_name: str, layer: str | None) -> Path:
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
            field="file",
        )
    names = ", ".join(str(p.relative_to(folder)) for p in candidates)
    raise InvalidInput(
        f"{archive_name} holds several datasets ({names}); pick one with --layer NAME.", field="layer"
    )


def parse_crs(text: str, what: str = "--s-srs") -> CRS:
    """A CRS from ``EPSG:NNNN``, a bare code, WKT or PROJ text; an error that says what to give."""
    value = text.strip()
    try:
        return CRS.from_user_input(f"EPSG:{value}" if value.isdigit() else value)
    except CRSError:
        raise InvalidInput(
            f"{what}: unknown coordinate reference system {text!r}; give an EPSG code such as EPSG:32640.",
            field="s_srs",
        ) from None


def python_encoding(name: str) -> str:
    """The codec name for ``name`` (``windows-1256`` → ``cp1256``), or an error."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InvalidInput(
            f"--encoding: unknown text encoding {name!r}; use e.g. UTF-8 or windows-1256.", field="encoding"
        ) from None


def read_vector(
    path: Path, name: str, *, layer: str | None = None, encoding: str | None = None, s_srs: str | None = None
) -> VectorSource:
    """Read the vector dataset at ``path`` (shown to the user as ``name``).

    ``layer`` picks a GeoPackage layer (required when it holds several), ``encoding``
    overrides the text encoding (Shapefile, CSV), ``s_srs`` declares or overrides the
    source CRS. GeoJSON and CSV without a CRS are taken as EPSG:4326.
    """
    suffix = path.suffix.lower()
    driver = VECTOR_SUFFIXES[suffix]
    declared = parse_crs(s_srs) if s_srs else None
    codec = python_encoding(encoding) if encoding else None
    notes: dict[str, object] = {"driver": driver}
    if driver == "GeoParquet":
        attributes, wkb, crs = _read_geoparquet(path, name)
        chosen = None
    else:
        options: dict[str, str] = {}
        if driver == "Shapefile":
            codec = _shapefile_preflight(path, name, codec, declared, notes)
        if driver == "CSV":
            options = dict(CSV_OPTIONS)
            if codec and codec != "utf-8":
                path = _utf8_copy(path, name, codec)
        chosen = _choose_layer(path, name, layer) if driver == "GeoPackage" else None
        attributes, wkb, crs = _read_ogr(path, name, chosen, codec if driver == "Shapefile" else None, options)
        if crs is None and driver in ("GeoJSON", "CSV"):
            crs = CRS.from_epsg(4326)
    if declared is not None:
        crs = declared
    if crs is None:
        raise InvalidInput(
            f"{name} does not say which coordinate reference system it uses"
            f"{' (no .prj file)' if driver == 'Shapefile' else ''}; "
            "give it with --s-srs, e.g. --s-srs EPSG:32640 for UTM zone 40N.",
            field="s_srs",
        )
    if codec:
        notes["encoding"] = codec
    return VectorSource(name=name, driver=driver, layer=chosen, attributes=attributes,
                        wkb=wkb, crs=crs, notes=notes)


def _sidecar(path: Path, suffix: str) -> Path | None:
    for candidate in path.parent.glob(path.stem + ".*"):
        if candidate.suffix.lower() == suffix:
            return candidate
    return None


def _shapefile_preflight(path: Path, name: str, codec: str | None, declared: CRS | None,
                         notes: dict[str, object]) -> str | None:
    """Check the Shapefile's companions and settle its text encoding."""
    for needed in (".shx", ".dbf"):
        if _sidecar(path, needed) is None:
            raise InvalidInput(
                f"{name}: the Shapefile {path.name} has no {needed} file beside it; "
                "zip the .shp, .shx, .dbf and .prj (and .cpg) files together.",
                field="file",
            )
    if _sidecar(path, ".prj") is None and declared is None:
        raise InvalidInput(
            f"{name}: the Shapefile {path.name} has no .prj file, so its coordinate reference system is unknown; "
            "give it with --s-srs (e.g. --s-srs EPSG:32640 for UTM zone 40N).",
            field="s_srs",
        )
    if codec:
        notes["encoding_source"] = "--encoding"
        return codec
    cpg = _sidecar(path, ".cpg")
    if cpg is not None:
        notes["encoding_source"] = ".cpg"
        return python_encoding(cpg.read_text(encoding="ascii", errors="replace").strip() or "utf-8")
    # No .cpg and no --encoding: UTF-8 if the table decodes as UTF-8, else the Persian code page.
    dbf = _sidecar(path, ".dbf")
    assert dbf is not None
    raw = dbf.read_bytes()
    notes["encoding_source"] = "detected"
    try:
        raw[32:].decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return FALLBACK_DBF_ENCODING


def _utf8_copy(path: Path, name: str, codec: str) -> Path:
    text = _decode(path.read_bytes(), name, codec)
    target = path.with_name(path.stem + ".utf8.csv")
    target.write_text(text, encoding="utf-8")
    return target


def _decode(raw: bytes, name: str, codec: str) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{name}: the text is not valid {codec} (byte {exc.start}); "
            "give the right encoding with --encoding (e.g. windows-1256 or UTF-8).",
            field="encoding",
        ) from None


def _choose_layer(path: Path, name: str, layer: str | None) -> str | None:
    try:
        layers = [str(row[0]) for row in pyogrio.list_layers(path)]
    except (pyogrio.errors.DataSourceError, RuntimeError) as exc:
        raise InvalidInput(f"{name} cannot be opened as a GeoPackage: {exc}", field="file") from None
    if layer is not None:
        if layer not in layers:
            raise InvalidInput(f"{name} has no layer {layer!r}; its layers are: {', '.join(layers)}.", field="layer")
        return layer
    if len(layers) > 1:
        raise InvalidInput(
            f"{name} holds {len(layers)} layers ({', '.join(layers)}); pick one with --layer NAME.", field="layer"
        )
    return layers[0] if layers else None


def _read_ogr(path: Path, name: str, layer: str | None, encoding: str | None,
              options: dict[str, str]) -> tuple[pa.Table, pa.ChunkedArray, CRS | None]:
    try:
        meta, table = pyogrio.read_arrow(path, layer=layer, encoding=encoding, **options)
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{name}: text is not valid {encoding or 'UTF-8'} (byte {exc.start}); "
            "give the right encoding with --encoding (e.g. windows-1256).",
            field="encoding",
        ) from None
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
            pyogrio.errors.GeometryError, pyogrio.errors.CRSError, RuntimeError, ValueError) as exc:
        raise InvalidInput(f"{name} could not be read: {str(exc).strip()}", field="file") from None
    geometry_name = meta.get("geometry_name") or "wkb_geometry"
    if meta.get("geometry_type") is None or geometry_name not in table.column_names:
        hint = (" (name the coordinate columns lon/lat, x/y or give a WKT column named wkt or geometry)"
                if path.suffix.lower() == ".csv" else "")
        raise InvalidInput(f"{name} has no geometry column{hint}; a layer needs locations.", field="file")
    crs = CRS.from_user_input(meta["crs"]) if meta.get("crs") else None
    attributes = table.drop_columns([geometry_name])
    _check_text(attributes, name, encoding)
    return attributes, table.column(geometry_name), crs


def _check_text(table: pa.Table, name: str, encoding: str | None) -> None:
    """GDAL passes undecodable bytes through; catch them here rather than at COPY time."""
    for position, column in enumerate(table.schema):
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            try:
                table.column(position).validate(full=True)
            except pa.ArrowInvalid:
                raise InvalidInput(
                    f"{name}: the text in column {column.name!r} is not valid {encoding or 'UTF-8'}; "
                    "give the file's encoding with --encoding (e.g. windows-1256).",
                    field="encoding",
                ) from None


def _read_geoparquet(path: Path, name: str) -> tuple[pa.Table, pa.ChunkedArray, CRS | None]:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(f"{name} is not a readable Parquet file ({exc}).", field="file") from None
    raw = (table.schema.metadata or {}).get(b"geo")
    if raw is None:
        raise InvalidInput(f"{name} is Parquet without GeoParquet 'geo' metadata, so it has no geometry column.",
                           field="file")
    geo = json.loads(raw)
    column = geo.get("primary_column", "geometry")
    spec = geo.get("columns", {}).get(column, {})
    if spec.get("encoding", "WKB").upper() != "WKB":
        raise InvalidInput(
            f"{name} stores geometries as {spec['encoding']!r}; write it with WKB encoding "
            "(the GeoParquet default, e.g. geopandas to_parquet).",
            field="file",
        )
    # GeoParquet: a missing crs means OGC:CRS84 (lon/lat); an explicit null means unknown.
    crs_value = spec.get("crs", "OGC:CRS84")
    crs = CRS.from_user_input(crs_value) if crs_value is not None else None
    return table.drop_columns([column]), table.column(column), crs
