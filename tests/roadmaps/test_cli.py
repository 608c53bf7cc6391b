"""``pishraft roadmaps list|show|export|import``."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import text
from typer.testing import CliRunner

from api.cli import app
from spatial.db.engine import session_scope

runner = CliRunner()


def test_list_show_export_import(database_url: str, tmp_path: Path) -> None:
    listed = runner.invoke(app, ["roadmaps", "list", "--unit", "IR-15", "--level", "province"])
    assert listed.exit_code == 0 and "IR-15" in listed.output
    with session_scope() as s:
        rid = s.execute(text("SELECT min(id) FROM roadmap WHERE synthetic")).scalar_one()
    shown = runner.invoke(app, ["roadmaps", "show", str(rid)])
    assert shown.exit_code == 0 and '"actions"' in shown.output

    out = tmp_path / "roadmap.json"
    assert runner.invoke(app, ["roadmaps", "export", str(rid), "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["format"] == "pishraft-roadmap"
    xlsx = tmp_path / "roadmap.xlsx"
    assert runner.invoke(app, ["roadmaps", "export", str(rid), "--out", str(xlsx)]).exit_code == 0
    assert load_workbook(xlsx).sheetnames[1] == "Actions"
    assert runner.invoke(app, ["roadmaps", "export", str(rid), "--out", str(xlsx), "--lang", "fa"]).exit_code == 0
    assert load_workbook(xlsx).sheetnames[1] == "اقدام‌ها" and load_workbook(xlsx).active.sheet_view.rightToLeft

    imported = runner.invoke(app, ["roadmaps", "import", str(out), "--author", "cli-test"])
    assert imported.exit_code == 0 and "imported as roadmap" in imported.output


def test_errors_are_one_line_messages(database_url: str, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["roadmaps", "show", "987654"])
    assert missing.exit_code == 1 and "No roadmap has id 987654" in missing.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "pishraft-roadmap", "version": 1, "roadmap": {}}', encoding="utf-8")
    result = runner.invoke(app, ["roadmaps", "import", str(broken)])
    assert result.exit_code == 1 and "roadmap.unit" in result.output and "Traceback" not in result.output
