"""Every refusal can be told in Persian and English: each error class, each ``reason=``
raised anywhere in the code and each code the HTTP layer answers with has its catalogue
entry ``refusal.<code>`` in both languages, with the placeholders its raisers fill.

The codes are read from the code itself — the subclasses of :class:`PishraftError`, the
``reason=`` keywords of every ``raise`` in ``spatial``, ``layers``, ``maps`` and ``api``,
and :data:`api.errors.HTTP_CODES` — so a new one without Persian fails here.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from spatial.errors import InvalidInput, PishraftError
from spatial.messages import EN, FA, refusal, t

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("spatial", "layers", "maps", "api")


def _every_error_class() -> set[type[PishraftError]]:
    for package in PACKAGES:
        for module in pkgutil.walk_packages([str(REPO / package)], prefix=f"{package}."):
            importlib.import_module(module.name)
    found: set[type[PishraftError]] = set()
    todo = [PishraftError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


@dataclass(frozen=True)
class Raised:
    """One ``reason=`` of an error raised in the code, with the parameters given beside it."""

    where: str
    reason: str
    params: frozenset[str] | None  # None: passed as **mapping, not checked


def _reasons_in(tree: ast.AST, where: str, names: set[str]) -> Iterator[Raised]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        if called not in names:
            continue
        keywords = {k.arg: k.value for k in node.keywords}
        if "reason" not in keywords:
            continue
        given = keywords["reason"]
        options = [given.body, given.orelse] if isinstance(given, ast.IfExp) else [given]
        params = None if None in keywords else frozenset(set(keywords) - {"field", "reason"})
        for option in options:
            assert isinstance(option, ast.Constant) and isinstance(option.value, str), (
                f"{where}:{node.lineno}: a reason must be a literal, so that the catalogue can be checked")
            yield Raised(f"{where}:{node.lineno}", option.value, params)


def _every_reason_raised() -> list[Raised]:
    names = {cls.__name__ for cls in _every_error_class()}
    return [raised for package in PACKAGES for path in sorted((REPO / package).rglob("*.py"))
            for raised in _reasons_in(ast.parse(path.read_text(encoding="utf-8")),
                                      str(path.relative_to(REPO)), names)]


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_error_class_has_its_refusal_in_persian_and_english() -> None:
    codes = {cls.code for cls in _every_error_class()}
    assert {"invalid_input", "not_found", "conflict", "too_large", "forbidden"} <= codes
    missing = sorted(code for code in codes if f"refusal.{code}" not in FA or f"refusal.{code}" not in EN)
    assert not missing, f"no catalogue entry refusal.<code> for {missing}"


def test_every_code_the_http_layer_answers_with_has_its_refusal() -> None:
    from api.errors import HTTP_CODES

    missing = sorted(code for code in HTTP_CODES.values() if f"refusal.{code}" not in FA)
    assert not missing, f"no catalogue entry refusal.<code> for {missing}"


def test_every_reason_raised_has_its_refusal_with_the_placeholders_its_raiser_fills() -> None:
    raised = _every_reason_raised()
    assert len({r.reason for r in raised}) > 40  # the ingestion refusals at least
    problems = []
    for r in raised:
        key = f"refusal.{r.reason}"
        if key not in FA or key not in EN:
            problems.append(f"{r.where}: no catalogue entry {key}")
        elif r.params is not None:
            for lang, text in (("fa", FA[key]), ("en", EN[key])):
                unfilled = _placeholders(text) - r.params
                if unfilled:
                    problems.append(f"{r.where}: {key} ({lang}) needs {sorted(unfilled)}, not given")
    assert not problems, "\n".join(problems)


def test_a_refusal_is_told_in_the_page_language_naming_the_field_with_persian_digits() -> None:
    error = InvalidInput("x.zip is 12.5 MB", field="file", reason="file_over_limit", name="x.zip",
                         size_mb="12.5", max_mb="10")
    persian = refusal(error, "fa", field=t("layer.file", "fa"))
    assert persian.startswith(t("layer.file", "fa") + ":") and "۱۲.۵" in persian and "۱۰ مگابایت" in persian
    assert refusal(error, "en", field="File") == ("File: x.zip is 12.5 MB, over the 10 MB upload limit; "
                                                  "split the data or ask an administrator to raise the limit.")


def test_an_error_without_a_reason_is_told_by_its_class_in_persian_and_by_the_core_in_english() -> None:
    error = InvalidInput("The column 'x' does not exist.", field="x")
    assert refusal(error, "fa") == t("refusal.invalid_input", "fa")
    assert refusal(error, "en") == "The column 'x' does not exist."


@pytest.mark.parametrize("accept, persian", [("fa-IR,fa;q=0.9,en;q=0.5", True), ("en-US,en;q=0.9", False),
                                             ("en;q=0.4, fa;q=0.8", True), ("", False)])
def test_an_api_error_gains_its_persian_text_when_the_client_asks_for_persian(
        client: object, accept: str, persian: bool) -> None:
    answer = client.get("/api/layers/no_such_layer", headers={"Accept-Language": accept})  # type: ignore[attr-defined]
    body = answer.json()["error"]
    assert answer.status_code == 404 and body["code"] == "not_found" and body["message"]
    assert ("message_fa" in body) is persian
    if persian:
        assert body["message_fa"] == t("refusal.layer_not_found", "fa")
