"""GenerationCache: a value is computed once per data generation, also when many ask at once."""

from __future__ import annotations

import threading

from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.generation import GenerationCache, read_generation


def test_a_value_asked_for_by_many_threads_at_once_is_computed_once(database_url: str) -> None:
    from spatial.db.engine import session_scope

    cache: GenerationCache[int] = GenerationCache(size=4)
    computed: list[int] = []
    inside = threading.Event()
    release = threading.Event()
    answers: list[int] = []

    def compute() -> int:
        computed.append(1)
        inside.set()
        release.wait(timeout=10)
        return 42

    def ask() -> None:
        with session_scope() as session:
            answers.append(cache.get(session, "level", compute))

    first = threading.Thread(target=ask)
    first.start()
    assert inside.wait(timeout=10)
    others = [threading.Thread(target=ask) for _ in range(3)]
    for thread in others:
        thread.start()
    release.set()
    for thread in [first, *others]:
        thread.join(timeout=10)
    assert answers == [42] * 4 and len(computed) == 1


def test_a_failed_computation_is_not_kept_and_is_tried_again(session: Session) -> None:
    cache: GenerationCache[int] = GenerationCache(size=4)

    def fail() -> int:
        raise ValueError("no data")

    for _ in range(2):
        try:
            cache.get(session, "k", fail)
        except ValueError:
            pass
    assert cache.get(session, "k", lambda: 7) == 7


def test_a_change_to_published_data_is_a_new_generation_and_a_new_value(session: Session) -> None:
    cache: GenerationCache[int] = GenerationCache(size=4)
    assert cache.get(session, "k", lambda: 1) == 1
    assert cache.get(session, "k", lambda: 2) == 1
    before = read_generation(session)
    session.execute(text("UPDATE indicator SET name_en = name_en WHERE code = 'unemployment_rate'"))
    assert read_generation(session) != before
    assert cache.get(session, "k", lambda: 3) == 3


def test_two_databases_at_the_same_generation_keep_their_own_values(session: Session) -> None:
    """One process reading two databases (a scratch cluster beside the suite's) that stand at
    the same generation number gets each database's own value, never the other's."""
    import psycopg
    from sqlalchemy import create_engine

    generation = read_generation(session)
    url = session.get_bind().engine.url
    other_name = f"{url.database}_other"
    server = url.set(drivername="postgresql").render_as_string(hide_password=False).rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{other_name}"')
        admin.execute(f'CREATE DATABASE "{other_name}"')
    other_engine = create_engine(url.set(database=other_name))
    try:
        with other_engine.begin() as conn:
            conn.execute(text("CREATE TABLE pishraft_meta (key text PRIMARY KEY, value text NOT NULL)"))
            conn.execute(text("INSERT INTO pishraft_meta VALUES ('data_generation', :g)"), {"g": str(generation)})
        cache: GenerationCache[str] = GenerationCache(size=4)
        with Session(other_engine) as other:
            assert read_generation(other) == generation
            assert cache.get(session, "level", lambda: "suite's") == "suite's"
            assert cache.get(other, "level", lambda: "other's") == "other's"
            assert cache.get(session, "level", lambda: "again") == "suite's"
    finally:
        other_engine.dispose()
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{other_name}" WITH (FORCE)')


def test_a_cache_bounded_by_weight_drops_the_least_recently_used_until_the_rest_fit(session: Session) -> None:
    cache: GenerationCache[bytes] = GenerationCache(size=10, weigh=len)
    cache.get(session, "a", lambda: b"aaaa")
    cache.get(session, "b", lambda: b"bbbb")
    cache.get(session, "a", lambda: b"never computed")  # "a" is now the most recently used
    cache.get(session, "c", lambda: b"cccc")  # 12 > 10: "b" goes
    assert cache.get(session, "a", lambda: b"again") == b"aaaa"
    assert cache.get(session, "b", lambda: b"again") == b"again"


def test_a_value_heavier_than_the_whole_cache_is_not_kept(session: Session) -> None:
    cache: GenerationCache[bytes] = GenerationCache(size=10, weigh=len)
    cache.get(session, "small", lambda: b"1234")
    assert cache.get(session, "big", lambda: b"x" * 11) == b"x" * 11
    assert cache.get(session, "big", lambda: b"again") == b"again"
    assert cache.get(session, "small", lambda: b"again") == b"again"  # pushed out on the way, too


def test_peek_answers_only_what_is_kept(session: Session) -> None:
    from spatial.db.generation import read_data_state

    cache: GenerationCache[int] = GenerationCache(size=4)
    state = read_data_state(session)
    assert cache.peek(state, "k") is None
    cache.get_at(state, "k", lambda: 5)
    assert cache.peek(state, "k") == 5
    assert cache.peek((state[0] + 1, *state[1:]), "k") is None
