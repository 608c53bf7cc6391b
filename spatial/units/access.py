"""Area scope: whether a unit lies within an area (the area unit or any descendant).

Progress-core members may edit only inside their core's area; the check is one
recursive query on the hierarchy, so it holds for any depth.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.errors import Forbidden

_WITHIN = text(
    """
    WITH RECURSIVE up(id, parent_id) AS (
        SELECT id, parent_id FROM admin_unit WHERE id = :unit_id
        UNION ALL
        SELECT a.id, a.parent_id FROM admin_unit a JOIN up ON a.id = up.parent_id
    )
    SELECT EXISTS (SELECT 1 FROM up WHERE id = :area_id)
    """
)


def unit_within_area(session: Session, unit_id: int, area_unit_id: int) -> bool:
    """True when ``unit_id`` is ``area_unit_id`` or one of its descendants."""
    return bool(session.execute(_WITHIN, {"unit_id": unit_id, "area_id": area_unit_id}).scalar())


def ensure_within_area(session: Session, unit_id: int, area_unit_id: int | None) -> None:
    """Raise :class:`Forbidden` unless ``unit_id`` lies in the area (``None``: no restriction)."""
    if area_unit_id is not None and not unit_within_area(session, unit_id, area_unit_id):
        raise Forbidden("This unit lies outside your progress core's area; you may only edit inside it.",
                        field="unit")
