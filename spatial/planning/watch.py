"""The public progress watch (دیده‌بان پیشرفت): a roadmap published read-only to citizens.

Publishing is a setting per roadmap, off by default (a row in ``roadmap_publication``
while it is on). What the public sees is :func:`public_roadmap`: the roadmap's title,
place, period and status, and its actions with their status, progress, key results and
places — nothing personal: no responsible person, no contacts, no sponsor or author.
An unpublished (or competition-proposal) roadmap is :class:`NotFound` to the public.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import NotFound
from spatial.models.roadmaps import Roadmap
from spatial.planning.history import Editor
from spatial.planning.references import NOT_A_PROPOSAL, get_or_404, guard
from spatial.planning.roadmaps import roadmap_map_data

#: Properties of an action the public may see (the rest — responsible, sponsor, financing — stay inside).
PUBLIC_ACTION_FIELDS = ("id", "title", "sector", "status", "progress_status", "start_date", "end_date",
                        "key_results")
#: Facts about the roadmap the public may see.
PUBLIC_ROADMAP_FIELDS = ("id", "title", "status", "period", "progress_status", "synthetic", "unit_code",
                         "unit_name_fa", "unit_name_en", "unit_level")


def is_published(session: Session, roadmap_id: int) -> bool:
    """Whether the roadmap is published to the public watch."""
    return session.execute(text("SELECT 1 FROM roadmap_publication WHERE roadmap_id = :id"),
                           {"id": roadmap_id}).first() is not None


def set_published(session: Session, roadmap_id: int, published: bool, editor: Editor) -> bool:
    """Publish the roadmap to the public watch, or take it back; returns the new setting.
    Only an editor who may edit the roadmap's unit may change it."""
    roadmap = get_or_404(session, Roadmap, roadmap_id, "roadmap")
    guard(session, editor, roadmap.unit_id)
    if published:
        session.execute(text("""INSERT INTO roadmap_publication (roadmap_id, published_at, published_by)
                                VALUES (:id, clock_timestamp(), :who) ON CONFLICT (roadmap_id) DO NOTHING"""),
                        {"id": roadmap_id, "who": editor.username})
    else:
        session.execute(text("DELETE FROM roadmap_publication WHERE roadmap_id = :id"), {"id": roadmap_id})
    return published


def public_roadmap(session: Session, roadmap_id: int, on: date | None = None) -> dict[str, Any]:
    """What the public watch shows of a published roadmap (:class:`NotFound` otherwise): ``roadmap``
    (public facts), ``unit`` (GeoJSON Feature) and ``actions`` (FeatureCollection), in the shape of
    :func:`spatial.planning.roadmaps.roadmap_map_data` with nothing personal left in."""
    shown = session.execute(text(f"""SELECT 1 FROM roadmap r JOIN roadmap_publication p ON p.roadmap_id = r.id
                                      WHERE r.id = :id AND r.archived_at IS NULL AND {NOT_A_PROPOSAL}"""),
                            {"id": roadmap_id}).first()
    if shown is None:
        raise NotFound(f"No published roadmap has id {roadmap_id}.", field="id")
    data = roadmap_map_data(session, roadmap_id, on)
    features = [{**f, "properties": {k: f["properties"].get(k) for k in PUBLIC_ACTION_FIELDS}}
                for f in data["actions"]["features"]]
    return {"roadmap": {k: data["roadmap"].get(k) for k in PUBLIC_ROADMAP_FIELDS}, "unit": data["unit"],
            "actions": {"type": "FeatureCollection", "features": features}}
