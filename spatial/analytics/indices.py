"""Composite indices: normalise indicators, weight them, aggregate them into one score.

A definition (YAML or JSON) names the indicators and every method choice; its
SHA-256 over canonical JSON is stored with the scores, so any result can be
reproduced. Scores are oriented by the index's domain: on a *deprivation* index a
higher score means more deprived, on a *capacity* index more capable; each
indicator's direction (higher is better / worse) is turned to match.

Examples
--------
>>> definition = parse_definition('''
... code: deprivation
... name_fa: شاخص محرومیت
... name_en: Deprivation index
... domain: deprivation
... levels: [county]
... indicators: [{code: unemployment_rate}, {code: literacy_rate}]
... ''')
>>> definition.weights, definition.aggregation
('equal', 'arithmetic')
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sqlalchemy import text
from sqlalchemy.orm import Session

from spatial.db.bulk import binary_fetch, copy_rows
from spatial.db.generation import GenerationCache
from spatial.errors import InvalidInput, NotFound
from spatial.analytics.lisa import lisa_labels
from spatial.analytics.mcdm import Ahp, checked_ahp, pairwise_matrix, vikor
from spatial.periods import optional_period_key
from spatial.analytics.indicators import (
    CODE_PATTERN, indicator_info, indicator_matrix, latest_common_period, units_in_scope, values_by_unit,
)
from spatial.models.analytics import INDEX_DOMAINS
from spatial.models.units import LEVELS

NORMALISATIONS: tuple[str, ...] = ("min_max", "z_score", "rank", "distance_to_reference", "vector")
WEIGHTINGS: tuple[str, ...] = ("equal", "explicit", "entropy", "ahp")
AGGREGATIONS: tuple[str, ...] = ("arithmetic", "geometric", "topsis", "vikor")
#: Aggregations that measure distances to the best and worst units rather than adding up.
DISTANCE_AGGREGATIONS: tuple[str, ...] = ("topsis", "vikor")
MISSING_POLICIES: tuple[str, ...] = ("drop_unit", "mean", "fail")
WEIGHT_TOLERANCE = 1e-6


# --------------------------------------------------------------------------- methods

def normalise(matrix: np.ndarray, benefit: np.ndarray, method: str, reference: int | None = None,
              scale: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """Normalise the columns of ``matrix`` (units × indicators), oriented so higher is "more".

    ``benefit[j]`` is True when a higher raw value of column ``j`` counts towards the
    index; False columns are reversed. Methods:

    - ``min_max``: onto ``scale`` (default [0, 1]); a constant column sits mid-scale;
    - ``z_score``: (x − mean) / standard deviation; a constant column is 0;
    - ``rank``: percentile rank in (0, 1], ties averaged; unchanged by any increasing
      transform of a column;
    - ``distance_to_reference``: (x − x_ref) / |x_ref| against the unit in row ``reference``;
    - ``vector``: x / ‖x‖ (TOPSIS and VIKOR only; orientation is left to them, see
      :func:`oriented`).

    Examples
    --------
    >>> normalise(np.array([[1.0], [3.0], [2.0]]), np.array([False]), "min_max").ravel().tolist()
    [1.0, 0.0, 0.5]
    """
    x = np.asarray(matrix, dtype=float)
    sign = np.where(np.asarray(benefit, dtype=bool), 1.0, -1.0)
    if method == "vector":
        norms = np.sqrt((x**2).sum(axis=0))
        return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    if method == "min_max":
        lo, hi = scale
        oriented = x * sign
        span = oriented.max(axis=0) - oriented.min(axis=0)
        unit = np.divide(oriented - oriented.min(axis=0), span, out=np.full_like(x, 0.5), where=span > 0)
        return lo + (hi - lo) * unit
    if method == "z_score":
        sd = x.std(axis=0)
        z = np.divide(x - x.mean(axis=0), sd, out=np.zeros_like(x), where=sd > 0)
        return z * sign
    if method == "rank":
        return pd.DataFrame(x * sign).rank(method="average", pct=True).to_numpy()
    if method == "distance_to_reference":
        if reference is None:
            raise InvalidInput("Normalisation 'distance_to_reference' needs a reference_unit.", field="reference_unit")
        ref = x[reference]
        if np.any(ref == 0) or np.any(np.isnan(ref)):
            raise InvalidInput("The reference unit has a zero or missing value for some indicator; "
                               "choose another reference_unit.", field="reference_unit")
        return (x - ref) / np.abs(ref) * sign
    raise InvalidInput(f"Unknown normalisation '{method}'; use one of {', '.join(NORMALISATIONS)}.",
                       field="normalisation")


def entropy_weights(matrix: np.ndarray) -> np.ndarray:
    """Shannon-entropy weights of the columns of a non-negative ``matrix`` (units × criteria).

    p_ij = x_ij / Σ_i x_ij, e_j = −Σ_i p_ij ln p_ij / ln m, w_j = (1 − e_j) / Σ_k (1 − e_k).
    A column that varies more carries more information and gets more weight. When no
    column varies, the weights are equal.

    Examples
    --------
    >>> entropy_weights(np.array([[1.0, 5.0], [1.0, 1.0]])).round(3).tolist()
    [0.0, 1.0]
    """
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        raise InvalidInput("Entropy weights need at least two units.", field="weights")
    if np.any(x < 0) or np.any(~np.isfinite(x)):
        raise InvalidInput("Entropy weights need non-negative values; use min_max or rank normalisation.",
                           field="weights")
    totals = x.sum(axis=0)
    p = np.divide(x, totals, out=np.full_like(x, 1.0 / x.shape[0]), where=totals > 0)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = -plogp.sum(axis=0) / np.log(x.shape[0])
    d = np.clip(1.0 - e, 0.0, None)
    if d.sum() <= 0:
        return np.full(x.shape[1], 1.0 / x.shape[1])
    return d / d.sum()


def oriented(matrix: np.ndarray, benefit: np.ndarray, method: str, reference: int | None = None,
             scale: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """:func:`normalise`, with every column turned so that higher counts towards the index.

    Only ``vector`` leaves orientation to the caller; here its reversed columns are negated.
    """
    normalised = normalise(matrix, benefit, method, reference, scale)
    if method == "vector":
        return normalised * np.where(np.asarray(benefit, dtype=bool), 1.0, -1.0)
    return normalised


def topsis(matrix: np.ndarray, weights: np.ndarray, benefit: np.ndarray, normalisation: str = "vector",
           reference: int | None = None, scale: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """TOPSIS closeness to the ideal solution, in [0, 1], for each row of ``matrix``.

    Normalise (``vector`` by default, or any of :data:`NORMALISATIONS`), weight, find
    the ideal and anti-ideal per criterion (max/min for benefit criteria, the reverse
    for cost ones), and return S⁻ / (S⁺ + S⁻).

    Examples
    --------
    >>> topsis(np.array([[1.0, 1.0], [2.0, 2.0]]), np.array([0.5, 0.5]), np.array([True, True])).tolist()
    [0.0, 1.0]
    """
    return closeness(oriented(matrix, benefit, normalisation, reference, scale), weights)


def closeness(oriented_matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """TOPSIS closeness S⁻ / (S⁺ + S⁻) of each row of an already normalised and oriented matrix."""
    v = oriented_matrix * np.asarray(weights, dtype=float)
    ideal, anti = v.max(axis=0), v.min(axis=0)
    s_plus = np.sqrt(((v - ideal) ** 2).sum(axis=1))
    s_minus = np.sqrt(((v - anti) ** 2).sum(axis=1))
    total = s_plus + s_minus
    return np.divide(s_minus, total, out=np.full(len(v), 0.5), where=total > 0)


def aggregate(normalised: np.ndarray, weights: np.ndarray, method: str) -> np.ndarray:
    """Weighted ``arithmetic`` mean or weighted ``geometric`` mean of each row."""
    w = np.asarray(weights, dtype=float)
    if method == "arithmetic":
        return normalised @ w
    if method == "geometric":
        if np.any(normalised <= 0):
            raise InvalidInput("Geometric aggregation needs positive normalised values; use min_max with "
                               "scale: [1, 100] or rank normalisation.", field="aggregation")
        return np.exp(np.log(normalised) @ w)
    raise InvalidInput(f"Unknown aggregation '{method}'; use one of {', '.join(AGGREGATIONS)}.", field="aggregation")


def rank_descending(scores: pd.Series, groups: pd.Series | None = None) -> pd.Series:
    """Rank 1 for the highest score (ties share the best rank), overall or within ``groups``."""
    if groups is None:
        return scores.rank(method="min", ascending=False).astype(int)
    return scores.groupby(groups, dropna=False).rank(method="min", ascending=False).astype(int)


# --------------------------------------------------------------------------- definitions

@dataclass(frozen=True)
class Component:
    """One indicator in an index, with its explicit weight and an optional direction override."""

    code: str
    weight: float | None = None
    direction: str | None = None


@dataclass(frozen=True)
class IndexDefinition:
    """A validated index definition; see :func:`parse_definition`."""

    code: str
    name_fa: str
    name_en: str
    domain: str
    levels: tuple[str, ...]
    components: tuple[Component, ...]
    normalisation: str = "min_max"
    weights: str = "equal"
    aggregation: str = "arithmetic"
    missing: str = "drop_unit"
    period: str | None = None
    parent_code: str | None = None
    reference_unit: str | None = None
    scale: tuple[float, float] = (0.0, 1.0)
    #: AHP judgements, one row per indicator (weights: ahp only).
    pairwise: tuple[tuple[float, ...], ...] | None = None
    #: VIKOR's weight of the majority rule against the worst shortfall (aggregation: vikor only).
    v: float | None = None

    def canonical(self) -> dict[str, Any]:
        """The definition as plain JSON-ready data (what is stored and hashed).

        Keys of methods the definition does not use are left out, so definitions
        written before those methods existed keep their hash.
        """
        data = asdict(self)
        data["levels"] = list(self.levels)
        data["scale"] = list(self.scale)
        data["indicators"] = [asdict(c) for c in self.components]
        del data["components"]
        for key in ("pairwise", "v"):
            if data[key] is None:
                del data[key]
            elif key == "pairwise":
                data[key] = [list(row) for row in data[key]]
        return data

    def ahp(self) -> Ahp:
        """The AHP weights and consistency of :attr:`pairwise` (refused above CR 0.1)."""
        if self.pairwise is None:
            raise InvalidInput("weights: ahp needs a 'pairwise' matrix.", field="pairwise")
        return checked_ahp(np.array(self.pairwise), [c.code for c in self.components])

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON: the same definition always has the same hash."""
        blob = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _choice(data: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = data.get(key, default)
    if value not in allowed:
        raise InvalidInput(f"'{key}' is '{value}'; use one of: {', '.join(allowed)}.", field=key)
    return str(value)


def definition_mapping(source: Mapping[str, Any] | str, what: str) -> dict[str, Any]:
    """A definition (``what``: "index", "deprivation"…) as a mapping, from a mapping or YAML/JSON
    text, with a valid ``code`` and non-empty ``name_fa`` and ``name_en``; errors name the field.

    Examples
    --------
    >>> definition_mapping("code: hdi\nname_fa: توسعه\nname_en: Development", "index")["code"]
    'hdi'
    """
    if isinstance(source, str):
        try:
            data = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            raise InvalidInput(f"The {what} definition is not valid YAML/JSON: {exc}", field="definition") from None
    else:
        data = dict(source)
    if not isinstance(data, Mapping):
        raise InvalidInput(f"The {what} definition must be a mapping of keys to values.", field="definition")
    code = str(data.get("code", ""))
    if not CODE_PATTERN.match(code):
        raise InvalidInput(f"The {what} code '{code}' must be lower case letters, digits and _, starting with a "
                           "letter.", field="code")
    for key in ("name_fa", "name_en"):
        if not str(data.get(key, "")).strip():
            raise InvalidInput(f"The {what} definition needs a non-empty {key}.", field=key)
    return dict(data)


def parse_definition(source: Mapping[str, Any] | str) -> IndexDefinition:
    """Validate an index definition given as a mapping or as YAML/JSON text.

    Keys: ``code``, ``name_fa``, ``name_en``, ``domain`` (capacity|deprivation),
    ``levels`` (or ``level``), ``indicators`` (list of ``{code, weight?, direction?}``),
    ``normalisation`` (min_max|z_score|rank|distance_to_reference|vector),
    ``weights`` (equal|explicit|entropy|ahp), ``aggregation``
    (arithmetic|geometric|topsis|vikor), ``missing`` (drop_unit|mean|fail), optional
    ``period``, ``parent_code``, ``reference_unit``, ``scale`` ([lo, hi] for min_max),
    ``pairwise`` (AHP: n × n judgements, rows and columns in the order of
    ``indicators``, numbers or fractions like "1/3") and ``v`` (VIKOR, default 0.5).
    """
    data = definition_mapping(source, "index")
    code = str(data["code"])
    domain = _choice(data, "domain", INDEX_DOMAINS, "")
    raw_levels = data.get("levels", data.get("level"))
    levels = (raw_levels,) if isinstance(raw_levels, str) else tuple(raw_levels or ())
    if not levels:
        raise InvalidInput("The index needs 'levels' (for example [county, province]).", field="levels")
    for level in levels:
        if level not in LEVELS:
            raise InvalidInput(f"Unknown level '{level}'; use any of: {', '.join(LEVELS)}.", field="levels")
    items = data.get("indicators") or []
    if not isinstance(items, list) or not items:
        raise InvalidInput("The index needs a non-empty list 'indicators'.", field="indicators")
    components = []
    for i, item in enumerate(items):
        item = {"code": item} if isinstance(item, str) else dict(item)
        direction = item.get("direction")
        if direction is not None and direction not in ("higher_is_better", "higher_is_worse"):
            raise InvalidInput(f"indicators[{i}].direction '{direction}' must be higher_is_better or "
                               "higher_is_worse.", field=f"indicators[{i}].direction")
        weight = item.get("weight")
        if weight is not None and (not isinstance(weight, int | float) or weight < 0):
            raise InvalidInput(f"indicators[{i}].weight must be a non-negative number.",
                               field=f"indicators[{i}].weight")
        components.append(Component(str(item.get("code", "")), None if weight is None else float(weight), direction))
    codes = [c.code for c in components]
    if len(set(codes)) != len(codes):
        raise InvalidInput("An indicator appears twice in 'indicators'.", field="indicators")
    aggregation = _choice(data, "aggregation", AGGREGATIONS, "arithmetic")
    normalisation = _choice(data, "normalisation", NORMALISATIONS, "vector" if aggregation == "topsis" else "min_max")
    if normalisation == "vector" and aggregation not in DISTANCE_AGGREGATIONS:
        raise InvalidInput("'vector' normalisation goes only with topsis or vikor aggregation; use min_max, "
                           "z_score or rank.", field="normalisation")
    weights = _choice(data, "weights", WEIGHTINGS, "explicit" if all(c.weight is not None for c in components)
                      else "equal")
    if weights == "explicit":
        if any(c.weight is None for c in components):
            raise InvalidInput("With weights: explicit every indicator needs a 'weight'.", field="indicators")
        total = sum(c.weight or 0.0 for c in components)
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            raise InvalidInput(f"The indicator weights sum to {total:g}; they must sum to 1.", field="weights")
    elif any(c.weight is not None for c in components):
        raise InvalidInput(f"Indicator weights are given but 'weights' is '{weights}'; set weights: explicit "
                           "or remove them.", field="weights")
    pairwise = None
    if weights == "ahp":
        matrix = pairwise_matrix(data.get("pairwise") or [], len(components))
        checked_ahp(matrix, codes)
        pairwise = tuple(tuple(float(v) for v in row) for row in matrix)
    elif data.get("pairwise") is not None:
        raise InvalidInput("A 'pairwise' matrix is given but 'weights' is not 'ahp'; set weights: ahp or remove it.",
                           field="pairwise")
    v = None
    if aggregation == "vikor":
        v = data.get("v", 0.5)
        if not isinstance(v, int | float) or isinstance(v, bool) or not 0 <= v <= 1:
            raise InvalidInput(f"VIKOR's 'v' must be a number between 0 and 1; it is {v!r}.", field="v")
        v = float(v)
    elif data.get("v") is not None:
        raise InvalidInput("'v' belongs to aggregation: vikor; remove it or set aggregation: vikor.", field="v")
    reference = data.get("reference_unit")
    if normalisation == "distance_to_reference" and not reference:
        raise InvalidInput("Normalisation 'distance_to_reference' needs a reference_unit code.",
                           field="reference_unit")
    scale = tuple(float(v) for v in data.get("scale", (0.0, 1.0)))
    if len(scale) != 2 or not scale[0] < scale[1]:
        raise InvalidInput("'scale' must be two increasing numbers, such as [0, 1] or [1, 100].", field="scale")
    period = data.get("period")
    return IndexDefinition(
        code=code, name_fa=str(data["name_fa"]), name_en=str(data["name_en"]), domain=domain, levels=levels,
        components=tuple(components), normalisation=normalisation, weights=weights, aggregation=aggregation,
        missing=_choice(data, "missing", MISSING_POLICIES, "drop_unit"),
        period=optional_period_key(None if period is None else str(period)), parent_code=data.get("parent_code"),
        reference_unit=reference, scale=(scale[0], scale[1]), pairwise=pairwise, v=v,
    )


# --------------------------------------------------------------------------- scoring

@dataclass(frozen=True)
class Scores:
    """The scores of one level: a frame indexed by unit code, and the weights used."""

    frame: pd.DataFrame  # columns: unit_id, parent_code, score, rank_overall, rank_in_parent
    weights: dict[str, float]
    dropped: list[str]


@dataclass(frozen=True)
class Prepared:
    """What scoring one level needs from the database, normalised: everything but the weights.

    ``units`` is indexed by unit code (columns ``unit_id``, ``parent_code``); ``raw``
    and ``normalised`` (oriented: higher counts towards the index) have one row per unit.
    """

    units: pd.DataFrame
    raw: np.ndarray
    normalised: np.ndarray
    dropped: list[str]


def prepare_level(session: Session, definition: IndexDefinition, level: str, period: str) -> Prepared:
    """Read and normalise the indicators of one ``level`` in ``period`` under ``definition``."""
    codes = [c.code for c in definition.components]
    table = indicator_matrix(session, codes, level, period, definition.parent_code)
    values = table[codes]
    missing = values.isna().any(axis=1)
    dropped: list[str] = []
    if missing.any():
        if definition.missing == "fail":
            bad = values.index[missing][:10]
            raise InvalidInput(f"{int(missing.sum())} {level} unit(s) lack values in {period} "
                               f"(e.g. {', '.join(bad)}); set missing: drop_unit or mean.", field="missing")
        if definition.missing == "mean":
            values = values.fillna(values.mean())
            if values.isna().any().any():
                empty = [c for c in codes if values[c].isna().all()]
                raise InvalidInput(f"Indicator(s) {', '.join(empty)} have no values at level {level} in {period}.",
                                   field="indicators")
        else:
            dropped = values.index[missing].tolist()
            values = values[~missing]
    if len(values) < 2:
        raise InvalidInput(f"Fewer than two {level} units have every indicator in {period}; nothing to compare.",
                           field="levels")
    benefit = np.array([_counts_towards(session, c, definition.domain) for c in definition.components])
    x = values.to_numpy()
    reference = None
    if definition.normalisation == "distance_to_reference":
        if definition.reference_unit not in values.index:
            raise NotFound(f"The reference unit '{definition.reference_unit}' is not among the scored {level} units.",
                           field="reference_unit")
        reference = int(values.index.get_loc(definition.reference_unit))
    normalised = oriented(x, benefit, definition.normalisation, reference, definition.scale)
    return Prepared(table.loc[values.index, ["unit_id", "parent_code"]], x, normalised, dropped)


def score_prepared(prepared: Prepared, definition: IndexDefinition) -> Scores:
    """Weight and aggregate prepared indicators under ``definition``, and rank the units."""
    codes = [c.code for c in definition.components]
    normalised = prepared.normalised
    if definition.weights == "equal":
        w = np.full(len(codes), 1.0 / len(codes))
    elif definition.weights == "explicit":
        w = np.array([c.weight for c in definition.components], dtype=float)
    elif definition.weights == "ahp":
        w = definition.ahp().weights
    else:
        w = entropy_weights(prepared.raw if definition.normalisation == "vector" else normalised)
    extra: dict[str, np.ndarray] = {}
    if definition.aggregation == "topsis":
        score = closeness(normalised, w)
    elif definition.aggregation == "vikor":
        extra["vikor_s"], extra["vikor_r"], extra["vikor_q"] = vikor(normalised, w, definition.v or 0.5)
        score = 1.0 - extra["vikor_q"]  # Q is 0 for the best compromise; the score counts up like the others
    else:
        score = aggregate(normalised, w, definition.aggregation)
    frame = prepared.units.copy()
    frame["score"] = score
    for name, column in extra.items():
        frame[name] = column
    frame["rank_overall"] = rank_descending(frame["score"])
    frame["rank_in_parent"] = rank_descending(frame["score"], frame["parent_code"])
    return Scores(frame, dict(zip(codes, (float(v) for v in w), strict=True)), prepared.dropped)


def score_level(session: Session, definition: IndexDefinition, level: str, period: str) -> Scores:
    """Score the units of one ``level`` in ``period`` under ``definition`` (nothing is written)."""
    return score_prepared(prepare_level(session, definition, level, period), definition)


def _counts_towards(session: Session, component: Component, domain: str) -> bool:
    direction = component.direction or str(indicator_info(session, component.code)["direction"])
    # On a deprivation index worse counts up; on a capacity index better does.
    return (direction == "higher_is_worse") == (domain == "deprivation")


def compute_index(session: Session, source: Mapping[str, Any] | str | IndexDefinition,
                  created_by: str = "system", synthetic: bool = False, clusters: bool = True) -> dict[str, Any]:
    """Score every level of an index definition and store the scores; return a summary.

    The index version is found or created by (code, definition hash); its scores for
    the period are replaced. With ``clusters``, each level's LISA cluster labels
    (queen contiguity, fixed seed) are stored with the scores.
    """
    definition = source if isinstance(source, IndexDefinition) else parse_definition(source)
    codes = [c.code for c in definition.components]
    for code in codes:
        indicator_info(session, code)  # NotFound names an unknown indicator
    period = definition.period or latest_common_period(session, codes)
    digest = definition.hash
    index_id = session.execute(
        text("SELECT id FROM composite_index WHERE code = :code AND definition_hash = :hash"),
        {"code": definition.code, "hash": digest},
    ).scalar()
    if index_id is None:
        index_id = session.execute(
            text("""INSERT INTO composite_index (code, name_fa, name_en, domain, definition, definition_hash,
                                                 synthetic, created_by)
                    VALUES (:code, :fa, :en, :domain, CAST(:definition AS jsonb), :hash, :synthetic, :by)
                    RETURNING id"""),
            {"code": definition.code, "fa": definition.name_fa, "en": definition.name_en, "domain": definition.domain,
             "definition": json.dumps(definition.canonical(), ensure_ascii=False), "hash": digest,
             "synthetic": synthetic, "by": created_by},
        ).scalar_one()
    session.execute(text("DELETE FROM index_score WHERE index_id = :id AND period = :period"),
                    {"id": index_id, "period": period})
    summary: dict[str, Any] = {"id": int(index_id), "code": definition.code, "definition_hash": digest,
                               "period": period, "levels": {}}
    if definition.weights == "ahp":
        summary["ahp"] = ahp_summary(definition)
    for level in definition.levels:
        scores = score_level(session, definition, level, period)
        frame = scores.frame
        frame["cluster"] = (pd.Series(lisa_labels(session, frame["score"])) if clusters and len(frame) >= 5
                            else pd.Series(dtype=object))
        copy_rows(
            session, "index_score",
            ("index_id", "unit_id", "period", "level", "score", "rank_overall", "rank_in_parent", "cluster"),
            ((index_id, int(r.unit_id), period, level, float(r.score), int(r.rank_overall), int(r.rank_in_parent),
              None if pd.isna(r.cluster) else r.cluster) for r in frame.itertuples()),
        )
        summary["levels"][level] = {"scored": len(frame), "dropped": scores.dropped, "weights": scores.weights}
    return summary


def ahp_summary(definition: IndexDefinition) -> dict[str, Any]:
    """AHP weights by indicator code with λmax, CI and CR, for reports."""
    result = definition.ahp()
    codes = [c.code for c in definition.components]
    return {"weights": dict(zip(codes, (round(float(w), 6) for w in result.weights), strict=True)),
            "lambda_max": result.lambda_max, "ci": result.ci, "cr": result.cr}


def list_indices(session: Session) -> list[dict[str, Any]]:
    """Every stored index version, by code then age."""
    rows = session.execute(text("""SELECT id, code, name_fa, name_en, domain, definition_hash, synthetic, created_at,
                                          created_by FROM composite_index ORDER BY code, id""")).mappings()
    return [dict(r) for r in rows]


def newest_index_code(session: Session, domain: str, level: str) -> str | None:
    """The code of the newest composite index of ``domain`` that has scores at ``level``."""
    return session.execute(
        text("""SELECT i.code FROM composite_index i
                WHERE i.domain = :d AND EXISTS (SELECT 1 FROM index_score s WHERE s.index_id = i.id AND s.level = :l)
                ORDER BY i.id DESC LIMIT 1"""),
        {"d": domain, "l": level},
    ).scalar()


def resolve_index(session: Session, ref: str | int) -> dict[str, Any]:
    """The index version ``ref``: an id, or a code (its latest version)."""
    row = session.execute(
        text("""SELECT id, code, name_fa, name_en, domain, definition, definition_hash, synthetic, created_at,
                       created_by, (SELECT coalesce(array_agg(DISTINCT period ORDER BY period), '{}')
                                    FROM index_score s WHERE s.index_id = i.id) AS periods
                FROM composite_index i
                WHERE (CAST(:id AS integer) IS NOT NULL AND id = :id) OR (CAST(:id AS integer) IS NULL AND code = :code)
                ORDER BY id DESC LIMIT 1"""),
        {"id": int(ref) if str(ref).isascii() and str(ref).isdigit() else None, "code": str(ref)},
    ).mappings().first()
    if row is None:
        raise NotFound(f"No composite index '{ref}'. Compute one with POST /api/indices.", field="index")
    return dict(row)


def index_scores(session: Session, ref: str | int, level: str, period: str | None = None,
                 parent_code: str | None = None) -> dict[str, Any]:
    """Stored scores of index ``ref`` at ``level``: ``{index, period, level, scores: [...]}``.

    Each score row: ``code``, ``name_fa``, ``name_en``, ``parent_code``, ``score``,
    ``rank_overall``, ``rank_in_parent``, ``cluster``. Read once per data generation and
    shared: read the answer, do not change it.
    """
    return _scores.get(session, (str(ref), level, period, parent_code),
                       lambda: _index_scores(session, ref, level, period, parent_code))


#: Stored scores of whole levels, until published data changes (a new score is a new
#: generation, see migration ``0016_page_speed``): unit pages class their unit against them.
_scores: GenerationCache[dict[str, Any]] = GenerationCache(size=32)


def _index_scores(session: Session, ref: str | int, level: str, period: str | None,
                  parent_code: str | None) -> dict[str, Any]:
    index = resolve_index(session, ref)
    periods = list(index["periods"])
    if period is None:
        if not periods:
            raise NotFound(f"Index '{ref}' has no stored scores; compute it first.", field="index")
        period = periods[-1]
    elif period not in periods:
        raise NotFound(f"Index '{ref}' has no scores for period '{period}'; it has: {', '.join(periods) or 'none'}.",
                       field="period")
    scope = units_in_scope(session, level, parent_code)
    # Plain tuples in binary: a level of 50,000 units would spend seconds in row objects.
    rows = binary_fetch(
        session,
        """SELECT u.code, u.name_fa, u.name_en, p.code AS parent_code, s.score, s.rank_overall, s.rank_in_parent,
                  s.cluster
           FROM index_score s JOIN admin_unit u ON u.id = s.unit_id
           LEFT JOIN admin_unit p ON p.id = u.parent_id
           WHERE s.index_id = :id AND s.period = :period AND s.level = :level AND s.unit_id = ANY(:units)
           ORDER BY s.rank_overall, u.code""",
        {"id": index["id"], "period": period, "level": level, "units": [int(u) for u in scope["unit_id"]]},
    )()
    if not rows and level not in index["definition"]["levels"]:
        raise NotFound(f"Index '{ref}' is not computed at level '{level}'; it has: "
                       f"{', '.join(index['definition']['levels'])}.", field="level")
    meta = {k: index[k] for k in ("id", "code", "name_fa", "name_en", "domain", "definition_hash", "synthetic")}
    return {"index": meta, "period": period, "level": level,
            "scores": [dict(zip(_SCORE_FIELDS, r, strict=True)) for r in rows]}


#: The fields of a score row, as the statement of :func:`index_scores` selects them.
_SCORE_FIELDS = ("code", "name_fa", "name_en", "parent_code", "score", "rank_overall", "rank_in_parent", "cluster")


def scored_units(session: Session) -> dict[tuple[int, str, str], int]:
    """How many units each index version scored, by ``(index id, period, level)``: what a
    unit's rank is out of. Counted once per data generation (a level of 50,000 units would
    otherwise be counted on every unit page)."""
    def count() -> dict[tuple[int, str, str], int]:
        rows = session.execute(text("SELECT index_id, period, level, count(*) FROM index_score GROUP BY 1, 2, 3"))
        return {(int(i), str(p), str(lv)): int(n) for i, p, lv, n in rows}

    return _scored_units.get(session, "all", count)


_scored_units: GenerationCache[dict[tuple[int, str, str], int]] = GenerationCache(size=2)


def source_values(session: Session, source: str, level: str, period: str | None = None,
                  parent_code: str | None = None) -> tuple[str | None, dict[str, float]]:
    """Values keyed by unit code from an indicator code or ``'index:<id or code>'``.

    The shared way for statistics, bivariate classes and allocations to read a measure.
    Units without a value are left out.
    """
    if source.startswith("index:"):
        result = index_scores(session, source.removeprefix("index:"), level, period, parent_code)
        return result["period"], {r["code"]: float(r["score"]) for r in result["scores"]}
    scope = units_in_scope(session, level, parent_code)
    found_period, values = values_by_unit(session, source, level, period)
    return found_period, {k: float(v) for k, v in values.items()
                          if k in scope.index and v is not None and np.isfinite(v)}
