"""Legends: classed values, categories, and the 3×3 bivariate grid."""

from __future__ import annotations

from collections.abc import Sequence

import folium

from maps.base import add_box, corner, esc
from spatial.jalali import format_number
from spatial.messages import t


def _rows(items: Sequence[tuple[str, str]], mark: str = "swatch") -> str:
    style = "border-color" if mark == "line" else "background"
    return "".join(f'<div class="row"><span class="{mark}" style="{style}:{colour}"></span>{esc(label)}</div>'
                   for colour, label in items)


def add_legend(fmap: folium.Map, lang: str, title: str, items: Sequence[tuple[str, str]],
               mark: str = "swatch", extra_html: str = "") -> None:
    """A legend box of (colour, label) ``items`` at the bottom of the reading side.

    ``mark`` draws each colour as a ``swatch`` (areas), ``line`` or ``dot`` (points).
    """
    html = f"<h4>{esc(title)}</h4>{_rows(items, mark)}{extra_html}"
    add_box(fmap, html, corner(lang, "bottom"), "pishraft-legend")


def class_items(breaks: Sequence[float], lowest: float | None, palette: Sequence[str], no_data: str,
                lang: str) -> list[tuple[str, str]]:
    """Legend rows 'low – high' for each class of a classed map, then 'no data'."""
    lowers = [lowest, *breaks[:-1]]
    items = [(palette[i], f"{format_number(lo, lang)} – {format_number(hi, lang)}")
             for i, (lo, hi) in enumerate(zip(lowers, breaks, strict=True))]
    items.append((no_data, t("maps.no_data", lang)))
    return items


def add_bivariate_legend(fmap: folium.Map, lang: str, title: str, colours: dict[tuple[int, int], str],
                         meanings: dict[tuple[int, int], str]) -> None:
    """The 3×3 grid (capacity across, deprivation up) with the planning meaning of each class."""
    rows = []
    for dep in (3, 2, 1):
        cells = "".join(f'<td style="background:{colours[(cap, dep)]}" title="{esc(meanings.get((cap, dep), ""))}">'
                        f"</td>" for cap in (1, 2, 3))
        rows.append(f"<tr>{cells}</tr>")
    # The grid reads left to right in both languages: capacity grows to the right.
    axes = (f'<div class="axis">↑ {esc(t("maps.deprivation", lang))} &nbsp; '
            f'{esc(t("maps.capacity", lang))} →</div>')
    explained = "".join(
        f'<li class="row"><span class="swatch" style="background:{colours[key]}"></span>{esc(text)}</li>'
        for key, text in sorted(meanings.items(), key=lambda kv: (-kv[0][1], kv[0][0]))
    )
    html = (f'<h4>{esc(title)}</h4><table class="pishraft-bivariate" dir="ltr">{"".join(rows)}</table>{axes}'
            f'<ul class="pishraft-meanings">{explained}</ul>')
    add_box(fmap, html, corner(lang, "bottom"), "pishraft-legend")
