"""Hand-made data in the shapes the analytics and roadmap functions return, for the builders."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from shapely.geometry import box


def grid_units(n: int = 3) -> gpd.GeoDataFrame:
    """``n``×``n`` square units tiling a 3°×3° square in central Iran, codes T-00 … T-22."""
    rows = [(f"T-{i}{j}", f"واحد آزمایشی {i}{j}", f"Test unit {i}{j}", box(54 + i, 30 + j, 55 + i, 31 + j))
            for i in range(n) for j in range(n)]
    return gpd.GeoDataFrame(
        {"code": [r[0] for r in rows], "name_fa": [r[1] for r in rows], "name_en": [r[2] for r in rows]},
        geometry=[r[3] for r in rows], crs=4326,
    )


def roadmap_data() -> dict[str, Any]:
    """What ``spatial.planning.roadmaps.roadmap_map_data`` returns for a small roadmap."""
    unit = {"type": "Feature", "properties": {"code": "T-11", "name_fa": "واحد آزمایشی ۱۱", "name_en": "Test unit 11"},
            "geometry": box(55, 31, 56, 32).__geo_interface__}
    actions = [
        {"id": 1, "title": "کارگاه فرش دستباف", "sector": "صنایع دستی", "status": "in_progress",
         "progress_status": "on_track", "responsible": "مریم احمدی", "sponsor": "بانک ملت",
         "financing": [{"source": "صندوق اشتغال", "amount_rials": 5_000_000_000},
                       {"source": "معین اقتصادی", "amount_rials": 2_500_000_000}],
         "start_date": "2024-03-20", "end_date": "2024-09-02",
         "key_results": [{"indicator": "شغل ایجادشده", "baseline": 0, "target": 40, "target_date": "2024-09-02",
                          "latest_value": 25, "status": "on_track", "progress": 0.625}],
         "geometry": {"type": "Point", "coordinates": [55.5, 31.5]}},
        {"id": 2, "title": "جاده دسترسی روستا", "sector": "زیرساخت", "status": "stalled",
         "progress_status": "behind", "responsible": "علی رضایی", "sponsor": None, "financing": [],
         "start_date": "2024-05-01", "end_date": None, "key_results": [],
         "geometry": {"type": "LineString", "coordinates": [[55.1, 31.1], [55.8, 31.3]]}},
        {"id": 3, "title": "گلخانه", "sector": "کشاورزی", "status": "done", "progress_status": "achieved",
         "responsible": "زهرا کریمی", "sponsor": "گروه صنعتی", "financing": [], "start_date": None,
         "end_date": None, "key_results": [],
         "geometry": box(55.2, 31.2, 55.4, 31.4).__geo_interface__},
        {"id": 4, "title": "آموزش مهارت", "sector": "آموزش", "status": "planned", "progress_status": "overdue",
         "responsible": "رضا نوری", "sponsor": None, "financing": [], "start_date": None, "end_date": None,
         "key_results": [], "geometry": None},
    ]
    features = [{"type": "Feature", "geometry": a.pop("geometry"), "properties": a} for a in actions]
    return {
        "roadmap": {"id": 7, "title": "نقشه راه توسعه واحد ۱۱", "status": "approved",
                    "period": {"start_date": "2024-03-20", "end_date": "2027-03-20", "start_year": 2024,
                               "end_year": 2027},
                    "progress_status": "on_track", "responsible": "مریم احمدی", "sponsor": "بانک ملت",
                    "synthetic": True, "unit_code": "T-11", "unit_name_fa": "واحد آزمایشی ۱۱",
                    "unit_name_en": "Test unit 11", "unit_level": "county"},
        "unit": unit,
        "actions": {"type": "FeatureCollection", "features": features},
    }


def coverage_properties(html: str) -> dict[str, Any]:
    """The per-unit properties (names, labels, colours, links) inside a page's compact coverage."""
    import base64
    import gzip
    import json

    start = html.index("Pishraft.coverage(")
    payload_start = html.index(", {", start) + 2
    end = html.index(");", payload_start)
    payload_end = html.rindex("}, {", payload_start, end) + 1
    payload = json.loads(html[payload_start:payload_end])
    return json.loads(gzip.decompress(base64.b64decode(payload["properties"])))


def in_page(text: str, html: str) -> bool:
    """Folium embeds JSON with ASCII escapes; the browser shows the text itself."""
    return text in html or json_escaped(text) in html


def json_escaped(text: str) -> str:
    import json

    return json.dumps(text)[1:-1]
