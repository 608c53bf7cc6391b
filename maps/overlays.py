"""Resource layers from the catalogue as overlays the planner switches on and off."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import folium

from maps.base import corner, esc
from spatial.messages import t

#: Overlay colour by layer kind: capacities green, deprivation red, context grey-blue.
KIND_COLOURS = {"capacity": "#1a9850", "deprivation": "#d73027", "context": "#4a6f8a"}


@dataclass(frozen=True)
class Overlay:
    """One vector layer to show: its title, kind and features (GeoJSON, EPSG:4326).

    ``fields`` are (property, label) pairs shown in each feature's popup; ``truncated``
    says that only the first features were included.
    """

    title: str
    kind: str
    features: dict[str, Any]
    fields: Sequence[tuple[str, str]] = ()
    truncated: bool = False


def add_overlays(fmap: folium.Map, overlays: Sequence[Overlay], lang: str) -> None:
    """Add each overlay as a hidden, toggleable layer and a layer control to switch them."""
    for overlay in overlays:
        colour = KIND_COLOURS.get(overlay.kind, KIND_COLOURS["context"])
        name = overlay.title + (t("maps.partial", lang) if overlay.truncated else "")
        fields = [f for f, _ in overlay.fields]
        popup = (folium.GeoJsonPopup(fields=fields, aliases=[esc(label) for _, label in overlay.fields],
                                     labels=True, class_name="pishraft-popup")
                 if fields and overlay.features["features"] else None)
        folium.GeoJson(
            overlay.features,
            name=esc(name),
            show=False,
            style_function=lambda _f, c=colour: {"color": c, "weight": 2, "fillColor": c, "fillOpacity": 0.35},
            marker=folium.CircleMarker(radius=5, fill=True, fill_opacity=0.9, weight=1),
            popup=popup,
        ).add_to(fmap)
    if overlays:
        folium.LayerControl(position=corner(lang, "top", leading=False), collapsed=False).add_to(fmap)
