"""The workspace: server-rendered pages for planners, progress cores, analysts and admins.

One router module per page family (``home``, ``session``, ``units`` …), listed in
:data:`PAGE_MODULES` and included by ``api.app``. Conventions (README, "Workspace pages:
how to add one"):

- ``render.py``: ``page_router()`` for a new module, ``render(request, template, values)``
  for a page, ``redirect(request, path)`` (303) after a form, ``href`` for links that keep
  ``?lang=en``; templates live in ``api/templates`` and extend ``base.html``.
- GET pages declare ``Depends(api.auth.require("read"))`` like API routes;
  ``security.py``: ``viewer`` (the signed-in user or ``None``), ``form_for(permission)``
  for every POST (the API's role check + the CSRF token); area scope with
  ``spatial.units.access.ensure_within_area`` as in the API.
- ``forms.py``: ``FormErrors`` reads and checks fields (text, choice, number, Jalali date),
  with messages in the page's language naming the field.
- Words: ``spatial.messages`` (``t(key)`` and ``label(vocabulary, code)`` in templates).
- Writes: one ``with session_scope() as session:`` in the handler, committed before the
  303 answer; on an error the form is rendered again (422) and nothing is written.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.pages import (
    actions, admin, analyst, consolidation, contests, cores, corrections, exports, fairness, handovers, history, home, jobs,
    journey, monitor, past_plans, people, progress, roadmaps, session, sessions, units,
)

# journey before cores: its /cores/rounds, /cores/courses and /cores/drafts come before /cores/{core_id}.
PAGE_MODULES = (home, session, units, roadmaps, actions, progress, history, handovers, journey, cores, past_plans,
                analyst, jobs, admin, exports, people, corrections, consolidation, monitor, fairness, sessions, contests)

ROUTERS: tuple[APIRouter, ...] = tuple(module.router for module in PAGE_MODULES)
