"""The result of a run: GeoDataFrames, the lists, quality — and how to write them."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from landclear.labels import LIST_NAMES, label, labels, sheet_labels, translate_values
from landclear.project import Project
from landclear.quality import QualityLog
from landclear.schema import FIELDS, PARCEL_OUTPUTS, SOURCE_FILE, SOURCE_ROW

PARCEL_EXTRA = (
    "idle_reason",
    "idle_evaluable",
    "stopped_years",
    "mortgage_amount",
    "mortgagees",
    "mortgage_reason",
    "enterprise_id",
    "industry_code",
    "above_scale",
    "in_park",
)


@dataclass
class Result:
    """Everything a run produced.

    Attributes
    ----------
    parcels : GeoDataFrame
        One row per parcel, EPSG:4490, input fields under canonical names plus
        the rule outputs (DOMAIN §8).
    enterprises : DataFrame
        One row per enterprise: per-mu indicators, score, grade, list flags.
    parks : DataFrame
        Park indicators against the ``as_of`` year's targets.
    cross_list : DataFrame
        Enterprises on at least one of the three lists.
    quality : QualityLog
        What happened to every input row.
    """

    project: Project
    parcels: gpd.GeoDataFrame
    enterprises: pd.DataFrame
    parks: pd.DataFrame
    cross_list: pd.DataFrame
    quality: QualityLog
    park_shapes: gpd.GeoDataFrame | None = None
    tax_arrears: pd.DataFrame = field(default_factory=pd.DataFrame)
    mortgages: pd.DataFrame = field(default_factory=pd.DataFrame)
    disposals: pd.DataFrame = field(default_factory=pd.DataFrame)
    enterprise_years: pd.DataFrame = field(default_factory=pd.DataFrame)
    evaluation_year: int | None = None
    area_mismatch: pd.DataFrame = field(default_factory=pd.DataFrame)
    extras: dict[str, Any] = field(default_factory=dict)

    # ----------------------------------------------------------------- lists
    @property
    def as_of(self):
        return self.project.as_of

    @property
    def tax_list(self) -> pd.DataFrame:
        """List 1: enterprises owing 城镇土地使用税 for ≥ 2 years."""
        e = self.enterprises
        cols = [
            c
            for c in (
                "enterprise_id",
                "name",
                "credit_code",
                "land_tax_amount",
                "other_tax_amount",
                "earliest_land_tax_period",
                "arrears_years",
                "tax_reason",
            )
            if c in e
        ]
        return e.loc[e["tax_arrears_2y"], cols].reset_index(drop=True)

    @property
    def mortgage_list(self) -> pd.DataFrame:
        """List 2: idle land mortgaged to financial institutions."""
        p = self.parcels
        cols = [
            c
            for c in (
                "parcel_id",
                "owner_name",
                "credit_code",
                "park",
                "county",
                "area_mu",
                "mortgagees",
                "mortgage_amount",
                "idle",
                "idle_years",
                "stopped_2y",
                "mortgage_reason",
            )
            if c in p
        ]
        return pd.DataFrame(p.loc[p["mortgaged_idle"], cols]).reset_index(drop=True)

    @property
    def stopped_list(self) -> pd.DataFrame:
        """List 3: industrial enterprises stopped for ≥ 2 years."""
        e = self.enterprises
        cols = [
            c
            for c in (
                "enterprise_id",
                "name",
                "credit_code",
                "status",
                "stopped_since",
                "stopped_years",
                "stopped_reason",
            )
            if c in e
        ]
        return e.loc[e["stopped_2y"], cols].reset_index(drop=True)

    @property
    def idle_list(self) -> pd.DataFrame:
        p = self.parcels
        cols = [
            c
            for c in (
                "parcel_id",
                "owner_name",
                "park",
                "county",
                "area_mu",
                "idle_type",
                "idle_cause",
                "idle_years",
                "idle_fee",
                "recoverable",
                "idle_reason",
            )
            if c in p
        ]
        return pd.DataFrame(p.loc[p["idle"], cols]).reset_index(drop=True)

    def summary(self) -> dict[str, Any]:
        """Headline figures of the run."""
        p = self.parcels
        return {
            "as_of": self.as_of.isoformat(),
            "parcels": int(len(p)),
            "area_mu": float(p["area_mu"].sum()),
            "idle_parcels": int(p["idle"].sum()),
            "idle_mu": float(p.loc[p["idle"], "area_mu"].sum()),
            "recoverable_parcels": int(p["recoverable"].sum()),
            "tax_list": int(self.enterprises["tax_arrears_2y"].sum()),
            "mortgage_list": int(p["mortgaged_idle"].sum()),
            "stopped_list": int(self.enterprises["stopped_2y"].sum()),
            "cross_list": int(len(self.cross_list)),
            "low_efficiency_parcels": int(p["low_efficiency"].sum()),
            "warnings": len(self.quality.warnings),
        }

    # --------------------------------------------------------------- outputs
    def parcel_layer(self) -> gpd.GeoDataFrame:
        """The ``parcels`` layer of the output contract (DOMAIN §8)."""
        p = self.parcels
        ordered = [c for c in FIELDS["parcels"] if c in p]
        ordered += [c for c in PARCEL_OUTPUTS if c in p and c not in ordered]
        ordered += [c for c in PARCEL_EXTRA if c in p and c not in ordered]
        ordered += [
            c
            for c in p.columns
            if c not in ordered and c not in ("geometry", SOURCE_FILE, SOURCE_ROW)
        ]
        ordered += [SOURCE_FILE, SOURCE_ROW]
        return gpd.GeoDataFrame(p[ordered + ["geometry"]], geometry="geometry", crs=p.crs)

    def park_layer(self) -> gpd.GeoDataFrame | pd.DataFrame:
        if self.park_shapes is None:
            return self.parks
        shapes = self.park_shapes[["park", "geometry"]].dissolve("park").reset_index()
        merged = self.parks.merge(shapes, on="park", how="left")
        return gpd.GeoDataFrame(merged, geometry="geometry", crs=self.park_shapes.crs)

    def workbook_sheets(self) -> list[tuple[str, pd.DataFrame]]:
        """The sheets of ``ledgers.xlsx``, in order, with canonical column names."""
        lang = self.project.language
        ln = {k: v[0] if lang == "zh" else v[1] for k, v in LIST_NAMES.items()}
        p = self.parcels
        decisions = pd.DataFrame(
            p[
                [
                    c
                    for c in (
                        "parcel_id",
                        "owner_name",
                        "credit_code",
                        "park",
                        "county",
                        "area_mu",
                        "lists",
                        "idle",
                        "recoverable",
                        "stopped_2y",
                        "tax_arrears_2y",
                        "mortgaged_idle",
                        "grade",
                        "low_efficiency",
                        "action",
                        "action_rule",
                        "action_reason",
                        "priority",
                    )
                    if c in p
                ]
            ]
        )
        decisions = decisions[(decisions["lists"] > 0) | p["idle"] | p["low_efficiency"]]
        ent_cols = [
            c
            for c in (
                "enterprise_id",
                "name",
                "credit_code",
                "above_scale",
                "industry_code",
                "land_mu",
                "investment_per_mu",
                "output_per_mu",
                "tax_per_mu",
                "value_added_per_mu",
                "value_added_per_tce",
                "labour_productivity",
                "rd_ratio",
                "tax_per_kwh",
                "score",
                "grade",
                "grade_reason",
                "low_efficiency",
                "screening_scope",
            )
            if c in self.enterprises
        ]
        sheets = [
            (ln["tax"], self.tax_list),
            (ln["mortgage"], self.mortgage_list),
            (ln["stopped"], self.stopped_list),
            (ln["cross"], self.cross_list),
            ("闲置土地" if lang == "zh" else "Idle land", self.idle_list),
            (
                "处置建议" if lang == "zh" else "Actions",
                decisions.sort_values(["priority", "lists"], ascending=[True, False]),
            ),
            ("亩均效益评价" if lang == "zh" else "Grading", self.enterprises[ent_cols]),
            ("园区指标" if lang == "zh" else "Parks", self.parks),
        ]
        if "evidence_flags" in p:
            flagged = p["evidence_flags"].fillna("").astype(str) != ""
            ev_cols = [
                c
                for c in (
                    "parcel_id",
                    "owner_name",
                    "park",
                    "area_mu",
                    "grant_date",
                    "built_up_frac",
                    "ndvi_mean",
                    "night_light_mean",
                    "enterprise_status",
                    "idle",
                    "evidence_flags",
                    "evidence_reason",
                )
                if c in p
            ]
            sheets.append(
                (
                    "遥感核查" if lang == "zh" else "Imagery evidence",
                    pd.DataFrame(p.loc[flagged, ev_cols]),
                )
            )
        for name, frame in self.extras.get("sheets", []):
            sheets.append((name, frame))
        sheets.append(
            ("匹配核对" if lang == "zh" else "Matches", pd.DataFrame(self.quality.matches))
        )
        sheets.append(("数据质量" if lang == "zh" else "Data quality", self.quality_table()))
        return self._cap_sheets(sheets)

    def _cap_sheets(self, sheets: list[tuple[str, pd.DataFrame]]) -> list[tuple[str, pd.DataFrame]]:
        """Keep every sheet under ``[output] workbook_parcel_limit`` rows (Excel's cap is 1,048,576).

        At province scale the workbook holds the lists and summaries; the full
        parcel table is in ``landclear.gpkg``. A note sheet says what was cut.
        """
        limit = min(int(self.project.output.get("workbook_parcel_limit", 200_000)), 1_048_575)
        zh = self.project.language == "zh"
        notes, capped = [], []
        for name, frame in sheets:
            if len(frame) > limit:
                notes.append(
                    {
                        "工作表" if zh else "sheet": name,
                        "总行数" if zh else "rows": len(frame),
                        "保留行数" if zh else "kept": limit,
                        "说明" if zh else "note": (
                            "超出上限,仅保留前若干行;完整数据见 landclear.gpkg / quality.json"
                            if zh
                            else "cut at the limit; full data in landclear.gpkg / quality.json"
                        ),
                    }
                )
                frame = frame.head(limit)
            capped.append((name, frame))
        if notes:
            capped.insert(0, ("说明" if zh else "Notes", pd.DataFrame(notes)))
        return capped

    def quality_table(self) -> pd.DataFrame:
        rows = []
        for name, rec in self.quality.inputs.items():
            rows.append(
                {
                    "输入": name,
                    "文件": "; ".join(rec.files),
                    "编码": rec.encoding,
                    "坐标系": rec.crs,
                    "读取行数": rec.rows_read,
                    "使用行数": rec.rows_used,
                    "拒绝行数": rec.rows_rejected,
                    "跳过行数": rec.rows_skipped,
                    "类型": "汇总",
                    "行号": None,
                    "列": None,
                    "说明": None,
                }
            )
            for r in rec.rejected:
                rows.append(
                    {
                        "输入": name,
                        "文件": r["file"],
                        "类型": "拒绝",
                        "行号": r["row"],
                        "列": r["column"],
                        "说明": r["reason"],
                    }
                )
            for r in rec.repairs:
                rows.append(
                    {
                        "输入": name,
                        "文件": r["file"],
                        "类型": "修复",
                        "行号": r["row"],
                        "列": r["column"],
                        "说明": r["repair"],
                    }
                )
        for w in self.quality.warnings:
            rows.append(
                {
                    "输入": None,
                    "文件": w.get("file"),
                    "类型": "警告",
                    "行号": w.get("row"),
                    "列": None,
                    "说明": w["message"],
                }
            )
        return pd.DataFrame(rows)

    def to_files(
        self, out: str | Path, *, maps: bool = True, reports: bool = False, workbook: bool = True
    ) -> dict[str, Path]:
        """Write the output contract (DOMAIN §8) into folder ``out``.

        Examples
        --------
        >>> result.to_files("out/")  # doctest: +SKIP
        """
        from landclear.io.write import write_layer, write_workbook

        out = Path(out)
        if out.exists() and not out.is_dir():
            from landclear.errors import LandclearError

            raise LandclearError(
                "输出位置已存在且不是文件夹 / output path is a file", file=str(out)
            )
        out.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        gpkg = out / "landclear.gpkg"
        if gpkg.exists():
            gpkg.unlink()
        write_layer(self.parcel_layer(), gpkg, "parcels")
        ent = self.enterprises.drop(columns=[c for c in ("geometry",) if c in self.enterprises])
        write_layer(ent, gpkg, "enterprises")
        write_layer(self.park_layer(), gpkg, "parks")
        written["gpkg"] = gpkg
        if workbook:
            lang = self.project.language
            # Headers per sheet: one name can mean two things (method, score, status).
            sheets = [
                (n, translate_values(df, lang).rename(columns=sheet_labels(n, df.columns, lang)))
                for n, df in self.workbook_sheets()
            ]
            written["workbook"] = write_workbook(sheets, out / "ledgers.xlsx")
        written["quality"] = self.quality.write_json(out / "quality.json")
        if maps:
            from landclear.maps import write_maps

            written.update(write_maps(self, out))
        if reports:
            written.update(self.reports(out / "reports"))
        for hook in self.extras.get("writers", []):
            written.update(hook(self, out) or {})
        return written

    def reports(self, out: str | Path, **kwargs: Any) -> dict[str, Path]:
        """Write the per-parcel files (一地一档) for parcels on at least one list.

        Keyword arguments go to :func:`landclear.reports.render_parcel_reports`
        (``where``, ``park``, ``pdf``, ``workers``, ``progress``).

        Returns
        -------
        dict
            ``{"reports_index": DIR/index.html, "reports_xlsx": DIR/index.xlsx}``,
            the two index files the batch wrote (as in :meth:`to_files`).
            The full :class:`~landclear.reports.batch.ReportIndex` is kept in
            ``extras["report_index"]``.
        """
        from landclear.reports.batch import render_parcel_reports

        kwargs.setdefault("where", self.project.reports.get("where", "lists>=1"))
        index = render_parcel_reports(self, out, **kwargs)
        self.extras["report_index"] = index
        return index.written()

    # --------------------------------------------------------------- Jupyter
    def _repr_html_(self) -> str:
        """A Chinese (or English) summary for Jupyter: lists, parks, progress, quality."""
        zh = self.project.language == "zh"
        e = html.escape
        s = self.summary()

        def t(zh_text: str, en_text: str) -> str:
            return zh_text if zh else en_text

        def table(rows) -> str:
            return (
                "<table>"
                + "".join(
                    f"<tr><td>{e(str(k))}</td><td style='text-align:right'>{e(str(v))}</td></tr>"
                    for k, v in rows
                )
                + "</table>"
            )

        k = 0 if zh else 1
        head = table(
            [
                (t("基准日", "as of"), s["as_of"]),
                (t("评价年度", "evaluation year"), self.evaluation_year or "—"),
                (t("宗地数", "parcels"), s["parcels"]),
                (t("总面积(亩)", "area (mu)"), f"{s['area_mu']:,.1f}"),
                (
                    t("闲置宗地 / 面积(亩)", "idle parcels / mu"),
                    f"{s['idle_parcels']} / {s['idle_mu']:,.1f}",
                ),
                (t("可无偿收回", "recoverable"), s["recoverable_parcels"]),
                (LIST_NAMES["tax"][k], s["tax_list"]),
                (LIST_NAMES["mortgage"][k], s["mortgage_list"]),
                (LIST_NAMES["stopped"][k], s["stopped_list"]),
                (LIST_NAMES["cross"][k], s["cross_list"]),
                (t("低效用地宗地", "low-efficiency parcels"), s["low_efficiency_parcels"]),
            ]
        )
        progress = self.extras.get("progress")
        prog = ""
        if progress is not None:
            prog = table(
                [
                    (
                        t("已出清企业", "enterprises cleared"),
                        f"{progress.cleared_enterprises} / {progress.target_enterprises}",
                    ),
                    (
                        t("已清理土地(亩)", "land cleared (mu)"),
                        f"{progress.cleared_mu:,.1f} / {progress.target_mu:,.0f}",
                    ),
                    (t("截止日期", "deadline"), progress.deadline),
                ]
            )
        actions = (
            self.parcels["action"]
            .value_counts()
            .rename_axis(label("action", self.project.language))
        )
        action_html = actions.rename(t("宗数", "parcels")).to_frame().to_html(escape=True)
        park_cols = [
            c
            for c in (
                "park",
                "industrial_mu",
                "investment_per_mu",
                "target_investment",
                "output_per_mu",
                "target_output",
                "tax_per_mu",
                "target_tax",
                "pass_investment",
                "pass_output",
                "pass_tax",
            )
            if c in self.parks
        ]
        parks = self.parks[park_cols].copy()
        for c in ("pass_investment", "pass_output", "pass_tax"):
            if c in parks:
                parks[c] = parks[c].map({True: t("是", "yes"), False: t("否", "no")})
        park_html = parks.rename(columns=labels(park_cols, self.project.language)).to_html(
            index=False, float_format=lambda v: f"{v:,.2f}", escape=True, na_rep="—"
        )
        input_names = {
            "parcels": ("宗地", "parcels"),
            "enterprises": ("企业台账", "enterprises"),
            "tax_arrears": ("欠税台账", "tax arrears"),
            "mortgages": ("抵押台账", "mortgages"),
            "disposals": ("处置台账", "disposals"),
            "parks": ("园区范围", "parks"),
            "buildings": ("建筑物", "buildings"),
        }
        inputs = table(
            [
                (
                    input_names.get(name, (name, name))[k],
                    t(
                        f"读取 {r.rows_read} · 使用 {r.rows_used} · 拒绝 {r.rows_rejected}"
                        f" · 跳过 {r.rows_skipped}",
                        f"read {r.rows_read} · used {r.rows_used} · rejected "
                        f"{r.rows_rejected} · skipped {r.rows_skipped}",
                    ),
                )
                for name, r in self.quality.inputs.items()
            ]
        )
        to_confirm = sum(1 for m in self.quality.matches if m.get("method") not in ("code", None))
        warnings = self.quality.warnings
        warn = "".join(f"<li>{e(w['message'])}</li>" for w in warnings[:8])
        more = len(warnings) - 8
        if more > 0:
            warn += f"<li>{e(t(f'…… 另有 {more} 条', f'… {more} more'))}</li>"
        year = self.as_of.year
        figures = self.evaluation_year
        park_note = t(
            f"{year} 年目标 · 企业数据 {figures or '—'} 年",
            f"{year} targets · enterprise figures of {figures or '—'}",
        )
        hint = t(
            "明细: result.tax_list / mortgage_list / stopped_list / cross_list / parcels;"
            " 写出: result.to_files('out')",
            "Details: result.tax_list / mortgage_list / stopped_list / cross_list / parcels;"
            " write: result.to_files('out')",
        )
        return (
            f"<div><h4>landclear · {e(self.project.city)} · {e(s['as_of'])}</h4>"
            f"<div style='display:flex;gap:2em;flex-wrap:wrap'><div>{head}</div><div>{prog}"
            f"{action_html}</div></div>"
            f"<h5>{e(t('园区指标(万元/亩)', 'Parks (10k CNY per mu)'))} · {e(park_note)}</h5>"
            f"{park_html}"
            f"<h5>{e(t('数据质量', 'Data quality'))}</h5>{inputs}"
            f"<p>{e(t(f'待人工核对的名称匹配 {to_confirm} 条', f'{to_confirm} name matches to confirm'))}"
            f"</p><h5>{e(t(f'数据质量警告 {len(warnings)} 条', f'{len(warnings)} warnings'))}</h5>"
            f"<ul>{warn}</ul><p style='color:#666'>{e(hint)}</p></div>"
        )
