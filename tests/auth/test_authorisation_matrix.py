"""Every route × every kind of caller → the expected status.

Routes come from ``app.routes``, so routes added later are covered without editing
this file. Each route's expected permission comes from :data:`EXPECTED` (exact
routes) or :data:`PREFIX_RULES` (families of routes); a write route matching
neither fails the test until someone decides, here, who may call it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient

from api.auth import ROLE_PERMISSIONS
from tests.auth.conftest import CALLERS, KEY_COLLECTION, OTHER_COLLECTION

#: Routes anyone may call: health probes, signing in and out (API and workspace pages).
PUBLIC: frozenset[tuple[str, str]] = frozenset({
    ("GET", "/health"), ("POST", "/api/auth/token"), ("POST", "/api/auth/logout"),
    ("GET", "/signin"), ("POST", "/signin"), ("GET", "/signout"), ("POST", "/signout"),
    # Signing out one of one's own sessions, like the sign-out form: whoever is signed in here.
    ("POST", "/account/sessions/{session_id}/end"),
    # The public watch of a published roadmap (404 for any other).
    ("GET", "/api/watch/{roadmap_id}"), ("GET", "/watch/{roadmap_id}"), ("GET", "/watch/{roadmap_id}/map"),
    # A juror's scoring form: any signed-in account may send it; the event's jury is checked inside.
    ("POST", "/contests/{contest_id}/score"),
})

#: The expected permission of known routes.
EXPECTED: dict[tuple[str, str], str] = {
    ("GET", "/api/units"): "read",
    ("GET", "/api/units/at"): "read",
    ("GET", "/api/units/{code}"): "read",
    ("GET", "/maps/overview"): "read",
    ("GET", "/api/auth/me"): "read",
    ("GET", "/api/users"): "admin",
    ("POST", "/api/users"): "admin",
    ("PATCH", "/api/users/{username}"): "admin",
    ("GET", "/api/audit"): "admin",
    ("GET", "/api/auth/sessions"): "read",
    ("DELETE", "/api/auth/sessions/{session_id}"): "read",
    ("GET", "/api/auth/locks"): "admin",
    ("DELETE", "/api/auth/locks/{kind}/{subject}"): "admin",
    ("DELETE", "/api/sessions/{session_id}"): "admin",
    # Fair distribution over time: analytics of published indicators, read like the maps.
    ("GET", "/api/monitor/{unit}/fairness"): "read",
    ("GET", "/monitor/{code}/fairness"): "read",
    # Jurors score with any account; the event's jury is checked inside (403 for others).
    ("PUT", "/api/contest-entries/{entry_id}/scores"): "read",
    ("GET", "/contests/{contest_id}/score"): "read",
    ("GET", "/contests/new"): "roadmaps:write",
    # Workspace forms: offered only to those who may send them.
    ("GET", "/roadmaps/new"): "roadmaps:write",
    ("GET", "/roadmaps/{roadmap_id}/edit"): "roadmaps:write",
    ("GET", "/roadmaps/{roadmap_id}/actions/new"): "roadmaps:write",
    ("GET", "/actions/{action_id}/edit"): "roadmaps:write",
    ("GET", "/actions/{action_id}/measure"): "roadmaps:write",
    # Workspace form pages are offered only to callers who may send them.
    ("GET", "/handovers/new"): "roadmaps:write",
    ("GET", "/cores/new"): "roadmaps:write",
    ("GET", "/cores/{core_id}/edit"): "roadmaps:write",
    ("GET", "/cores/rounds/new"): "roadmaps:write",
    ("GET", "/cores/courses/new"): "roadmaps:write",
    ("GET", "/past-plans/new"): "roadmaps:write",
    ("POST", "/units/{code}/consolidate"): "roadmaps:write",  # a roadmap from a unit's past plans
    ("GET", "/past-plans/{plan_id}/edit"): "roadmaps:write",
    ("GET", "/layers/upload"): "layers:write",
    ("GET", "/indicators/import"): "indicators:write",
    ("GET", "/indicators/derive"): "indicators:write",
    ("POST", "/api/indicators/access"): "indicators:write",
    ("GET", "/people/new"): "roadmaps:write",
    ("GET", "/financing/{financing_id}/money"): "roadmaps:write",
    ("GET", "/people/{person_id}/edit"): "roadmaps:write",
    ("GET", "/organisations/new"): "roadmaps:write",
    ("GET", "/organisations/{organisation_id}/edit"): "roadmaps:write",
    # Restoring what was archived or retired is for administrators (API and pages).
    **{("POST", f"{prefix}/restore"): "admin" for prefix in (
        "/api/roadmaps/{object_id}", "/api/actions/{object_id}", "/api/financing/{object_id}",
        "/api/key-results/{object_id}", "/api/measurements/{measurement_id}", "/api/people/{person_id}",
        "/api/organisations/{organisation_id}", "/roadmaps/{object_id}", "/actions/{object_id}",
        "/financing/{object_id}", "/key-results/{object_id}", "/measurements/{object_id}",
        "/people/{person_id}", "/organisations/{organisation_id}")},
}

#: (path prefix, write permission): the permission of write routes not listed above.
#: Reads under these prefixes need "read", except under admin-only prefixes.
PREFIX_RULES: tuple[tuple[str, str], ...] = (
    ("/api/users", "admin"),
    ("/api/audit", "admin"),
    ("/api/keys", "admin"),
    ("/api/layers", "layers:write"),
    ("/api/indicators", "indicators:write"),
    ("/api/indices", "indicators:write"),
    ("/api/analytics", "indicators:write"),
    ("/api/allocations", "indicators:write"),
    ("/api/deprivation", "indicators:write"),
    ("/api/roadmaps", "roadmaps:write"),
    ("/api/actions", "roadmaps:write"),
    ("/api/measurements", "roadmaps:write"),
    ("/api/cores", "roadmaps:write"),
    ("/api/past-plans", "roadmaps:write"),
    ("/api/organisations", "roadmaps:write"),
    ("/api/people", "roadmaps:write"),
    ("/api/handovers", "roadmaps:write"),
    ("/api/financing", "roadmaps:write"),
    ("/api/key-results", "roadmaps:write"),
    ("/api/contests", "roadmaps:write"),
    ("/api/contest-entries", "roadmaps:write"),
    ("/roadmaps", "roadmaps:write"),
    ("/actions", "roadmaps:write"),
    # Workspace pages: the same permissions as the API behind them.
    ("/admin", "admin"),
    ("/handovers", "roadmaps:write"),
    ("/cores", "roadmaps:write"),
    ("/past-plans", "roadmaps:write"),
    ("/contests", "roadmaps:write"),
    ("/contest-entries", "roadmaps:write"),
    ("/people", "roadmaps:write"),
    ("/organisations", "roadmaps:write"),
    ("/financing", "roadmaps:write"),
    ("/key-results", "roadmaps:write"),
    ("/measurements", "roadmaps:write"),
    ("/layers", "layers:write"),
    ("/indicators", "indicators:write"),
)
ADMIN_ONLY_PREFIXES = ("/api/users", "/api/audit", "/api/keys", "/admin")
#: Reads for signed-in callers only (anonymous ones where an administrator allows): the monitoring centre.
MONITOR_PREFIXES = ("/monitor", "/api/monitor")


def declared(route: RouteContext) -> list[Any]:
    """The ``require(...)`` dependencies a route declares (at any depth)."""
    found, stack = [], list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if hasattr(dep.call, "permission"):
            found.append(dep.call)
        stack.extend(dep.dependencies)
    return found


def expected_permission(method: str, path: str) -> str | None:
    """The permission a route should need, or ``None`` when nobody has decided."""
    if (method, path) in EXPECTED:
        return EXPECTED[(method, path)]
    if any(path == prefix or path.startswith(prefix + "/") for prefix in MONITOR_PREFIXES):
        return "monitor" if method in ("GET", "HEAD") else None
    for prefix, permission in PREFIX_RULES:
        if path == prefix or path.startswith(prefix + "/"):
            if method in ("GET", "HEAD"):
                return "admin" if prefix in ADMIN_ONLY_PREFIXES else "read"
            return permission
    return "read" if method in ("GET", "HEAD") else None


def api_routes(client: TestClient) -> list[tuple[str, RouteContext]]:
    """(method, route) for every API route, with the full path of included routers."""
    routes = [r for r in iter_route_contexts(client.app.routes) if isinstance(r.original_route, APIRoute)]
    assert routes, "no API routes found: has FastAPI changed how routers are included?"
    return sorted(((m, r) for r in routes for m in r.methods), key=lambda mr: (mr[1].path, mr[0]))


def placeholder_path(route: RouteContext, collection: str) -> str:
    """The route's path with values that name nothing real (so allowed writes change nothing)."""
    values = {}
    for param in route.dependant.path_params:
        if param.name == getattr(_collection_param(route), "collection_param", None):
            values[param.name] = collection
        elif param.field_info.annotation is int:
            values[param.name] = "987654321"
        else:
            values[param.name] = "zz-matrix-none"
    return route.path_format.format(**values)


def _collection_param(route: RouteContext) -> Any:
    return next((d for d in declared(route) if d.collection_param), None)


def test_every_route_declares_exactly_the_expected_permission(client: TestClient) -> None:
    problems = []
    for method, route in api_routes(client):
        requires = declared(route)
        if (method, route.path) in PUBLIC:
            if requires:
                problems.append(f"{method} {route.path} is public but declares {requires[0].permission}")
            continue
        want = expected_permission(method, route.path)
        if want is None:
            problems.append(f"{method} {route.path}: add its permission to EXPECTED in this file")
        elif [d.permission for d in requires] != [want]:
            problems.append(f"{method} {route.path} declares {[d.permission for d in requires]}, expected {want}")
    assert not problems, "\n".join(problems)


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    if method in ("GET", "HEAD", "DELETE"):
        return client.request(method, path, headers=headers).status_code
    return client.request(method, path, headers=headers, json={}).status_code


@pytest.mark.parametrize("caller", CALLERS)
def test_each_caller_gets_the_expected_status_on_every_route(
    client: TestClient, headers_for: Callable[[str], dict[str, str]], caller: str
) -> None:
    headers = headers_for(caller)
    wrong = []
    for method, route in api_routes(client):
        if (method, route.path) in PUBLIC:
            continue
        permission = expected_permission(method, route.path) or "admin"
        allowed = permission in ROLE_PERMISSIONS[caller]
        status = _call(client, method, placeholder_path(route, KEY_COLLECTION), headers)
        if status >= 500:
            wrong.append(f"{method} {route.path}: {status}")
        elif allowed and status in (401, 403):
            wrong.append(f"{method} {route.path}: {status}, but {caller} holds {permission}")
        elif not allowed and status != (401 if caller == "anonymous" else 403):
            wrong.append(f"{method} {route.path}: {status}, but {caller} lacks {permission}")
    assert not wrong, "\n".join(wrong)


def test_anonymous_is_refused_everywhere_when_anonymous_read_is_off(
    client: TestClient, anonymous_read_off: None
) -> None:
    statuses = {
        f"{m} {r.path}": _call(client, m, placeholder_path(r, KEY_COLLECTION), {})
        for m, r in api_routes(client) if (m, r.path) not in PUBLIC
    }
    assert set(statuses.values()) == {401}, statuses


def test_partner_key_is_refused_outside_its_collections(
    stand_in_client: TestClient, headers_for: Callable[[str], dict[str, str]]
) -> None:
    """Routes naming a collection (the real ones and a stand-in) admit the key for its own collection only."""
    headers = headers_for("partner")
    routes = [(m, r) for m, r in api_routes(stand_in_client) if _collection_param(r) is not None]
    assert routes
    for method, route in routes:
        assert _call(stand_in_client, method, placeholder_path(route, OTHER_COLLECTION), headers) == 403, route.path
        assert _call(stand_in_client, method, placeholder_path(route, KEY_COLLECTION), headers) not in (401, 403)
