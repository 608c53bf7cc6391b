"""The analyst, admin, history and people pages in real headless Chromium: an analyst
uploads a zipped Shapefile and watches it go up, an admin creates a user and a partner
key, the history shows a field change and the roadmap as it was before it, and every
page of these families is photographed (test-artifacts/workspace/)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import MultiPolygon, Polygon, box
from sqlalchemy import text

from spatial.db.engine import session_scope
from spatial.messages import t
from tests.workspace.conftest import PHONE, Browser

pytestmark = pytest.mark.browser

UTM40N = 32640
#: Upload speed while the analyst watches the bar: slow enough to see it move.
WATCHABLE_BYTES_PER_S = 16 * 1024


def kerman_parcels(folder: Path) -> Path:
    """A zipped Windows-1256 Shapefile in UTM 40N near Kerman: polygons and multipolygons,
    one self-crossing ("bow-tie") polygon to repair, one feature without a geometry, and
    enough small parcels (about 60 KB) for the upload to take a moment."""
    x0, y0 = 500_000.0, 3_350_000.0  # UTM 40N, around Kerman
    shapes: list[object] = [box(x0 + i * 120, y0 + (i // 40) * 120, x0 + i * 120 + 100, y0 + (i // 40) * 120 + 100)
                            for i in range(600)]
    shapes[1] = MultiPolygon([box(x0, y0 - 500, x0 + 50, y0 - 450), box(x0 + 100, y0 - 500, x0 + 150, y0 - 450)])
    shapes[2] = Polygon([(x0, y0 - 900), (x0 + 100, y0 - 800), (x0 + 100, y0 - 900), (x0, y0 - 800)])  # bow-tie
    shapes[3] = None
    frame = gpd.GeoDataFrame({"نام": [f"قطعه {i}" for i in range(len(shapes))],
                              "area_ha": [1.0] * len(shapes)}, geometry=shapes, crs=UTM40N)
    pyogrio.write_dataframe(frame, folder / "parcels.shp", encoding="cp1256")
    archive = folder / "kerman_parcels.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
        for part in sorted(folder.glob("parcels.*")):
            zf.write(part, part.name)
    return archive


@pytest.fixture
def layer_removed_after() -> Iterator[list[str]]:
    slugs: list[str] = []
    yield slugs
    from layers.catalogue import remove_layer

    for slug in slugs:
        with session_scope() as session:
            remove_layer(session, slug)


def test_an_analyst_uploads_a_zipped_shapefile_watches_it_go_up_and_reads_the_load_report(
        tab: Browser, tmp_path: Path, layer_removed_after: list[str]) -> None:
    archive = kerman_parcels(tmp_path)
    tab.sign_in("demo-analyst")
    tab.open("/layers")
    tab.screenshot("layers-fa")
    with tab.page.expect_navigation():
        tab.page.click("[data-testid=upload-link]")
    tab.page.set_input_files("input[name=file]", str(archive))
    tab.page.fill("input[name=name]", "kerman_parcels")
    tab.page.fill("input[name=title]", "قطعه‌های کرمان")
    tab.page.select_option("select[name=kind]", "context")
    tab.screenshot("layer-upload-fa")
    network = tab.page.context.new_cdp_session(tab.page)
    network.send("Network.enable")
    network.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": WATCHABLE_BYTES_PER_S})
    layer_removed_after.append("kerman_parcels")
    tab.page.click("form[data-upload-progress] button[type=submit]")
    # The bar moves while the file goes up…
    tab.page.wait_for_function("() => { const p = document.querySelector('.upload-progress progress');"
                               " return p && p.value > 0 && p.value < p.max; }")
    assert tab.page.is_visible("[data-testid=upload-progress]")
    assert "در حال ارسال" in tab.page.inner_text("[data-testid=upload-progress] output")
    tab.screenshot("layer-upload-progress-fa")
    # … and the load report follows.
    tab.page.wait_for_url("**/layers/kerman_parcels?loaded=1", timeout=120_000)
    network.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                      "uploadThroughput": -1})
    report = tab.page.inner_text("[data-testid=load-report]")
    assert tab.page.inner_text("[data-testid=feature-count]") == "۵۹۹"  # 600 less the one without geometry
    assert tab.page.inner_text("[data-testid=repaired]") == "۱"
    assert tab.page.inner_text("[data-testid=dropped]") == "۱"
    assert tab.page.inner_text("[data-testid=source-crs]") == "EPSG:32640"
    assert "windows-1256" in report.lower() or "cp1256" in report.lower()
    assert t("layer.loaded", "fa", version="۱") in tab.text()
    tab.screenshot("layer-report-fa")
    with session_scope() as session:
        names = session.execute(text('SELECT count(*) FROM layers.kerman_parcels_v1')).scalar_one()
    assert names == 599
    assert tab.errors == [] and tab.outside == []


def test_a_refused_upload_shows_the_form_again_with_the_reason(tab: Browser, tmp_path: Path) -> None:
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"not a zip at all")
    tab.sign_in("demo-analyst", lang="en")
    tab.open("/layers/upload?lang=en")
    tab.page.set_input_files("input[name=file]", str(bad))
    tab.page.fill("input[name=name]", "broken_upload")
    tab.page.click("form[data-upload-progress] button[type=submit]")
    tab.page.wait_for_selector(".errors")
    assert "File:" in tab.page.inner_text(".errors")
    assert tab.page.input_value("input[name=name]") == "broken_upload"  # what was typed stays
    with session_scope() as session:
        assert session.execute(text("SELECT count(*) FROM layer WHERE slug = 'broken_upload'")).scalar_one() == 0
    tab.screenshot("layer-upload-refused-en")


def test_an_admin_creates_a_user_and_a_partner_key_shown_once(tab: Browser) -> None:
    tab.sign_in("demo-admin")
    tab.open("/admin/users")
    form = "[data-testid=new-user]"
    tab.page.fill(f"{form} input[name=username]", "maryam.core")
    tab.page.fill(f"{form} input[name=password]", "a-long-password-1405")
    tab.page.select_option(f"{form} select[name=role]", "core")
    tab.page.fill(f"{form} input[name=area]", "IR-15-01")
    with tab.page.expect_navigation():
        tab.page.click(f"{form} button[type=submit]")
    assert t("admin.user_saved", "fa", name="maryam.core") in tab.text()
    row = tab.page.locator("tr[data-user='maryam.core']")
    assert row.locator("select[name=role]").input_value() == "core"
    assert row.locator("input[name=area]").input_value() == "IR-15-01"
    tab.screenshot("admin-users-fa")

    tab.open("/admin/keys")
    tab.page.fill("input[name=partner]", "kerman-municipality")
    tab.page.fill("input[name=collections]", "provinces,counties")
    tab.page.fill("input[name=rate]", "5/s")
    with tab.page.expect_navigation():
        tab.page.click("[data-testid=new-key-form] button[type=submit]")
    key = tab.page.inner_text("[data-testid=new-key]")
    assert key.startswith("pk_")
    assert t("admin.new_key_once", "fa") in tab.text()
    tab.screenshot("admin-key-created-fa")
    prefix = key.removeprefix("pk_").split("_", 1)[0]
    tab.open("/admin/keys")
    assert key not in tab.text() and prefix in tab.text()  # shown once: the list has only its prefix
    with tab.page.expect_navigation():
        tab.page.click(f"[data-testid=revoke-{prefix}]")
    assert "باطل‌شده" in tab.page.inner_text(f"tr[data-key='{prefix}']")
    tab.screenshot("admin-keys-fa")

    tab.open("/admin/audit")
    tab.page.fill("input[name=username]", "demo-admin")
    with tab.page.expect_navigation():
        tab.page.click("[data-testid=audit-filters] button[type=submit]")
    said = tab.page.inner_text("[data-testid=audit]")  # in words, not HTTP lines
    assert t("audit.did.revoke", "fa", who="demo-admin", what=t("audit.named", "fa", kind=t("audit.kind.key", "fa"),
                                                                 name="kerman-municipality")) in said
    assert "POST /admin/keys" not in said
    tab.screenshot("admin-audit-fa")
    assert tab.errors == [] and tab.outside == []


def test_the_history_shows_a_field_change_and_the_roadmap_as_it_was_before(tab: Browser) -> None:
    from spatial.planning.history import LocalEditor
    from spatial.planning.roadmap_inputs import RoadmapPatch
    from spatial.planning.roadmaps import update_roadmap

    with session_scope() as session:
        roadmap, old = session.execute(text(
            "SELECT r.id, r.title FROM roadmap r JOIN admin_unit u ON u.id = r.unit_id "
            "WHERE u.code = 'IR-15-01-001' ORDER BY r.id LIMIT 1")).one()
        update_roadmap(session, roadmap, RoadmapPatch(title="نقشه پیشرفت محله نمونه ۱ — بازنگری ۱۴۰۵"),
                       LocalEditor("demo-planner"))
    tab.sign_in("demo-viewer")
    tab.open(f"/roadmaps/{roadmap}/history")
    newest = tab.page.locator("[data-testid=history] > li").first
    change = newest.inner_text()
    assert "demo-planner" in change and t("history.field.title", "fa") in change
    assert old in change and "بازنگری ۱۴۰۵" in change
    tab.screenshot("history-fa")
    with tab.page.expect_navigation():
        newest.locator("[data-testid=before-link]").click()
    assert tab.page.inner_text("[data-testid=as-of-title]") == old
    tab.screenshot("as-of-fa")
    # The same page for a chosen day: today (Jalali, typed with Persian digits) shows the new title.

    from spatial.jalali import iran_today, jalali_numeric

    tab.page.fill("input[name=on]", jalali_numeric(iran_today(), persian=True))
    with tab.page.expect_navigation():
        tab.page.click("form.inline button[type=submit]")
    assert "بازنگری ۱۴۰۵" in tab.page.inner_text("[data-testid=as-of-title]")
    assert tab.errors == [] and tab.outside == []


PAGES_BY_ROLE = {
    "demo-core": ["/cores", "/cores/{core}", "/cores/{core}/edit", "/past-plans", "/past-plans/{plan}",
                  "/past-plans/new", "/handovers", "/handovers/new"],
    "demo-analyst": ["/indicators", "/indicators/import", "/indicators/derive"],
}


@pytest.mark.parametrize("username", sorted(PAGES_BY_ROLE))
def test_each_page_opens_without_errors_in_persian_on_a_desktop(new_tab, username: str) -> None:  # type: ignore[no-untyped-def]
    with session_scope() as session:
        ids = {"core": session.execute(text("SELECT min(id) FROM progress_core")).scalar_one(),
               "plan": session.execute(text("SELECT min(id) FROM past_plan")).scalar_one()}
    tab = new_tab()
    tab.sign_in(username)
    for path in PAGES_BY_ROLE[username]:
        assert tab.open(path.format(**ids)).status == 200, path
        name = path.strip("/").replace("/", "-").replace("{", "").replace("}", "")
        tab.screenshot(f"{name}-fa")
    assert tab.errors == [] and tab.outside == []


def test_the_core_page_and_the_upload_form_fit_a_phone(new_tab) -> None:  # type: ignore[no-untyped-def]
    with session_scope() as session:
        core = session.execute(text("SELECT min(id) FROM progress_core")).scalar_one()
    tab = new_tab(PHONE)
    tab.sign_in("demo-analyst")
    for path, name in ((f"/cores/{core}", "core-phone-fa"), ("/layers/upload", "layer-upload-phone-fa")):
        tab.open(path)
        width = tab.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
        tab.screenshot(name)


#: The README's "Who does what" screenshots (docs/who-*.png are copies of these).
README_VIEW = {"width": 1000, "height": 750}


@pytest.mark.parametrize(("who", "path"), [
    ("demo-planner", "/roadmaps/{county_roadmap}/history"),
    ("demo-core", "/cores/{core}"),
    ("demo-analyst", "/layers/{layer}"),
    ("demo-admin", "/admin/users"),
    (None, "/collections/provinces/items?f=html&limit=8&api_key={key}"),
])
def test_each_role_walks_to_its_page_for_the_readme(new_tab, who: str | None, path: str) -> None:  # type: ignore[no-untyped-def]
    from spatial.demo.accounts import DEMO_KEY

    with session_scope() as session:
        ids = {"core": session.execute(text("SELECT min(id) FROM progress_core")).scalar_one(),
               "layer": session.execute(text("SELECT slug FROM layer WHERE storage = 'vector' ORDER BY slug LIMIT 1"))
               .scalar_one(),
               "county_roadmap": session.execute(text(
                   "SELECT min(r.id) FROM roadmap r JOIN admin_unit u ON u.id = r.unit_id WHERE u.code = 'IR-15-01'"))
               .scalar_one(),
               "key": DEMO_KEY}
    tab = new_tab(README_VIEW)
    if who:
        tab.sign_in(who)
    assert tab.open(path.format(**ids)).status == 200
    tab.screenshot(f"who-{(who or 'demo-partner').removeprefix('demo-')}", full_page=False)
    assert tab.errors == [] and tab.outside == []
