"""The analysts' pages: the layer catalogue and a layer's load report, the layer upload
form (with an upload progress bar, ``static/upload.js``), importing indicator CSVs,
deriving an indicator by overlay, and the indicator catalogue.

Uploads go through the same steps as ``POST /api/layers`` (:mod:`api.routers.layers`:
the file saved within the limits, then :func:`layers.ingest.add_layer` in one
transaction); indicators through :mod:`spatial.analytics.indicators` and
:mod:`spatial.analytics.overlay`.
"""

from __future__ import annotations

from typing import Any, cast

from fastapi import Depends, Request
from fastapi import UploadFile as FastApiUpload
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from api.auth import Principal, require
from api.pages.forms import FormErrors
from api.pages.handovers import editor
from api.pages.render import lang_of, page_router, redirect, render
from api.pages.security import Submitted, form_for
from api.routers.layers import _file_name, received_file
from layers.archive import MB, Limits
from spatial.catalogue import describe, get_layer, list_layers
from layers.ingest import LayerRequest, add_layer
from layers.options import FORM
from spatial.analytics import indicators, jobs, overlay
from spatial.db.engine import session_scope
from spatial.errors import PishraftError
from spatial.messages import FA
from spatial.models.catalogue import KINDS
from spatial.settings import get_settings

router = page_router()

UPLOAD_LABELS = {"file": "layer.file", "name": "layer.name", "title": "layer.title", "kind": "layer.kind",
                 "layer": "layer.inner_layer", "encoding": "layer.encoding", "s_srs": "layer.s_srs"}
DERIVE_LABELS = {"layer": "derive.layer", "level": "derive.level", "method": "derive.method", "code": "derive.code",
                 "period": "derive.period", "attribute": "derive.attribute", "stat": "derive.stat",
                 "origin": "derive.origin", "domain": "derive.domain", "direction": "derive.direction",
                 "name_fa": "derive.name_fa", "name_en": "derive.name_en"}
#: Levels an indicator may be derived at: every level the catalogue names, but the country.
LEVELS = tuple(k.split(".", 1)[1] for k in FA if k.startswith("level.") and k != "level.country")
DOMAINS = ("capacity", "deprivation", "context")
DIRECTIONS = ("higher_is_better", "higher_is_worse")


def _uploaded(sent: Submitted, name: str) -> UploadFile | None:
    """The file sent in field ``name``, if one was chosen."""
    value = sent.form.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


# ------------------------------------------------------------------ layers

@router.get("/layers")
def catalogue_page(request: Request, _: Principal = Depends(require("read"))) -> Response:
    with session_scope() as session:
        found = list_layers(session)
    return render(request, "layers.html", {"layers": found})


def _upload_form(request: Request, values: dict[str, Any], errors: FormErrors, status_code: int = 200) -> Response:
    return render(request, "layer_upload.html", {"values": values, "errors": errors, "kinds": KINDS,
                                                 "max_mb": get_settings().max_upload_mb}, status_code=status_code)


@router.get("/layers/upload")
def upload_form(request: Request, _: Principal = Depends(require("layers:write"))) -> Response:
    return _upload_form(request, {}, FormErrors(lang_of(request)))


@router.post("/layers/upload")
def upload(request: Request, sent: Submitted = Depends(form_for("layers:write"))) -> Response:
    """Load the uploaded file as a layer (one transaction), then show its load report."""
    errors = FormErrors(lang_of(request))
    principal = editor(sent)
    file = _uploaded(sent, "file")
    if file is None:
        errors.add("file", UPLOAD_LABELS["file"], "form.required")
    wanted = LayerRequest(
        name=errors.text(sent, "name", UPLOAD_LABELS["name"], max_len=50),
        title=errors.text(sent, "title", UPLOAD_LABELS["title"], required=False, max_len=200) or None,
        kind=errors.choice(sent, "kind", UPLOAD_LABELS["kind"], KINDS, required=False),
        layer=errors.text(sent, "layer", UPLOAD_LABELS["layer"], required=False, max_len=200) or None,
        encoding=errors.text(sent, "encoding", UPLOAD_LABELS["encoding"], required=False, max_len=40) or None,
        s_srs=errors.text(sent, "s_srs", UPLOAD_LABELS["s_srs"], required=False, max_len=200) or None,
        replace=sent.text("replace") == "on",
        say=FORM,
    )
    if not errors and file is not None:
        limits = Limits.from_settings()
        try:
            # The form's file is Starlette's UploadFile, which FastAPI's only subclasses.
            with received_file(cast(FastApiUpload, file), limits) as (path, file_name):
                with session_scope() as session:  # committed here, before the answer
                    slug = add_layer(session, path, wanted, added_by=principal.username, file_name=file_name,
                                     limits=limits).slug
                    return redirect(request, f"/layers/{slug}", loaded=1)
        except PishraftError as exc:  # a bad file or name: nothing was kept
            errors.from_domain(exc, UPLOAD_LABELS)
    values = {k: sent.text(k) for k in UPLOAD_LABELS if k != "file"} | {"replace": sent.text("replace")}
    return _upload_form(request, values, errors, status_code=422)


@router.get("/layers/{slug}")
def layer_page(request: Request, slug: str, loaded: int = 0, _: Principal = Depends(require("read"))) -> Response:
    """One layer: what it holds and the report of its last load (features, repaired and
    dropped geometries, source CRS), with its earlier versions."""
    with session_scope() as session:
        layer = describe(get_layer(session, slug))
    return render(request, "layer.html", {"layer": layer, "report": layer["details"] or {}, "loaded": bool(loaded)})


# ------------------------------------------------------------------ indicators

@router.get("/indicators")
def indicators_page(request: Request, _: Principal = Depends(require("read"))) -> Response:
    with session_scope() as session:
        found = indicators.list_indicators(session)
    return render(request, "indicators.html", {"indicators": found})


@router.get("/indicators/import")
def import_form(request: Request, _: Principal = Depends(require("indicators:write"))) -> Response:
    """The import form; after an import, what was imported (the redirect's query)."""
    return render(request, "indicator_import.html", {"errors": FormErrors(lang_of(request)),
                                                     "result": _done(request, IMPORT_DONE)})


#: What the pages after a successful form show, carried in the redirect's query (post/redirect/get).
IMPORT_DONE = ("values", "rows", "level", "periods", "indicators")
DERIVE_DONE = ("indicator", "with_value", "units", "level")


def _done(request: Request, names: tuple[str, ...]) -> dict[str, Any] | None:
    """The outcome of the form sent just before, read back from the query, or ``None``."""
    query = request.query_params
    if not all(query.get(name) for name in names):
        return None
    done: dict[str, Any] = {name: query[name][:500] for name in names}
    for name in ("periods", "indicators"):
        if name in done:
            done[name] = done[name].split(",")
    for name in ("values", "rows", "with_value", "units"):
        if name in done:
            done[name] = int(done[name]) if done[name].isdigit() else 0
    return done


@router.post("/indicators/import")
def import_values(request: Request, sent: Submitted = Depends(form_for("indicators:write"))) -> Response:
    """Import a CSV of indicator values (all rows or none), then show what was imported."""
    errors = FormErrors(lang_of(request))
    file = _uploaded(sent, "file")
    if file is None:
        errors.add("file", "indicator.file", "form.required")
    else:
        limit = get_settings().max_upload_mb * MB
        data = file.file.read(limit + 1)
        if len(data) > limit:
            errors.add("file", "indicator.file", "indicator.too_large", max=get_settings().max_upload_mb)
        else:
            try:
                with session_scope() as session:
                    result = indicators.import_csv(session, data, _file_name(file.filename))
                    return redirect(request, "/indicators/import", **{
                        name: ",".join(map(str, result[name])) if isinstance(result[name], list) else result[name]
                        for name in IMPORT_DONE})
            except PishraftError as exc:
                errors.from_domain(exc, {"file": "indicator.file"})
    return render(request, "indicator_import.html", {"errors": errors, "result": None}, status_code=422)


def _derive_form(request: Request, values: dict[str, Any], errors: FormErrors, result: dict[str, Any] | None = None,
                 status_code: int = 200) -> Response:
    with session_scope() as session:
        layers = [(layer.slug, layer.title) for layer in list_layers(session)]
    return render(request, "indicator_derive.html", {
        "values": values, "errors": errors, "result": result, "layers": layers, "levels": LEVELS,
        "methods": overlay.METHODS, "stats": overlay.ZONAL_STATS, "origins": overlay.ORIGINS, "domains": DOMAINS,
        "directions": DIRECTIONS}, status_code=status_code)


@router.get("/indicators/derive")
def derive_form(request: Request, _: Principal = Depends(require("indicators:write"))) -> Response:
    values = {"level": "neighbourhood", "method": "count", "origin": "centroid", "domain": "capacity",
              "direction": "higher_is_better"}
    return _derive_form(request, values, FormErrors(lang_of(request)), _done(request, DERIVE_DONE))


@router.post("/indicators/derive")
def derive(request: Request, sent: Submitted = Depends(form_for("indicators:write"))) -> Response:
    """Derive an indicator for every unit of a level by overlaying a layer (one transaction)."""
    errors = FormErrors(lang_of(request))
    with session_scope() as session:
        slugs = [layer.slug for layer in list_layers(session)]
    layer = errors.choice(sent, "layer", DERIVE_LABELS["layer"], slugs)
    level = errors.choice(sent, "level", DERIVE_LABELS["level"], LEVELS)
    method = errors.choice(sent, "method", DERIVE_LABELS["method"], overlay.METHODS)
    code = errors.text(sent, "code", DERIVE_LABELS["code"], max_len=63)
    period = errors.text(sent, "period", DERIVE_LABELS["period"], max_len=20)
    attribute = errors.text(sent, "attribute", DERIVE_LABELS["attribute"], required=False, max_len=63) or None
    stat = errors.choice(sent, "stat", DERIVE_LABELS["stat"], overlay.ZONAL_STATS, required=method == "zonal")
    origin = errors.choice(sent, "origin", DERIVE_LABELS["origin"], overlay.ORIGINS, required=False)
    domain = errors.choice(sent, "domain", DERIVE_LABELS["domain"], DOMAINS, required=False)
    direction = errors.choice(sent, "direction", DERIVE_LABELS["direction"], DIRECTIONS, required=False)
    name_fa = errors.text(sent, "name_fa", DERIVE_LABELS["name_fa"], required=False, max_len=200) or None
    name_en = errors.text(sent, "name_en", DERIVE_LABELS["name_en"], required=False, max_len=200) or None
    values = {k: sent.text(k) for k in DERIVE_LABELS}
    job_id: int | None = None
    if not errors and layer and level and method:
        try:
            with session_scope() as session:
                if overlay.runs_on_cluster(session, layer, method):  # long: a background job with a progress bar
                    job_id = jobs.start_job(session, code, {
                        "layer": layer, "level": level, "method": method, "code": code, "period": period,
                        "attribute": attribute, "stat": stat, "origin": origin or "centroid",
                        "domain": domain or "capacity", "direction": direction or "higher_is_better",
                        "name_fa": name_fa, "name_en": name_en}, editor(sent).username)
            if job_id is not None:
                jobs.run_in_background(job_id)
                return redirect(request, f"/indicators/derive/jobs/{job_id}")
            with session_scope() as session:
                result = overlay.derive_indicator(
                    session, layer, level, method, code=code, period=period, attribute=attribute, stat=stat,
                    origin=origin or "centroid", domain=domain or "capacity", direction=direction or "higher_is_better",
                    name_fa=name_fa, name_en=name_en)
                return redirect(request, "/indicators/derive", **{name: result[name] for name in DERIVE_DONE})
        except PishraftError as exc:
            errors.from_domain(exc, DERIVE_LABELS)
    return _derive_form(request, values, errors, status_code=422)

