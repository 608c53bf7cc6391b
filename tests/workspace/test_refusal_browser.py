"""An analyst whose file is refused reads why, in Persian, beside the field at fault:
in real headless Chromium, from the workspace's home page, by clicking only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spatial.messages import t
from tests.workspace.conftest import Browser
from tests.workspace.planning import count

pytestmark = pytest.mark.browser


def clinics_in_europe(folder: Path) -> Path:
    """A GeoJSON of points near Vienna: a valid file, far outside the territory the service covers."""
    features = [{"type": "Feature", "properties": {"name": f"clinic {i}"},
                 "geometry": {"type": "Point", "coordinates": [16.3 + i / 100, 48.2]}} for i in range(5)]
    path = folder / "clinics.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def test_an_analyst_from_home_to_a_refused_upload_reads_the_persian_reason_beside_the_field(
        tab: Browser, tmp_path: Path) -> None:
    layers_before = count("layer")
    tab.sign_in("demo-analyst")
    tab.open("/home")
    with tab.page.expect_navigation():
        tab.page.click(f"nav a:has-text('{t('layer.catalogue', 'fa')}')")
    with tab.page.expect_navigation():
        tab.page.click("[data-testid=upload-link]")
    tab.page.set_input_files("input[name=file]", str(clinics_in_europe(tmp_path)))
    tab.page.fill("input[name=name]", "clinics_far_away")
    tab.page.click("form[data-upload-progress] button[type=submit]")
    tab.page.wait_for_selector("label.field.invalid .field-error")  # the refused form, shown in place

    # The reason stands beside the coordinate-system field, in Persian, naming the field and the file.
    field = tab.page.locator("label.field:has(input[name=s_srs])")
    assert "invalid" in (field.get_attribute("class") or "")
    reason = field.locator(".field-error").inner_text()
    assert reason == t("form.field_says", "fa", field=t("layer.s_srs", "fa"),
                       reason=t("refusal.outside_territory", "fa", name="clinics.geojson"))
    assert tab.page.get_attribute("html", "lang") == "fa" and "Longitude" not in tab.text()
    tab.screenshot("layer-upload-refused-fa")
    assert count("layer") == layers_before  # nothing was kept
    # The browser notes the refusal's status (422) in its console; nothing else went wrong.
    assert [e for e in tab.errors if "status of 422" not in e] == [] and tab.outside == []


def test_a_broken_zip_is_refused_beside_the_file_field_in_the_english_page_in_english(
        tab: Browser, tmp_path: Path) -> None:
    broken = tmp_path / "parcels.zip"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip")
    tab.sign_in("demo-analyst", lang="en")
    tab.open("/layers/upload?lang=en")
    tab.page.set_input_files("input[name=file]", str(broken))
    tab.page.fill("input[name=name]", "parcels_broken")
    tab.page.click("form[data-upload-progress] button[type=submit]")
    tab.page.wait_for_selector("label.field.invalid .field-error")
    reason = tab.page.locator("label.field:has(input[name=file]) .field-error").inner_text()
    assert reason == t("form.field_says", "en", field=t("layer.file", "en"),
                       reason=t("refusal.zip_unreadable", "en", name="parcels.zip"))
