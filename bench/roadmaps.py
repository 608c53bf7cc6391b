"""Roadmaps benchmark: progress statuses and history reconstruction.

Builds, inside a transaction that is rolled back, one county roadmap with 300 actions
(3 key results each, 6 measurements per key result = 5,400 measurements), then times:

1. Progress of every key result, rolled up to actions — Pishraft's one set-based query
   (``spatial.planning.progress.action_progress``) against the usual ORM peer: one query per key
   result for its latest measurement, the status computed in Python (N+1).
   Goal: at least 10x faster than the peer.
2. The roadmap as it was at a moment (``spatial.planning.history.as_of``, latest recorded
   document per object) against reading the current roadmap through the ORM
   (``spatial.planning.roadmaps.get_roadmap``). Goal: no slower than 2x the current read.

Run: ``.venv/bin/python bench/roadmaps.py`` (uses the configured database: the embedded
PostGIS by default, migrated and given the demo first if need be).
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from spatial.db.bulk import copy_rows
from spatial.db.engine import get_engine
from spatial.demo import prepare_demo_database
from spatial.planning.history import LocalEditor, as_of, now
from spatial.models.roadmaps import KeyResult, Measurement
from spatial.planning.progress import action_progress, roll_up
from spatial.planning.roadmap_inputs import ActionIn, ActionPatch, KeyResultIn, RoadmapIn
from spatial.planning.roadmaps import create_action, create_roadmap, get_roadmap, update_action

ACTIONS, KRS, MEASUREMENTS = 300, 3, 6
ON = date(2025, 6, 1)
EDITOR = LocalEditor("bench")


def _best(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _orm_peer(session: Session, action_ids: list[int]) -> dict[int, str]:
    """The N+1 way: each key result's latest measurement by its own query, status in Python."""
    out = {}
    for aid in action_ids:
        statuses = []
        for kr in session.scalars(select(KeyResult).where(KeyResult.action_id == aid).order_by(KeyResult.id)):
            m = session.scalars(select(Measurement).where(Measurement.key_result_id == kr.id,
                                                          Measurement.measured_on <= ON)
                                .order_by(Measurement.measured_on.desc(), Measurement.id.desc()).limit(1)).first()
            if m is None:
                statuses.append("no_data")
                continue
            start = date(2024, 1, 1)
            sign = 1 if kr.target >= kr.baseline else -1
            share = min(max((m.measured_on - start).days / (kr.target_date - start).days, 0), 1)
            expected = kr.baseline + (kr.target - kr.baseline) * share
            if sign * (m.value - kr.target) >= 0:
                statuses.append("achieved")
            elif ON > kr.target_date:
                statuses.append("overdue")
            else:
                statuses.append("on_track" if sign * (m.value - expected) >= 0 else "behind")
        out[aid] = roll_up(statuses)
    return out


def main() -> None:
    prepare_demo_database(progress=lambda step: print(f"  demo: {step}", flush=True))
    rng = np.random.default_rng(1403)
    with get_engine().connect() as conn:
        trans = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            t0 = time.perf_counter()
            rid = create_roadmap(session, RoadmapIn(unit="IR-15-01", title="bench", start_date=date(2024, 1, 1),
                                                    end_date=date(2026, 12, 31)), EDITOR)["id"]
            ids = []
            for n in range(ACTIONS):
                action = create_action(session, ActionIn(roadmap_id=rid, title=f"a{n}", key_results=[
                    KeyResultIn(indicator=f"k{k}", baseline=0, target=100, target_date=date(2025, 12, 31))
                    for k in range(KRS)]), EDITOR)
                ids.append(action["id"])
            kr_ids = session.execute(select(KeyResult.id).where(KeyResult.action_id.in_(ids))).scalars().all()
            at = now(session)
            rows = [(k, date(2024, 1, 1) + timedelta(days=60 * (i + 1)), float(rng.uniform(0, 100)), "bench",
                     False, at, "bench", at, "bench") for k in kr_ids for i in range(MEASUREMENTS)]
            copy_rows(session, "measurement", ("key_result_id", "measured_on", "value", "reported_by",
                                               "synthetic", "created_at", "created_by", "updated_at",
                                               "updated_by"), rows)
            moment = now(session)
            for aid in ids[::2]:
                update_action(session, aid, ActionPatch(status="in_progress"), EDITOR)
            session.execute(text("ANALYZE measurement; ANALYZE history"))
            print(f"setup: {ACTIONS} actions, {len(kr_ids)} key results, {len(rows)} measurements "
                  f"in {time.perf_counter() - t0:.1f} s")

            ours = action_progress(session, ids, ON)
            peer = _orm_peer(session, ids)
            assert {a: v["status"] for a, v in ours.items()} == peer, "the two methods disagree"
            t_ours = _best(lambda: action_progress(session, ids, ON))
            t_peer = _best(lambda: _orm_peer(session, ids), repeat=1)
            print(f"progress  pishraft set-based SQL {t_ours * 1000:8.1f} ms | ORM N+1 peer {t_peer * 1000:8.1f} ms"
                  f" | speed-up {t_peer / t_ours:5.1f}x (goal >= 10x)")

            t_asof = _best(lambda: as_of(session, rid, moment))
            session.expire_all()
            t_now = _best(lambda: (session.expire_all(), get_roadmap(session, rid)))
            print(f"as_of     history reconstruction {t_asof * 1000:8.1f} ms | current ORM read {t_now * 1000:8.1f} ms"
                  f" | ratio {t_asof / t_now:5.2f} (goal <= 2)")
        finally:
            session.close()
            trans.rollback()


if __name__ == "__main__":
    main()
