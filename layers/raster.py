"""GeoTIFF to Cloud-Optimised GeoTIFF, with the facts the catalogue keeps about it.

The COG keeps the source CRS (any CRS); its bounds are also given in EPSG:4326 for
the catalogue's ``bbox``. Statistics are computed from an overview when the raster is
large, and say so (``approximate``).

Examples
--------
>>> cog = convert_to_cog(Path("population.tif"), "population.tif", Path("/data/rasters/.tmp.tif"))  # doctest: +SKIP
>>> cog.details["bands"], cog.bbox                                                                   # doctest: +SKIP
(1, [44.0, 25.0, 63.3, 39.8])
"""

from __future__ import annotations

import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.warp import transform_bounds

from layers import datafiles
from layers.options import CLI, OptionNames
from layers.readers import gdal_reason, parse_crs
from spatial.errors import InvalidInput

#: Statistics are read from an overview no larger than this many pixels per band.
STATS_MAX_PIXELS = 4_000_000
COG_OPTIONS = {"COMPRESS": "DEFLATE", "BLOCKSIZE": "512", "OVERVIEWS": "AUTO", "BIGTIFF": "IF_SAFER"}


@dataclass(frozen=True)
class CogResult:
    """A COG written to ``path``, its bounds in EPSG:4326 and the facts for ``Layer.details``."""

    path: Path
    bbox: list[float]
    source_crs: str
    details: dict[str, Any]


def convert_to_cog(source: Path, name: str, target: Path, s_srs: str | None = None,
                   say: OptionNames = CLI) -> CogResult:
    """Write ``source`` (a GeoTIFF) as a COG at ``target`` and describe it.

    Raises :class:`InvalidInput` when the file is not a readable raster (any GDAL error
    while reading it, such as a truncated file) or has no georeferencing (no CRS and no
    ``s_srs``, or no geotransform). ``target`` is removed on any failure.
    """
    declared = parse_crs(s_srs, say) if s_srs else None
    try:
        with warnings.catch_warnings():
            # A missing geotransform is reported below, in words the user can act on.
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            src = rasterio.open(source)
        with src:
            crs = declared or (src.crs if src.crs else None)
            if src.transform.is_identity and not src.gcps[0]:
                raise InvalidInput(
                    f"{name} has no georeferencing (no geotransform), so it cannot be placed on the map; "
                    "georeference it first (e.g. QGIS Georeferencer or gdal_translate -a_ullr -a_srs).",
                    reason="raster_not_georeferenced", name=name, field="file",
                )
            if src.transform.is_identity:
                raise InvalidInput(
                    f"{name} is georeferenced only by ground control points; warp it first (gdalwarp) "
                    "so that it has a geotransform.",
                    reason="raster_gcps_only", name=name, field="file",
                )
            if crs is None:
                raise InvalidInput(
                    f"{name} has no coordinate reference system; give it with {say.example('s_srs', 'EPSG:32640')}.",
                    reason="no_crs", name=name, field="s_srs",
                )
            options = dict(COG_OPTIONS)
            if src.nodata is None and src.dtypes[0] in ("float32", "float64"):
                options["NODATA"] = "nan"
            if declared is None:
                rasterio.shutil.copy(src, target, driver="COG", **options)
            else:
                _copy_with_crs(src, target, declared, options)
        return _describe(target, name, crs)
    except Exception as exc:
        _remove_partial(target)
        if not _from_gdal(exc):
            raise
        if _disk_full(target.parent, source):
            raise datafiles.storage_full(target.parent) from exc
        raise InvalidInput(
            f"{name} is not a readable GeoTIFF ({gdal_reason(exc, source, name)}); the file may be damaged or "
            "cut short: export or download it again.",
            reason="raster_unreadable", name=name, field="file",
        ) from None
    except BaseException:
        _remove_partial(target)
        raise


def _remove_partial(target: Path) -> None:
    """Remove ``target`` and what GDAL wrote beside it (``<target>.ovr.tmp`` while making overviews)."""
    for path in [target, *target.parent.glob(f"{target.name}.*")]:
        path.unlink(missing_ok=True)


def _disk_full(folder: Path, source: Path) -> bool:
    """Whether a conversion that failed in ``folder`` did so for want of space: less is free
    there than the source takes (GDAL reports it only as a failed write or seek)."""
    try:
        return shutil.disk_usage(folder).free < source.stat().st_size
    except OSError:
        return False


def _from_gdal(exc: Exception) -> bool:
    """Whether ``exc`` is GDAL's (through rasterio) rather than a fault of this code.

    rasterio raises its documented :class:`RasterioError` and, for errors GDAL reports
    while reading pixels (a truncated strip), its ``CPLE_*`` classes, which it does not
    export; both come from the ``rasterio`` package.
    """
    return isinstance(exc, RasterioError) or type(exc).__module__.split(".")[0] == "rasterio"


def _copy_with_crs(src: rasterio.DatasetReader, target: Path, crs: Any, options: dict[str, str]) -> None:
    """COG of ``src`` with ``crs`` declared: stamp the CRS on a plain GeoTIFF copy first,
    because editing a COG in place would break its layout."""
    staging = target.with_name(target.stem + ".staging.tif")
    try:
        rasterio.shutil.copy(src, staging, driver="GTiff")
        with rasterio.open(staging, "r+") as plain:
            plain.crs = crs
        rasterio.shutil.copy(staging, target, driver="COG", **options)
    finally:
        staging.unlink(missing_ok=True)


def _describe(path: Path, name: str, crs: rasterio.crs.CRS) -> CogResult:
    with rasterio.open(path) as cog:
        west, south, east, north = transform_bounds(crs, "EPSG:4326", *cog.bounds, densify_pts=21)
        scale = max(1.0, (cog.width * cog.height / STATS_MAX_PIXELS) ** 0.5)
        shape = (max(1, int(cog.height / scale)), max(1, int(cog.width / scale)))
        statistics = []
        for band in range(1, cog.count + 1):
            data = cog.read(band, out_shape=shape, masked=True)
            values = data.compressed().astype("float64")
            values = values[np.isfinite(values)]
            # The 2nd and 98th percentiles: the one colour scale of the layer's map tiles.
            p2, p98 = (float(v) for v in np.percentile(values, (2, 98))) if values.size else (None, None)
            statistics.append({
                "band": band,
                "min": float(values.min()) if values.size else None,
                "max": float(values.max()) if values.size else None,
                "p2": p2,
                "p98": p98,
                "mean": float(values.mean()) if values.size else None,
                "std": float(values.std()) if values.size else None,
                "valid_fraction": float(values.size / data.size),
            })
        epsg = crs.to_epsg()
        source_crs = f"EPSG:{epsg}" if epsg else crs.to_wkt()
        details = {
            "driver": "GTiff/COG",
            "source_file": name,
            "bands": cog.count,
            "dtype": cog.dtypes[0],
            "width": cog.width,
            "height": cog.height,
            "nodata": None if cog.nodata is None or np.isnan(cog.nodata) else float(cog.nodata),
            "nodata_is_nan": bool(cog.nodata is not None and np.isnan(cog.nodata)),
            "crs": source_crs,
            "bounds": list(cog.bounds),
            "resolution": list(cog.res),
            "statistics": statistics,
            "statistics_approximate": scale > 1.0,
            "overviews": cog.overviews(1),
        }
    return CogResult(path=path, bbox=[west, south, east, north], source_crs=source_crs, details=details)
