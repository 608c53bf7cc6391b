"""CQL2 filters (OGC API – Features Part 3) as parameterised SQL over a collection.

pygeofilter parses ``cql2-text`` and ``cql2-json`` into its syntax tree (as tipg and
pygeoapi do); :func:`parse_filter` walks that tree and builds a WHERE fragment over the
row alias ``s`` of :meth:`Collection.relation`. Only the collection's properties (its
whitelist) and ``geometry`` may be named: a name becomes a quoted identifier, every
literal a bound parameter, so no filter reaches SQL as text. Literals are checked against
the property's type here, so that the database never sees a comparison it would refuse:
a filter is valid SQL or a 400 that says what to change (and where, for syntax errors).

Supported: comparisons, ``LIKE``, ``IN``, ``BETWEEN``, ``IS NULL``, ``AND``/``OR``/``NOT``,
``CASEI``, the spatial predicates ``S_INTERSECTS``, ``S_WITHIN``, ``S_CONTAINS``,
``S_DISJOINT``, ``S_TOUCHES``, ``S_CROSSES``, ``S_OVERLAPS``, ``S_EQUALS`` against WKT,
GeoJSON or ``BBOX``, and on date properties comparisons with ``DATE``/``TIMESTAMP`` and the
temporal predicates ``T_AFTER``, ``T_BEFORE``, ``T_DURING``, ``T_EQUALS``, ``T_INTERSECTS``,
``T_DISJOINT`` (cql2-json). Geometries are in CRS84 unless ``filter-crs`` names EPSG:4326
(latitude first) or EPSG:3857.

Examples
--------
>>> where = parse_filter(collection, "unemployment_rate > 12 AND population > 5000")  # doctest: +SKIP
>>> where.params                                                                     # doctest: +SKIP
{'q0': 'unemployment_rate', 'q1': 12, 'q2': 5000}
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, UTC
from typing import Any

import numpy as np
import shapely
from lark.exceptions import UnexpectedInput
from psycopg import sql
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text

from spatial.errors import InvalidParameter
from spatial.serving.collections import Collection, Property

FILTER_LANGS = ("cql2-text", "cql2-json")
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
#: filter-crs values → (SRID, whether the axis order is latitude first).
FILTER_CRS: dict[str, tuple[int, bool]] = {
    CRS84: (4326, False),
    "http://www.opengis.net/def/crs/EPSG/0/4326": (4326, True),
    "http://www.opengis.net/def/crs/EPSG/0/3857": (3857, False),
}
#: Names a filter may use for the features' geometry.
GEOMETRY_NAMES = frozenset({"geometry", "geom"})
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
)
_NUMERIC = ("integer", "float")
_COMPARISONS = {
    ast.Equal: "=", ast.NotEqual: "<>", ast.LessThan: "<", ast.LessEqual: "<=",
    ast.GreaterThan: ">", ast.GreaterEqual: ">=",
}
_SPATIAL = {
    ast.GeometryIntersects: "ST_Intersects", ast.GeometryDisjoint: "ST_Disjoint",
    ast.GeometryContains: "ST_Contains", ast.GeometryWithin: "ST_Within", ast.GeometryTouches: "ST_Touches",
    ast.GeometryCrosses: "ST_Crosses", ast.GeometryOverlaps: "ST_Overlaps", ast.GeometryEquals: "ST_Equals",
}


@dataclass(frozen=True)
class Filter:
    """A parsed filter: the WHERE fragment over row ``s``, its parameters, and a cache key."""

    where: sql.Composable
    params: dict[str, Any]
    key: str


def _error(message: str) -> InvalidParameter:
    return InvalidParameter(f"filter: {message}", field="filter")


def parse_filter(collection: Collection, value: str | None, lang: str | None = None,
                 crs: str | None = None) -> Filter | None:
    """The filter ``value`` in ``lang`` (default cql2-text) over ``collection``; ``None`` when empty.

    Raises :class:`InvalidParameter` (HTTP 400) naming the position of a syntax error, an
    unknown property (with the queryable ones) or a value of the wrong type.
    """
    if value is None or not value.strip():
        return None
    lang = lang or "cql2-text"
    if lang not in FILTER_LANGS:
        raise InvalidParameter(f"filter-lang must be one of {', '.join(FILTER_LANGS)}; got '{lang}'.",
                               field="filter-lang")
    crs = crs or CRS84
    if crs not in FILTER_CRS:
        raise InvalidParameter(f"filter-crs must be one of {', '.join(FILTER_CRS)}; got '{crs}'.",
                               field="filter-crs")
    if "\x00" in value:
        raise _error("contains a NUL character.")
    tree = _parse_json(value) if lang == "cql2-json" else _parse_text(value)
    if not isinstance(tree, ast.Node) or not isinstance(tree, (ast.Condition, ast.Predicate)):
        raise _error("is not a condition (a comparison, a predicate, or conditions joined by AND/OR).")
    translator = _Translator(collection, *FILTER_CRS[crs])
    try:
        where = translator.condition(tree)
    except InvalidParameter:
        raise
    except (TypeError, ValueError, AttributeError, IndexError, KeyError, shapely.errors.ShapelyError) as exc:
        # A tree of an unexpected shape (pygeofilter builds what the grammar allows).
        raise _error(f"could not be understood ({type(exc).__name__}); check the operators' arguments.") from None
    return Filter(where=where, params=translator.params, key=f"{lang}|{crs}|{value}")


def _parse_text(value: str) -> Any:
    try:
        return parse_cql2_text(value)
    except UnexpectedInput as exc:
        near = value[max(0, exc.pos_in_stream or 0):][:20] if exc.pos_in_stream is not None else ""
        raise _error(f"syntax error at line {exc.line}, column {exc.column}"
                     + (f" (near '{near}')" if near else "")
                     + ". Write e.g. population > 5000 AND name_en LIKE 'Ab%'.") from None
    except Exception as exc:  # the parser's own checks (bad dates, bad WKT) raise plain errors
        raise _error(f"could not be read as cql2-text ({type(exc).__name__}: {str(exc)[:200]}).") from None


def _parse_json(value: str) -> Any:
    try:
        document = json.loads(value)
    except json.JSONDecodeError as exc:
        raise _error(f"is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno} "
                     f"(character {exc.pos}).") from None
    try:
        return parse_cql2_json(_standard_json(document))
    except Exception as exc:
        raise _error(f"is not valid cql2-json ({type(exc).__name__}: {str(exc)[:200]}). "
                     'Write e.g. {"op": ">", "args": [{"property": "population"}, 5000]}.') from None


def _standard_json(node: Any) -> Any:
    """CQL2 JSON as pygeofilter 0.4 reads it: ``bbox`` as a polygon (its envelope swaps
    axes) and ``between`` with three arguments as the standard writes it."""
    if isinstance(node, list):
        return [_standard_json(n) for n in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"bbox"} and isinstance(node["bbox"], list) and len(node["bbox"]) in (4, 6):
        box = node["bbox"]
        minx, miny, maxx, maxy = (box[0], box[1], box[3], box[4]) if len(box) == 6 else box
        return {"type": "Polygon",
                "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]]}
    out = {k: _standard_json(v) for k, v in node.items()}
    if str(out.get("op", "")).lower() == "between" and isinstance(out.get("args"), list) and len(out["args"]) == 3:
        out["args"] = [out["args"][0], out["args"][1:]]
    return out


class _Translator:
    """Builds SQL from a pygeofilter tree, collecting bound parameters ``q0``, ``q1``…"""

    def __init__(self, collection: Collection, srid: int, lat_first: bool) -> None:
        self.collection, self.srid, self.lat_first = collection, srid, lat_first
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> sql.Composable:
        name = f"q{len(self.params)}"
        self.params[name] = value
        return sql.Placeholder(name)

    # --- conditions -------------------------------------------------------------------------

    def condition(self, node: Any) -> sql.Composable:
        if isinstance(node, ast.Not):
            return sql.SQL("(NOT {})").format(self.condition(node.sub_node))
        if isinstance(node, (ast.And, ast.Or)):
            joiner = " AND " if isinstance(node, ast.And) else " OR "
            return sql.SQL("({})").format(sql.SQL(joiner).join([self.condition(node.lhs), self.condition(node.rhs)]))
        if isinstance(node, ast.Include):
            return sql.SQL("FALSE" if node.not_ else "TRUE")
        if isinstance(node, ast.Comparison) and type(node) in _COMPARISONS:
            left, right = self.operands(node.lhs, node.rhs)
            return sql.SQL("({} {} {})").format(left, sql.SQL(_COMPARISONS[type(node)]), right)
        if isinstance(node, ast.Between):
            column, kind = self.expression(node.lhs)
            low, high = self.literal(node.low, kind), self.literal(node.high, kind)
            return sql.SQL("({} {}BETWEEN {} AND {})").format(column, sql.SQL("NOT " if node.not_ else ""), low, high)
        if isinstance(node, ast.Like):
            column, kind = self.expression(node.lhs)
            if kind != "text" or not isinstance(node.pattern, str):
                raise _error("LIKE compares a text property with a text pattern.")
            operator = ("NOT " if node.not_ else "") + ("ILIKE" if node.nocase else "LIKE")
            return sql.SQL("({} {} {})").format(column, sql.SQL(operator), self.literal(node.pattern, "text"))
        if isinstance(node, ast.In):
            column, kind = self.expression(node.lhs)
            if not node.sub_nodes:
                raise _error("IN needs at least one value.")
            listed = sql.SQL(", ").join(self.literal(v, kind) for v in node.sub_nodes)
            return sql.SQL("({} {}IN ({}))").format(column, sql.SQL("NOT " if node.not_ else ""), listed)
        if isinstance(node, ast.IsNull):
            column, _ = self.expression(node.lhs)
            return sql.SQL("({} IS {}NULL)").format(column, sql.SQL("NOT " if node.not_ else ""))
        if isinstance(node, ast.SpatialComparisonPredicate) and type(node) in _SPATIAL:
            left, right = self.geometry(node.lhs), self.geometry(node.rhs)
            return sql.SQL("{}({}, {})").format(sql.SQL(_SPATIAL[type(node)]), left, right)
        if isinstance(node, ast.BBox):
            box = shapely.box(node.minx, node.miny, node.maxx, node.maxy)
            return sql.SQL("ST_Intersects({}, {})").format(self.geometry(node.lhs), self.shape(box))
        if isinstance(node, ast.TemporalPredicate):
            return self.temporal(node)
        raise _error(f"{type(node).__name__} is not supported here; use comparisons, LIKE, IN, BETWEEN, "
                     "IS NULL, AND/OR/NOT, S_INTERSECTS and the other spatial predicates.")

    def operands(self, lhs: Any, rhs: Any) -> tuple[sql.Composable, sql.Composable]:
        """Both sides of a comparison, a literal typed as the property it meets."""
        if self.is_expression(lhs):
            left, kind = self.expression(lhs)
            if self.is_expression(rhs):
                right, other = self.expression(rhs)
                if (kind in _NUMERIC) != (other in _NUMERIC) or (kind not in _NUMERIC and kind != other):
                    raise _error(f"cannot compare a {kind} with a {other}.")
                return left, right
            return left, self.literal(rhs, kind)
        if self.is_expression(rhs):
            right, kind = self.expression(rhs)
            return self.literal(lhs, kind), right
        raise _error("a comparison needs a property on one side.")

    @staticmethod
    def is_expression(node: Any) -> bool:
        return isinstance(node, (ast.Attribute, ast.Function, ast.Arithmetic))

    # --- expressions ------------------------------------------------------------------------

    def property(self, name: str) -> Property:
        found = self.collection.property_named(name)
        if found is None:
            raise _error(f"collection '{self.collection.id}' has no queryable '{name}'. Queryables: "
                         f"{', '.join(p.name for p in self.collection.properties)} and geometry "
                         f"(GET /collections/{self.collection.id}/queryables).")
        return found

    def expression(self, node: Any) -> tuple[sql.Composable, str]:
        """A property (or ``CASEI`` of one) as SQL, and its type."""
        if isinstance(node, ast.Attribute):
            if node.name in GEOMETRY_NAMES:
                raise _error(f"'{node.name}' is the geometry; use a spatial predicate such as S_INTERSECTS.")
            prop = self.property(node.name)
            if prop.source == "extra":
                return sql.SQL("(pishraft_unit_properties(s.fid) ->> {})::double precision").format(
                    self.bind(prop.name)), prop.kind
            return sql.SQL("s.{}").format(sql.Identifier(prop.name)), prop.kind
        if isinstance(node, ast.Function) and node.name.lower() in ("lower", "casei", "accenti") \
                and len(node.arguments) == 1:
            argument = node.arguments[0]
            if isinstance(argument, str):
                return sql.SQL("lower({})").format(self.literal(argument, "text")), "text"
            inner, kind = self.expression(argument)
            if kind != "text":
                raise _error("CASEI applies to text properties.")
            return sql.SQL("lower({})").format(inner), "text"
        if isinstance(node, ast.Arithmetic):
            raise _error("arithmetic in filters is not supported; compare a property with a value.")
        name = getattr(node, "name", type(node).__name__)
        raise _error(f"function or expression '{name}' is not supported; use a property name.")

    def literal(self, value: Any, kind: str) -> sql.Composable:
        """``value`` bound as a parameter of the type of a ``kind`` property (400 if it is not one)."""
        if isinstance(value, ast.Function) and value.name.lower() in ("lower", "casei", "accenti"):
            return self.expression(value)[0]
        if kind in _NUMERIC:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _error(f"a number property is compared with {value!r}, which is not a number.")
            if isinstance(value, float) and not math.isfinite(value):
                raise _error("numbers must be finite.")
            # Bound as numeric: any integer compares with a bigint column without overflow.
            return sql.SQL("CAST({} AS numeric)").format(self.bind(str(value)))
        if kind == "boolean":
            if not isinstance(value, bool):
                raise _error(f"a true/false property is compared with {value!r}; use TRUE or FALSE.")
            return self.bind(value)
        if kind in ("date", "datetime"):
            moment = _moment(value)
            if moment is None:
                raise _error(f"a date property is compared with {value!r}; use DATE('2024-03-20') or "
                             "TIMESTAMP('2024-03-20T10:00:00Z').")
            return sql.SQL("CAST({} AS {})").format(self.bind(moment), sql.SQL("date" if kind == "date" else
                                                                                 "timestamptz"))
        if not isinstance(value, str):
            raise _error(f"a text property is compared with {value!r}; quote text values: 'like this'.")
        if "\x00" in value:
            raise _error("contains a NUL character.")
        return sql.SQL("CAST({} AS text)").format(self.bind(value))

    # --- geometry ---------------------------------------------------------------------------

    def geometry(self, node: Any) -> sql.Composable:
        if isinstance(node, ast.Attribute):
            if node.name not in GEOMETRY_NAMES:
                raise _error(f"spatial predicates compare the geometry (not '{node.name}') with a geometry.")
            return sql.SQL("s.geom")
        if isinstance(node, values.Geometry):
            try:
                shape = shapely.geometry.shape(node.geometry)
            except Exception:
                raise _error("the geometry is not valid GeoJSON/WKT.") from None
            return self.shape(shape)
        if isinstance(node, values.Envelope):
            return self.shape(shapely.box(node.x1, node.y1, node.x2, node.y2))
        if isinstance(node, ast.Function) and node.name.lower() in ("bbox", "envelope") \
                and len(node.arguments) in (4, 6):
            numbers = node.arguments if len(node.arguments) == 4 else [node.arguments[i] for i in (0, 1, 3, 4)]
            if not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
                raise _error("BBOX takes four numbers: minx, miny, maxx, maxy.")
            return self.shape(shapely.box(*numbers))
        raise _error("spatial predicates compare the geometry with a geometry (WKT, GeoJSON or BBOX).")

    def shape(self, shape: Any) -> sql.Composable:
        """A literal geometry: checked, made valid, flipped to x/y order, in EPSG:4326."""
        coordinates = shapely.get_coordinates(shape)
        if shape.is_empty or not coordinates.size or not bool(np.isfinite(coordinates).all()):
            raise _error("the geometry is empty or has coordinates that are not finite numbers.")
        if self.lat_first:
            shape = shapely.transform(shape, lambda xy: xy[:, ::-1])
        if self.srid == 4326 and (abs(coordinates).max() > 360):
            raise _error("geometry coordinates are outside longitude/latitude; set filter-crs for other CRSs.")
        shape = shapely.make_valid(shape)
        literal = sql.SQL("ST_GeomFromText({}, {})").format(self.bind(shape.wkt), sql.Literal(self.srid))
        return literal if self.srid == 4326 else sql.SQL("ST_Transform({}, 4326)").format(literal)

    # --- time -------------------------------------------------------------------------------

    def temporal(self, node: ast.TemporalPredicate) -> sql.Composable:
        column, kind = self.expression(node.lhs)
        if kind not in ("date", "datetime"):
            raise _error(f"temporal predicates apply to date properties; '{getattr(node.lhs, 'name', '?')}' "
                         "is not one.")
        start, end = _interval(node.rhs)
        bound = lambda moment: self.literal(moment, kind)  # noqa: E731
        if isinstance(node, ast.TimeAfter) and end is not None:
            return sql.SQL("({} > {})").format(column, bound(end))
        if isinstance(node, ast.TimeBefore) and start is not None:
            return sql.SQL("({} < {})").format(column, bound(start))
        if isinstance(node, ast.TimeEquals) and start is not None and start == end:
            return sql.SQL("({} = {})").format(column, bound(start))
        if isinstance(node, (ast.TimeDuring, ast.TimeOverlaps, ast.TimeDisjoint)):
            parts: list[sql.Composable] = [sql.SQL("TRUE")]
            strict = isinstance(node, ast.TimeDuring)
            if start is not None:
                parts.append(sql.SQL("{} {} {}").format(column, sql.SQL(">" if strict else ">="), bound(start)))
            if end is not None:
                parts.append(sql.SQL("{} {} {}").format(column, sql.SQL("<" if strict else "<="), bound(end)))
            inside = sql.SQL("({})").format(sql.SQL(" AND ").join(parts))
            return sql.SQL("(NOT {})").format(inside) if isinstance(node, ast.TimeDisjoint) else inside
        raise _error(f"{type(node).__name__} is not supported; use T_AFTER, T_BEFORE, T_DURING, T_EQUALS, "
                     "T_INTERSECTS or T_DISJOINT, or compare with DATE(...).")


def _moment(value: Any) -> date | datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    return None


def _interval(value: Any) -> tuple[date | datetime | None, date | datetime | None]:
    if isinstance(value, values.Interval):
        start, end = _moment(value.start), _moment(value.end)
        if (value.start is not None and start is None) or (value.end is not None and end is None):
            raise _error("interval ends must be dates or timestamps.")
        return start, end
    moment = _moment(value)
    if moment is None:
        raise _error("temporal predicates take a DATE, TIMESTAMP or INTERVAL.")
    return moment, moment
