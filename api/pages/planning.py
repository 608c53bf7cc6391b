"""What the roadmap, action and progress pages share: who may write where, the choices
their forms offer (people, organisations, cores, indicators, vocabularies), and reading
the repeated lines of a form (financing lines, key results, capacities).

Who may write is decided as in the API: the role check of ``api.auth.authorise`` for
``roadmaps:write``, then the area scope of ``spatial.units.access`` (progress-core members
write only inside their core's area). :func:`may_write` only decides whether a page
*offers* a form or link; the handlers enforce it (``require``/``form_for`` and
:func:`ensure_may_write`), and the core's own guard checks once more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from sqlalchemy import text
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from api.auth import Principal, authorise
from api.pages.security import Submitted
from spatial.analytics import indicators
from spatial.errors import Forbidden, Unauthorized
from spatial.jalali import persian_digits
from spatial.messages import FA, t
from spatial.planning.cores import list_cores
from spatial.planning.people import list_organisations, list_people
from spatial.units.access import ensure_within_area, unit_within_area

WRITE = "roadmaps:write"


def vocabulary_codes(vocabulary: str) -> list[str]:
    """The codes of a vocabulary the catalogue knows, in catalogue order (for select lists)."""
    prefix = f"{vocabulary}."
    return [key[len(prefix):] for key in FA if key.startswith(prefix)]


def may_write(session: Session, who: Principal | None, unit_id: int) -> bool:
    """True when ``who`` may change roadmaps of unit ``unit_id`` (the API's role check and area scope)."""
    if who is None:
        return False
    try:
        authorise(who, WRITE)
    except (Unauthorized, Forbidden):
        return False
    return who.area_unit_id is None or unit_within_area(session, unit_id, who.area_unit_id)


def ensure_may_write(session: Session, who: Principal, unit_id: int) -> None:
    """Refuse (403, :class:`Forbidden`) a unit outside ``who``'s area; the role was checked by
    the route's ``require``/``form_for``."""
    ensure_within_area(session, unit_id, who.area_unit_id)


def writable_units(session: Session, who: Principal | None, codes: set[str]) -> set[str]:
    """Those of the unit ``codes`` where ``who`` may write (for links on list pages)."""
    if not codes:
        return set()
    rows = session.execute(text("SELECT code, id FROM admin_unit WHERE code = ANY(:codes) AND valid_to IS NULL"),
                           {"codes": sorted(codes)}).all()
    return {row.code for row in rows if may_write(session, who, row.id)}


@dataclass(frozen=True)
class Options:
    """What the roadmap and action forms let the user pick from."""

    people: list[tuple[str, str]]
    organisations: list[tuple[str, str]]
    sponsors: list[tuple[str, str]]
    cores: list[tuple[str, str]]
    indicators: list[tuple[str, str]]

    @staticmethod
    def load(session: Session, lang: str) -> Options:
        """Every person, organisation, economic sponsor, progress core and indicator."""
        organisations = list_organisations(session)
        name = "name_fa" if lang == "fa" else "name_en"
        return Options(
            people=[(str(p["id"]), p["name"]) for p in list_people(session)],
            organisations=[(str(o["id"]), o["name"]) for o in organisations],
            sponsors=[(str(o["id"]), o["name"]) for o in organisations if o["kind"] == "economic_sponsor"],
            cores=[(str(c["id"]), c["name"]) for c in list_cores(session)],
            indicators=[(i["code"], i[name]) for i in indicators.indicator_names(session)
                        if i[name] and i[name] != i["code"]],
        )

    def indicator_word(self, code: str) -> str:
        """What a key result's indicator field shows: the indicator's name for a known code
        (a suggestion never puts a code like ``jobs_handicrafts`` in the field), else the text."""
        return dict(self.indicators).get(code, code)

    def indicator_code(self, typed: str) -> str:
        """The code of the indicator whose name was typed or picked, else the text as typed."""
        return next((code for code, name in self.indicators if name == typed), typed)

    @staticmethod
    def codes(pairs: list[tuple[str, str]]) -> set[str]:
        """The values of a list of options."""
        return {code for code, _ in pairs}


def indicator_names(session: Session, lang: str) -> dict[str, str]:
    """Indicator code -> its name in ``lang`` (key results and capacities name indicators by code)."""
    name = "name_fa" if lang == "fa" else "name_en"
    return {i["code"]: i[name] for i in indicators.indicator_names(session)}


def lines(sent: Submitted, prefix: str, names: tuple[str, ...]) -> list[dict[str, str]]:
    """The repeated lines of a form: fields ``<prefix>_<name>`` sent once per line, in
    order. Lines left wholly blank (``id`` aside) are dropped."""
    columns = {name: sent.all(f"{prefix}_{name}") for name in names}
    count = max((len(v) for v in columns.values()), default=0)
    found = []
    for i in range(count):
        line = {name: (columns[name][i] if i < len(columns[name]) else "") for name in names}
        if any(value for name, value in line.items() if name != "id"):
            found.append(line)
    return found


def line_form(sent: Submitted, prefix: str, index: int, line: dict[str, str]) -> Submitted:
    """One line as a form of its own, fields named ``<prefix>_<name>.<index>`` (the names its
    errors are recorded under), so that the ``FormErrors`` readers check it."""
    return Submitted(FormData([(f"{prefix}_{name}.{index}", value) for name, value in line.items()]), sent.principal)


class RowLabel(TypedDict):
    """The placeholders of the ``rm.row`` label."""

    part: str
    row: str


def row_params(lang: str, index: int, *label_keys: str) -> RowLabel:
    """Placeholders of the ``rm.row`` label for field ``label_keys`` of line ``index`` (from 0):
    e.g. "Financing · Amount (line 2)"."""
    return {"part": " · ".join(t(key, lang) for key in label_keys),
            "row": persian_digits(index + 1) if lang == "fa" else str(index + 1)}


def as_lines(items: list[dict[str, Any]], names: tuple[str, ...]) -> list[dict[str, str]]:
    """Stored items (financing lines, key results…) as form lines of text."""
    return [{name: "" if item.get(name) is None else str(item[name]) for name in names} for item in items]
