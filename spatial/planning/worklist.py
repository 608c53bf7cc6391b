"""What a signed-in user works on (the home page's "my work"): the roadmaps and actions they created or last edited,
and — for a progress-core member — everything inside their area, with the cores there.

Accounts are not linked to the people named as responsible in roadmaps, so "mine" is
read from who wrote the rows (``created_by`` / ``updated_by``) and from the area.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.planning.progress import action_features, roadmap_progress
from spatial.planning.references import NOT_A_PROPOSAL

#: At most this many of each kind are listed.
LIMIT = 20

_AREA = """WITH RECURSIVE area(id) AS (
    SELECT CAST(:area AS integer) WHERE CAST(:area AS integer) IS NOT NULL
    UNION ALL
    SELECT a.id FROM admin_unit a JOIN area ON a.parent_id = area.id WHERE a.valid_to IS NULL
)"""


def user_work(session: Session, username: str, area_unit_id: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """``{"roadmaps": [...], "actions": [...], "cores": [...]}`` of ``username``.

    Roadmaps: ``id, title, status, start_date, end_date, unit, unit_name_fa, unit_name_en,
    responsible_person_id, responsible_name, actions, progress_status``; actions: the
    features' properties of :func:`spatial.planning.progress.action_features`; cores: ``id,
    name, stage, members_count, members [{id, name}], unit, unit_name_fa, unit_name_en``.
    Most recently changed first.
    """
    params = {"user": username, "area": area_unit_id, "limit": LIMIT}
    roadmaps = [dict(r) for r in session.execute(text(f"""{_AREA}
        SELECT r.id, r.title, r.status, r.start_date, r.end_date, u.code AS unit, u.name_fa AS unit_name_fa,
               u.name_en AS unit_name_en, r.responsible_person_id, p.name AS responsible_name,
               (SELECT count(*) FROM action a WHERE a.roadmap_id = r.id AND a.archived_at IS NULL) AS actions
        FROM roadmap r JOIN admin_unit u ON u.id = r.unit_id LEFT JOIN person p ON p.id = r.responsible_person_id
        WHERE (r.created_by = :user OR r.updated_by = :user OR r.unit_id IN (SELECT id FROM area))
          AND r.archived_at IS NULL AND (r.created_by = :user OR {NOT_A_PROPOSAL})
        ORDER BY r.updated_at DESC, r.id LIMIT :limit"""), params).mappings()]
    statuses = roadmap_progress(session, [r["id"] for r in roadmaps])
    for r in roadmaps:
        r["progress_status"] = statuses[r["id"]]
    action_ids = list(session.execute(text(f"""{_AREA}
        SELECT a.id FROM action a JOIN roadmap r ON r.id = a.roadmap_id
        WHERE (a.created_by = :user OR a.updated_by = :user OR r.unit_id IN (SELECT id FROM area))
          AND a.archived_at IS NULL AND r.archived_at IS NULL AND (r.created_by = :user OR {NOT_A_PROPOSAL})
        ORDER BY a.updated_at DESC, a.id LIMIT :limit"""), params).scalars())
    order = {action_id: i for i, action_id in enumerate(action_ids)}
    actions = sorted((f["properties"] for f in action_features(session, action_ids)), key=lambda p: order[p["id"]])
    cores = [dict(r) for r in session.execute(text(f"""{_AREA}
        SELECT c.id, c.name, c.stage, c.members_count, u.code AS unit, u.name_fa AS unit_name_fa,
               u.name_en AS unit_name_en,
               coalesce((SELECT jsonb_agg(jsonb_build_object('id', p.id, 'name', p.name) ORDER BY p.name, p.id)
                         FROM core_member m JOIN person p ON p.id = m.person_id WHERE m.core_id = c.id),
                        '[]'::jsonb) AS members
        FROM progress_core c JOIN admin_unit u ON u.id = c.unit_id
        WHERE c.created_by = :user OR c.updated_by = :user OR c.unit_id IN (SELECT id FROM area)
        ORDER BY c.updated_at DESC, c.id LIMIT :limit"""), params).mappings()]
    return {"roadmaps": roadmaps, "actions": actions, "cores": cores}


def recent_roadmaps(session: Session, n: int = 10) -> list[dict[str, Any]]:
    """The ``n`` most recently changed roadmaps: ``id, title, unit, unit_name_fa, unit_name_en``."""
    return [dict(r) for r in session.execute(text(
        f"""SELECT r.id, r.title, u.code AS unit, u.name_fa AS unit_name_fa, u.name_en AS unit_name_en
           FROM roadmap r JOIN admin_unit u ON u.id = r.unit_id WHERE r.archived_at IS NULL AND {NOT_A_PROPOSAL}
           ORDER BY r.updated_at DESC, r.id LIMIT :n"""),
        {"n": n}).mappings()]
