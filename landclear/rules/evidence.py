"""Raster evidence rules (DOMAIN §7): hints for a human check, never a legal finding.

Source: the Shizuishan plan asks the cities to find idle and low-efficiency
land and long-stopped enterprises; imagery shows what ledgers may not. These
rules only *flag* parcels for a field check. The legal idle-land test is
国土资源部令第53号 in :mod:`landclear.rules.idle`.

Rules (all thresholds in ``settings``, defaults in :data:`DEFAULTS`):

- ``suspected_idle``: granted (``grant_date``, else ``agreed_start``) at
  least ``idle_years`` years before ``as_of`` by the anniversary rule of
  :func:`landclear.rules.idle.add_years` (``add_years(granted, N) <= as_of``;
  29 Feb + 1 year = 28 Feb; 1.5 years = 18 months), and ``built_up_frac``
  below ``built_up_max``.
- ``check_dark_producing``: the enterprise is producing (``enterprise_status``
  in ``producing_statuses``) and ``night_light_mean`` below ``dark_below``.
- ``check_lit_stopped``: the enterprise is stopped (``stopped_2y`` true or
  status in ``stopped_statuses``) and ``night_light_mean`` above ``lit_above``.

A raster value whose ``{column}_coverage`` is below ``min_coverage`` is
treated as missing. Missing inputs never raise a flag.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"grant_date": [pd.Timestamp("2019-01-01")], "built_up_frac": [0.05]})
>>> evidence(df, "2024-06-30")["suspected_idle"].tolist()
[True]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from landclear.arrays import number_text
from landclear.rules.idle import add_years, fmt_date

__all__ = ["DEFAULTS", "evidence"]

#: Default thresholds. Night lights in nW·cm⁻²·sr⁻¹ (VIIRS DNB); calibrate locally.
DEFAULTS: dict[str, Any] = {
    "idle_years": 2,
    "built_up_max": 0.15,
    "dark_below": 1.0,
    "lit_above": 5.0,
    "ndvi_high": 0.4,
    "min_coverage": 0.5,
    "producing_statuses": ("正常生产", "生产", "在产", "正常"),
    "stopped_statuses": ("停产", "停业", "关停"),
}

SEP = "；"


def _numeric(df: pd.DataFrame, column: str, min_coverage: float) -> pd.Series:
    """A raster column as float, NaN when absent or too little of the parcel has data."""
    if column not in df.columns:
        return pd.Series(np.nan, index=df.index, dtype="float64")
    values = pd.to_numeric(df[column], errors="coerce").astype("float64")
    cover_col = f"{column}_coverage"
    if cover_col in df.columns:
        cover = pd.to_numeric(df[cover_col], errors="coerce").astype("float64")
        values = values.where(cover >= min_coverage)
    return values


def _dates(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df.columns:
        return pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    return pd.to_datetime(df[column], errors="coerce")


def _fmt(values: pd.Series, digits: int) -> pd.Series:
    return number_text(values.round(digits))


def evidence(
    parcels: pd.DataFrame,
    as_of: Any,
    settings: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Flag parcels whose imagery contradicts their ledger state.

    Parameters
    ----------
    parcels : DataFrame
        Any of ``built_up_frac``, ``night_light_mean``, ``ndvi_mean`` (with
        optional ``*_coverage``), ``grant_date``, ``agreed_start``,
        ``enterprise_status``, ``stopped_2y``. Absent columns count as missing.
    as_of : date-like
        Reference date.
    settings : mapping, optional
        Overrides of :data:`DEFAULTS`; unknown keys raise ``KeyError``.

    Returns
    -------
    pandas.DataFrame
        Index-aligned: ``suspected_idle``, ``check_dark_producing``,
        ``check_lit_stopped`` (bool), ``evidence_flags`` (short Chinese
        labels joined by "；", empty when none) and ``evidence_reason``
        (the same with the numbers that triggered them).

    Examples
    --------
    >>> df = pd.DataFrame({"enterprise_status": ["正常生产"], "night_light_mean": [0.2]})
    >>> evidence(df, "2024-06-30").loc[0, "evidence_flags"]
    '夜间灯光暗但登记为生产'
    """
    cfg = dict(DEFAULTS)
    for key, value in (settings or {}).items():
        if key not in DEFAULTS:
            raise KeyError(f"未知的影像证据参数 {key!r} / unknown evidence setting {key!r}")
        cfg[key] = value
    as_of_ts = pd.Timestamp(as_of)
    min_cov = float(cfg["min_coverage"])
    idx = parcels.index

    built = _numeric(parcels, "built_up_frac", min_cov)
    light = _numeric(parcels, "night_light_mean", min_cov)
    ndvi = _numeric(parcels, "ndvi_mean", min_cov)

    granted = _dates(parcels, "grant_date").fillna(_dates(parcels, "agreed_start"))
    # "Granted N years ago" by the anniversary rule of the idle-land and list rules:
    # add_years(granted, N) <= as_of (29 Feb + 1 year = 28 Feb; 1.5 years = 18 months).
    years = float(cfg["idle_years"])
    anniversary = add_years(granted, years)
    old_enough = anniversary.notna() & (anniversary <= as_of_ts)
    suspected_idle = (old_enough & (built < float(cfg["built_up_max"]))).fillna(False)

    status = (
        parcels["enterprise_status"].astype("string").str.strip()
        if "enterprise_status" in parcels.columns
        else pd.Series(pd.NA, index=idx, dtype="string")
    )
    producing = status.isin(list(cfg["producing_statuses"])).fillna(False)
    stopped_2y = (
        parcels["stopped_2y"].astype("boolean").fillna(False)
        if "stopped_2y" in parcels.columns
        else pd.Series(False, index=idx)
    )
    stopped = stopped_2y | status.isin(list(cfg["stopped_statuses"])).fillna(False)
    dark = (producing & (light < float(cfg["dark_below"]))).fillna(False)
    lit = (stopped & (light > float(cfg["lit_above"]))).fillna(False)
    green = (suspected_idle & (ndvi >= float(cfg["ndvi_high"]))).fillna(False)

    # Each reason text is built only on the rows its flag holds for.
    items = [
        (
            suspected_idle,
            "疑似闲置：供地多年但建成区比例低",
            lambda m: (
                "供地日期 "
                + fmt_date(granted[m]).astype("string")
                + f"（满 {years:g} 年：周年日 "
                + fmt_date(anniversary[m]).astype("string")
                + " ≤ 基准日 "
                + as_of_ts.strftime("%Y-%m-%d")
                + "），"
                "建成区覆盖 "
                + _fmt(built[m] * 100, 2)
                + "%（<"
                + f"{float(cfg['built_up_max']) * 100:g}"
                + "%）"
            ),
        ),
        (
            green,
            "植被覆盖高",
            lambda m: (
                "NDVI 均值 " + _fmt(ndvi[m], 2) + "（≥" + f"{float(cfg['ndvi_high']):g}" + "）"
            ),
        ),
        (
            dark,
            "夜间灯光暗但登记为生产",
            lambda m: (
                "企业状态“"
                + status[m].fillna("")
                + "”，夜光均值 "
                + _fmt(light[m], 2)
                + "（<"
                + f"{float(cfg['dark_below']):g}"
                + "）"
            ),
        ),
        (
            lit,
            "夜间灯光亮但登记为停产",
            lambda m: (
                "企业停产，夜光均值 "
                + _fmt(light[m], 2)
                + "（>"
                + f"{float(cfg['lit_above']):g}"
                + "）"
            ),
        ),
    ]
    flags = np.full(len(idx), "", dtype=object)
    reason = np.full(len(idx), "", dtype=object)
    for mask, label, why in items:
        m = mask.to_numpy(dtype=bool)
        if m.any():
            flags[m] = flags[m] + (SEP + label)
            reason[m] = reason[m] + SEP + why(m).fillna("").to_numpy(dtype=object)
    flags = pd.Series(flags, index=idx, dtype="string")
    reason = pd.Series(reason, index=idx, dtype="string")
    return pd.DataFrame(
        {
            "suspected_idle": suspected_idle.astype(bool),
            "check_dark_producing": dark.astype(bool),
            "check_lit_stopped": lit.astype(bool),
            "evidence_flags": flags.str.removeprefix(SEP),
            "evidence_reason": reason.str.removeprefix(SEP),
        },
        index=idx,
    )
