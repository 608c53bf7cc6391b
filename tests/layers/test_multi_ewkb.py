"""Encoding geometries for COPY: many single- and multi-part values together."""

from __future__ import annotations

import pyarrow as pa
import shapely

from spatial.db.bulk import multi_ewkb_hex


def test_hundreds_of_mixed_polygons_and_multipolygons_encode_as_multipolygons() -> None:
    # Regression: with a few hundred values, a slice "to the end" overflowed pyarrow's size estimate.
    polygons = [shapely.box(i, 0, i + 1, 1) for i in range(600)]
    polygons[1] = shapely.MultiPolygon([shapely.box(0, 5, 1, 6), shapely.box(2, 5, 3, 6)])
    wkb = pa.array(shapely.to_wkb(polygons, byte_order=1), pa.large_binary())
    decoded = shapely.from_wkb([bytes.fromhex(h) for h in multi_ewkb_hex(wkb, "MultiPolygon").to_pylist()])
    assert set(shapely.get_type_id(decoded)) == {6}
    assert shapely.get_srid(decoded).tolist() == [4326] * 600
    assert shapely.equals(decoded[1], polygons[1]) and shapely.equals(decoded[7], shapely.MultiPolygon([polygons[7]]))
