-- Actions that became late (end date before :on) or fall due before :until, with who holds
-- them: the responsible person (the action's own, else its roadmap's) and the roadmap's
-- progress core. Done, cancelled and archived actions, and archived roadmaps, are left out.
-- With :everyone, every held action; otherwise those of :persons or :cores.
SELECT a.id AS action_id, a.title, a.end_date AS due_date,
       CASE WHEN a.end_date < :on THEN 'late' ELSE 'due' END AS kind,
       r.id AS roadmap_id, r.title AS roadmap_title,
       u.code AS unit, u.name_fa AS unit_name_fa, u.name_en AS unit_name_en,
       coalesce(a.responsible_person_id, r.responsible_person_id) AS person_id, r.core_id
FROM action a
JOIN roadmap r ON r.id = a.roadmap_id
JOIN admin_unit u ON u.id = r.unit_id
WHERE a.archived_at IS NULL AND r.archived_at IS NULL AND r.status <> 'archived'
  AND a.status NOT IN ('done', 'cancelled')
  -- not a competition's proposal until it is adopted (references.NOT_A_PROPOSAL)
  AND NOT EXISTS (SELECT 1 FROM contest_entry ce WHERE ce.roadmap_id = r.id AND ce.state <> 'adopted')
  AND a.end_date IS NOT NULL AND a.end_date < :until
  AND (coalesce(a.responsible_person_id, r.responsible_person_id) IS NOT NULL OR r.core_id IS NOT NULL)
  AND (CAST(:everyone AS boolean)
       OR coalesce(a.responsible_person_id, r.responsible_person_id) = ANY(CAST(:persons AS integer[]))
       OR r.core_id = ANY(CAST(:cores AS integer[])))
ORDER BY a.end_date < :on DESC, CASE WHEN a.end_date < :on THEN a.end_date END DESC, a.end_date, a.id
