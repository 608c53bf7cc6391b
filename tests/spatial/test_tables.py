"""Printed tables (:mod:`spatial.tables`): a process that printed a PDF with the bundled fonts
leaves nothing behind and says nothing at exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FONTS = REPO / "maps" / "static" / "vendor" / "vazirmatn"
PRINT_ONE = f"""
from pathlib import Path
from spatial.tables import to_pdf
assert to_pdf("<p dir='rtl'>سلام</p>", Path({str(FONTS)!r})).startswith(b"%PDF")
"""


def test_a_process_that_printed_a_pdf_exits_quietly_and_removes_the_fonts_folder(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", PRINT_ONE], cwd=REPO, env={**os.environ, "TMPDIR": str(tmp_path)},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Exception ignored" not in done.stderr and "TypeError" not in done.stderr, done.stderr
    assert not list(tmp_path.glob("weasyprint-*"))  # the font configuration's folder went with it
