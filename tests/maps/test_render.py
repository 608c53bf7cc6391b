"""``pishraft maps render``: standalone HTML maps with local assets, for offices that share files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from tests.maps.conftest import Visit
from tests.maps.samples import coverage_properties


@pytest.fixture(scope="module")
def rendered(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rendered")
    result = CliRunner().invoke(app, ["maps", "render", "--out", str(out), "--lang", "fa", "--unit", "IR-15"])
    assert result.exit_code == 0, result.output
    return out


def test_render_writes_the_overviews_the_unit_pages_and_the_assets(rendered: Path) -> None:
    names = {p.name for p in rendered.glob("*.html")}
    assert names == {"overview.fa.html", "overview-neighbourhood.fa.html", "unit-IR-15.fa.html"}
    assert (rendered / "static" / "vendor" / "leaflet" / "leaflet.js").is_file()


def test_rendered_pages_link_to_each_other_as_files(rendered: Path) -> None:
    overview = coverage_properties((rendered / "overview.fa.html").read_text(encoding="utf-8"))
    assert overview["href"][overview["code"].index("IR-15")] == "unit-IR-15.fa.html"
    province = (rendered / "unit-IR-15.fa.html").read_text(encoding="utf-8")
    assert 'href=\\"overview.fa.html\\"' in province and "/maps/" not in province


def test_render_names_an_unknown_unit(database_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["maps", "render", "--out", str(tmp_path), "--unit", "XX-1"])
    assert result.exit_code == 1 and "XX-1" in result.output


@pytest.mark.browser
def test_a_rendered_file_opens_offline(rendered: Path, visit: Callable[..., Visit]) -> None:
    seen = visit((rendered / "unit-IR-15.fa.html").as_uri())
    assert seen.page.evaluate("Pishraft.layers[0].count()") == 10
    assert seen.errors == [] and seen.outside == []
