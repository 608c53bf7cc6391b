"""Command-line start-up: ``pishraft --help`` and the light commands against Typer's own floor.

Each command runs ``--repeat`` times as a fresh process (as a user types it); the script
prints the median and the fastest wall time, and the median's ratio to the floor: a
Python process that imports Typer and Rich and nothing of Pishraft. It also prints
``api.cli``'s own import time as ``python -X importtime`` reports it (cumulative µs).

Goals: importing ``api.cli`` under 0.5 s; ``--help``, ``db status``, ``layers list`` and
``users list`` well under 1 s (the light commands also connect to the database, so they
need a migrated one: ``pishraft db start && pishraft db upgrade``, or ``DATABASE_URL``).

Usage::

    .venv/bin/python bench/cli.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

PISHRAFT = str(Path(sys.executable).with_name("pishraft"))
FLOOR = [sys.executable, "-c", "import typer, rich.console"]
COMMANDS: dict[str, list[str]] = {
    "pishraft --help": [PISHRAFT, "--help"],
    "pishraft db status": [PISHRAFT, "db", "status"],
    "pishraft layers list": [PISHRAFT, "layers", "list"],
    "pishraft users list": [PISHRAFT, "users", "list"],
}


def timed(argv: list[str], repeat: int) -> tuple[list[float], str | None]:
    """Wall times of ``repeat`` runs of ``argv``, and the error of the first failing run, if any."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            return times, (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    return times, None


def import_time_us() -> int:
    """``api.cli``'s cumulative import time in µs, as ``python -X importtime`` reports it."""
    report = subprocess.run([sys.executable, "-X", "importtime", "-c", "import api.cli"],
                            capture_output=True, text=True, check=True).stderr
    line = next(row for row in report.splitlines() if row.rstrip().endswith("| api.cli"))
    return int(line.split("|")[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    imports = sorted(import_time_us() for _ in range(args.repeat))
    print(f"import api.cli (python -X importtime): median {statistics.median(imports) / 1e6:.3f} s, "
          f"fastest {imports[0] / 1e6:.3f} s (goal < 0.5 s)")
    floor, _ = timed(FLOOR, args.repeat)
    base = statistics.median(floor)
    label = 'floor: python -c "import typer, rich.console"'
    print(f"{label:44} median {base:.3f} s, fastest {min(floor):.3f} s")
    for name, argv in COMMANDS.items():
        times, error = timed(argv, args.repeat)
        if error:
            print(f"{name:44} failed: {error}")
            continue
        median = statistics.median(times)
        print(f"{name:44} median {median:.3f} s, fastest {min(times):.3f} s, {median / base:.2f}× the floor "
              f"(goal < 1 s: {'met' if median < 1 else 'not met'})")


if __name__ == "__main__":
    main()
