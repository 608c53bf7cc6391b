"""The generated signing key: made once, whole, however many threads ask for it first."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from spatial.accounts.tokens import _secret


def test_threads_racing_on_a_fresh_home_all_read_the_one_complete_key(tmp_path: Path) -> None:
    homes = [tmp_path / f"home{i}" for i in range(20)]
    for home in homes:
        _secret.cache_clear()
        with ThreadPoolExecutor(8) as pool:
            keys = set(pool.map(_secret, [None] * 8, [home] * 8))
        assert len(keys) == 1 and len(next(iter(keys))) > 40
        assert [p.name for p in home.iterdir()] == ["secret_key"]  # no private file left behind
    _secret.cache_clear()
