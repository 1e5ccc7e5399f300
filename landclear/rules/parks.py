"""Park industrial indicators against the plan's per-mu targets (DOMAIN §5.7).

Source of the default targets: 石嘴山市人民政府办公室《石嘴山市实施制造业
"腾笼换鸟 凤凰涅槃"攻坚行动方案(2022—2024)》(石政办发〔2022〕24号) 二、工作目标:
园区工业亩均投资强度、产出强度、亩均税收 160/120/4.5 (2022), 175/150/6 (2023),
185/175/8 (2024) 万元/亩; shipped in ``landclear/data/targets.toml``.

Park value = Σ numerator / Σ mu over the park's industrial land. An enterprise
with industrial land in several parks (or partly outside any park) has its
year figures split by its share of industrial mu in each; the share outside
parks is reported in no park row and not in the 全市 row.

Example
-------
>>> import pandas as pd
>>> parcels = pd.DataFrame({"park": ["甲"], "area_mu": [10.0], "enterprise_id": ["e"],
...                         "land_use_industrial": [True]})
>>> ent = pd.DataFrame({"enterprise_id": ["e"], "investment": [2000.0],
...                     "output_value": [1500.0], "tax_paid": [60.0]})
>>> out = park_indicators(parcels, ent, default_targets()["per_mu"], 2024)
>>> out[["park", "investment_per_mu", "pass_investment"]].values.tolist()
[['甲', 200.0, True], ['全市', 200.0, True]]
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from landclear.arrays import positions

__all__ = [
    "CITY_ROW",
    "MEASURES",
    "ParkLand",
    "all_targets_met",
    "default_targets",
    "park_indicators",
    "park_land",
    "targets_for",
]

#: Label of the all-parks total row.
CITY_ROW = "全市"

#: measure -> enterprise column summed for it (万元).
MEASURES: dict[str, str] = {
    "investment": "investment",
    "output": "output_value",
    "tax": "tax_paid",
}


@cache
def _targets_text() -> str:
    return resources.files("landclear.data").joinpath("targets.toml").read_text("utf-8")


def default_targets() -> dict[str, Any]:
    """The Shizuishan plan targets shipped in ``landclear/data/targets.toml``.

    Returns
    -------
    dict
        ``enterprises``, ``mu``, ``deadline``, ``per_mu`` {year: {investment,
        output, tax}}, ``rectification`` {year: completed share}.

    Example
    -------
    >>> default_targets()["per_mu"]["2023"]["output"]
    150
    """
    return tomllib.loads(_targets_text())


def targets_for(year: int, targets: Mapping[str, Any]) -> dict[str, float]:
    """Per-mu targets (万元/亩) of ``year``; NaN for each measure without one.

    Parameters
    ----------
    year : int
    targets : mapping
        ``{"2022": {"investment": 160, "output": 120, "tax": 4.5}, ...}``
        (int or str years), or a whole targets table with a ``per_mu`` key.

    Example
    -------
    >>> targets_for(2022, {"2022": {"investment": 160, "output": 120, "tax": 4.5}})
    {'investment': 160.0, 'output': 120.0, 'tax': 4.5}
    >>> targets_for(2030, {})["tax"]
    nan
    """
    per_mu = targets.get("per_mu", targets) if isinstance(targets, Mapping) else {}
    row = per_mu.get(str(year), per_mu.get(int(year), {})) or {}
    out = {}
    for m in MEASURES:
        value = row.get(m)
        out[m] = float(value) if value is not None else math.nan
    return out


@dataclass(frozen=True)
class ParkLand:
    """The land side of :func:`park_indicators`, the same for every year.

    Industrial mu per park, and each enterprise's share of its industrial mu
    on each (park, enterprise) pair, on integer codes (a million parcels
    group in numpy, not in pandas). Made by :func:`park_land`.
    """

    park_names: np.ndarray
    ent_names: np.ndarray
    pair_park: np.ndarray
    pair_ent: np.ndarray
    pair_mu: np.ndarray
    share: np.ndarray
    industrial_mu: np.ndarray
    unowned_mu: np.ndarray
    outside_mu: float
    #: ``ent_names`` in the enterprise ids' own dtype (Arrow text in a run), so that
    #: each year's lookup need not convert a million Python strings again.
    ent_keys: Any = field(default=None, repr=False, compare=False)

    @property
    def n_parks(self) -> int:
        return len(self.park_names)


def park_land(parcels: pd.DataFrame) -> ParkLand:
    """:class:`ParkLand` of parcels (columns as :func:`park_indicators` takes them).

    Examples
    --------
    >>> p = pd.DataFrame({"park": ["甲", "甲"], "area_mu": [10.0, 5.0],
    ...                   "enterprise_id": ["E1", None], "land_use_industrial": [True, True]})
    >>> park_land(p).industrial_mu.tolist(), park_land(p).unowned_mu.tolist()
    ([15.0], [5.0])
    """
    industrial = parcels["land_use_industrial"].astype("boolean").fillna(False).astype(bool)
    land = pd.DataFrame(
        {
            "park": parcels["park"].astype("string").str.strip().replace("", pd.NA),
            "enterprise_id": parcels["enterprise_id"],
            "mu": pd.to_numeric(parcels["area_mu"], errors="coerce").astype("float64"),
        }
    )[industrial.to_numpy()]
    park_code, park_names = pd.factorize(land["park"])
    ent_code, ent_names = pd.factorize(land["enterprise_id"])
    mu_arr = land["mu"].fillna(0.0).to_numpy(dtype="float64")
    owned = ent_code >= 0
    ent_mu = np.bincount(ent_code[owned], weights=mu_arr[owned], minlength=len(ent_names))
    paired = owned & (park_code >= 0)
    width = max(len(ent_names), 1)
    pair_keys, pair_of = np.unique(
        park_code[paired].astype(np.int64) * width + ent_code[paired], return_inverse=True
    )
    pair_mu = np.bincount(pair_of, weights=mu_arr[paired], minlength=len(pair_keys))
    pair_ent = pair_keys % width
    total_mu = ent_mu[pair_ent]
    in_park = park_code >= 0
    unowned = in_park & ~owned
    return ParkLand(
        park_names=np.asarray(park_names, dtype=object),
        ent_names=np.asarray(ent_names, dtype=object),
        pair_park=pair_keys // width,
        pair_ent=pair_ent,
        pair_mu=pair_mu,
        share=np.divide(pair_mu, total_mu, out=np.full(len(pair_mu), np.nan), where=total_mu > 0),
        industrial_mu=np.bincount(
            park_code[in_park], weights=mu_arr[in_park], minlength=len(park_names)
        ),
        unowned_mu=np.bincount(
            park_code[unowned], weights=mu_arr[unowned], minlength=len(park_names)
        ),
        outside_mu=float(mu_arr[~in_park].sum()),
        ent_keys=ent_names,
    )


def park_indicators(
    parcels: pd.DataFrame | None,
    enterprise_year: pd.DataFrame,
    targets: Mapping[str, Any],
    year: int,
    *,
    land: ParkLand | None = None,
) -> pd.DataFrame:
    """Per-park investment, output and tax per mu of industrial land vs targets.

    Parameters
    ----------
    parcels : DataFrame
        ``park``, ``area_mu``, ``enterprise_id``, ``land_use_industrial``
        (bool). Non-industrial parcels are ignored; industrial parcels without
        an enterprise still count in the park's mu (land producing nothing).
    enterprise_year : DataFrame
        One row per enterprise for ``year``: ``enterprise_id``,
        ``investment``, ``output_value``, ``tax_paid`` (万元). Duplicate ids
        are summed (noted in ``attrs["notes"]``).
    targets : mapping
        See :func:`targets_for`.
    year : int
    land : ParkLand, optional
        :func:`park_land` of ``parcels``, when the caller evaluates several
        years on the same parcels (``parcels`` may then be None).

    Returns
    -------
    DataFrame
        One row per park (sorted by name) and a last row ``全市`` (all parks
        together). Columns: ``park, industrial_mu, enterprises,
        mu_without_data`` (industrial mu whose enterprise has no figures for
        the year), ``investment, output, tax`` (万元, mu-share split),
        ``investment_per_mu, output_per_mu, tax_per_mu``, ``target_<m>``,
        ``gap_<m>`` (value − target), ``pass_<m>`` (nullable boolean, <NA>
        without a target), ``year``, ``note``. ``attrs["notes"]`` and
        ``attrs["outside_parks_mu"]`` (industrial mu with no park).

    Example
    -------
    >>> p = pd.DataFrame({"park": ["甲"], "area_mu": [10.0], "enterprise_id": [None],
    ...                   "land_use_industrial": [True]})
    >>> e = pd.DataFrame({"enterprise_id": [], "investment": [], "output_value": [],
    ...                   "tax_paid": []})
    >>> park_indicators(p, e, {}, 2030)["note"].iloc[0]
    '2030年无园区亩均目标 / no park targets for 2030'
    """
    notes: list[str] = []

    figures = pd.DataFrame(
        {
            m: pd.to_numeric(enterprise_year[c], errors="coerce")
            if c in enterprise_year
            else np.nan
            for m, c in MEASURES.items()
        }  # fmt: skip
    ).astype("float64")
    ids = enterprise_year["enterprise_id"].reset_index(drop=True)
    # Checked on the text itself: a pandas index of a million Python strings is slow.
    if ids.duplicated().any():
        figures.index = ids.to_numpy()
        dup = sorted(map(str, figures.index[figures.index.duplicated()].unique()))
        notes.append(
            f"企业年度数据重复,已合计: {', '.join(dup)} / duplicate enterprise rows summed"
        )
        figures = figures.groupby(level=0).sum(min_count=1)
        ids = figures.index

    # The year's figures on each (park, enterprise) pair, by its share of the mu.
    lw = land if land is not None else park_land(parcels)
    pair_ent, pair_park, pair_mu, n_parks = lw.pair_ent, lw.pair_park, lw.pair_mu, lw.n_parks
    # Each pair's enterprise row in the year's figures: the distinct names are
    # looked up once (Arrow hash), then taken per pair.
    keys = lw.ent_keys if lw.ent_keys is not None else pd.Series(lw.ent_names, dtype=object)
    row = positions(keys, ids)[pair_ent]
    values = figures.to_numpy(dtype="float64")
    fig = np.full((len(row), values.shape[1]), np.nan)
    fig[row >= 0] = values[row[row >= 0]]
    has_fig = ~np.isnan(fig).all(axis=1)
    contrib = fig * lw.share[:, None]

    outside = lw.outside_mu
    if outside > 0:
        notes.append(f"{outside:g} 亩工业用地无园区,未计入园区指标 / industrial mu outside parks")
    no_data_mu = np.bincount(pair_park, weights=np.where(has_fig, 0.0, pair_mu), minlength=n_parks)
    per_park = pd.DataFrame(
        {"industrial_mu": lw.industrial_mu}, index=pd.Index(lw.park_names, dtype="string")
    )
    for j, m in enumerate(MEASURES):
        # Σ with min_count=1: a park none of whose enterprises has the figure gets NaN.
        known = ~np.isnan(contrib[:, j])
        total = np.bincount(pair_park[known], weights=contrib[known, j], minlength=n_parks)
        seen = np.bincount(pair_park[known], minlength=n_parks) > 0
        per_park[m] = np.where(seen, total, np.nan)
    per_park["enterprises"] = np.bincount(pair_park, minlength=n_parks)
    per_park["mu_without_data"] = no_data_mu + lw.unowned_mu
    per_park = per_park.sort_index()
    total = per_park[["industrial_mu", "mu_without_data", *MEASURES]].sum(min_count=1)
    total["enterprises"] = int(np.count_nonzero(np.bincount(pair_ent))) if len(pair_ent) else 0
    per_park = pd.concat([per_park, total.to_frame(CITY_ROW).T])
    numeric = ["industrial_mu", "mu_without_data", *MEASURES]
    per_park[numeric] = per_park[numeric].astype("float64").fillna(0.0)
    per_park["enterprises"] = per_park["enterprises"].fillna(0).astype("int64")

    goal = targets_for(year, targets)
    mu = per_park["industrial_mu"].where(per_park["industrial_mu"] > 0)
    for m in MEASURES:
        value = per_park[m] / mu
        per_park[f"{m}_per_mu"] = value
        per_park[f"target_{m}"] = goal[m]
        per_park[f"gap_{m}"] = value - goal[m]
        ok = (value >= goal[m]).astype("boolean")
        per_park[f"pass_{m}"] = ok.mask(value.isna() | math.isnan(goal[m]))
    per_park["year"] = int(year)
    missing = [m for m in MEASURES if math.isnan(goal[m])]
    note = ""
    if len(missing) == len(MEASURES):
        note = f"{year}年无园区亩均目标 / no park targets for {year}"
    elif missing:
        note = f"{year}年缺少目标: {', '.join(missing)} / missing targets"
    per_park["note"] = pd.Series(note, index=per_park.index, dtype="string")
    per_park.loc[per_park["industrial_mu"] <= 0, "note"] = "无工业用地 / no industrial land"
    if note:
        notes.append(note)

    out = per_park.rename_axis("park").reset_index()
    out["park"] = out["park"].astype("string")
    order = ["park", "industrial_mu", "enterprises", "mu_without_data", *MEASURES]
    order += [f"{m}_per_mu" for m in MEASURES]
    order += [f"{k}_{m}" for k in ("target", "gap", "pass") for m in MEASURES]
    out = out[[*order, "year", "note"]]
    out.attrs["notes"] = notes
    out.attrs["outside_parks_mu"] = outside
    return out


def all_targets_met(frame: pd.DataFrame, suffix: str = "") -> pd.Series:
    """Whether each row meets all its per-mu targets (investment, output and tax).

    The rule, per row:

    * False when any measure fails its target (``pass_<m>`` is False);
    * True when every measure with a target (``target_<m>`` not NaN) passes
      and at least one measure has a target;
    * NA otherwise: no measure has a target, or a measure with a target has
      no value to compare (``pass_<m>`` NA) and none fails.

    Parameters
    ----------
    frame : DataFrame
        ``pass_<m><suffix>`` (nullable boolean, as :func:`park_indicators`
        writes it) and ``target_<m>`` for every measure of :data:`MEASURES`.
    suffix : str, optional
        Suffix of the pass columns (``"_after"`` for a scenario's table).

    Returns
    -------
    Series
        Nullable boolean, index-aligned with ``frame``.

    Example
    -------
    >>> t = pd.DataFrame({"pass_investment": [True, True, True, None],
    ...                   "pass_output": [True, False, None, None],
    ...                   "pass_tax": [True, None, None, None],
    ...                   "target_investment": [185.0] * 4, "target_output": [175.0] * 4,
    ...                   "target_tax": [8.0, 8.0, float("nan"), float("nan")]})
    >>> all_targets_met(t).tolist()
    [True, False, <NA>, <NA>]
    """
    passes = pd.DataFrame(
        {m: frame[f"pass_{m}{suffix}"].astype("boolean") for m in MEASURES}, index=frame.index
    )
    has_target = pd.DataFrame(
        {m: pd.to_numeric(frame[f"target_{m}"], errors="coerce").notna() for m in MEASURES},
        index=frame.index,
    ).to_numpy(dtype=bool)
    failed = passes.eq(False).fillna(False).to_numpy(dtype=bool).any(axis=1)
    passed = passes.eq(True).fillna(False).to_numpy(dtype=bool)
    met = (passed | ~has_target).all(axis=1) & has_target.any(axis=1)
    out = pd.Series(pd.NA, index=frame.index, dtype="boolean")
    out[met] = True
    out[failed] = False
    return out
