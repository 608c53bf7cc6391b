"""Rendering a workspace page: the language, links that keep it, the Jinja2 templates with
the catalogue, Jalali dates and Persian digits, and the error page.

Every page router is made by :func:`page_router`; every page is answered by :func:`render`.

Examples
--------
>>> router = page_router()                                          # doctest: +SKIP
>>> @router.get("/things/{code}")                                   # doctest: +SKIP
... def thing(request: Request, code: str) -> HTMLResponse:
...     return render(request, "thing.html", {"code": code})
"""

from __future__ import annotations


from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from api.pages.forms import FormErrors
from api.pages.security import csrf_token, remember_anonymous_seed, viewer_of
from spatial import errors
from spatial.accounts import form_tokens
from spatial.jalali import format_date, format_number, jalali_numeric, persian_digits
from spatial.messages import choices, indicator_name, label, measure, refusal, t
from spatial.periods import show_period
from spatial.settings import get_settings

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
#: The workspace's own CSS and JavaScript, served at ``/static/pages`` (maps' assets stay at ``/static``).
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
STATIC_URL = "/static/pages"

#: The workspace's home page ("/" is the partners' OGC landing document).
HOME = "/home"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def lang_of(request: Request) -> str:
    """The page's language: ``en`` when the query says ``lang=en``, else Persian."""
    return "en" if request.query_params.get("lang") == "en" else "fa"


def href(request: Request, path: str, **params: object) -> str:
    """A link to ``path`` that keeps the page's language; ``None`` parameters are left out.

    >>> href(request, "/units/IR-15", tab="roadmaps")   # doctest: +SKIP
    '/units/IR-15?tab=roadmaps&lang=en'
    """
    query = {k: v for k, v in params.items() if v is not None}
    if lang_of(request) == "en" and "lang=" not in path:
        query["lang"] = "en"
    if not query:
        return path
    return f"{path}{'&' if '?' in path else '?'}{urlencode(query)}"


def switch_language_href(request: Request) -> str:
    """This page in the other language."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    if lang_of(request) == "fa":
        query.append(("lang", "en"))
    return f"{request.url.path}?{urlencode(query)}" if query else request.url.path


def _jdate(value: date | datetime | str | None, lang: str) -> str:
    """A date for display: Jalali with Persian digits in Persian, ISO in English."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, lang)


def _jdate_input(value: date | str | None, lang: str) -> str:
    """A date as typed in a form field: ``۱۴۰۵/۰۱/۱۵`` in Persian, ``1405/01/15`` in English."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value  # what the user typed, shown back unchanged
    return jalali_numeric(value, persian=lang == "fa")


def _digits(value: object, lang: str) -> str:
    """``value`` as text, with Persian digits in Persian."""
    return persian_digits(value) if lang == "fa" else str(value)


def page_router() -> APIRouter:
    """A router for workspace pages: kept out of the OpenAPI document, and marking its
    requests as pages so that errors are answered with an HTML page (:func:`error_page`)."""
    return APIRouter(include_in_schema=False, dependencies=[Depends(_mark_page)])


def _mark_page(request: Request) -> None:
    request.state.page = True


def context(request: Request, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What every template sees: ``request``, ``lang``, ``dir``, ``t``, ``label``,
    ``choices``, ``measure``, ``href``, ``jdate``, ``jdate_input``, ``num``, ``digits``, ``period``,
    ``periods``, ``indicator_name``, the signed-in ``viewer`` (or ``None``), ``monitor_open``, ``csrf_token`` and
    ``form_token()`` (a fresh one-time token); then ``values``."""
    lang = lang_of(request)
    viewer = viewer_of(request)
    return {
        "request": request, "lang": lang, "dir": "rtl" if lang == "fa" else "ltr",
        "t": lambda key, **kw: t(key, lang, **kw),
        "label": lambda vocabulary, code: label(vocabulary, code, lang),
        "choices": lambda vocabulary, codes: choices(vocabulary, codes, lang),
        "measure": lambda unit_of_measure: measure(unit_of_measure, lang),
        "href": lambda path, **kw: href(request, path, **kw),
        "switch_language_href": switch_language_href(request),
        "jdate": lambda value: _jdate(value, lang),
        "jdate_input": lambda value: _jdate_input(value, lang),
        "num": lambda value, decimals=1: format_number(value, lang, decimals),
        "digits": lambda value: _digits(value, lang),
        "period": lambda value: show_period(value, lang),
        "indicator_name": lambda indicator: indicator_name(indicator, lang),
        "periods": lambda values: ("، " if lang == "fa" else ", ").join(show_period(v, lang) for v in values),
        "static": lambda path: f"{STATIC_URL}/{path}",
        "viewer": viewer,
        # The monitoring centre is for signed-in people, and for anyone where the admin opened it.
        "monitor_open": viewer is not None or get_settings().monitor_anonymous,
        "csrf_token": csrf_token(request),
        "form_token": form_tokens.new_token,
        **(values or {}),
    }


def render(request: Request, template: str, values: Mapping[str, Any] | None = None,
           status_code: int = 200) -> HTMLResponse:
    """The page ``template`` filled with :func:`context`; sets the anonymous CSRF cookie
    when the visitor has no session yet (so that even the sign-in form carries a token)."""
    response = templates.TemplateResponse(request, template, context(request, values), status_code=status_code)
    remember_anonymous_seed(request, response)
    return response


def redirect(request: Request, path: str, **params: object) -> RedirectResponse:
    """303 See Other to ``path`` in the page's language: the answer to every successful form.

    Where the form's change led is remembered with its one-time token (made inside the
    ``with session_scope()`` block, it is stored in the change's own commit), so that the
    same form sent again is led here too (:func:`already_sent`)."""
    return RedirectResponse(lead_to(request, path, **params), status_code=303)


def lead_to(request: Request, path: str, **params: object) -> str:
    """Say that the form being handled led to ``path`` (kept with its one-time token) and
    return the link; for a form answered with a page of its own (the new partner key,
    shown once) rather than a redirect."""
    location = href(request, path, **params)
    form_tokens.led_to(location)
    return location


def already_sent(request: Request, exc: errors.AlreadySent) -> RedirectResponse:
    """The answer to a form sent again: the page its first send led to (or, when that send
    did not say, the page the form was sent from), never a second change."""
    return RedirectResponse(exc.url or href(request, request.url.path), status_code=303)


def error_page(request: Request, exc: errors.PishraftError, status_code: int) -> HTMLResponse | RedirectResponse:
    """The HTML answer to a domain error on a page, in the page's language: the sign-in form
    (status 401) for a visitor who must sign in first, else the error page."""
    lang = lang_of(request)
    if isinstance(exc, errors.AlreadySent):
        return already_sent(request, exc)
    if isinstance(exc, errors.Unauthorized):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return render(request, "signin.html", {"next": target if request.method == "GET" else HOME,
                                               "errors": FormErrors(lang), "notice": t("signin.needed", lang)},
                      status_code=401)
    key = {404: "error.not_found", 403: "error.forbidden"}.get(status_code, "error.title")
    if exc.field == "csrf_token":
        key = "form.csrf"
    # What the core refused, told from the catalogue in the page's language (the heading
    # already says "not found" or "not allowed" when the core gave no more precise reason).
    said = key == "form.csrf" or (key != "error.title" and not exc.reason and lang != "en")
    detail = "" if said else refusal(exc, lang)
    return render(request, "error.html", {"message": t(key, lang), "detail": detail}, status_code=status_code)
