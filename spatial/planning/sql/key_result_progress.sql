-- The status of every key result of the actions :action_ids on each of the days :days.
-- The rule is documented in spatial/progress.py; this is its only implementation.
WITH day AS (
    SELECT DISTINCT unnest(CAST(:days AS date[])) AS on_day
), kr AS (
    SELECT d.on_day, k.id, k.action_id, k.indicator, k.unit_of_measure, k.baseline, k.target, k.target_date,
           -- The straight line starts at the action's start, or the roadmap's when the action has none.
           coalesce(a.start_date, r.start_date) AS start_date,
           m.measured_on AS latest_on, m.value AS latest_value
    FROM key_result k
    CROSS JOIN day d
    JOIN action a ON a.id = k.action_id
    JOIN roadmap r ON r.id = a.roadmap_id
    LEFT JOIN LATERAL (
        SELECT measured_on, value FROM measurement
        -- Withdrawn (archived) measurements no longer count.
        WHERE key_result_id = k.id AND measured_on <= d.on_day AND archived_at IS NULL
        ORDER BY measured_on DESC, id DESC
        LIMIT 1
    ) m ON true
    WHERE k.action_id = ANY(CAST(:action_ids AS integer[])) AND k.archived_at IS NULL
), line AS (
    SELECT kr.*,
           -- +1 when progress means going up (target above baseline), -1 when it means going down.
           CASE WHEN target >= baseline THEN 1 ELSE -1 END AS direction,
           -- Where the straight line from (start, baseline) to (target date, target) stands on the
           -- day of the latest measurement, clamped to the segment.
           baseline + (target - baseline) * least(greatest(
               (latest_on - start_date)::float8 / nullif(target_date - start_date, 0), 0), 1) AS expected
    FROM kr
)
SELECT on_day, id, action_id, indicator, unit_of_measure, baseline, target, target_date, start_date,
       latest_on, latest_value, expected,
       CASE WHEN latest_on IS NULL THEN 'no_data'
            WHEN direction * (latest_value - target) >= 0 THEN 'achieved'
            WHEN on_day > target_date THEN 'overdue'
            WHEN direction * (latest_value - expected) >= 0 THEN 'on_track'
            ELSE 'behind'
       END AS status,
       -- 0 without data, so that maps can always draw a bar; the status says 'no_data'.
       CASE WHEN latest_on IS NULL THEN 0.0
            WHEN target = baseline THEN CASE WHEN direction * (latest_value - target) >= 0 THEN 1.0 ELSE 0.0 END
            ELSE least(greatest((latest_value - baseline) / (target - baseline), 0), 1)
       END AS progress
FROM line
ORDER BY on_day, action_id, id
