"""Does a new layer lie where this service's users work? A check of its extent against the territory.

A layer far from the territory almost always means a mistake that reading cannot see:
longitude and latitude columns swapped (a CSV of Iranian towns lands in Kazakhstan), or
projected coordinates read under the wrong CRS. :func:`check_extent` refuses a layer
whose bounding box lies wholly outside the territory (widened by a margin) with the
likely cause, and returns a warning for one that reaches beyond it (a stray point at
0, 0). The territory is ``PISHRAFT_TERRITORY_BBOX`` or, by default, the extent of the
provinces in the database; with neither, nothing is checked.

Examples
--------
>>> check_extent(session, [56.1, 30.2, 56.3, 30.4], "wells.csv")   # doctest: +SKIP
[]
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from layers.options import CLI, OptionNames
from spatial.errors import InvalidInput
from spatial.settings import get_settings
from spatial.units.hierarchy import provinces_extent

Box = list[float]


def territory(session: Session) -> Box | None:
    """The territory's [west, south, east, north] widened by the configured margin, or ``None`` if unknown."""
    settings = get_settings()
    box = settings.territory_bbox or provinces_extent(session)
    if box is None:
        return None
    margin = settings.territory_margin_deg
    return [box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin]


def check_extent(session: Session, bbox: Box, name: str, say: OptionNames = CLI) -> list[str]:
    """Refuse a layer with lon/lat ``bbox`` wholly outside the territory; warnings for one partly outside."""
    area = territory(session)
    if area is None:
        return []
    if not _overlaps(bbox, area):
        swapped = _overlaps([bbox[1], bbox[0], bbox[3], bbox[2]], area)
        cause = (
            "its longitude and latitude look swapped (with them exchanged it lies in the territory): "
            "check which column is which (lon/x is east–west, lat/y north–south)"
            if swapped else
            "its coordinates are probably in another coordinate reference system than the one read "
            f"(declare the right one with {say.example('s_srs', 'EPSG:32640')} for UTM zone 40N), "
            "or its longitude and latitude columns are swapped"
        )
        raise InvalidInput(
            f"{name} lies at longitude {_span(bbox[0], bbox[2])}, latitude {_span(bbox[1], bbox[3])}, far outside "
            f"the territory this service covers (longitude {_span(area[0], area[2])}, "
            f"latitude {_span(area[1], area[3])}); {cause}.",
            field="s_srs", reason="outside_territory_swapped" if swapped else "outside_territory", name=name,
        )
    if bbox[0] < area[0] or bbox[1] < area[1] or bbox[2] > area[2] or bbox[3] > area[3]:
        return [
            (f"{name} reaches beyond the territory (its extent is longitude {_span(bbox[0], bbox[2])}, "
             f"latitude {_span(bbox[1], bbox[3])}); check for stray coordinates such as 0, 0.")
        ]
    return []


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _span(low: float, high: float) -> str:
    return f"{low:.2f}…{high:.2f}" if round(low, 2) != round(high, 2) else f"{low:.2f}"
