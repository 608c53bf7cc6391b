"""How a message names a layer request's options: CLI flags or HTTP form fields.

The same refusal reaches an analyst on the command line (``--s-srs EPSG:32640``) and a
client of the HTTP API (form field ``s_srs=EPSG:32640``). Code that writes a message
names an option through an :class:`OptionNames`, and the caller (CLI or API) picks
which one: :data:`CLI` or :data:`FORM`.

Examples
--------
>>> f"give it with {CLI.example('s_srs', 'EPSG:32640')}"
'give it with --s-srs EPSG:32640'
>>> f"give it with {FORM.example('s_srs', 'EPSG:32640')}"
"give it with the form field 's_srs' (e.g. s_srs=EPSG:32640)"
>>> FORM.switch("replace")
'replace=true'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class OptionNames:
    """Spells an option (by its field name, e.g. ``s_srs``) the way the caller's user types it."""

    style: Literal["cli", "form"]

    def name(self, field: str) -> str:
        """``--s-srs`` or ``the form field 's_srs'``."""
        return f"--{field.replace('_', '-')}" if self.style == "cli" else f"the form field {field!r}"

    def example(self, field: str, value: str) -> str:
        """``--s-srs EPSG:32640`` or ``the form field 's_srs' (e.g. s_srs=EPSG:32640)``."""
        if self.style == "cli":
            return f"{self.name(field)} {value}"
        return f"{self.name(field)} (e.g. {field}={value})"

    def switch(self, field: str) -> str:
        """A yes/no option turned on: ``--replace`` or ``replace=true``."""
        return self.name(field) if self.style == "cli" else f"{field}=true"


CLI = OptionNames("cli")
FORM = OptionNames("form")
