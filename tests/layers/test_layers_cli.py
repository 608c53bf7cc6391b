"""``pishraft layers add|list|show|remove`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from tests.layers import fixtures as fx

runner = CliRunner(env={"COLUMNS": "200"})


def test_add_list_show_remove(tmp_path: Path, database_url: str) -> None:
    added = runner.invoke(app, ["layers", "add", str(fx.write_shapefile_zip(tmp_path)), "--name", "cli_health",
                                "--kind", "capacity", "--title", "Clinics"])
    assert added.exit_code == 0, added.output
    assert "Added cli_health v1: 4 MultiPoint features, from EPSG:32640" in added.output

    listed = runner.invoke(app, ["layers", "list"])
    assert "cli_health" in listed.output and "Clinics" in listed.output

    shown = runner.invoke(app, ["layers", "show", "cli_health"])
    info = json.loads(shown.output)
    assert info["columns"][0]["label"] == "نام"
    assert [row["field_1"] for row in info["sample"]] == fx.NAMES

    replaced = runner.invoke(app, ["layers", "add", str(fx.write_geojson(tmp_path)), "--name", "cli_health",
                                   "--replace"])
    assert "v2" in replaced.output

    removed = runner.invoke(app, ["layers", "remove", "cli_health"])
    assert removed.exit_code == 0
    assert runner.invoke(app, ["layers", "show", "cli_health"]).exit_code == 1


def test_shapefile_without_prj_asks_for_s_srs(tmp_path: Path, database_url: str) -> None:
    result = runner.invoke(app, ["layers", "add", str(fx.write_shapefile_zip(tmp_path, prj=False)), "--name", "np"])

    assert result.exit_code == 1
    assert "error [s_srs]:" in result.output
    assert "--s-srs" in result.output


def test_kmz_folder_is_chosen_with_layer_and_warnings_are_printed(tmp_path: Path, database_url: str) -> None:
    kmz = runner.invoke(app, ["layers", "add", str(fx.write_kmz(tmp_path)), "--name", "cli_kmz",
                              "--layer", fx.KML_WELLS_FOLDER])
    stray = tmp_path / "stray.geojson"
    stray.write_bytes(fx.feature_collection([
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": xy}}
        for xy in ([56.1, 30.2], [0, 0])]))
    warned = runner.invoke(app, ["layers", "add", str(stray), "--name", "cli_stray"])
    for slug in ("cli_kmz", "cli_stray"):
        runner.invoke(app, ["layers", "remove", slug])

    assert kmz.exit_code == 0, kmz.output
    assert "Added cli_kmz v1: 3 MultiPoint features, from EPSG:4326" in kmz.output
    assert warned.exit_code == 0, warned.output
    assert "warning: stray.geojson reaches beyond the territory" in " ".join(warned.output.split())
