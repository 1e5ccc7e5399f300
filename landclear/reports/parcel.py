"""What goes into one parcel file (一地一档): selection and rendering contexts.

Everything here runs once, vectorised, in the main process: the selection of
parcels (safe selector strings, never ``eval``), one small plain-Python
context dict per parcel (formatted text only, JSON-able, so that it can be
hashed for resumable batches and pickled cheaply to workers), and the
geometries of each locator map, clipped to the map's view, in metres.

Example
-------
>>> import pandas as pd
>>> df = pd.DataFrame({"lists": [0, 2], "grade": ["A", "D"], "idle": [False, True]})
>>> select_mask(df, ["lists>=1", "grade=D"]).tolist()
[False, True]
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landclear.errors import ProjectError
from landclear.labels import LIST_NAMES, VALUE_LABELS, label

RADIUS_M = 500.0

UI: dict[str, dict[str, str]] = {
    "zh": {
        "title": "一地一档",
        "subtitle": "闲置低效工业用地宗地档案",
        "as_of": "基准日",
        "city": "城市",
        "map": "区位图",
        "figures": "宗地指标",
        "item": "项目",
        "value": "数值",
        "note": "说明",
        "geometry_area": "图形面积(亩)",
        "area_diff": "图形与证载差异",
        "invest_ratio": "投资完成率",
        "develop_ratio": "开发率",
        "per_mu": "亩均效益(企业)与园区目标",
        "indicator": "指标",
        "enterprise_value": "企业",
        "park_value": "园区",
        "target": "目标",
        "met": "企业达标",
        "grading": "等级与强度",
        "lists": "清单与认定依据",
        "list": "清单",
        "on": "是否在列",
        "reason": "依据",
        "idle": "闲置认定、闲置费与收回",
        "action": "处置建议",
        "rule": "触发规则",
        "quality": "数据质量提示",
        "no_quality": "无",
        "evidence": "遥感核查",
        "generated": "生成",
        "enterprise": "企业",
        "yes": "是",
        "no": "否",
        "index_title": "一地一档索引",
        "files": "文件",
        "count": "宗地数",
        "idle_finding": "闲置土地认定",
    },
    "en": {
        "title": "Parcel file",
        "subtitle": "Idle and low-efficiency industrial land",
        "as_of": "As of",
        "city": "City",
        "map": "Location",
        "figures": "Figures",
        "item": "Item",
        "value": "Value",
        "note": "Note",
        "geometry_area": "Geometry area (mu)",
        "area_diff": "Geometry vs certified",
        "invest_ratio": "Investment completed",
        "develop_ratio": "Developed share",
        "per_mu": "Per-mu indicators vs park targets",
        "indicator": "Indicator",
        "enterprise_value": "Enterprise",
        "park_value": "Park",
        "target": "Target",
        "met": "Enterprise meets",
        "grading": "Grade and intensity",
        "lists": "Lists and findings",
        "list": "List",
        "on": "On list",
        "reason": "Finding",
        "idle": "Idle land, fee and recovery",
        "action": "Recommendation",
        "rule": "Rule",
        "quality": "Data-quality notes",
        "no_quality": "None",
        "evidence": "Remote sensing",
        "generated": "Generated",
        "enterprise": "Enterprise",
        "yes": "yes",
        "no": "no",
        "index_title": "Parcel files",
        "files": "Files",
        "count": "Parcels",
        "idle_finding": "Idle land finding",
    },
}

IDLE_TYPE = {
    "A": ("未按期动工", "not started in time"),
    "B": ("开发不足且停工满一年", "under-developed, suspended ≥ 1 year"),
}
IDLE_CAUSE = {
    "government": ("政府原因", "government-caused"),
    "enterprise": ("企业原因", "enterprise-caused"),
}
PER_MU = (("investment", "investment_per_mu"), ("output", "output_per_mu"), ("tax", "tax_per_mu"))


class SelectorError(ProjectError):
    """A ``--where`` selector that cannot be understood."""


# --------------------------------------------------------------------------- selection

_SELECTOR = re.compile(
    r"^\s*(?P<neg>!|not\s+)?\s*(?P<field>[A-Za-z_][A-Za-z0-9_]*)\s*"
    r"(?:(?P<op>>=|<=|!=|==|=|>|<)\s*(?P<value>.*?))?\s*$"
)
_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}


def _as_bool(text: str, selector: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise SelectorError(f"筛选条件 {selector!r}: {text!r} 不是真假值 / not a boolean")


def _truthy(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s) or isinstance(s.dtype, pd.BooleanDtype):
        return s.fillna(False).astype(bool)
    if pd.api.types.is_numeric_dtype(s):
        return s.fillna(0).ne(0)
    return s.notna() & s.astype("string").str.strip().ne("").fillna(False)


def parse_selector(frame: pd.DataFrame, selector: str) -> pd.Series:
    """Boolean mask of one selector string over ``frame``'s columns.

    Grammar: ``[!|not ] field [op value]`` with ``op`` one of ``>= <= > < = == !=``;
    ``=``/``!=`` take comma-separated alternatives (``grade=C,D``). A bare
    field is true where its value is true, non-zero or non-empty. Missing
    values never satisfy a comparison. Terms joined by ``|`` are alternatives
    (OR): ``lists>=1|idle|grade=D``.

    Raises
    ------
    SelectorError
        Unknown field (with the nearest valid name), bad operator or value.

    Example
    -------
    >>> df = pd.DataFrame({"grade": ["A", "C", "D"], "score": [90.0, 50.0, 10.0]})
    >>> parse_selector(df, "grade=C,D").tolist(), parse_selector(df, "score<60").tolist()
    ([False, True, True], [False, True, True])
    >>> parse_selector(df, "grade=A|score<20").tolist()
    [True, False, True]
    """
    if selector and "|" in selector:
        terms = selector.split("|")
        if any(not t.strip() for t in terms):
            raise SelectorError(f"筛选条件 {selector!r}: '|' 两侧缺少条件 / empty alternative")
        mask = pd.Series(False, index=frame.index)
        for term in terms:
            mask |= _parse_term(frame, term)
        return mask
    return _parse_term(frame, selector)


def _parse_term(frame: pd.DataFrame, selector: str) -> pd.Series:
    """Mask of one selector term (no ``|``); see :func:`parse_selector`."""
    import difflib

    m = _SELECTOR.match(selector or "")
    if not m:
        raise SelectorError(
            f"无法解析筛选条件 / cannot parse selector {selector!r} "
            "(e.g. lists>=1, idle, grade=D, !cleared)"
        )
    field, op, value = m["field"], m["op"], m["value"]
    if field not in frame.columns:
        close = difflib.get_close_matches(field, [str(c) for c in frame.columns], n=1)
        hint = f"; did you mean {close[0]!r}? / 是否应为 {close[0]!r}?" if close else ""
        raise SelectorError(f"筛选条件 {selector!r}: 没有字段 / unknown field {field!r}{hint}")
    s = frame[field]
    if op is None:
        mask = _truthy(s)
    else:
        if value == "":
            raise SelectorError(f"筛选条件 {selector!r} 缺少比较值 / missing value")
        is_bool = pd.api.types.is_bool_dtype(s) or isinstance(s.dtype, pd.BooleanDtype)
        is_num = pd.api.types.is_numeric_dtype(s) and not is_bool
        if op in ("=", "==", "!="):
            alts = [v.strip() for v in value.split(",")]
            if is_bool:
                hit = s.isin([_as_bool(v, selector) for v in alts])
            elif is_num:
                try:
                    hit = s.isin([float(v) for v in alts])
                except ValueError:
                    raise SelectorError(f"筛选条件 {selector!r}: 应为数值 / not a number") from None
            else:
                hit = s.astype("string").str.strip().isin(alts)
            hit = hit.fillna(False).astype(bool)
            mask = ~hit & s.notna() if op == "!=" else hit
        else:
            if is_num:
                try:
                    ref: Any = float(value)
                except ValueError:
                    raise SelectorError(f"筛选条件 {selector!r}: 应为数值 / not a number") from None
                left = s.astype("float64")
            elif pd.api.types.is_datetime64_any_dtype(s):
                try:
                    ref = pd.Timestamp(value)
                except ValueError:
                    raise SelectorError(f"筛选条件 {selector!r}: 应为日期 / not a date") from None
                left = s
            else:
                raise SelectorError(
                    f"筛选条件 {selector!r}: 字段 {field!r} 不是数值 / "
                    f"{op} needs a numeric or date field"
                )
            cmp = {">=": left.ge, "<=": left.le, ">": left.gt, "<": left.lt}[op](ref)
            mask = cmp.fillna(False).astype(bool)
    mask = pd.Series(np.asarray(mask, dtype=bool), index=frame.index)
    return ~mask if m["neg"] else mask


def select_mask(
    parcels: pd.DataFrame,
    where: str | Sequence[str] | None = None,
    park: str | Sequence[str] | None = None,
) -> pd.Series:
    """Parcels matching every selector (AND) and, when given, one of the parks.

    Raises
    ------
    SelectorError
        Bad selector, or a park that no parcel belongs to (naming the valid ones).

    Example
    -------
    >>> df = pd.DataFrame({"park": ["甲", "乙"], "idle": [True, True]})
    >>> select_mask(df, "idle", park="乙").tolist()
    [False, True]
    """
    mask = pd.Series(True, index=parcels.index)
    selectors = [where] if isinstance(where, str) else list(where or [])
    for sel in selectors:
        mask &= parse_selector(parcels, sel)
    if park:
        parks = [park] if isinstance(park, str) else list(park)
        have = parcels["park"].astype("string").str.strip()
        unknown = sorted(set(parks) - set(have.dropna()))
        if unknown:
            raise SelectorError(
                f"没有这些园区 / unknown park(s) {unknown}; 可选 / valid: "
                f"{sorted(have.dropna().unique())}"
            )
        mask &= have.isin(parks).fillna(False).astype(bool)
    return mask


# --------------------------------------------------------------------------- formatting


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return df[name]
    return pd.Series(pd.NA, index=df.index, dtype="object")


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("float64")


def fmt_num(s: pd.Series, digits: int = 2, suffix: str = "") -> pd.Series:
    """Numbers as text with thousands separators; missing → "—"."""
    v = _num(s)
    return v.map(
        lambda x: "—" if not math.isfinite(x) else f"{x:,.{digits}f}{suffix}", na_action=None
    ).astype(object)


def fmt_pct(s: pd.Series, digits: int = 1) -> pd.Series:
    return fmt_num(_num(s) * 100, digits, " %")


def fmt_date(s: pd.Series) -> pd.Series:
    d = pd.to_datetime(s, errors="coerce")
    return d.dt.strftime("%Y-%m-%d").astype(object).where(d.notna(), "—")


def fmt_text(s: pd.Series) -> pd.Series:
    t = s.astype("string").str.strip()
    return t.fillna("").astype(object)


def fmt_bool(s: pd.Series, language: str) -> pd.Series:
    yes, no = ("是", "否") if language == "zh" else ("yes", "no")
    b = s.astype("boolean")
    return b.map({True: yes, False: no}).astype(object).where(b.notna(), "—")


# --------------------------------------------------------------------------- contexts


def _match_note(m: dict[str, Any], z: int) -> str:
    """One match-report record as a note: who was linked to whom, how, and how sure.

    Example
    -------
    >>> _match_note({"method": "fuzzy", "record_name": "甲公司", "entity_name": "甲有限公司",
    ...              "score": 91.2, "note": ""}, 0)
    '企业匹配待确认：甲公司 → 甲有限公司（模糊匹配(请核对)，相似度 91）'
    """
    method = str(m.get("method"))
    # The method's words are those of the workbook's 匹配核对 sheet (labels.VALUE_LABELS).
    how = VALUE_LABELS["method"].get(method, (method, method))[z]
    name = m.get("record_name") or m.get("record_code") or "—"
    target = m.get("entity_name") or m.get("enterprise_id")
    score = m.get("score")
    text = ("企业匹配待确认：" if z == 0 else "Match to confirm: ") + str(name)
    if target and method != "none":
        text += f" → {target}"
    details = [how]
    if isinstance(score, (int, float)) and math.isfinite(score) and method != "none":
        details.append(f"{'相似度' if z == 0 else 'score'} {score:.0f}")
    if m.get("note"):
        details.append(str(m["note"]))
    if z == 0:
        return f"{text}（{'，'.join(details)}）"
    return f"{text} ({', '.join(details)})"


def _quality_index(
    result: Any, parcels: pd.DataFrame, language: str = "zh"
) -> dict[str, list[str]]:
    """Notes per parcel id: everything the quality log says about this parcel.

    * repairs and warnings on the parcel's source row (as
      ``result.quality.issues_for("parcels", file, row)``);
    * warnings naming the parcel (``parcel_id``/``parcel_ids`` or the message);
    * the match report's entry for the parcel's row: an owner linked by name,
      branch or similarity, or not linked at all, is for a person to confirm;
    * a rejected duplicate of the parcel (a row with the same parcel id whose
      contents differ, possibly in another file): its rejection record names
      the row that was kept (``kept_file``, ``kept_row``).

    Built in one pass over the log instead of one scan per parcel.
    """
    z = 0 if language == "zh" else 1
    log = result.quality
    by_row: dict[tuple[str, int], list[str]] = {}

    def add(key: tuple[str, int], note: str) -> None:
        notes = by_row.setdefault(key, [])
        if note not in notes:
            notes.append(note)

    rec = log.inputs.get("parcels")
    if rec is not None:
        for r in rec.repairs:
            with contextlib.suppress(KeyError, TypeError, ValueError):
                add((str(r["file"]), int(r["row"])), str(r["repair"]))
        for r in rec.rejected:
            # A conflicting duplicate (rejected on the parcel id) names the row kept instead.
            if r.get("column") != "parcel_id" or r.get("kept_row") is None:
                continue
            kept_file = str(r.get("kept_file"))
            where = f"第{r.get('row')}行" if z == 0 else f"row {r.get('row')}"
            if str(r.get("file")) != kept_file:
                where = f"{r.get('file')} {where}"
            prefix = (
                f"同一宗地代码的{where}内容不一致,已剔除: "
                if z == 0
                else f"{where} with this parcel id differs and was rejected: "
            )
            with contextlib.suppress(TypeError, ValueError):
                add((kept_file, int(r["kept_row"])), prefix + str(r.get("reason", "")))
    for m in getattr(log, "matches", []) or []:
        if m.get("source") == "parcels" and m.get("source_file") is not None:
            with contextlib.suppress(TypeError, ValueError):
                add((str(m["source_file"]), int(m["source_row"])), _match_note(m, z))
    by_id: dict[str, list[str]] = {}
    ids = set(parcels["parcel_id"].astype(str))
    for w in log.warnings:
        msg = str(w.get("message", ""))
        if w.get("file") is not None and w.get("row") is not None:
            with contextlib.suppress(TypeError, ValueError):  # a row that is not a number
                add((str(w["file"]), int(w["row"])), msg)
        text = " ".join(str(w.get(k, "")) for k in ("parcel_id", "parcel_ids")) + " " + msg
        named = ids.intersection(re.split(r"[\s,，;；、:：()（）\[\]{}'\"<>/|=]+", text))
        for pid in named:
            if msg not in by_id.setdefault(pid, []):
                by_id[pid].append(msg)
    files = _col(parcels, "source_file").astype("string").fillna("").astype(str)
    rows = _num(_col(parcels, "source_row"))
    out: dict[str, list[str]] = {}
    for pid, f, r in zip(parcels["parcel_id"].astype(str), files, rows, strict=True):
        notes = list(by_row.get((f, int(r)), [])) if math.isfinite(r) else []
        notes += [m for m in by_id.get(pid, []) if m not in notes]
        out[pid] = notes
    return out


def _enterprise_frame(result: Any, parcels: pd.DataFrame) -> pd.DataFrame:
    """Enterprise columns aligned to ``parcels`` (via enterprise_id)."""
    want = [
        "name",
        "credit_code",
        "status",
        "stopped_since",
        "stopped_reason",
        "tax_reason",
        "land_tax_amount",
        "investment_per_mu",
        "output_per_mu",
        "tax_per_mu",
        "land_mu",
        "grade_reason",
        "score",
        "grade",
    ]
    ent = getattr(result, "enterprises", None)
    if (
        ent is None
        or "enterprise_id" not in getattr(ent, "columns", [])
        or "enterprise_id" not in parcels
    ):
        return pd.DataFrame(index=parcels.index, columns=want)
    e = ent.drop_duplicates("enterprise_id").set_index("enterprise_id")
    keys = parcels["enterprise_id"]
    return pd.DataFrame(
        {c: keys.map(e[c]).to_numpy() if c in e else pd.NA for c in want}, index=parcels.index
    )


def _park_frame(result: Any, parcels: pd.DataFrame) -> pd.DataFrame:
    """Park indicators and the as_of year's targets aligned to ``parcels``."""
    parks = getattr(result, "parks", None)
    cols = {}
    targets = result.project.targets.per_mu_for(result.project.as_of.year) or {}
    have = parks is not None and "park" in getattr(parks, "columns", [])
    p = parks.drop_duplicates("park").set_index("park") if have else pd.DataFrame()
    for key, ind in PER_MU:
        cols[f"park_{ind}"] = parcels["park"].map(p[ind]) if ind in p else pd.NA
        # The park table names targets target_<key> (rules.parks); accept <key>_target too.
        tcol = next((c for c in (f"target_{key}", f"{key}_target") if c in p), None)
        park_target = (
            parcels["park"].map(p[tcol]) if tcol else pd.Series(np.nan, index=parcels.index)
        )
        cols[f"{key}_target"] = _num(park_target).fillna(targets.get(key, np.nan))
    return pd.DataFrame(cols, index=parcels.index)


def raster_columns(result: Any, parcels: pd.DataFrame) -> list[str]:
    """The per-parcel raster value columns present (DOMAIN §7): configured rasters first."""
    from landclear.raster import EVIDENCE_COLUMNS

    names = list(getattr(result.project, "rasters", None) or {})
    cols = [EVIDENCE_COLUMNS.get(n, f"{n}_mean") for n in names]
    cols += [c for c in EVIDENCE_COLUMNS.values() if c not in cols]
    return [c for c in cols if c in parcels.columns]


def evidence_text(result: Any, parcels: pd.DataFrame, language: str = "zh") -> pd.Series:
    """The remote-sensing line of each parcel: flags, their reason, then the raster values.

    ``None`` for every parcel when the run has no raster values (the section is
    then left out); "无异常" (no flag) before the values when no check fired.

    Example
    -------
    >>> evidence_text(result, result.parcels.head(1)).iloc[0]  # doctest: +SKIP
    '无异常；建成覆盖率 77.9 %'
    """
    cols = raster_columns(result, parcels)
    if not cols:
        return pd.Series([None] * len(parcels), index=parcels.index, dtype=object)
    flags = fmt_text(_col(parcels, "evidence_flags"))
    reason = fmt_text(_col(parcels, "evidence_reason"))
    none = "无异常" if language == "zh" else "no flag"
    lead = flags.where(flags != "", reason.where(reason != "", none))
    with_reason = (flags != "") & (reason != "") & (reason != flags)
    lead = lead.where(~with_reason, flags + "（" + reason + "）")
    parts = [lead]
    for col in cols:
        value = fmt_pct(parcels[col]) if col.endswith("_frac") else fmt_num(parcels[col])
        shown = _num(parcels[col]).notna()
        parts.append(("；" + label(col, language) + " " + value).where(shown, ""))
    text = parts[0].astype(str)
    for part in parts[1:]:
        text = text + part.astype(str)
    return text.astype(object)


def build_contexts(result: Any, parcels: pd.DataFrame) -> list[dict[str, Any]]:
    """One rendering context per parcel row of ``parcels`` (a subset of result.parcels).

    Parameters
    ----------
    result : landclear.result.Result
        Needs ``project`` (as_of, city, language, targets), ``enterprises``,
        ``parks``, ``quality``.
    parcels : DataFrame
        The selected rows of ``result.parcels``.

    Returns
    -------
    list of dict
        Plain text/number values only (JSON-able): header, figures, per-mu
        rows, lists with reasons, idle, action, quality notes, evidence.

    Example
    -------
    >>> ctx = build_contexts(result, result.parcels.head(1))[0]  # doctest: +SKIP
    >>> ctx["header"]["parcel_id"]  # doctest: +SKIP
    """
    lang = "en" if result.project.language == "en" else "zh"
    z = 0 if lang == "zh" else 1
    p = parcels
    ent = _enterprise_frame(result, p)
    park = _park_frame(result, p)
    notes = _quality_index(result, p, lang)

    name = fmt_text(ent["name"])
    owner = fmt_text(_col(p, "owner_name"))
    enterprise = name.where(name != "", owner)
    credit = fmt_text(_col(p, "credit_code"))
    credit = credit.where(credit != "", fmt_text(ent["credit_code"]))

    geo_mu, cert_mu = _num(_col(p, "area_mu")), _num(_col(p, "certified_area"))
    planned, invested = _num(_col(p, "planned_investment")), _num(_col(p, "invested"))
    developed = _num(_col(p, "developed_area"))
    invest_ratio = (invested / planned).where(planned > 0)
    develop_ratio = (developed / cert_mu).where(cert_mu > 0)
    area_diff = ((geo_mu - cert_mu) / cert_mu).where(cert_mu > 0)

    def lab(n: str) -> str:
        return label(n, lang)

    f = {  # formatted columns, each a Series of text
        "geo_mu": fmt_num(geo_mu),
        "cert_mu": fmt_num(cert_mu),
        "area_diff": fmt_pct(area_diff, 2),
        "grant_date": fmt_date(_col(p, "grant_date")),
        "agreed_start": fmt_date(_col(p, "agreed_start")),
        "agreed_completion": fmt_date(_col(p, "agreed_completion")),
        "actual_start": fmt_date(_col(p, "actual_start")),
        "suspended_since": fmt_date(_col(p, "suspended_since")),
        "planned": fmt_num(planned),
        "invested": fmt_num(invested),
        "invest_ratio": fmt_pct(invest_ratio),
        "developed": fmt_num(developed),
        "develop_ratio": fmt_pct(develop_ratio),
        "land_price": fmt_num(_col(p, "land_price")),
        "land_use": fmt_text(_col(p, "land_use")),
        "grade": fmt_text(_col(p, "grade")),
        "score": fmt_num(_col(p, "score"), 1),
        "low_eff": fmt_bool(_col(p, "low_efficiency"), lang),
        "coverage": fmt_pct(_col(p, "building_coverage")),
        "plot_ratio": fmt_num(_col(p, "plot_ratio")),
        "intensity_ok": fmt_bool(_col(p, "intensity_ok"), lang),
        "intensity_reason": fmt_text(_col(p, "intensity_reason")),
        "grade_reason": fmt_text(ent["grade_reason"]),
        "idle": fmt_bool(_col(p, "idle"), lang),
        "idle_type": fmt_text(_col(p, "idle_type")).map(
            lambda v: IDLE_TYPE[v][z] if v in IDLE_TYPE else v
        ),
        "idle_cause": fmt_text(_col(p, "idle_cause")).map(
            lambda v: IDLE_CAUSE[v][z] if v in IDLE_CAUSE else v
        ),
        "idle_years": fmt_num(_col(p, "idle_years"), 0),
        "idle_fee": fmt_num(_col(p, "idle_fee")),
        "recoverable": fmt_bool(_col(p, "recoverable"), lang),
        "idle_reason": fmt_text(_col(p, "idle_reason")),
        "delay_cause": fmt_text(_col(p, "delay_cause")),
        "action": fmt_text(_col(p, "action")),
        "action_rule": fmt_text(_col(p, "action_rule")),
        "action_reason": fmt_text(_col(p, "action_reason")),
        "priority": fmt_num(_col(p, "priority"), 0),
        "tax_on": _truthy(_col(p, "tax_arrears_2y")),
        "tax_reason": fmt_text(ent["tax_reason"]),
        "mort_on": _truthy(_col(p, "mortgaged_idle")),
        "mort_reason": fmt_text(_col(p, "mortgage_reason")),
        "stop_on": _truthy(_col(p, "stopped_2y")),
        "stop_reason": fmt_text(ent["stopped_reason"]),
        "lists": fmt_num(_col(p, "lists"), 0),
        "park": fmt_text(_col(p, "park")),
        "county": fmt_text(_col(p, "county")),
        "evidence": evidence_text(result, p, lang),
    }
    per_mu = {}
    for key, ind in PER_MU:
        ev, pv, tv = _num(ent[ind]), _num(park[f"park_{ind}"]), _num(park[f"{key}_target"])
        per_mu[key] = (
            fmt_num(ev),
            fmt_num(pv),
            fmt_num(tv),
            fmt_bool((ev >= tv).astype("boolean").where(ev.notna() & tv.notna()), lang),
        )
    header_const = {"as_of": result.project.as_of.isoformat(), "city": result.project.city}
    list_names = {k: v[z] for k, v in LIST_NAMES.items()}
    yes, no = UI[lang]["yes"], UI[lang]["no"]

    contexts: list[dict[str, Any]] = []
    cols = {k: v.tolist() for k, v in f.items()}
    pmu = {k: [c.tolist() for c in v] for k, v in per_mu.items()}
    pids = p["parcel_id"].astype(str).tolist()
    for i, pid in enumerate(pids):
        c = {k: v[i] for k, v in cols.items()}
        ui = UI[lang]
        # Label/value pairs, laid out two per row; notes go into the value so
        # that the page stays one A4 sheet for the common case.
        figures = [
            [ui["geometry_area"], c["geo_mu"]],
            [
                lab("certified_area"),
                f"{c['cert_mu']}（{ui['area_diff']} {c['area_diff']}）"
                if c["area_diff"] != "—"
                else c["cert_mu"],
            ],
            [lab("grant_date"), c["grant_date"]],
            [lab("agreed_start"), c["agreed_start"]],
            [lab("actual_start"), c["actual_start"]],
            [lab("suspended_since"), c["suspended_since"]],
            [lab("agreed_completion"), c["agreed_completion"]],
            [lab("land_use"), c["land_use"] or "—"],
            [lab("planned_investment"), c["planned"]],
            [
                lab("invested"),
                f"{c['invested']}（{ui['invest_ratio']} {c['invest_ratio']}）"
                if c["invest_ratio"] != "—"
                else c["invested"],
            ],
            [
                lab("developed_area"),
                f"{c['developed']}（{ui['develop_ratio']} {c['develop_ratio']}）"
                if c["develop_ratio"] != "—"
                else c["developed"],
            ],
            [lab("land_price"), c["land_price"]],
        ]
        grading = {
            "items": [
                [lab("grade"), c["grade"] or "—"],
                [lab("score"), c["score"]],
                [lab("low_efficiency"), c["low_eff"]],
                [lab("intensity_ok"), c["intensity_ok"]],
                [lab("building_coverage"), c["coverage"]],
                [lab("plot_ratio"), c["plot_ratio"]],
            ],
            "notes": [t for t in (c["grade_reason"], c["intensity_reason"]) if t],
        }
        lists = [
            [list_names["tax"], yes if c["tax_on"] else no, c["tax_reason"] if c["tax_on"] else ""],
            [
                list_names["mortgage"],
                yes if c["mort_on"] else no,
                c["mort_reason"] if c["mort_on"] else "",
            ],
            [
                list_names["stopped"],
                yes if c["stop_on"] else no,
                c["stop_reason"] if c["stop_on"] else "",
            ],
        ]
        idle = {
            "items": [
                [lab("idle"), c["idle"]],
                [lab("idle_type"), c["idle_type"] or "—"],
                [lab("idle_cause"), c["idle_cause"] or "—"],
                [lab("idle_years"), c["idle_years"]],
                [lab("idle_fee"), c["idle_fee"]],
                [lab("recoverable"), c["recoverable"]],
            ],
            "reason": c["idle_reason"],
            "delay_cause": c["delay_cause"],
        }
        per_mu_rows = [[lab(ind), *(col[i] for col in pmu[key])] for key, ind in PER_MU]
        contexts.append(
            {
                "language": lang,
                "ui": UI[lang],
                "header": {
                    "parcel_id": pid,
                    "enterprise": enterprise.iat[i],
                    "credit_code": credit.iat[i],
                    "park": c["park"],
                    "county": c["county"],
                    **header_const,
                },
                "figures": figures,
                "per_mu": per_mu_rows,
                "grading": grading,
                "lists": lists,
                "lists_count": c["lists"],
                "idle": idle,
                "action": {
                    "action": c["action"] or "—",
                    "rule": c["action_rule"] or "—",
                    "reason": c["action_reason"],
                    "priority": c["priority"],
                },
                "quality": notes.get(pid, []),
                "evidence": c["evidence"],
            }
        )
    return contexts


# --------------------------------------------------------------------------- locator geometry


def map_geometries(
    result: Any, parcels: pd.DataFrame, radius_m: float = RADIUS_M
) -> list[tuple[gpd.GeoDataFrame, gpd.GeoSeries]]:
    """Per selected parcel: its neighbourhood slice and the visible part of its park.

    The slice is a small GeoDataFrame (``parcel_id``, geometry; the parcel
    first) of every parcel meeting the map's view (≥ ``radius_m`` around the
    parcel); the park outlines are clipped to that view, so that a worker
    receives a few kB, not the city. One spatial-index query serves all parcels.

    Example
    -------
    >>> slices = map_geometries(result, result.parcels.head(2))  # doctest: +SKIP
    >>> slices[0][0].iloc[0]["parcel_id"] == result.parcels.iloc[0]["parcel_id"]  # doctest: +SKIP
    True
    """
    from landclear.geo import local_metric_crs

    allp: gpd.GeoDataFrame = result.parcels
    crs = local_metric_crs(allp)
    metric = np.asarray(allp.geometry.to_crs(crs).array)
    lonlat = np.asarray(allp.geometry.array)
    ids = allp["parcel_id"].astype(str).to_numpy()
    pos = allp.index.get_indexer(parcels.index)
    b = shapely.bounds(metric[pos])
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    # A little wider than the drawn view so that clipped parks still reach its edges.
    half = 1.05 * np.maximum(radius_m, 0.6 * np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]))
    views = shapely.box(cx - half, cy - half, cx + half, cy + half)
    qi, ti = shapely.STRtree(metric).query(views, predicate="intersects")
    keep = pos[qi] != ti
    order = np.argsort(qi[keep], kind="stable")
    qn, tn = qi[keep][order], ti[keep][order]
    starts = np.searchsorted(qn, np.arange(len(pos) + 1))

    park_parts: list[list[shapely.Geometry]] = [[] for _ in range(len(pos))]
    shapes = getattr(result, "park_shapes", None)
    if shapes is not None and len(shapes):
        pm = np.asarray(shapes.geometry.to_crs(crs).array)
        q2, t2 = shapely.STRtree(pm).query(views, predicate="intersects")
        clipped = gpd.GeoSeries(shapely.intersection(pm[t2], views[q2]), crs=crs).to_crs(allp.crs)
        for q, g in zip(q2, clipped.array, strict=True):
            if g is not None and not g.is_empty:
                park_parts[q].append(g)

    out = []
    for i, p_i in enumerate(pos):
        rows = np.concatenate([[p_i], tn[starts[i] : starts[i + 1]]])
        hood = gpd.GeoDataFrame({"parcel_id": ids[rows]}, geometry=lonlat[rows], crs=allp.crs)
        out.append((hood, gpd.GeoSeries(park_parts[i], crs=allp.crs)))
    return out


def geometry_digest(items: Iterable[shapely.Geometry]) -> bytes:
    """Stable bytes of lon/lat geometries rounded to 1e-7° (~1 cm), for the manifest hash."""
    geoms = [g for g in items if g is not None]
    if not geoms:
        return b""
    arr = shapely.set_precision(np.asarray(geoms, dtype=object), 1e-7)
    return b"".join(shapely.to_wkb(arr))
