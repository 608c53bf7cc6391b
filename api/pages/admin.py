"""The administrators' pages: users (create, role, area, disable), partner keys (create,
scope, rate, revoke; a new key is shown once), and the audit log with filters
(:mod:`spatial.accounts.users`, :mod:`spatial.accounts.audit`). Admins only, as
``/api/users`` and ``/api/audit``."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from api.auth import ROLES, Principal, require
from api.pages.forms import FormErrors
from api.pages.handovers import editor
from api.pages.history import moment
from api.pages.render import lang_of, lead_to, page_router, redirect, render
from api.pages.security import Submitted, form_for
from spatial.accounts import audit
from spatial.accounts import users as accounts
from spatial.db.engine import session_scope
from spatial.errors import PishraftError
from spatial.jalali import IRAN, parse_jalali
from spatial.units import hierarchy as units
from spatial.messages import has, label, t

router = page_router()

USER_LABELS = {"username": "admin.username", "password": "admin.password", "role": "admin.role",
               "area": "admin.area", "disabled": "admin.disabled"}
KEY_LABELS = {"partner": "admin.partner", "collections": "admin.collections", "rate": "admin.rate",
              "key": "admin.partner", "prefix": "admin.prefix"}
AUDIT_PAGE = 100
METHODS = ("POST", "PUT", "PATCH", "DELETE")


# ------------------------------------------------------------------ users

def _users_page(request: Request, errors: FormErrors, values: dict[str, Any] | None = None,
                status_code: int = 200, notice: str | None = None) -> Response:
    with session_scope() as session:
        users = accounts.list_users(session)
    return render(request, "admin_users.html", {"users": users, "roles": ROLES, "errors": errors,
                                                "values": values or {}, "notice": notice}, status_code=status_code)


@router.get("/admin/users")
def users_page(request: Request, done: str | None = Query(None, max_length=64),
               _: Principal = Depends(require("admin"))) -> Response:
    return _users_page(request, FormErrors(lang_of(request)), notice=done)


@router.post("/admin/users")
def create_user(request: Request, sent: Submitted = Depends(form_for("admin"))) -> Response:
    errors = FormErrors(lang_of(request))
    username = errors.text(sent, "username", USER_LABELS["username"], max_len=64)
    password = errors.text(sent, "password", USER_LABELS["password"], max_len=256)
    role = errors.choice(sent, "role", USER_LABELS["role"], ROLES)
    area = errors.text(sent, "area", USER_LABELS["area"], required=role == "core", max_len=64) or None
    if role and role != "core" and area:
        errors.add("area", USER_LABELS["area"], "admin.area_only_core")
    if not errors and role:
        try:
            with session_scope() as session:
                accounts.create_user(session, username, password, role, area_code=area)
                return redirect(request, "/admin/users", done=username)
        except PishraftError as exc:
            errors.from_domain(exc, USER_LABELS)
    values = {"username": username, "role": sent.text("role"), "area": sent.text("area")}
    return _users_page(request, errors, values, status_code=422)


@router.post("/admin/users/{username}")
def change_user(request: Request, username: str, sent: Submitted = Depends(form_for("admin"))) -> Response:
    """Change one user's role (and area) and whether the account is disabled, together."""
    errors = FormErrors(lang_of(request))
    me = editor(sent)
    with session_scope() as session:
        accounts.user_info(session, username)  # 404 for a user that does not exist
    role = errors.choice(sent, "role", USER_LABELS["role"], ROLES)
    area = errors.text(sent, "area", USER_LABELS["area"], required=role == "core", max_len=64) or None
    disabled = sent.text("disabled") == "on"
    if username == me.username and (disabled or role != "admin"):
        errors.add("role", USER_LABELS["role"], "admin.not_yourself")
    if not errors and role:
        try:
            with session_scope() as session:
                accounts.set_role(session, username, role, area_code=area if role == "core" else None)
                accounts.set_disabled(session, username, disabled)
            return redirect(request, "/admin/users", done=username)
        except PishraftError as exc:
            errors.from_domain(exc, USER_LABELS)
    return _users_page(request, errors, {"editing": username}, status_code=422)


# ------------------------------------------------------------------ partner keys

def _keys_page(request: Request, errors: FormErrors, values: dict[str, Any] | None = None,
               new_key: str | None = None, status_code: int = 200) -> Response:
    with session_scope() as session:
        keys = accounts.list_keys(session)
    response = render(request, "admin_keys.html", {"keys": keys, "errors": errors, "values": values or {},
                                                   "new_key": new_key}, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"  # the new key is shown once, and never kept by a cache
    return response


@router.get("/admin/keys")
def keys_page(request: Request, _: Principal = Depends(require("admin"))) -> Response:
    return _keys_page(request, FormErrors(lang_of(request)))


@router.post("/admin/keys")
def create_key(request: Request, sent: Submitted = Depends(form_for("admin"))) -> Response:
    """Create a partner key and show it this once (it is stored only as a digest).

    The one exception to post/redirect/get: the secret is in this answer only (never in a
    URL, a cookie or the database), and the form's one-time token makes a refresh lead
    to the key list instead of a second key."""
    errors = FormErrors(lang_of(request))
    me = editor(sent)
    partner = errors.text(sent, "partner", KEY_LABELS["partner"], max_len=100)
    scope = errors.text(sent, "collections", KEY_LABELS["collections"], max_len=1000)
    rate_text = errors.text(sent, "rate", KEY_LABELS["rate"], max_len=30)
    if not errors:
        try:
            collections = accounts.parse_collections(scope)
            rate = accounts.parse_rate(rate_text)
            with session_scope() as session:
                key = accounts.create_key(session, partner, collections, rate, created_by=me.username)
                # Sent again (a refresh), the form leads to the list: no second key, the secret not shown again.
                lead_to(request, "/admin/keys")
            return _keys_page(request, FormErrors(lang_of(request)), new_key=key)
        except PishraftError as exc:
            errors.from_domain(exc, KEY_LABELS)
    values = {"partner": partner, "collections": scope, "rate": rate_text}
    return _keys_page(request, errors, values, status_code=422)


@router.post("/admin/keys/{prefix}/revoke")
def revoke_key(request: Request, prefix: str, _: Submitted = Depends(form_for("admin"))) -> Response:
    with session_scope() as session:
        accounts.revoke_key(session, prefix)
    return redirect(request, "/admin/keys")


# ------------------------------------------------------------------ audit log

@router.get("/admin/audit")
def audit_page(request: Request, username: str = Query("", max_length=128), role: str = Query("", max_length=32),
               method: str = Query("", max_length=10), route: str = Query("", max_length=256),
               status: str = Query("", max_length=3), since: str = Query("", max_length=20),
               until: str = Query("", max_length=20), day: str = Query("", max_length=20),
               change: str = Query("", max_length=20), kind: str = Query("", max_length=20),
               object: str = Query("", max_length=128), page: int = Query(1, ge=1, le=100_000),  # noqa: A002
               _: Principal = Depends(require("admin"))) -> Response:
    """Recorded writes, newest first, each said in words with a link to its object; filtered
    by person, kind of change, object (kind and id) and Jalali days (``day``, or
    ``since``/``until``, Iran time, both inclusive), and by the request's method, route and status."""
    lang = lang_of(request)
    errors = FormErrors(lang)
    start = end = None
    for name, text, label_key in (("day", day, "admin.day"), ("since", since, "admin.since"),
                                  ("until", until, "admin.until")):
        if not text:
            continue
        try:
            moment_of_day = parse_jalali(text, name)
        except PishraftError:
            errors.add(name, label_key, "form.bad_date")
            continue
        if name in ("day", "since"):
            start = datetime.combine(moment_of_day, time.min, tzinfo=IRAN)
        if name in ("day", "until"):
            end = datetime.combine(moment_of_day, time.max, tzinfo=IRAN)
    code = int(status) if status.isdigit() else None
    if status and code is None:
        errors.add("status", "admin.status", "form.bad_number")
    entries: list[dict[str, Any]] = []
    places: dict[str, str] = {}
    if not errors:
        with session_scope() as session:
            entries = audit.entries(session, username=username or None, role=role or None,
                                    method=method if method in METHODS else None, route=route or None,
                                    status=code, since=start, until=end,
                                    action=change if change in audit.ACTIONS else None,
                                    object_kind=kind if kind in audit.OBJECT_KINDS else None,
                                    object_id=object or None, limit=AUDIT_PAGE + 1, offset=(page - 1) * AUDIT_PAGE)
            places = _places(session, {str(e["words"]["area"]) for e in entries if (e["words"] or {}).get("area")}, lang)
    more = len(entries) > AUDIT_PAGE
    for e in entries:
        e["when"] = moment(e["at"], lang)
        # What people typed (names, titles) is data: escaped, and in <bdi> so it keeps its direction.
        e["said"] = Markup(audit.sentence(e, lang, places, data=lambda v: Markup("<bdi>{}</bdi>").format(v)))
        e["link"] = object_link(e)
        e["role_word"] = label("role", e["role"], lang) if e["role"] in ROLES else t(f"admin.role_{e['role']}", lang) \
            if has(f"admin.role_{e['role']}") else e["role"]
    filters = {"username": username, "role": role, "method": method, "route": route, "status": status,
               "since": since, "until": until, "day": day, "change": change, "kind": kind, "object": object}
    return render(request, "admin_audit.html", {
        "entries": entries[:AUDIT_PAGE], "filters": filters, "errors": errors, "roles": ROLES, "methods": METHODS,
        "changes": audit.ACTIONS, "kinds": audit.OBJECT_KINDS, "page": page, "more": more,
        "query": {k: v for k, v in filters.items() if v},
    }, status_code=422 if errors else 200)


def _places(session: Session, codes: set[str], lang: str) -> dict[str, str]:
    """Area code -> its name in ``lang`` for the codes the entries' words hold."""
    places = {}
    for code in codes:
        try:
            unit = units.get_unit(session, code)
        except PishraftError:
            continue  # a unit since retired: its code is said as it was stored
        places[code] = unit.name_fa if lang == "fa" else unit.name_en
    return places


def object_link(entry: dict[str, Any]) -> str | None:
    """The page of the object an entry changed (none for deleted objects and for kinds
    without a page)."""
    kind, object_id, words = entry["object_kind"], entry["object_id"], entry["words"] or {}
    if entry["status"] >= 400 or not kind:
        return None
    roadmap_id = words.get("roadmap_id")
    if entry["action"] == "resend":
        return str(words["url"]) if words.get("url") else None
    if kind == "roadmap" and object_id:
        return f"/roadmaps/{object_id}/history" if entry["action"] == "delete" else f"/roadmaps/{object_id}"
    if entry["action"] == "delete":
        return f"/roadmaps/{roadmap_id}/history" if roadmap_id else None
    pages = {"user": "/admin/users", "key": "/admin/keys", "indicator": "/indicators",
             "core": f"/cores/{object_id}" if object_id else None,
             "past_plan": f"/past-plans/{object_id}" if object_id else None,
             "layer": f"/layers/{object_id}" if object_id else None}
    if kind in pages:
        return pages[kind]
    return f"/roadmaps/{roadmap_id}" if roadmap_id else None
