"""The message catalogue: every user-facing word of the maps and the workspace pages, in
Persian (``FA``) and English (``EN``), kept as gettext catalogues a translator can open
(``spatial/locale/<lang>/LC_MESSAGES/pishraft.po``, read with Babel).

Keys are dotted: ``<area>.<name>``. Vocabularies — the codes stored in the database
(sectors, statuses, financing lines, roles, levels…) — are keyed ``<vocabulary>.<code>``,
so that a code never reaches a page: :func:`label` looks it up and, for a code the
catalogue does not know, shows a neutral "other" word instead of the English code.

Message ids are the dotted keys; each ``msgstr`` is the text. Add a word by adding one
entry with the same ``msgid`` to both ``.po`` files (the Persian one carries the English
text as a ``#.`` comment for the translator); a test fails when a key lacks Persian or
English. Text may hold ``{name}`` placeholders, filled by :func:`t`'s keyword arguments.

Examples
--------
>>> t("nav.home", "fa")
'خانه'
>>> label("financing", "investment_fund", "en")
'Investment fund'
>>> t("form.required", "en", field="Title")
'Title: this field is required.'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from spatial.errors import PishraftError
from spatial.jalali import persian_digits

LANGS: tuple[str, ...] = ("fa", "en")

#: Vocabularies whose codes are stored data and must never appear on a Persian page as code.
VOCABULARIES: tuple[str, ...] = (
    "sector", "financing", "action_status", "roadmap_status", "progress", "cluster", "role", "level",
    "layer_kind", "core_stage", "outcome", "organisation_kind", "domain", "scheme", "target_group", "criterion", "geometry",
    "core_kind", "draft_state", "review_step", "review_section", "assessment_method",
)
#: Units of measure are looked up like vocabularies (``uom.<text>``) but are not codes.
MEASURES = "uom"

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "pishraft"


def read_catalogue(lang: str) -> dict[str, str]:
    """The ``msgid -> msgstr`` table of ``lang``'s ``.po`` file (empty translations left out)."""
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        catalogue = read_po(po, locale=lang, domain=DOMAIN)
    return {str(m.id): str(m.string) for m in catalogue if m.id and m.string}


FA: dict[str, str] = read_catalogue("fa")
EN: dict[str, str] = read_catalogue("en")
CATALOGUE: dict[str, dict[str, str]] = {"fa": FA, "en": EN}


def t(key: str, lang: str = "fa", **params: object) -> str:
    """The text of ``key`` in ``lang`` (Persian for anything but ``en``), placeholders filled.

    A missing key raises :class:`KeyError`: a typo should fail a test, not show a code.
    """
    text = CATALOGUE["en" if lang == "en" else "fa"][key]
    return text.format(**params) if params else text


def has(key: str) -> bool:
    """True when the catalogue holds ``key``."""
    return key in FA


def label(vocabulary: str, code: str | None, lang: str = "fa") -> str:
    """The word for a stored ``code`` of ``vocabulary`` (e.g. ``label("sector", "agriculture")``).

    Empty codes read "unknown"; codes the catalogue lacks read "other" in Persian (never
    the English code) and as given in English.
    """
    if not code:
        return t("common.unknown", lang)
    key = f"{vocabulary}.{code}"
    if has(key):
        return t(key, lang)
    return code if lang == "en" else t("common.other", lang)


def measure(unit_of_measure: str | None, lang: str = "fa") -> str:
    """A unit of measure (``%``, ``jobs``, ``per 10k``…) in ``lang``; one the catalogue lacks
    is shown as stored in English and left out in Persian."""
    if not unit_of_measure:
        return ""
    key = f"{MEASURES}.{unit_of_measure}"
    if has(key):
        return t(key, lang)
    return unit_of_measure if lang == "en" else ""


def choices(vocabulary: str, codes: Iterable[str], lang: str = "fa") -> list[tuple[str, str]]:
    """``(code, word)`` pairs for a form's select list."""
    return [(code, label(vocabulary, code, lang)) for code in codes]


def refusal(error: PishraftError, lang: str = "fa", field: str | None = None) -> str:
    """``error`` told in ``lang`` from the catalogue: its ``refusal.<reason>`` text with its
    parameters, after ``field`` (the label of the form field at fault) when one is given.

    An error raised without a ``reason`` is told by its class's text in Persian, and by the
    core's own (English) message in English, which says more.
    """
    if error.reason or lang != "en":
        params = error.params if lang == "en" else {k: persian_digits(v) for k, v in error.params.items()}
        text = t(error.key, lang, **params)
    else:
        text = error.message
    return t("form.field_says", lang, field=field, reason=text) if field else text


def indicator_name(indicator: Mapping[str, Any], lang: str = "fa") -> str:
    """An indicator's name in ``lang`` (``indicator`` holds ``code``, ``name_fa``, ``name_en``);
    one saved without a Persian name (its code in its place) reads as a Persian word on a
    Persian page, never as the code.

    >>> indicator_name({"code": "beds", "name_fa": "beds", "name_en": "Beds"}, "fa") == t("indicator.unnamed")
    True
    """
    name = indicator.get("name_fa" if lang == "fa" else "name_en") or ""
    if name and name != indicator.get("code"):
        return str(name)
    return t("indicator.unnamed", lang) if lang == "fa" else str(indicator.get("name_en") or indicator.get("code") or "")


def code_words() -> set[str]:
    """Every stored code of every vocabulary: words that must not appear on a Persian page."""
    return {key.split(".", 1)[1] for key in FA if key.split(".", 1)[0] in VOCABULARIES}
