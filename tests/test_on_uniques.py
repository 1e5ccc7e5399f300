"""Working once per distinct value gives exactly the element-wise result."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pandas.testing as tm

from landclear.ids import normalise_credit_code, normalise_name
from landclear.io.parse import parse_dates, parse_quantity, to_text

RNG = np.random.default_rng(7)


def _big(pool: list[object], n: int = 6000) -> pd.Series:
    return pd.Series([pool[i] for i in RNG.integers(0, len(pool), n)], dtype=object)


def test_dates_on_uniques_equal_elementwise():
    pool = [
        "2021-06-30",
        "2021/6/30",
        "2021年6月",
        "20210630",
        "  2019.3.5 ",
        "2021-02-30",
        "-",
        "",
        None,
        44377,
        44377.0,
        dt.datetime(2020, 1, 2, 13, 5),
        dt.date(2018, 5, 1),
        "abc",
        True,
    ]
    s = _big(pool)
    fast = parse_dates(s)
    slow = parse_dates.__wrapped__(s)
    for a, b in zip(fast, slow, strict=True):
        tm.assert_series_equal(a, b)


def test_quantity_and_text_on_uniques_equal_elementwise():
    s = _big(["1,234.5", "１５亩", "(3)", "12.5万元", "", "x", None, "300元"])
    for a, b in zip(parse_quantity(s), parse_quantity.__wrapped__(s), strict=True):
        tm.assert_series_equal(a, b)
    t = _big([" 石嘴山 ", "ＡＢＣ", None, "x\u200by"])
    from landclear.io.parse import _any_text

    tm.assert_series_equal(to_text(t), _any_text.__wrapped__(t))
    # Arrow text takes the all-rows path: the same answer.
    tm.assert_series_equal(to_text(t.astype("string")), _any_text.__wrapped__(t))
    tm.assert_series_equal(to_text(t.astype("str")), _any_text.__wrapped__(t))


def test_codes_and_names_on_uniques_equal_elementwise():
    c = _big(["91110000600037341l", " 91340600MA2PBM9HXD", "９１１１", None, "无"])
    tm.assert_series_equal(normalise_credit_code(c), normalise_credit_code.__wrapped__(c))
    n = _big(["宁夏某某（集团）有限责任公司", "宁夏某某(集团)有限公司 ", None, "甲分公司"])
    tm.assert_series_equal(normalise_name(n), normalise_name.__wrapped__(n))


def test_remembered_results_equal_fresh_ones_across_calls():
    import landclear.ids
    from landclear.ids import clear_memo

    clear_memo()
    first = _big(["宁夏甲（集团）有限责任公司", "乙 公司", None, "丙分公司"])
    second = _big(["乙 公司", "丁厂【石嘴山】", None, "宁夏甲（集团）有限责任公司", "戊"])
    fresh = normalise_name.__wrapped__(first)
    tm.assert_series_equal(normalise_name(first), fresh)
    # The first call remembered its three distinct strings under the function's key.
    key = ("landclear.ids", "normalise_name", (), ())
    assert key in landclear.ids._MEMO
    remembered, table = landclear.ids._MEMO[key]
    assert sorted(remembered.to_pylist()) == sorted(first.dropna().unique())
    # Asked again, every string is remembered: same values, nothing computed or added.
    tm.assert_series_equal(normalise_name(first), fresh)
    assert landclear.ids._MEMO[key][1] is table
    # Half of the second call's strings are remembered, half are new (and then remembered).
    tm.assert_series_equal(normalise_name(second), normalise_name.__wrapped__(second))
    assert len(landclear.ids._MEMO[key][0]) == 5
    branch = normalise_name(second, drop_branch=True)
    tm.assert_series_equal(branch, normalise_name.__wrapped__(second, drop_branch=True))
    assert ("landclear.ids", "normalise_name", (), (("drop_branch", True),)) in landclear.ids._MEMO
    q = _big(["1,234.5", "１５亩", None, "300元"])
    for a, b in zip(parse_quantity(q), parse_quantity.__wrapped__(q), strict=True):
        tm.assert_series_equal(a, b)


def test_a_run_leaves_no_memo_behind(sample_dir):
    """Names and codes are remembered within a run only (finish clears them), any engine."""
    from landclear import ids
    from landclear.analysis import analyse
    from landclear.loading import load_inputs
    from landclear.project import load_project

    project = load_project(sample_dir / "project.toml")
    inputs = load_inputs(project, measure_buildings=True)
    ids.warm_memo(inputs.parcels["owner_name"], inputs.parcels["credit_code"])
    assert ids._MEMO
    analyse(inputs, project)
    assert not ids._MEMO


def test_a_memo_from_another_process_is_merged_not_replaced():
    """The ledger worker's remembered names join this process's: own entries kept, none doubled."""
    import pickle

    import landclear.ids as ids

    ids.clear_memo()
    there = _big(["宁夏甲（集团）有限责任公司", "乙 公司", "丙分公司", None])
    normalise_name(there)
    normalise_name(there, drop_branch=True)
    snapshot = pickle.loads(pickle.dumps(ids.memo_snapshot()))  # as the worker hands it over
    ids.clear_memo()
    here = _big(["乙 公司", "丁厂【石嘴山】"])
    normalise_name(here)
    key = ("landclear.ids", "normalise_name", (), ())
    own_keys = ids._MEMO[key][0].to_pylist()
    ids.merge_memo(snapshot)
    keys, table = ids._MEMO[key]
    assert keys.to_pylist()[: len(own_keys)] == own_keys
    assert sorted(keys.to_pylist()) == sorted(
        ["宁夏甲（集团）有限责任公司", "乙 公司", "丙分公司", "丁厂【石嘴山】"]
    )
    assert len(table) == len(keys)
    # A function this process had not called yet is taken whole.
    branch = ("landclear.ids", "normalise_name", (), (("drop_branch", True),))
    assert ids._MEMO[branch][0].to_pylist() == snapshot[branch][0].to_pylist()
    # Every string is now remembered, with the function's own result: nothing is computed.
    both = _big(["宁夏甲（集团）有限责任公司", "乙 公司", "丙分公司", "丁厂【石嘴山】", None])
    tm.assert_series_equal(normalise_name(both), normalise_name.__wrapped__(both))
    assert ids._MEMO[key][1] is table
    tm.assert_series_equal(
        normalise_name(both, drop_branch=True), normalise_name.__wrapped__(both, drop_branch=True)
    )
    ids.merge_memo(snapshot)  # again: nothing doubled
    assert len(ids._MEMO[key][0]) == 4
    # Results of another shape under the same key are not mixed in.
    other = {key: (snapshot[key][0], snapshot[key][1].assign(extra=1))}
    ids.clear_memo()
    normalise_name(here)
    ids.merge_memo(other)
    assert sorted(ids._MEMO[key][0].to_pylist()) == sorted(["乙 公司", "丁厂【石嘴山】"])
    ids.clear_memo()
