import numpy as np
import pandas as pd
import shapely

from landclear.maps.layers import (
    decode_geometries,
    encode_columns,
    encode_geometries,
    format_series,
)


def test_geometry_round_trip_with_holes_and_multipolygons():
    outer = shapely.box(106.0, 39.0, 106.01, 39.01)
    holed = shapely.Polygon(
        outer.exterior.coords, [shapely.box(106.002, 39.002, 106.004, 39.004).exterior.coords]
    )
    multi = shapely.MultiPolygon(
        [shapely.box(106.1, 39.1, 106.2, 39.2), shapely.box(106.3, 39.3, 106.4, 39.4)]
    )
    geoms = np.array([holed, multi, None, shapely.Point(1, 2)], dtype=object)
    g = encode_geometries(geoms, 6)
    assert g["fp"] == [1, 2, 0, 0]  # polygons per feature; points/None draw nothing
    assert g["pr"] == [2, 1, 1]  # rings per polygon
    rings = decode_geometries(g)
    expected = [shapely.get_coordinates(r)[:-1] for r in (holed.exterior, holed.interiors[0])]
    for got, want in zip(rings[0], expected, strict=True):
        np.testing.assert_allclose(got, want, atol=5e-7)
    assert len(rings[1]) == 2 and rings[2] == [] and rings[3] == []


def test_precision_rounds_to_a_tenth_of_a_metre():
    rng = np.random.default_rng(1)
    x, y = 106.3 + rng.random(50) * 0.1, 38.9 + rng.random(50) * 0.1
    geoms = shapely.buffer(shapely.points(x, y), 0.0005, quad_segs=2)
    rings = decode_geometries(encode_geometries(geoms, 6))
    got = np.vstack([r[0] for r in rings])
    want = np.vstack([shapely.get_coordinates(g)[:-1] for g in geoms])
    err_m = np.abs(got - want).max() * 111_320
    assert err_m <= 0.06  # half of 1e-6 degree


def test_columns_dictionary_encode_repeats_only():
    cols = encode_columns(
        pd.DataFrame({"owner": ["甲", "甲", "乙", "甲"], "id": ["1", "2", "3", "4"]})
    )
    assert cols["owner"] == {"d": ["甲", "乙"], "i": [0, 0, 1, 0]}
    assert cols["id"] == ["1", "2", "3", "4"]


def test_format_series_kinds():
    assert format_series(pd.Series([0.256, None]), "pct", 1).tolist() == ["25.6%", ""]
    assert format_series(pd.Series([3, None], dtype="Int64"), "int").tolist() == ["3", ""]
    assert format_series(pd.Series([True, None], dtype="boolean"), language="en").tolist() == [
        "yes",
        "",
    ]
    dates = pd.Series(pd.to_datetime(["2021-06-30", None]))
    assert format_series(dates).tolist() == ["2021-06-30", ""]
    assert format_series(pd.Series(["<b>x</b>", None], dtype="string")).tolist() == ["<b>x</b>", ""]
