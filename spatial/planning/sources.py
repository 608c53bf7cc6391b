"""Where a roadmap's parts came from: the roadmaps, actions and past plans it was built on.

A roadmap consolidated from earlier plans («اجماع») names them in ``roadmap.sources``; an
action taken from a similar place or from a consolidated plan names it in ``action.source``.
A reference is given by kind and id (:class:`~spatial.planning.roadmap_inputs.SourceRef`)
and stored as it reads at that moment — kind, id, title, unit and, for an action, its
roadmap — so the roadmap still says where each item came from after the source is renamed,
archived or deleted (the history keeps the rest).

Examples
--------
>>> source_document(session, SourceRef(kind="past_plan", id=3), ("past_plan",), "sources.0")  # doctest: +SKIP
{'kind': 'past_plan', 'id': 3, 'title': 'همیاران آب', 'unit': 'IR-15-01', 'unit_name_fa': ..., 'roadmap_id': None}
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import InvalidInput
from spatial.planning.roadmap_inputs import SourceRef

#: One query per kind: title, unit code and (for an action) roadmap of a source.
_SOURCE_SQL = {
    "roadmap": """SELECT r.title, u.code AS unit, u.name_fa AS unit_name_fa, u.name_en AS unit_name_en,
                         NULL::integer AS roadmap_id
                  FROM roadmap r JOIN admin_unit u ON u.id = r.unit_id WHERE r.id = :id""",
    "action": """SELECT a.title, u.code AS unit, u.name_fa AS unit_name_fa, u.name_en AS unit_name_en, a.roadmap_id
                 FROM action a JOIN roadmap r ON r.id = a.roadmap_id JOIN admin_unit u ON u.id = r.unit_id
                 WHERE a.id = :id""",
    "past_plan": """SELECT p.title, u.code AS unit, u.name_fa AS unit_name_fa, u.name_en AS unit_name_en,
                           NULL::integer AS roadmap_id
                    FROM past_plan p JOIN admin_unit u ON u.id = p.unit_id WHERE p.id = :id""",
}


def parse_ref(value: str, field: str) -> SourceRef:
    """A reference written ``kind:id`` (as forms send it), e.g. ``action:12``; :class:`InvalidInput` naming ``field``."""
    kind, _, number = value.partition(":")
    if kind not in _SOURCE_SQL or not number.isdigit() or len(number) > 9:
        raise InvalidInput(f"{field}: '{value}' is not a source; write kind:id with kind one of "
                           f"{', '.join(_SOURCE_SQL)}.", reason="bad_source", field=field)
    return SourceRef(kind=kind, id=int(number))  # type: ignore[arg-type]


def source_document(session: Session, ref: SourceRef, allowed: tuple[str, ...], field: str) -> dict[str, Any]:
    """The stored form of ``ref``: ``{kind, id, title, unit, unit_name_fa, unit_name_en, roadmap_id}``; :class:`InvalidInput`
    naming ``field`` when its kind is not ``allowed`` here or nothing has that id."""
    if ref.kind not in allowed:
        raise InvalidInput(f"{field}: a {ref.kind} cannot be a source here; use one of {', '.join(allowed)}.",
                           reason="bad_source", field=field)
    row = session.execute(text(_SOURCE_SQL[ref.kind]), {"id": ref.id}).mappings().first()
    if row is None:
        raise InvalidInput(f"{field}: no {ref.kind.replace('_', ' ')} has id {ref.id}.", reason="source_not_found",
                           field=field)
    return {"kind": ref.kind, "id": ref.id, **row}


def action_values(session: Session, ref: SourceRef, field: str = "source") -> dict[str, Any]:
    """The fields of a new action taken from ``ref`` (an action or a past plan), with ``source`` set.

    An action gives its title, sector, target group and size, expected jobs and financing
    (its cost, to plan again); a past plan its title and sector and, where it recorded one, its
    estimated cost as a financing line of source ``past_plan`` (noted with the plan's title). The new action starts
    ``planned``, without dates, place or key results: the planner sets them for this place.
    """
    source_document(session, ref, ("action", "past_plan"), field)  # refuses an unknown one, naming the field
    if ref.kind == "past_plan":
        plan = session.execute(text("SELECT title, sector, cost_rials FROM past_plan WHERE id = :id"),
                               {"id": ref.id}).one()
        money = ([] if plan.cost_rials is None else
                 [{"source": "past_plan", "amount_rials": plan.cost_rials, "note": plan.title}])
        return {"title": plan.title, "sector": plan.sector, "financing": money, "source": ref}
    row = session.execute(text(
        """SELECT a.title, a.sector, a.target_group, a.target_size, a.jobs_expected,
                  coalesce((SELECT jsonb_agg(jsonb_build_object('source', f.source, 'amount_rials', f.amount_rials,
                                                                'note', f.note) ORDER BY f.id)
                            FROM financing f WHERE f.action_id = a.id AND f.archived_at IS NULL), '[]') AS financing
           FROM action a WHERE a.id = :id"""), {"id": ref.id}).mappings().one()
    return {**row, "source": ref}
