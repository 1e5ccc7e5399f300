"""landclear.arrays.isin gives pandas' answer, faster, on every kind of input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from landclear.arrays import isin, join_text, number_text

TEXT = st.one_of(st.none(), st.text(alphabet="甲乙丙ab1 ", max_size=3))


@given(st.lists(TEXT, max_size=30), st.lists(TEXT, max_size=30))
def test_text_equals_pandas_for_every_container(values, candidates):
    s = pd.Series(values, dtype="string")
    expected = s.isin([c for c in candidates if c is not None]).fillna(False).to_numpy(bool)
    expected = expected & s.notna().to_numpy()
    for right in (
        candidates,
        set(candidates),
        pd.Series(candidates, dtype="string"),
        pd.Index(candidates, dtype=object),
        np.asarray(candidates, dtype=object),
    ):
        assert isin(s, right).tolist() == expected.tolist()
    assert isin(pd.Series(values, dtype=object), candidates).tolist() == expected.tolist()


def test_numbers_and_mixed_fall_back_to_pandas():
    assert isin(pd.Series([1, 2, None]), [2, 3]).tolist() == [False, True, False]
    assert isin(pd.Series(["1", 1], dtype=object), ["1"]).tolist() == [True, False]
    assert isin(pd.Series(["a", "b"]), [1, "b"]).tolist() == [False, True]
    assert isin(pd.Series([], dtype="string"), []).tolist() == []


@given(st.lists(TEXT, max_size=30), st.lists(TEXT, max_size=30))
def test_positions_find_the_first_occurrence_like_a_map(values, keys):
    from landclear.arrays import positions

    s = pd.Series(values, dtype="string")
    first = {}
    for i, k in enumerate(keys):
        if k is not None:
            first.setdefault(k, i)
    expected = [first.get(v, -1) if v is not None else -1 for v in values]
    assert positions(s, pd.Series(keys, dtype="string")).tolist() == expected
    assert positions(s, pd.Index(keys, dtype=object)).tolist() == expected
    assert positions(pd.Series([1, 5]), pd.Index([5, 1, 1])).tolist() == [1, 0]


@given(st.lists(st.one_of(st.none(), st.text(max_size=6)), max_size=30))
def test_nfkc_equals_unicodedata(values):
    import unicodedata

    from landclear.arrays import nfkc

    s = pd.Series(values, dtype="string", index=np.arange(len(values)) * 2)
    got = nfkc(s)
    want = [None if v is None else unicodedata.normalize("NFKC", v) for v in values]
    assert got.dtype == s.dtype and got.index.equals(s.index)
    assert [None if v is pd.NA else v for v in got.tolist()] == want


def test_nfkc_keeps_the_na_flavour_of_str_dtype():
    from landclear.arrays import nfkc

    s = pd.Series(["ＡＢ", None], dtype="str")
    out = nfkc(s)
    assert out.dtype == s.dtype and out.iloc[0] == "AB" and pd.isna(out.iloc[1])


def test_left_join_unique_equals_merge():
    from landclear.arrays import left_join_unique

    flags = np.empty(3, dtype=object)
    flags[:] = [(1,), (2,), ()]
    right = pd.DataFrame(
        {
            "id": pd.array(["E1", "E2", "E4"], dtype="string"),
            "n": [1, 2, 3],
            "ok": [True, False, True],
            "b": pd.array([True, None, False], dtype="boolean"),
            "when": pd.to_datetime(["2020-01-01", "2021-06-30", None]),
            "name": pd.array(["甲", None, "丙"], dtype="string"),
            "t": flags,
            "k": pd.array([1, None, 3], dtype="Int64"),
            "x": [0.5, np.nan, 2.0],
            "s": pd.Series(["p", "q", None], dtype=pd.StringDtype(na_value=np.nan)),
        }
    )
    left = pd.DataFrame(
        {"id": pd.array(["E2", "E3", None, "E1"], dtype="string"), "name": ["a", "b", "c", "d"]},
        index=[7, 7, 3, 1],
    )
    for r in (right, right.iloc[[1, 0]]):
        for suffixes in (("_x", "_y"), ("", "_r")):
            want = left.merge(r, on="id", how="left", suffixes=suffixes)
            pd.testing.assert_frame_equal(left_join_unique(left, r, "id", suffixes), want)
    # all found: dtypes are kept
    both = left.iloc[[0, 3]]
    pd.testing.assert_frame_equal(
        left_join_unique(both, right, "id"), both.merge(right, on="id", how="left")
    )
    # a repeated or missing key goes to merge
    rep = pd.concat([right, right.iloc[[0]]])
    pd.testing.assert_frame_equal(
        left_join_unique(left, rep, "id"), left.merge(rep, on="id", how="left")
    )
    na = right.assign(id=pd.array(["E1", None, "E4"], dtype="string"))
    pd.testing.assert_frame_equal(
        left_join_unique(left, na, "id"), left.merge(na, on="id", how="left")
    )


def test_lookup_gives_map_values_in_the_mappings_dtype():
    from landclear.arrays import lookup

    values = pd.Series(pd.array(["a", "b", None, "z"], dtype="string"), index=[3, 3, 1, 0])
    for mapping, as_type in (
        (pd.Series([True, False], index=["a", "b"]), "object"),
        (pd.Series([1.5, 2.0], index=["b", "a"]), "float64"),
        (pd.Series(pd.array(["x", None], dtype="string"), index=["a", "b"]), "string"),
    ):
        got = lookup(values, mapping)
        want = values.map(mapping).astype(as_type)
        assert got.index.equals(values.index) and str(got.dtype) == as_type
        assert [None if pd.isna(v) else v for v in got] == [None if pd.isna(v) else v for v in want]


def test_lookup_and_join_on_an_empty_right_side():
    from landclear.arrays import left_join_unique, lookup

    left = pd.DataFrame({"id": pd.array(["E1"], dtype="string")})
    empty = pd.DataFrame({"id": pd.array([], dtype="string"), "n": pd.Series([], dtype=float)})
    pd.testing.assert_frame_equal(
        left_join_unique(left, empty, "id"), left.merge(empty, on="id", how="left")
    )
    assert lookup(left["id"], pd.Series([], dtype=float)).isna().all()


def test_lookup_and_join_on_integer_keys_equal_map_and_merge():
    from landclear.arrays import left_join_unique, lookup

    left = pd.DataFrame({"year": [2023, 2021, 2022, 2023]}, index=[5, 6, 7, 8])
    right = pd.DataFrame({"year": [2022, 2023], "target": [1.5, 2.5], "ok": [True, False]})
    pd.testing.assert_frame_equal(
        left_join_unique(left, right, "year"), left.merge(right, on="year", how="left")
    )
    mapping = right.set_index("year")["target"]
    got = lookup(left["year"], mapping)
    pd.testing.assert_series_equal(got, left["year"].map(mapping))


@pytest.mark.parametrize(
    "values",
    [
        np.random.default_rng(1).normal(0, 1, 10_000).round(2),  # -0.0 before 0.0 and after
        np.array([0.0, -0.0, np.nan, 1e16, 1e-5, -1e-300, -0.0, 0.0]),
        np.full(4, np.nan),
        np.array([], dtype="float64"),
        np.array([3.0, np.nan, 3.0, 12.0, 0.0]),
    ],
)
@pytest.mark.parametrize("dtype", ["float64", "Float64", "Int64"])
def test_number_text_is_astype_string(values, dtype):
    if dtype == "Int64":  # ranks and counts: whole numbers
        values = np.round(values * 100)
    s = pd.Series(values, index=np.arange(len(values)) * 3, name="x", dtype=dtype)
    pd.testing.assert_series_equal(number_text(s), s.astype("string"))


@given(
    st.lists(st.one_of(st.none(), st.text(max_size=4)), min_size=0, max_size=12),
    st.lists(st.one_of(st.none(), st.text(max_size=4)), min_size=0, max_size=12),
    st.text(max_size=3),
)
def test_join_text_is_the_plus_chain(left, right, sep):
    """Same values, <NA> and dtype as ``a + sep + b + "!"`` on text Series."""
    n = min(len(left), len(right))
    index = pd.RangeIndex(10, 10 + n)
    a = pd.Series(left[:n], index=index, dtype="string")
    b = pd.Series(right[:n], index=index, dtype="string")
    want = a + sep + b + "!"
    got = join_text(a, sep, b, "!")
    pd.testing.assert_series_equal(got, want, check_names=False)


def test_join_text_reads_object_series_as_text_and_checks_lengths():
    got = join_text("(", pd.Series(["甲", None], dtype=object), ")")
    assert got.tolist() == ["(甲)", pd.NA] and str(got.dtype) == "string"
    with pytest.raises(ValueError, match="length"):
        join_text(pd.Series(["a"]), pd.Series(["a", "b"]))
    with pytest.raises(TypeError):
        join_text("a", "b")


def test_on_distinct_spreads_each_result_and_declines_when_nothing_is_gained():
    from landclear.arrays import on_distinct

    calls = []

    def years(u):
        calls.append(len(u))
        return u.dt.year.to_numpy()

    d = pd.Series(pd.to_datetime(["2024-06-30", None, "2023-01-01", "2024-06-30"]))
    assert on_distinct(d, years, -1).tolist() == [2024, -1, 2023, 2024]
    assert calls == [2]  # the two distinct dates, once each
    assert on_distinct(d.iloc[[0, 2]], years, -1) is None  # every value distinct
    assert on_distinct(d.iloc[[1, 1]], years, -1) is None  # every row missing
    assert on_distinct(d.iloc[:0], years, -1) is None
