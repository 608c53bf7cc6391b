"""Multi-criteria methods for composite indices: AHP weights and VIKOR ranking.

AHP (Saaty) turns a planning office's pairwise judgements of criteria ("health is 3
times as important as jobs") into weights, and measures how consistent the judgements
are; VIKOR (Opricovic) ranks units by a compromise between their total and their worst
shortfall from the best value of each criterion. Both are pure NumPy; TOPSIS and the
normalisations live with the indices in :mod:`spatial.analytics.indices`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from spatial.errors import InvalidInput

#: Saaty's random consistency index by matrix size (Saaty 1980; Saaty 2008, Int. J. Services Sciences 1(1)).
SAATY_RANDOM_INDEX: dict[int, float] = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
                                        9: 1.45, 10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}
#: Largest consistency ratio accepted (Saaty's 10 % rule).
CR_LIMIT = 0.1
RECIPROCAL_TOLERANCE = 0.01


@dataclass(frozen=True)
class Ahp:
    """AHP weights of a pairwise comparison matrix and its consistency.

    ``worst_pair`` is the (row, column) judgement that departs most from what the other
    judgements imply through every third criterion, and ``implied`` that implied ratio.
    """

    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float
    worst_pair: tuple[int, int]
    given: float
    implied: float


def pairwise_matrix(rows: Sequence[Sequence[float | str]], size: int) -> np.ndarray:
    """A positive reciprocal ``size`` × ``size`` matrix from rows of numbers or fractions like ``'1/3'``.

    Examples
    --------
    >>> pairwise_matrix([[1, 3], ["1/3", 1]], 2).round(3).tolist()
    [[1.0, 3.0], [0.333, 1.0]]
    """
    if not isinstance(rows, Sequence) or isinstance(rows, str) or len(rows) != size:
        raise InvalidInput(f"'pairwise' must be a {size} × {size} matrix, one row per indicator in the order of "
                           "'indicators'.", field="pairwise")
    matrix = np.empty((size, size))
    for i, row in enumerate(rows):
        if not isinstance(row, Sequence) or isinstance(row, str) or len(row) != size:
            raise InvalidInput(f"pairwise row {i + 1} must hold {size} numbers.", field="pairwise")
        for j, cell in enumerate(row):
            matrix[i, j] = _judgement(cell, i, j)
    if not np.allclose(np.diag(matrix), 1.0):
        raise InvalidInput("The diagonal of 'pairwise' must be 1 (each indicator is as important as itself).",
                           field="pairwise")
    off = np.abs(matrix * matrix.T - 1.0) > RECIPROCAL_TOLERANCE
    if off.any():
        i, j = (int(k) for k in np.argwhere(off)[0])
        raise InvalidInput(f"'pairwise' is not reciprocal: row {i + 1}, column {j + 1} is {matrix[i, j]:g} but "
                           f"row {j + 1}, column {i + 1} is {matrix[j, i]:g}; it should be 1/{matrix[i, j]:g}.",
                           field="pairwise")
    return matrix


def _judgement(cell: float | str, i: int, j: int) -> float:
    try:
        if isinstance(cell, str) and "/" in cell:
            top, bottom = cell.split("/", 1)
            value = float(top) / float(bottom)
        else:
            value = float(cell)
    except (TypeError, ValueError, ZeroDivisionError):
        raise InvalidInput(f"pairwise row {i + 1}, column {j + 1}: '{cell}' is not a number or a fraction "
                           "like 1/3.", field="pairwise") from None
    if not np.isfinite(value) or value <= 0:
        raise InvalidInput(f"pairwise row {i + 1}, column {j + 1} must be positive (1/9 … 9).", field="pairwise")
    return value


def ahp_weights(matrix: np.ndarray) -> Ahp:
    """Principal-eigenvector weights of a pairwise comparison ``matrix``, with λmax, CI and CR.

    CI = (λmax − n) / (n − 1) and CR = CI / RI(n), with Saaty's random index RI. The
    most inconsistent judgement a_ij is the one furthest (on a log scale) from the
    geometric mean of the indirect judgements a_ik · a_kj.

    Examples
    --------
    >>> round(ahp_weights(np.array([[1.0, 3.0], [1 / 3, 1.0]])).weights[0], 3)
    0.75
    """
    a = np.asarray(matrix, dtype=float)
    n = a.shape[0]
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    w = np.abs(vectors[:, k].real)
    w = w / w.sum()
    lambda_max = float(values[k].real)
    ci = (lambda_max - n) / (n - 1) if n > 2 else 0.0
    ci = max(ci, 0.0)  # rounding can leave a consistent matrix a hair below n
    if n > max(SAATY_RANDOM_INDEX):
        raise InvalidInput(f"AHP compares at most {max(SAATY_RANDOM_INDEX)} indicators; this index has {n}.",
                           field="pairwise")
    ri = SAATY_RANDOM_INDEX[n]
    cr = ci / ri if ri > 0 else 0.0
    # What the other judgements say about each pair: the geometric mean of a_ik · a_kj over
    # every third criterion k (with only two criteria, what the weights say).
    logs = np.log(a)
    if n > 2:
        paths = logs[:, :, None] + logs[None, :, :]  # [i, k, j] = ln a_ik + ln a_kj
        idx = np.arange(n)
        through = np.ones((n, n, n), dtype=bool)
        through[idx, idx, :] = False  # k = i
        through[:, idx, idx] = False  # k = j
        implied = np.exp((paths * through).sum(axis=1) / (n - 2))
    else:
        implied = w[:, None] / w[None, :]
    deviation = np.abs(np.log(a / implied))
    i, j = np.unravel_index(int(np.argmax(np.triu(deviation, 1))), a.shape)
    return Ahp(w, lambda_max, ci, cr, (int(i), int(j)), float(a[i, j]), float(implied[i, j]))


def checked_ahp(matrix: np.ndarray, names: Sequence[str]) -> Ahp:
    """:func:`ahp_weights`, refusing judgements whose consistency ratio exceeds :data:`CR_LIMIT`."""
    result = ahp_weights(matrix)
    if result.cr > CR_LIMIT:
        i, j = result.worst_pair
        raise InvalidInput(
            f"The pairwise comparisons are inconsistent: CR = {result.cr:.3f} is above {CR_LIMIT}. The most "
            f"inconsistent judgement is {names[i]} against {names[j]}: it says {_ratio(result.given)}, while the "
            f"other judgements imply about {_ratio(result.implied)}. Revise that pair (or the pairs around it).",
            field="pairwise")
    return result


def _ratio(value: float) -> str:
    return f"{value:.2g}" if value >= 0.95 else f"1/{1 / value:.2g}"


def vikor(oriented: np.ndarray, weights: np.ndarray, v: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """VIKOR group utility S, individual regret R and compromise Q of each row (lower is better).

    ``oriented`` has criteria where higher is better (normalise and orient first).
    With f*_j and f⁻_j the best and worst value of criterion j:
    S_i = Σ_j w_j (f*_j − f_ij) / (f*_j − f⁻_j), R_i = max_j of the same terms, and
    Q_i = v (S_i − S*) / (S⁻ − S*) + (1 − v) (R_i − R*) / (R⁻ − R*). ``v`` weighs the
    majority rule (S) against the worst shortfall (R). A criterion on which every row
    is equal, or S or R equal for all rows, adds nothing.

    Examples
    --------
    >>> s, r, q = vikor(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.array([0.5, 0.5]))
    >>> q.tolist()
    [1.0, 1.0, 0.0]
    """
    x = np.asarray(oriented, dtype=float)
    w = np.asarray(weights, dtype=float)
    best, worst = x.max(axis=0), x.min(axis=0)
    span = best - worst
    gaps = w * np.divide(best - x, span, out=np.zeros_like(x), where=span > 0)
    s, r = gaps.sum(axis=1), gaps.max(axis=1)

    def scaled(values: np.ndarray) -> np.ndarray:
        low, high = values.min(), values.max()
        return (values - low) / (high - low) if high > low else np.zeros_like(values)

    if not 0.0 <= v <= 1.0:
        raise InvalidInput(f"VIKOR's v must be between 0 and 1; it is {v:g}.", field="v")
    return s, r, v * scaled(s) + (1.0 - v) * scaled(r)
