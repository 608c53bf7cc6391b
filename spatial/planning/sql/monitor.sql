-- The monitoring centre's queries (spatial/planning/monitor.py), each after a "-- name:" line.
-- An area is a unit code, or NULL for the whole country; its children are the units directly
-- below it (the provinces for the country).

-- name: area_actions
-- The live actions of the area (cancelled ones left out, as progress leaves them out), each with
-- the child of the area it lies under (NULL for the area's own roadmaps) and who holds it.
WITH RECURSIVE area AS (
    SELECT id FROM admin_unit WHERE code = :area AND valid_to IS NULL
), sub(id, child) AS (
    SELECT u.id, u.code FROM admin_unit u
    WHERE u.valid_to IS NULL
      AND ((CAST(:area AS text) IS NULL AND u.parent_id IS NULL) OR u.parent_id = (SELECT id FROM area))
    UNION ALL
    SELECT u.id, sub.child FROM admin_unit u JOIN sub ON u.parent_id = sub.id WHERE u.valid_to IS NULL
), placed(id, child) AS (
    SELECT id, child FROM sub
    UNION ALL
    SELECT id, NULL FROM area
)
SELECT a.id, a.title, a.sector, a.start_date, a.end_date, a.created_at, a.roadmap_id,
       r.title AS roadmap_title, u.code AS unit_code, u.name_fa AS unit_name_fa, u.name_en AS unit_name_en,
       u.level, p.child,
       a.sponsor_id, s.name AS sponsor, a.responsible_person_id AS person_id, pe.name AS person,
       o.id AS organisation_id, o.name AS organisation, r.core_id, c.name AS core
FROM action a
JOIN roadmap r ON r.id = a.roadmap_id
JOIN placed p ON p.id = r.unit_id
JOIN admin_unit u ON u.id = r.unit_id
LEFT JOIN organisation s ON s.id = a.sponsor_id
LEFT JOIN person pe ON pe.id = a.responsible_person_id
-- The responsible organisation: the responsible person's, else the roadmap's.
LEFT JOIN organisation o ON o.id = coalesce(pe.organisation_id, r.responsible_organisation_id)
LEFT JOIN progress_core c ON c.id = r.core_id
WHERE a.archived_at IS NULL AND r.archived_at IS NULL AND a.status <> 'cancelled'
  -- not a competition's proposal until it is adopted (references.NOT_A_PROPOSAL)
  AND NOT EXISTS (SELECT 1 FROM contest_entry ce WHERE ce.roadmap_id = r.id AND ce.state <> 'adopted')
ORDER BY a.id;

-- name: children
-- The children of the area, by code, with their names.
SELECT u.code, u.name_fa, u.name_en FROM admin_unit u
WHERE u.valid_to IS NULL
  AND ((CAST(:area AS text) IS NULL AND u.parent_id IS NULL)
       OR u.parent_id = (SELECT id FROM admin_unit WHERE code = :area AND valid_to IS NULL))
ORDER BY u.code;

-- name: money
-- Per live financing line of the actions :ids: its planned amount and the sums committed and disbursed.
SELECT f.id, f.action_id, f.source, f.amount_rials AS planned,
       coalesce(sum(d.amount_rials) FILTER (WHERE d.kind = 'committed'), 0)::bigint AS committed,
       coalesce(sum(d.amount_rials) FILTER (WHERE d.kind = 'disbursed'), 0)::bigint AS disbursed
FROM financing f
LEFT JOIN disbursement d ON d.financing_id = f.id
WHERE f.action_id = ANY(CAST(:ids AS integer[])) AND f.archived_at IS NULL
GROUP BY f.id
ORDER BY f.id;

-- name: deprivation
-- The scores of the units :codes on the newest deprivation index scored at :level, in its newest period.
WITH idx AS (
    SELECT i.id FROM composite_index i
    WHERE i.domain = 'deprivation' AND EXISTS (SELECT 1 FROM index_score s WHERE s.index_id = i.id AND s.level = :level)
    ORDER BY i.id DESC LIMIT 1
), newest AS (
    SELECT max(s.period) AS period FROM index_score s WHERE s.index_id = (SELECT id FROM idx) AND s.level = :level
)
SELECT u.code, s.score, i.code AS index_code, i.name_fa, i.name_en, s.period
FROM index_score s
JOIN admin_unit u ON u.id = s.unit_id
JOIN composite_index i ON i.id = s.index_id
WHERE s.index_id = (SELECT id FROM idx) AND s.period = (SELECT period FROM newest) AND s.level = :level
  AND u.code = ANY(CAST(:codes AS text[]))
ORDER BY s.score DESC, u.code;

-- name: financing_line
-- A live financing line with its action and roadmap (and the roadmap's unit, whose area decides
-- who may record money on it).
SELECT f.id, f.source, f.amount_rials, a.id AS action_id, a.title AS action_title, r.id AS roadmap_id,
       r.title AS roadmap_title, r.unit_id
FROM financing f JOIN action a ON a.id = f.action_id JOIN roadmap r ON r.id = a.roadmap_id
WHERE f.id = :financing_id AND f.archived_at IS NULL;

-- name: disbursements
-- The money movements of a financing line, oldest first.
SELECT id, financing_id, kind, "on", amount_rials, note, created_at, created_by
FROM disbursement WHERE financing_id = :financing_id ORDER BY "on", id;

-- name: disbursed_by_unit
-- The rials disbursed per day on the live actions of roadmaps at :level or below it, each summed
-- under the unit at :level the roadmap lies in (roadmaps above :level are left out); live actions as
-- in area_actions.
WITH RECURSIVE sub(id, code) AS (
    SELECT u.id, u.code FROM admin_unit u WHERE u.valid_to IS NULL AND u.level = :level
    UNION ALL
    SELECT u.id, sub.code FROM admin_unit u JOIN sub ON u.parent_id = sub.id WHERE u.valid_to IS NULL
)
SELECT sub.code, d."on", sum(d.amount_rials)::bigint AS rials
FROM disbursement d
JOIN financing f ON f.id = d.financing_id
JOIN action a ON a.id = f.action_id
JOIN roadmap r ON r.id = a.roadmap_id
JOIN sub ON sub.id = r.unit_id
WHERE d.kind = 'disbursed' AND f.archived_at IS NULL AND a.archived_at IS NULL AND r.archived_at IS NULL
  AND a.status <> 'cancelled'
  AND NOT EXISTS (SELECT 1 FROM contest_entry ce WHERE ce.roadmap_id = r.id AND ce.state <> 'adopted')
GROUP BY sub.code, d."on";
