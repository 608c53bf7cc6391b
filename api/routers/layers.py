"""Resource layers: upload (multipart), list, show, remove."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile

from api.auth import Principal, require
from api.deps import DbSession
from layers import datafiles
from layers.archive import MB, Limits
from layers.catalogue import remove_layer, sample_rows
from spatial.catalogue import describe, get_layer, list_layers, summary
from layers.ingest import LayerRequest, add_layer
from layers.options import FORM
from spatial.errors import InvalidInput, TooLarge

router = APIRouter(prefix="/api/layers", tags=["layers"])

Kind = Literal["capacity", "deprivation", "context"]


@router.post("", status_code=201, summary="Add a layer from an uploaded file (one transaction)")
def upload_layer(
    request: Request,
    file: Annotated[UploadFile, File(description="GeoJSON, GeoPackage, zipped Shapefile, CSV, FlatGeobuf, "
                                                 "GeoParquet, KML/KMZ, GeoTIFF, or a zip holding one")],
    name: Annotated[str, Form(description="Layer slug: lower-case letters, digits and _")],
    session: DbSession,
    title: Annotated[str | None, Form()] = None,
    kind: Annotated[Kind | None, Form()] = None,
    layer: Annotated[str | None, Form(description="Layer inside a GeoPackage or zip, folder of a KML")] = None,
    encoding: Annotated[str | None, Form(description="Text encoding, e.g. windows-1256")] = None,
    s_srs: Annotated[str | None, Form(description="Source CRS, e.g. EPSG:32640")] = None,
    replace: Annotated[bool, Form(description="Load a new version of an existing layer")] = False,
    principal: Principal = Depends(require("layers:write")),
) -> dict[str, Any]:
    limits = Limits.from_settings()
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limits.max_bytes + MB:  # the form fields need a little room
        raise TooLarge(f"The upload is {int(declared) / MB:.1f} MB, over the {limits.max_bytes / MB:.0f} MB limit.",
                       field="file")
    with received_file(file, limits) as (path, file_name):
        added = add_layer(
            session, path,
            LayerRequest(name=name, title=title, kind=kind, layer=layer, encoding=encoding, s_srs=s_srs,
                         replace=replace, say=FORM),
            added_by=principal.username, file_name=file_name, limits=limits,
        )
        return describe(added)


@contextmanager
def received_file(upload: UploadFile, limits: Limits) -> Iterator[tuple[Path, str]]:
    """The upload saved in a private temporary folder (removed afterwards) under the user's own
    file name, so that whatever GDAL says about the file names it as the user knows it."""
    file_name = _file_name(upload.filename)
    with datafiles.work_folder("upload") as folder:
        path = Path(folder) / _local_name(file_name)
        _save(upload, path, file_name, limits)
        yield path, file_name


def _file_name(raw: str | None) -> str:
    """The upload's base name (browsers may send a Windows path), restricted to printable characters."""
    base = PurePosixPath((raw or "").replace("\\", "/")).name
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip()
    if not base or base in (".", ".."):
        raise InvalidInput("The upload has no file name; send the file with its name and extension.", field="file")
    return base


def _local_name(file_name: str, limit: int = 200) -> str:
    """``file_name`` as a name in the upload's private folder: shortened if too long for the file system."""
    if len(file_name.encode()) <= limit:
        return file_name
    suffix = Path(file_name).suffix[:20]
    return file_name.encode()[: limit - len(suffix.encode())].decode(errors="ignore") + suffix


def _save(upload: UploadFile, path: Path, file_name: str, limits: Limits) -> None:
    written = 0
    with path.open("wb") as out:
        while chunk := upload.file.read(MB):
            written += len(chunk)
            if written > limits.max_bytes:
                raise TooLarge(
                    f"{file_name} is over the {limits.max_bytes / MB:.0f} MB upload limit; split the data "
                    "or ask an administrator to raise PISHRAFT_MAX_UPLOAD_MB.",
                    field="file",
                )
            out.write(chunk)


@router.get("", summary="All layers in the catalogue")
def get_layers(
    session: DbSession,
    kind: Kind | None = None,
    _: Principal = Depends(require("read")),
) -> list[dict[str, Any]]:
    return [summary(layer) for layer in list_layers(session, kind)]


@router.get("/{slug}", summary="One layer: columns, bbox, CRS, load report, previous versions, first features")
def get_one(
    slug: str,
    session: DbSession,
    _: Principal = Depends(require("read")),
) -> dict[str, Any]:
    layer = get_layer(session, slug)
    return describe(layer) | {"sample": sample_rows(session, layer)}


@router.delete("/{slug}", status_code=204, summary="Remove a layer, its table or raster file")
def delete_layer(
    slug: str,
    session: DbSession,
    _: Principal = Depends(require("layers:write")),
) -> Response:
    remove_layer(session, slug)
    return Response(status_code=204)
