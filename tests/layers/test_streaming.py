"""A large GeoParquet layer is read and written part by part, and ends exactly as if read whole."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from layers.ingest import LayerRequest, add_layer
from layers.readers import read_vector
from spatial.errors import InvalidInput
from spatial.settings import get_settings

ROWS, PART = 10_000, 1_000


@pytest.fixture
def parts_of_a_thousand(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Layers are read 1,000 rows at a time."""
    monkeypatch.setenv("PISHRAFT_INGEST_BATCH_ROWS", str(PART))
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("PISHRAFT_INGEST_BATCH_ROWS")
    get_settings.cache_clear()


def write_geoparquet(path: Path, geometries: np.ndarray, row_group: int = PART) -> Path:
    """``geometries`` (lon/lat) with a ``code`` and a Persian ``نام`` column, as GeoParquet in row groups."""
    n = len(geometries)
    table = pa.table({
        "code": pa.array(np.arange(n, dtype=np.int64)),
        "نام": pa.array([f"چاه {i}" for i in range(n)]),
        "geometry": pa.array(shapely.to_wkb(geometries, byte_order=1), pa.binary()),
    })
    geo = {"version": "1.0.0", "primary_column": "geometry",
           "columns": {"geometry": {"encoding": "WKB", "geometry_types": []}}}
    table = table.replace_schema_metadata({b"geo": json.dumps(geo).encode()})
    pq.write_table(table, path, row_group_size=row_group)
    return path


def random_wells(n: int) -> np.ndarray:
    rng = np.random.default_rng(1405)
    return shapely.points(rng.uniform(50.0, 58.0, n), rng.uniform(29.0, 35.0, n))


def test_a_geoparquet_source_is_read_in_parts_and_not_held_whole(tmp_path: Path) -> None:
    path = write_geoparquet(tmp_path / "wells.parquet", random_wells(ROWS))

    source = read_vector(path, "wells.parquet", batch_rows=PART)

    assert source.features == ROWS
    assert source.attributes is None and source.wkb is None
    assert [len(wkb) for _, wkb in source.batches()] == [PART] * (ROWS // PART)


def test_a_layer_written_in_parts_equals_its_file(session: Session, tmp_path: Path,
                                                  parts_of_a_thousand: None) -> None:
    wells = random_wells(ROWS)
    path = write_geoparquet(tmp_path / "wells.parquet", wells)

    layer = add_layer(session, path, LayerRequest(name="streamed_wells"), added_by="tester")

    assert layer.feature_count == ROWS and layer.geometry_type == "MultiPoint"
    rows = session.execute(text(
        f'SELECT fid, code, field_2, ST_X(ST_GeometryN(geom, 1)), ST_Y(ST_GeometryN(geom, 1)) '
        f'FROM layers."{layer.table_name}" ORDER BY fid')).all()
    assert [r[0] for r in rows] == list(range(1, ROWS + 1))
    assert [r[1] for r in rows] == list(range(ROWS))
    assert rows[7][2] == "چاه 7"
    np.testing.assert_array_equal(np.array([(r[3], r[4]) for r in rows]), shapely.get_coordinates(wells))
    x, y = shapely.get_coordinates(wells).T
    assert layer.bbox == pytest.approx([x.min(), y.min(), x.max(), y.max()])


def test_empty_first_part_is_dropped_and_counted(session: Session, tmp_path: Path, parts_of_a_thousand: None) -> None:
    wells = random_wells(3 * PART)
    wells[:PART] = shapely.from_wkt("POINT EMPTY")
    path = write_geoparquet(tmp_path / "wells.parquet", wells)

    layer = add_layer(session, path, LayerRequest(name="late_wells"), added_by="tester")

    assert layer.feature_count == 2 * PART
    assert layer.details["dropped_empty_geometries"] == PART
    assert session.execute(text(f'SELECT min(fid), max(fid) FROM layers."{layer.table_name}"')).one() == (1, 2 * PART)


def test_a_later_part_of_another_kind_of_geometry_is_refused_naming_its_row(
        session: Session, tmp_path: Path, parts_of_a_thousand: None) -> None:
    shapes = random_wells(3 * PART).astype(object)
    shapes[2 * PART:] = shapely.buffer(shapes[2 * PART:], 0.01)
    path = write_geoparquet(tmp_path / "mixed.parquet", shapes)

    with pytest.raises(InvalidInput) as refused:
        add_layer(session, path, LayerRequest(name="mixed_wells"), added_by="tester")

    assert refused.value.reason == "mixed_geometry_types"
    assert "mixed.parquet" in str(refused.value) and f"row {2 * PART + 1:,}" in str(refused.value)
