"""The title box of a map: breadcrumb up the hierarchy, title, and choices (period,
indicator, classification) as links, so that every map is reachable without typing URLs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import folium

from maps.base import add_box, corner, esc


@dataclass(frozen=True)
class Link:
    """A labelled link; ``href=None`` marks the page being shown."""

    label: str
    href: str | None = None


@dataclass(frozen=True)
class Choice:
    """A row of alternatives, e.g. the periods of an indicator."""

    label: str
    links: Sequence[Link] = field(default_factory=tuple)


#: Longer rows of alternatives become a drop-down list.
MAX_INLINE_LINKS = 5


def _select(choice: Choice) -> str:
    options = "".join(f'<option value="{esc(link.href or "")}"{"" if link.href else " selected"}>'
                      f"{esc(link.label)}</option>" for link in choice.links)
    return f'<select onchange="if (this.value) window.location.href = this.value">{options}</select>'


def _link(link: Link) -> str:
    return f'<a href="{esc(link.href)}">{esc(link.label)}</a>' if link.href else f"<b>{esc(link.label)}</b>"


def add_workspace_box(fmap: folium.Map, lang: str, label: str, links: Sequence[Link]) -> None:
    """A box under the title box leading out of the map to the workspace's pages (home,
    the unit's page…); nothing when there are no such links (standalone files)."""
    shown = [link for link in links if link.href]
    if shown:
        row = " · ".join(_link(link) for link in shown)
        add_box(fmap, f'<div class="pishraft-workspace">{esc(label)}: {row}</div>', corner(lang, "top"),
                "pishraft-back")


def add_title_box(fmap: folium.Map, lang: str, title: str, breadcrumb: Sequence[Link] = (),
                  choices: Sequence[Choice] = (), subtitle: str = "") -> None:
    """The box at the reading start of the top edge: breadcrumb, title, subtitle, choices."""
    parts = []
    if breadcrumb:
        crumbs = '<span class="sep">›</span>'.join(_link(c) for c in breadcrumb)
        parts.append(f'<div class="pishraft-breadcrumb">{crumbs}</div>')
    parts.append(f"<h4>{esc(title)}</h4>")
    if subtitle:
        parts.append(f'<div class="pishraft-subtitle">{esc(subtitle)}</div>')
    for choice in choices:
        if len(choice.links) > MAX_INLINE_LINKS:
            parts.append(f'<div class="pishraft-choice"><label>{esc(choice.label)}: {_select(choice)}</label></div>')
        elif len(choice.links) > 1:
            links = " · ".join(_link(link) for link in choice.links)
            parts.append(f'<div class="pishraft-choice">{esc(choice.label)}: {links}</div>')
    add_box(fmap, "".join(parts), corner(lang, "top"), "pishraft-title")
