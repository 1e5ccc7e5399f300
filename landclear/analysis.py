"""The pipeline: inputs → matching → rules → :class:`~landclear.result.Result`.

Each step calls a pure rule function of :mod:`landclear.rules`; this module
only joins their outputs by ``parcel_id`` / ``enterprise_id``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from landclear._memory import release
from landclear.arrays import isin, left_join_unique, lookup, positions
from landclear.ids import (
    clear_memo,
    credit_code_valid,
    is_industrial_land_use,
    normalise_credit_code,
    normalise_name,
)
from landclear.loading import Inputs, Prepared, load_inputs
from landclear.match import (
    EntityIndex,
    RecordKeys,
    build_entities,
    link_parcels,
    link_to_entities,
    report_records,
)
from landclear.progress import DONE_STATUS
from landclear.progress import attach as attach_progress
from landclear.project import Project, load_project
from landclear.quality import QualityLog
from landclear.raster import raster_evidence
from landclear.result import Result
from landclear.rules import actions as actions_rules
from landclear.rules import efficiency, idle, intensity, lists, parks
from landclear.rules.config import load_settings
from landclear.rules.evidence import evidence
from landclear.schema import SOURCE_FILE, SOURCE_ROW

COUNTY_BY_CODE = {
    "640202": "大武口区",
    "640205": "惠农区",
    "640221": "平罗县",
    "640200": "石嘴山市",
}


def run(
    project: str | Project | dict[str, Any],
    *,
    as_of: str | dt.date | None = None,
    progress: bool = False,
) -> Result:
    """Load a project and run every rule.

    Parameters
    ----------
    project : path, Project or dict
        The project file (DOMAIN §9), an already loaded project, or its content.
    as_of : date, optional
        Overrides the project's reference date.
    progress : bool
        Show progress bars (tqdm) for the long steps.

    Returns
    -------
    Result
        ``result.parcels`` (GeoDataFrame), ``result.enterprises``,
        ``result.parks``, the lists, ``result.quality``; ``result.to_files(dir)``.

    Examples
    --------
    >>> import landclear
    >>> result = landclear.run("shapefiles/project.toml")  # doctest: +SKIP
    >>> result.parcels[["parcel_id", "area_mu", "idle", "lists", "action"]].head()  # doctest: +SKIP
    """
    if not isinstance(project, Project):
        project = load_project(project)
    if as_of is not None:
        from landclear.project import parse_date

        project.as_of = parse_date(as_of, "as_of")
    log = QualityLog()
    inputs = load_inputs(project, log, measure_buildings=True, prepare=True)
    return analyse(inputs, project, progress=progress)


def _assign_parks(
    parcels: gpd.GeoDataFrame, park_shapes: gpd.GeoDataFrame | None, log: QualityLog
) -> gpd.GeoDataFrame:
    """Fill a missing ``park`` (and ``county``) from the parks layer by location."""
    if "park" not in parcels:
        parcels["park"] = pd.Series(pd.NA, index=parcels.index, dtype="string")
    missing = parcels["park"].isna() | (parcels["park"].astype("string").str.strip() == "")
    if park_shapes is not None and missing.any():
        points = gpd.GeoDataFrame(
            geometry=parcels.loc[missing].geometry.representative_point(), crs=parcels.crs
        )
        joined = gpd.sjoin(
            points,
            park_shapes[["park", "geometry"]].to_crs(parcels.crs),
            how="left",
            predicate="within",
        )
        joined = joined[~joined.index.duplicated(keep="first")]
        found = joined["park"].dropna()
        parcels.loc[found.index, "park"] = found.astype("string")
        rec = log.input("parcels")
        rec.repair(
            parcels.loc[found.index, SOURCE_FILE],
            parcels.loc[found.index, SOURCE_ROW],
            [f"园区按位置补充为 {p} / park assigned by location" for p in found],
            "park",
        )
    still = parcels["park"].isna()
    if still.any():
        log.warn(
            f"{int(still.sum())} 宗地块不在任何园区内 / parcels outside every park",
            parcel_ids=", ".join(parcels.loc[still, "parcel_id"].astype(str).head(50)),
        )
        parcels["park"] = parcels["park"].fillna("园区外")
    if "county" not in parcels:
        parcels["county"] = pd.Series(pd.NA, index=parcels.index, dtype="string")
    no_county = parcels["county"].isna()
    if no_county.any():
        by_code = parcels["parcel_id"].astype("string").str[:6].map(COUNTY_BY_CODE)
        parcels.loc[no_county, "county"] = by_code[no_county]
    return parcels


def _latest_year(enterprises: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Latest ledger row per enterprise with ``year`` ≤ the as_of year.

    Expects one row per (enterprise_id, year) (:func:`_one_row_per_year`);
    the sort is stable, so ties keep ledger order.
    """
    df = enterprises
    if "year" in df and df["year"].notna().any():
        df = df[df["year"].isna() | (df["year"] <= as_of.year)]
        df = df.sort_values("year", na_position="first", kind="stable")
    return df.drop_duplicates("enterprise_id", keep="last")


def _one_row_per_year(
    enterprises: pd.DataFrame,
    log: QualityLog | None = None,
    *,
    valid_code: np.ndarray | None = None,
) -> pd.DataFrame:
    """One enterprise-ledger row per (enterprise_id, year), the others rejected and warned about.

    Two rows under different identities (one with a credit code, one with the
    name only) can both link to the same enterprise. Validation cannot see
    that they collide; after linking they must not both count: the row with a
    valid credit code is kept, else the first in ledger order, and every later
    row is rejected naming the kept row (file and row), with one warning each.
    Rows without an ``enterprise_id`` are untouched. ``valid_code`` (one flag
    per row, from the matching's :class:`~landclear.match.RecordKeys`) saves
    checking the credit codes again.
    """
    if len(enterprises) == 0 or "enterprise_id" not in enterprises:
        return enterprises
    eid = enterprises["enterprise_id"]
    linked = eid.notna().to_numpy()
    if not linked.any():
        return enterprises
    code = (
        enterprises["credit_code"]
        if "credit_code" in enterprises
        else pd.Series(pd.NA, index=enterprises.index, dtype="string")
    )
    year = (
        enterprises["year"]
        if "year" in enterprises
        else pd.Series(pd.NA, index=enterprises.index, dtype="Int64")
    )
    key = pd.DataFrame(
        {
            "eid": eid.to_numpy(),
            "year": pd.to_numeric(year, errors="coerce").astype("float64").to_numpy(),
            "no_code": ~(
                credit_code_valid(code).fillna(False).to_numpy(dtype=bool)
                if valid_code is None
                else valid_code
            ),
            "pos": np.arange(len(enterprises)),
        }
    )[linked]
    key = key.sort_values(["no_code", "pos"], kind="stable")
    dup = key.duplicated(["eid", "year"], keep="first").to_numpy()
    if not dup.any():
        return enterprises
    kept_pos = key.groupby(["eid", "year"], dropna=False, sort=False)["pos"].transform("first")
    later = key.loc[dup]
    first = kept_pos.to_numpy()[dup]
    later_pos = later["pos"].to_numpy()
    if log is not None:
        files = enterprises[SOURCE_FILE].astype(str).to_numpy()
        rows = enterprises[SOURCE_ROW].to_numpy()
        rec = log.input("enterprises")
        reasons = []
        for lp, fp, e, y in zip(later_pos, first, later["eid"], later["year"], strict=True):
            y_txt = "?" if pd.isna(y) else str(int(y))
            msg = (
                f"企业台账第 {rows[lp]} 行（{files[lp]}）与第 {rows[fp]} 行（{files[fp]}）"
                f"匹配为同一企业 {e} 的 {y_txt} 年度数据，只采用第 {rows[fp]} 行"
                f"（有有效信用代码者优先，否则取第一行）/ two rows are the same enterprise "
                f"and year; row {rows[fp]} of {files[fp]} is used"
            )
            reasons.append(msg)
            log.warn(msg, file=files[lp], row=int(rows[lp]), kind="duplicate_enterprise_year")
        rec.reject(files[later_pos].tolist(), rows[later_pos].tolist(), reasons, "enterprise_id")
    drop = np.zeros(len(enterprises), dtype=bool)
    drop[later_pos] = True
    return enterprises[~drop]


def _evaluation_year(
    enterprises: pd.DataFrame,
    as_of: dt.date,
    settings: Any = None,
    log: QualityLog | None = None,
) -> int | None:
    """The ledger year graded and used for the park table (DOMAIN §5.5, §5.7).

    ``[rules.efficiency] year`` when set (not 0); otherwise the latest year
    ≤ the as_of year that has figures for at least ``year_min_coverage`` (50 %)
    as many enterprises as the best-covered such year, so that a few early
    rows of the current year do not replace the full previous year. A warning
    is logged when the chosen year is not the latest one, or covers fewer than
    that share of all the ledger's enterprises.
    """
    if "year" not in enterprises or enterprises["year"].notna().sum() == 0:
        return None
    eff = settings if settings is not None else load_settings({}).efficiency
    fixed = int(getattr(eff, "year", 0) or 0)
    share = float(getattr(eff, "year_min_coverage", 0.5))
    rows = enterprises.dropna(subset=["year"])
    ids = (
        rows["enterprise_id"]
        if "enterprise_id" in rows
        else pd.Series(rows.index, index=rows.index)
    )
    counts = ids.groupby(rows["year"].astype("int64")).nunique()
    everyone = int(ids.nunique())
    warn = log.warn if log is not None else (lambda *a, **k: None)
    if fixed:
        n = int(counts.get(fixed, 0))
        if n == 0:
            warn(
                f"[rules.efficiency] year = {fixed}：企业台账中没有该年度的数据，无法评价 / "
                "no enterprise figures for the configured year",
                kind="evaluation_year",
            )
        elif n < share * everyone:
            warn(
                f"亩均效益评价年度 {fixed} 年（项目文件指定）只有 {n} 家企业的数据"
                f"（台账共 {everyone} 家）/ the configured year covers few enterprises",
                kind="evaluation_year",
            )
        return fixed
    counts = counts[counts.index <= as_of.year]
    if counts.empty:
        return None
    best = int(counts.max())
    eligible = counts[counts >= share * best]
    year, latest = int(eligible.index.max()), int(counts.index.max())
    n = int(counts[year])
    if year != latest:
        skipped = "、".join(f"{y} 年 {int(c)} 家" for y, c in counts[counts.index > year].items())
        warn(
            f"亩均效益评价年度取 {year} 年（{n} 家企业）：更近的年度数据不全（{skipped}，"
            f"不足最多年度 {best} 家的 {share:.0%}）；可用 [rules.efficiency] year 指定 / "
            f"evaluation year {year}: later years cover too few enterprises",
            kind="evaluation_year",
        )
    elif n < share * everyone:
        warn(
            f"亩均效益评价年度 {year} 年只有 {n} 家企业的数据（台账共 {everyone} 家）/ "
            "the evaluation year covers few of the ledger's enterprises",
            kind="evaluation_year",
        )
    return year


def _self_entities(frame: pd.DataFrame, source: str, log: QualityLog) -> pd.DataFrame:
    """Entities for ledger rows that match no known enterprise, keyed by their own code/name.

    A tax-arrears or mortgage row about an enterprise that is neither in the
    enterprise ledger nor a parcel owner still belongs on its list: it is kept
    under its own identity and reported, never dropped.
    """
    unmatched = frame["enterprise_id"].isna()
    if not unmatched.any():
        return pd.DataFrame()
    rows = frame.loc[unmatched]
    code = (
        normalise_credit_code(rows["credit_code"])
        if "credit_code" in rows
        else pd.Series(pd.NA, index=rows.index, dtype="string")
    )
    name = (
        rows["name"].astype("string")
        if "name" in rows
        else pd.Series(pd.NA, index=rows.index, dtype="string")
    )
    name_norm = normalise_name(name)
    valid = credit_code_valid(code).fillna(False).to_numpy(dtype=bool)
    has_name = (name_norm.notna() & (name_norm != "")).to_numpy(dtype=bool)
    # A code that fails the check and no name: the row keeps its own normalised code
    # as identity (flagged code_valid = False) rather than leaving its list unseen.
    code_only = ~valid & ~has_name & code.notna().to_numpy(dtype=bool)
    by_name = ("N:" + name_norm).astype(object)
    ids = pd.Series(
        np.where(valid | code_only, code.astype(object), by_name), index=rows.index
    ).astype("string")
    ids = ids.where(~(ids.isna() | (ids == "N:")), pd.NA)
    frame.loc[unmatched, "enterprise_id"] = ids
    known = ids.notna()
    flagged = pd.Series(code_only, index=rows.index)
    for f, r, bad, c in zip(
        rows.loc[known, SOURCE_FILE],
        rows.loc[known, SOURCE_ROW],
        flagged[known],
        code[known],
        strict=True,
    ):
        if bad:
            msg = (
                f"{source}: 未匹配到企业台账或宗地权利人；信用代码 {c} 校验未通过且无企业名称，"
                "按该代码列入，请核对 / matches no enterprise; kept under its failing credit code"
            )
        else:
            msg = (
                f"{source}: 未匹配到企业台账或宗地权利人,按其自身信用代码/名称列入 / "
                "matches no enterprise or parcel owner; kept under its own code or name"
            )
        log.warn(msg, file=f, row=r, kind="unmatched_enterprise")
    for f, r in zip(rows.loc[~known, SOURCE_FILE], rows.loc[~known, SOURCE_ROW], strict=True):
        log.warn(
            f"{source}: 既无信用代码也无企业名称,无法列入 / no credit code and no name",
            file=f,
            row=r,
            kind="unmatched_enterprise",
        )
    keep_code = valid | code_only
    return pd.DataFrame(
        {
            "enterprise_id": ids[known],
            "credit_code": code[known].where(keep_code[known.to_numpy()]),
            "name": name[known],
            "name_norm": name_norm[known],
            "code_valid": valid[known.to_numpy()],
            "in_ledger": False,
        }
    ).drop_duplicates("enterprise_id")


def _take_prepared(inputs: Inputs, as_of: dt.date, settings: Any) -> Prepared | None:
    """``inputs.prepared`` when made for this ``as_of``, idle settings and parcel rows; used once.

    Parcels filtered or replaced after loading (a new index) get the steps
    worked out again; values edited in place are the caller's to flag
    (``Inputs.prepared = None``).
    """
    prepared, inputs.prepared = inputs.prepared, None
    if prepared is None or prepared.as_of != as_of or prepared.idle_settings != settings.idle:
        return None
    if not prepared.idle.index.equals(inputs.parcels.index):
        return None
    return prepared


def _link_all(
    parcels: pd.DataFrame,
    inputs: Inputs,
    log: QualityLog,
    min_score: float,
    *,
    parcel_keys: RecordKeys | None = None,
) -> pd.DataFrame:
    """Give every parcel and ledger row an ``enterprise_id`` (code, name, fuzzy)."""
    ent = inputs.enterprises
    # Both big frames are normalised once, for the entities and for their links
    # (the enterprise ledger's by the loader's worker, when it still is that frame).
    made, inputs.enterprise_keys = inputs.enterprise_keys, None
    if made is not None and made[0] is ent:
        ent_keys = made[1]
    else:
        ent_keys = RecordKeys(ent, "credit_code", "name")
    if parcel_keys is None:
        parcel_keys = RecordKeys(parcels, "credit_code", "owner_name")
    entities = build_entities(ent, parcels, keys=(ent_keys, parcel_keys))
    index = EntityIndex(entities)
    reports = []
    ids, report = link_parcels(
        parcels, entities, min_score=min_score, index=index, keys=parcel_keys
    )
    parcels["enterprise_id"] = ids
    reports.append(report)
    extra = []
    for name, frame in (
        ("enterprises", ent),
        ("tax_arrears", inputs.tax_arrears),
        ("mortgages", inputs.mortgages),
        ("disposals", inputs.disposals),
    ):
        if len(frame) == 0 or not ({"credit_code", "name"} & set(frame.columns)):
            frame["enterprise_id"] = pd.Series(pd.NA, index=frame.index, dtype="string")
            continue
        ids, report = link_to_entities(
            frame,
            entities,
            min_score=min_score,
            source=name,
            index=index,
            keys=ent_keys if name == "enterprises" else None,
        )
        frame["enterprise_id"] = ids
        reports.append(report)
        if name != "disposals":  # a disposal names a parcel or a known enterprise
            extra.append(_self_entities(frame, name, log))
    if reports:
        log.add_matches(report_records(pd.concat(reports, ignore_index=True)))
    # Rows of one enterprise and year under two identities: keep one, everywhere downstream.
    inputs.enterprises = _one_row_per_year(
        ent, log, valid_code=ent_keys.valid[ent_keys.rows] if len(ent) else None
    )
    entities = entities.drop(columns=["name_variants"], errors="ignore")
    extra = [e for e in extra if len(e)]
    if extra:
        new = pd.concat(extra, ignore_index=True).drop_duplicates("enterprise_id")
        new = new[~isin(new["enterprise_id"], entities["enterprise_id"])]
        entities = pd.concat([entities, new], ignore_index=True)
    return entities


def _link_mortgages(
    parcels: pd.DataFrame, mortgages: pd.DataFrame, log: QualityLog
) -> pd.DataFrame:
    """Give each mortgage a ``parcel_id``: direct, by certificate number, or by owner.

    A mortgage that names neither a parcel nor a certificate covers its
    enterprise's parcels: it becomes one row per parcel with the amount split
    by parcel area (``amount_split`` True), so that the amounts still add up
    to the ledger's. A certificate number that matches no parcel is a row
    warning and the mortgage stays unlinked: it is never spread over the
    owner's parcels. Every mortgage left without a parcel is warned about
    with its file and row.
    """
    m = mortgages.copy()
    na = pd.Series(pd.NA, index=m.index, dtype="string")
    if "parcel_id" not in m:
        m["parcel_id"] = na
    cert = m.get("cert_no", na)
    has_cert = cert.notna()
    given_pid = m["parcel_id"].notna()
    if has_cert.any() and "cert_no" in parcels:
        fill = ~given_pid & has_cert
        # The first parcel holding each certificate number (as drop_duplicates keeps it).
        row = positions(cert[fill], parcels["cert_no"])
        found = parcels["parcel_id"].iloc[np.maximum(row, 0)].where(row >= 0)
        m.loc[fill, "parcel_id"] = found.set_axis(cert[fill].index)
    m["amount_split"] = False
    linked = m["parcel_id"].notna()
    owners = parcels["enterprise_id"] if "enterprise_id" in parcels else pd.Series(dtype="string")
    # Only a mortgage named by its enterprise alone covers that enterprise's parcels.
    by_owner = ~linked & ~has_cert & m["enterprise_id"].notna()
    spread = by_owner & isin(m["enterprise_id"], owners)

    def warn_rows(
        mask: pd.Series, message: str, kind: str, values: pd.Series | None = None
    ) -> None:
        vals = values[mask] if values is not None else [None] * int(mask.sum())
        for f, r, v in zip(m.loc[mask, SOURCE_FILE], m.loc[mask, SOURCE_ROW], vals, strict=True):
            log.warn(message.format(v), file=f, row=r, kind=kind)

    warn_rows(
        ~given_pid & has_cert & ~linked,
        "抵押记录的不动产权证号 {} 未匹配到宗地,未计入任何宗地 / "
        "mortgage certificate number matches no parcel",
        "mortgage_unmatched",
        cert,
    )
    warn_rows(
        given_pid & ~isin(m["parcel_id"], parcels["parcel_id"]),
        "抵押记录的宗地代码 {} 未匹配到宗地 / mortgage parcel id matches no parcel",
        "mortgage_unmatched",
        m["parcel_id"],
    )
    warn_rows(
        ~linked & ~has_cert & ~spread,
        "抵押记录无宗地代码、无不动产权证号,抵押人名下也没有宗地,未匹配到宗地 / "
        "mortgage matches no parcel",
        "mortgage_unmatched",
    )
    warn_rows(
        spread,
        "抵押记录既无宗地代码也无不动产权证号,按抵押人名下全部宗地计,抵押金额按宗地面积分摊 / "
        "mortgage names no parcel or certificate: applied to the owner's parcels, amount split by area",
        "mortgage_by_owner",
    )
    if not spread.any():
        return m
    owned = parcels[["enterprise_id", "parcel_id", "area_mu"]].dropna(
        subset=["enterprise_id", "parcel_id"]
    )
    src = m[spread].drop(columns="parcel_id").assign(_mortgage=np.arange(int(spread.sum())))
    extra = src.merge(owned, on="enterprise_id", how="inner", sort=False)
    area = extra["area_mu"].astype("float64").where(lambda a: a > 0)
    n = extra.groupby("_mortgage")["parcel_id"].transform("size")
    total = area.groupby(extra["_mortgage"]).transform("sum")
    # Shares add up to one per mortgage: parcels without a usable area get none,
    # unless none of the parcels has one (then equal shares).
    share = (area.fillna(0.0) / total).where(total > 0, 1.0 / n)
    if "amount" in extra:
        extra["amount"] = extra["amount"] * share.to_numpy()
    extra["amount_split"] = (n > 1).to_numpy()
    extra = extra.drop(columns=["_mortgage", "area_mu"])
    return pd.concat([m[~spread], extra], ignore_index=True)


def _cleared(parcels: pd.DataFrame, disposals: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Parcels whose disposal is completed on ``as_of`` (DOMAIN §5.9).

    A completed disposal names a parcel, or only its enterprise (credit code
    or name, linked to ``enterprise_id``): the latter clears every parcel of
    that enterprise, as progress counts the enterprise cleared.
    """
    if len(disposals) == 0:
        return pd.Series(False, index=parcels.index)
    status = disposals["status"].astype("string").str.strip().str.lower()
    done = (status.isin(DONE_STATUS) & (disposals["completed_on"] <= pd.Timestamp(as_of))).fillna(
        False
    )
    pid = (
        disposals["parcel_id"]
        if "parcel_id" in disposals
        else pd.Series(pd.NA, index=disposals.index, dtype="string")
    )
    named = pid[done & pid.notna()].astype("string")
    cleared = pd.Series(isin(parcels["parcel_id"].astype("string"), named), index=parcels.index)
    if "enterprise_id" in disposals and "enterprise_id" in parcels:
        whole = done & pid.isna() & disposals["enterprise_id"].notna()
        if whole.any():
            cleared |= isin(parcels["enterprise_id"], disposals.loc[whole, "enterprise_id"])
    return cleared.astype(bool)


def analyse(inputs: Inputs, project: Project, *, progress: bool = False) -> Result:
    """Run every rule on loaded inputs (see :func:`run`)."""
    log = inputs.log
    as_of = project.as_of
    settings = load_settings(project.rules)
    # A shallow copy: columns are added, never changed in place (copy-on-write),
    # and a deep copy would clone a million geometries.
    parcels = inputs.parcels.copy(deep=False)
    parcels = _assign_parks(parcels, inputs.parks, log)
    prepared = _take_prepared(inputs, as_of, settings)

    entities = _link_all(
        parcels,
        inputs,
        log,
        settings.match_min_score,
        parcel_keys=prepared.parcel_keys if prepared is not None else None,
    )
    release()  # matching's many intermediate tables are gone
    ent_all = inputs.enterprises
    ent_latest = _latest_year(ent_all.dropna(subset=["enterprise_id"]), as_of)

    # 5.1 idle land
    if prepared is not None:
        parcels = parcels.join(prepared.idle)
        log.warnings.extend(prepared.idle_warnings)
    else:
        parcels = parcels.join(idle.idle_land(parcels, as_of, settings.idle, log=log))
    # 5.2–5.4 the three lists
    parcels, ent_state, tax, mortgages = list_stage(
        parcels, inputs, ent_latest, settings, as_of, log
    )

    # 5.5 per-mu efficiency and grading
    parcels, enterprises, ent_year, year = enterprise_stage(
        parcels, entities, ent_all, ent_latest, ent_state, tax, settings, as_of, log=log
    )

    # 5.6 building intensity
    parcels = parcels.join(
        intensity.building_intensity(
            parcels, inputs.buildings, settings.intensity, areas=inputs.building_areas
        )
    )

    # §7 raster evidence (optional rasters in the project)
    status = ent_latest.set_index("enterprise_id")["status"] if "status" in ent_latest else None
    parcels["enterprise_status"] = (
        lookup(parcels["enterprise_id"], status) if status is not None else pd.NA
    )
    if project.rasters:
        parcels = parcels.join(raster_evidence(parcels, project.rasters, progress=progress))
    parcels = parcels.join(evidence(parcels, as_of, settings.evidence.as_dict()))

    # cleared, in park, 5.8 recommendation
    parcels["cleared"] = _cleared(parcels, inputs.disposals, as_of)
    parcels["in_park"] = parcels["park"].ne("园区外")
    parcels = parcels.join(actions_rules.recommend(parcels, settings.actions))

    return finish(parcels, enterprises, ent_year, year, mortgages, inputs, project, settings)


def _check_certified_area(result: Result, tolerance: float) -> None:
    """The certified-area mismatch table of the run (warned about when the parcels loaded)."""
    from landclear.validate import certified_area_mismatch

    result.area_mismatch = certified_area_mismatch(result.parcels, tolerance).reset_index(drop=True)


def list_stage(
    parcels: pd.DataFrame,
    inputs: Inputs,
    ent_latest: pd.DataFrame,
    settings: Any,
    as_of: dt.date,
    log: QualityLog,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three lists (DOMAIN §5.2–5.4) and ``lists`` per parcel; shared by every engine.

    Needs ``idle`` on the parcels. Returns the parcels with the list columns,
    the enterprises' stopped state, the tax-arrears table and the linked mortgages.
    """
    # 5.2 long-stopped enterprises (latest status)
    stopped = lists.stopped_enterprises(ent_latest, as_of, settings.lists)
    ent_state = ent_latest[["enterprise_id"]].join(stopped)
    stopped_ids = set(ent_state.loc[ent_state["stopped_2y"], "enterprise_id"])
    parcels["stopped_2y"] = isin(parcels["enterprise_id"], stopped_ids)
    # 5.3 land-use-tax arrears
    tax = lists.tax_arrears(
        inputs.tax_arrears.dropna(subset=["enterprise_id"]), as_of, settings.lists
    )
    tax_ids = set(tax.loc[tax["tax_arrears_2y"], "enterprise_id"])
    parcels["tax_arrears_2y"] = isin(parcels["enterprise_id"], tax_ids)
    # 5.4 mortgaged idle land
    mortgages = _link_mortgages(parcels, inputs.mortgages, log)
    mortgages = mortgages.join(lists.active_mortgages(mortgages, as_of, settings.lists))
    parcels = parcels.join(lists.mortgaged_idle(parcels, mortgages, settings.lists))
    parcels["lists"] = lists.count_lists(parcels)
    return parcels, ent_state, tax, mortgages


def enterprise_stage(
    parcels: pd.DataFrame,
    entities: pd.DataFrame,
    ent_all: pd.DataFrame,
    ent_latest: pd.DataFrame,
    ent_state: pd.DataFrame,
    tax: pd.DataFrame,
    settings: Any,
    as_of: dt.date,
    log: QualityLog | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, int | None]:
    """Enterprise-level steps on the (small) aggregated tables: grading and list flags.

    Shared by every engine: the per-parcel steps may run on partitions, this one
    runs once on the driver. Returns the parcels with enterprise columns added,
    the enterprise table, the evaluated year's ledger rows and that year
    (:func:`_evaluation_year`; its warnings go to ``log``).
    """
    year = _evaluation_year(ent_all, as_of, settings.efficiency, log)
    ent_year = ent_all if year is None else ent_all[ent_all["year"] == year]
    # One row per enterprise (and year, :func:`_one_row_per_year`); stable, ledger order.
    ent_year = ent_year.dropna(subset=["enterprise_id"]).drop_duplicates("enterprise_id")
    parcel_mu = parcels.groupby("enterprise_id")["area_mu"].sum()
    indicators = efficiency.per_mu_indicators(ent_year, parcel_mu)
    graded = efficiency.grade_enterprises(indicators, settings.efficiency)
    evaluated = indicators.join(graded)
    # 高耗低效 screening scope: above-scale manufacturing, and below-scale using ≥ 3 mu.
    evaluated["screening_scope"] = efficiency.screening_scope(evaluated, settings.efficiency)
    eval_cols = ["enterprise_id"] + [c for c in evaluated.columns if c not in ent_year.columns]
    enterprises = left_join_unique(
        entities,
        ent_latest.drop(columns=[c for c in ("credit_code", "name") if c in ent_latest]),
        "enterprise_id",
    )
    enterprises = left_join_unique(enterprises, evaluated[eval_cols], "enterprise_id")
    enterprises = left_join_unique(
        enterprises, ent_state.drop_duplicates("enterprise_id"), "enterprise_id", ("", "_s")
    )
    enterprises = left_join_unique(enterprises, tax, "enterprise_id", ("", "_t"))
    enterprises["stopped_2y"] = enterprises["stopped_2y"].fillna(False).astype(bool)
    if "screening_scope" in enterprises:  # NA for enterprises without the year's figures
        enterprises["screening_scope"] = enterprises["screening_scope"].astype("boolean")
    enterprises["tax_arrears_2y"] = enterprises["tax_arrears_2y"].fillna(False).astype(bool)
    enterprises["evaluation_year"] = year
    # Each parcel's enterprise row, looked up once (enterprise ids are unique here).
    row = positions(parcels["enterprise_id"], enterprises["enterprise_id"])
    found = row >= 0
    at = np.where(found, row, 0)

    def of_enterprise(col: str) -> pd.Series:
        values = enterprises[col].iloc[at].where(found)
        return values.set_axis(parcels.index)

    parcels["grade"] = of_enterprise("grade").fillna("T")
    parcels["score"] = of_enterprise("score")
    # An enterprise has idle land when one of the parcels found at its row is idle.
    idle_rows = parcels["idle"].to_numpy(dtype=bool, na_value=False) & found
    enterprises["any_idle"] = np.bincount(row[idle_rows], minlength=len(enterprises)) > 0
    enterprises["low_efficiency"] = efficiency.low_efficiency(
        enterprises["grade"].fillna("T"), enterprises["stopped_2y"], enterprises["any_idle"]
    )
    parcels["low_efficiency"] = of_enterprise("low_efficiency").fillna(False).astype(bool)
    parcels["above_scale"] = of_enterprise("above_scale").astype("boolean")
    parcels["industry_code"] = of_enterprise("industry_code")

    return parcels, enterprises, ent_year, year


def finish(
    parcels: pd.DataFrame,
    enterprises: pd.DataFrame,
    ent_year: pd.DataFrame,
    year: int | None,
    mortgages: pd.DataFrame,
    inputs: Inputs,
    project: Project,
    settings: Any,
) -> Result:
    """Park indicators, cross-list, progress and scenarios: the last step of every engine."""
    as_of = project.as_of
    log = inputs.log
    # 5.7 park indicators against the as_of year's targets
    parcels["land_use_industrial"] = (
        is_industrial_land_use(parcels["land_use"])
        if "land_use" in parcels
        else pd.Series(True, index=parcels.index)
    )
    targets = {str(y): t for y, t in project.targets.per_mu.items()}
    # Land outside every park is not park land (DOMAIN §5.7): keep it out of the park table.
    # Its land side is the same for the progress table's years: made once.
    land = parks.park_land(parcels[parcels["in_park"]])
    park_table = parks.park_indicators(None, ent_year, targets, as_of.year, land=land)
    cross = lists.cross_list(parcels, enterprises)
    result = Result(
        project=project,
        parcels=gpd.GeoDataFrame(parcels, geometry="geometry", crs=inputs.parcels.crs),
        enterprises=enterprises,
        parks=park_table,
        park_shapes=inputs.parks,
        cross_list=cross,
        tax_arrears=inputs.tax_arrears,
        mortgages=mortgages,
        disposals=inputs.disposals,
        enterprise_years=inputs.enterprises,
        quality=log,
        evaluation_year=year,
    )
    _check_certified_area(result, settings.area_tolerance)
    attach_progress(result, land=land)  # progress.json/png and the progress sheets (DOMAIN §8)
    if project.rasters:  # the evidence rasters as switchable image layers on the maps
        result.extras["raster_overlays"] = raster_overlays(project.rasters, project.language)
    from landclear.io.geoparquet import geoparquet_writer

    writers = result.extras.setdefault("writers", [])
    if geoparquet_writer not in writers:
        writers.append(geoparquet_writer)  # writes only when [output] geoparquet = true
    if project.scenarios:
        from landclear.scenario import scenario_layers, scenario_sheets, scenario_tables

        result.extras.setdefault("sheets", []).extend(scenario_sheets(result))
        result.extras["map_layers"] = scenario_layers(result)
        result.extras["scenario_tables"] = scenario_tables(result)
    # Every name and code is linked by now: a long Jupyter session keeps no memo.
    clear_memo()
    return result


RASTER_TITLES = {
    "built_up": ("遥感建成覆盖率", "Built-up cover (imagery)"),
    "ndvi": ("植被指数 NDVI", "NDVI"),
    "night_lights": ("夜间灯光", "Night lights"),
}


def raster_overlays(rasters: dict[str, Any], language: str = "zh") -> list[tuple[str, bytes, Any]]:
    """``(title, PNG bytes, bounds)`` per evidence raster, reprojected for web maps.

    ``rasters`` as ``Project.rasters``: ``name → path`` or ``name → {path,
    band, scale, nodata}``; the overlay draws that band, ``nodata`` transparent.
    """
    from landclear.raster import raster_overlay_png, raster_spec

    k = 0 if language == "zh" else 1
    out = []
    for name, entry in rasters.items():
        spec = raster_spec(name, entry)
        cmap = {"built_up": "YlOrRd", "ndvi": "Greens", "night_lights": "magma"}.get(
            name, "viridis"
        )
        png, bounds = raster_overlay_png(
            spec["path"], band=spec["band"], nodata=spec["nodata"], cmap=cmap, max_size=1024
        )
        out.append((RASTER_TITLES.get(name, (name, name))[k], png, bounds))
    return out
