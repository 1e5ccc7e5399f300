"""User-facing labels: Simplified Chinese by default, English on request.

A name can mean different things on different sheets (``method`` is the
disposal method on the progress sheets but the matching method on 匹配核对;
``score`` is the grading score or the match score): :data:`SHEET_LABELS` and
:func:`sheet_labels` give the label of a column on one sheet.

Examples
--------
>>> label("area_mu"), label("area_mu", "en")
('面积(亩)', 'Area (mu)')
>>> sheet_labels("匹配核对", ["method", "score"])
{'method': '匹配方式', 'score': '匹配得分'}
"""

from __future__ import annotations

from collections.abc import Iterable

LABELS: dict[str, tuple[str, str]] = {
    # identifiers and inputs (DOMAIN §6)
    "parcel_id": ("宗地代码", "Parcel ID"),
    "owner_name": ("权利人", "Owner"),
    "credit_code": ("统一社会信用代码", "Credit code"),
    "enterprise_id": ("企业标识", "Enterprise key"),
    "name": ("企业名称", "Enterprise"),
    "park": ("园区", "Park"),
    "county": ("县区", "County"),
    "land_use": ("地类编码", "Land use"),
    "certified_area": ("证载面积(亩)", "Certified area (mu)"),
    "grant_date": ("供地日期", "Grant date"),
    "agreed_start": ("约定开工日期", "Agreed start"),
    "agreed_completion": ("约定竣工日期", "Agreed completion"),
    "actual_start": ("实际开工日期", "Actual start"),
    "suspended_since": ("停工日期", "Suspended since"),
    "developed_area": ("已开发面积(亩)", "Developed area (mu)"),
    "land_price": ("出让价款(万元)", "Land price (10k CNY)"),
    "planned_investment": ("约定投资总额(万元)", "Planned investment (10k CNY)"),
    "invested": ("已完成投资(万元)", "Invested (10k CNY)"),
    "floor_area": ("总建筑面积(㎡)", "Floor area (m²)"),
    "footprint_area": ("建筑占地面积(㎡)", "Footprint (m²)"),
    "expiry_date": ("终止日期", "Expiry date"),
    "delay_cause": ("闲置原因", "Delay cause"),
    "cert_no": ("不动产权证号", "Certificate no."),
    "status": ("生产状态", "Status"),
    "output_value": ("工业总产值(万元)", "Output value (10k CNY)"),
    "revenue": ("营业收入(万元)", "Revenue (10k CNY)"),
    "tax_paid": ("实缴税金(万元)", "Tax paid (10k CNY)"),
    "value_added": ("工业增加值(万元)", "Value added (10k CNY)"),
    "energy_tce": ("综合能耗(吨标煤)", "Energy (tce)"),
    "electricity_kwh": ("用电量(千瓦时)", "Electricity (kWh)"),
    "emissions": ("排放量", "Emissions"),
    "employees": ("从业人员(人)", "Employees"),
    "rd_spend": ("研发经费(万元)", "R&D spending (10k CNY)"),
    "floors": ("层数", "Floors"),
    "code_valid": ("信用代码有效", "Valid credit code"),
    "evaluation_year": ("评价年度", "Evaluation year"),
    "amount_split": ("金额按面积分摊", "Amount split by area"),
    "stopped_since": ("停产时间", "Stopped since"),
    "above_scale": ("是否规上", "Above scale"),
    "industry_code": ("行业代码", "Industry code"),
    "year": ("年度", "Year"),
    "tax_type": ("税种", "Tax type"),
    "amount": ("金额(万元)", "Amount (10k CNY)"),
    "period_start": ("所属期起", "Period start"),
    "period_end": ("所属期止", "Period end"),
    "mortgagee": ("抵押权人", "Mortgagee"),
    "start": ("抵押起始", "Mortgage start"),
    "end": ("抵押终止", "Mortgage end"),
    "idle_flag": ("银行标记闲置", "Bank idle flag"),
    "method": ("处置方式", "Disposal method"),
    "completed_on": ("完成时间", "Completed on"),
    "source_file": ("来源文件", "Source file"),
    "source_row": ("来源行号", "Source row"),
    # results (DOMAIN §8)
    "area_mu": ("面积(亩)", "Area (mu)"),
    "idle": ("闲置土地", "Idle"),
    "idle_type": ("闲置类型", "Idle type"),
    "idle_cause": ("闲置原因类别", "Idle cause"),
    "idle_years": ("闲置年数", "Idle years"),
    "idle_fee": ("闲置费(万元)", "Idle fee (10k CNY)"),
    "idle_reason": ("闲置认定依据", "Idle finding"),
    "recoverable": ("可无偿收回", "Recoverable"),
    "stopped_2y": ("停产两年以上", "Stopped ≥ 2 years"),
    "stopped_years": ("停产年数", "Years stopped"),
    "stopped_reason": ("停产认定依据", "Stopped finding"),
    "tax_arrears_2y": ("欠缴土地使用税两年以上", "Land-use tax arrears ≥ 2 years"),
    "land_tax_amount": ("欠缴土地使用税(万元)", "Land-use tax owed (10k CNY)"),
    "other_tax_amount": ("欠缴其他税种(万元,不计入)", "Other taxes owed (10k CNY, not counted)"),
    "earliest_land_tax_period": ("最早欠缴所属期", "Earliest unpaid period"),
    "arrears_years": ("欠缴年数", "Years in arrears"),
    "tax_reason": ("欠税认定依据", "Arrears finding"),
    "mortgaged_idle": ("抵押闲置土地", "Mortgaged idle land"),
    "mortgage_amount": ("抵押金额(万元)", "Mortgage amount (10k CNY)"),
    "mortgagees": ("抵押权人", "Mortgagees"),
    "mortgage_reason": ("抵押认定依据", "Mortgage finding"),
    "lists": ("所在清单数", "Lists (0–3)"),
    "on_tax_list": ("欠税清单", "On tax list"),
    "on_mortgage_list": ("抵押闲置清单", "On mortgage list"),
    "on_stopped_list": ("停产清单", "On stopped list"),
    "parcel_ids": ("宗地代码", "Parcels"),
    "parcel_count": ("宗地数", "Parcel count"),
    "idle_mu": ("闲置面积(亩)", "Idle area (mu)"),
    "grade": ("亩均效益等级", "Grade"),
    "score": ("综合得分", "Score"),
    "grade_reason": ("评价说明", "Grading note"),
    "low_efficiency": ("低效用地", "Low efficiency"),
    "building_coverage": ("建筑系数", "Building coverage"),
    "plot_ratio": ("容积率", "Plot ratio"),
    "min_plot_ratio": ("容积率下限", "Minimum plot ratio"),
    "intensity_ok": ("强度达标", "Intensity OK"),
    "intensity_reason": ("强度说明", "Intensity note"),
    "cleared": ("已处置", "Cleared"),
    "action": ("建议处置方式", "Recommended action"),
    "action_rule": ("触发规则", "Rule fired"),
    "action_reason": ("处置理由", "Reason"),
    "priority": ("优先级", "Priority"),
    "land_mu": ("用地面积(亩)", "Land (mu)"),
    "investment_per_mu": ("亩均投资(万元/亩)", "Investment per mu"),
    "output_per_mu": ("亩均产值(万元/亩)", "Output per mu"),
    "tax_per_mu": ("亩均税收(万元/亩)", "Tax per mu"),
    "value_added_per_mu": ("亩均增加值(万元/亩)", "Value added per mu"),
    "value_added_per_tce": ("单位能耗增加值(万元/吨标煤)", "Value added per tce"),
    "value_added_per_emission": ("单位排放增加值(万元/吨)", "Value added per emission"),
    "labour_productivity": ("全员劳动生产率(万元/人)", "Labour productivity"),
    "rd_ratio": ("研发经费占比", "R&D ratio"),
    "tax_per_kwh": ("单位电耗税收", "Tax per kWh"),
    "industrial_mu": ("工业用地(亩)", "Industrial land (mu)"),
    "target_investment": ("投资强度目标", "Investment target"),
    "target_output": ("产出强度目标", "Output target"),
    "target_tax": ("亩均税收目标", "Tax target"),
    "gap_investment": ("投资强度差距", "Investment gap"),
    "gap_output": ("产出强度差距", "Output gap"),
    "gap_tax": ("亩均税收差距", "Tax gap"),
    "pass_investment": ("投资强度达标", "Investment met"),
    "pass_output": ("产出强度达标", "Output met"),
    "pass_tax": ("亩均税收达标", "Tax met"),
    "enterprises": ("企业数", "Enterprises"),
    "investment": ("投资(万元)", "Investment (10k CNY)"),
    "output": ("产值(万元)", "Output (10k CNY)"),
    "tax": ("税收(万元)", "Tax (10k CNY)"),
    "mu_without_data": ("无数据用地(亩)", "Land without data (mu)"),
    "note": ("说明", "Note"),
    "grade_group": ("评价组别", "Grading group"),
    "screening_scope": ("高耗低效排查范围", "In efficiency screening scope"),
    "suspected_idle": ("疑似闲置(遥感)", "Suspected idle (imagery)"),
    "check_dark_producing": ("在产但无灯光", "Producing but dark"),
    "check_lit_stopped": ("停产但有灯光", "Stopped but lit"),
    "evidence_reason": ("遥感核查依据", "Imagery finding"),
    "built_up_frac": ("建成覆盖率", "Built-up fraction"),
    "night_light_mean": ("夜间灯光均值", "Night lights (mean)"),
    "ndvi_mean": ("NDVI均值", "NDVI (mean)"),
    "evidence_flags": ("遥感核查提示", "Remote-sensing flags"),
    "enterprise_status": ("企业生产状态", "Enterprise status"),
    # progress (landclear.progress)
    "month": ("月份", "Month"),
    "mu": ("清理面积(亩)", "Cleared (mu)"),
    "disposals": ("处置记录数", "Disposal records"),
    "cumulative_enterprises": ("累计出清企业数", "Cumulative enterprises cleared"),
    "cumulative_mu": ("累计清理面积(亩)", "Cumulative mu cleared"),
    "required_share": ("要求完成比例", "Required share"),
    "due": ("截止日期", "Due"),
    "scope_enterprises": ("排查范围内低效企业数", "Low-efficiency enterprises in scope"),
    "rectified": ("已整治企业数", "Rectified"),
    "share": ("完成比例", "Share done"),
    "met": ("是否达标", "Met"),
    "ent_key": ("企业标识", "Enterprise key"),
    "qualifies": ("符合计入条件", "Qualifies"),
    "mu_counted": ("计入面积(亩)", "Mu counted"),
    "done": ("已完成(基准日前)", "Completed by as_of"),
    "overdue": ("已逾期", "Overdue"),
    # matches (landclear.match.report_records)
    "source": ("来源台账", "Source ledger"),
    "record_name": ("台账中的名称", "Name in the record"),
    "record_code": ("台账中的信用代码", "Credit code in the record"),
    "entity_name": ("匹配到的企业", "Matched enterprise"),
}

#: Sheets (its Chinese and English names) → labels that differ there from :data:`LABELS`.
SHEET_LABELS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    ("匹配核对", "Matches"): {
        "method": ("匹配方式", "Match method"),
        "score": ("匹配得分", "Match score"),
        "note": ("备注", "Note"),
    },
    ("进度-按月累计", "Progress by month"): {"enterprises": ("出清企业数", "Enterprises cleared")},
    ("进度-按县区", "Progress by county"): {"enterprises": ("出清企业数", "Enterprises cleared")},
    ("进度-按园区", "Progress by park"): {"enterprises": ("出清企业数", "Enterprises cleared")},
    ("进度-按处置方式", "Progress by method"): {
        "enterprises": ("出清企业数", "Enterprises cleared"),
    },
    ("整治目标节点", "Rectification milestones"): {"status": ("完成情况", "Result")},
    ("处置台账核算", "Disposals counted"): {
        "status": ("处置状态", "Disposal status"),
        "area_mu": ("处置面积(亩)", "Disposed area (mu)"),
    },
}


def sheet_labels(sheet: str, columns: Iterable[str], language: str = "zh") -> dict[str, str]:
    """``{column: label}`` of ``columns`` on the workbook sheet named ``sheet``.

    The sheet's own labels (:data:`SHEET_LABELS`, matched by its Chinese or
    English name) first, then :data:`LABELS`; unknown names stay as they are.

    Examples
    --------
    >>> sheet_labels("处置台账核算", ["status", "method"])
    {'status': '处置状态', 'method': '处置方式'}
    >>> sheet_labels("亩均效益评价", ["status", "score"], "en")
    {'status': 'Status', 'score': 'Score'}
    """
    k = 0 if language == "zh" else 1
    own: dict[str, tuple[str, str]] = {}
    for names, table in SHEET_LABELS.items():
        if sheet in names:
            own = table
            break
    return {str(c): own[c][k] if c in own else label(str(c), language) for c in columns}


YES_NO = {True: ("是", "yes"), False: ("否", "no")}

LIST_NAMES = {
    "tax": ("欠缴土地使用税两年以上企业清单", "Land-use tax arrears ≥ 2 years"),
    "mortgage": ("抵押在金融机构的闲置土地清单", "Idle land mortgaged to banks"),
    "stopped": ("停产两年以上工业企业清单", "Enterprises stopped ≥ 2 years"),
    "cross": ("三个清单交叉表", "Cross-list"),
}

STATE_NAMES: dict[str, tuple[str, str]] = {
    "recoverable": ("闲置满两年(可收回)", "Idle ≥ 2 y (recoverable)"),
    "idle_gov": ("政府原因闲置", "Idle, government-caused"),
    "idle": ("闲置土地", "Idle"),
    "mortgaged_idle": ("抵押闲置", "Mortgaged idle"),
    "stopped": ("停产两年以上", "Stopped ≥ 2 y"),
    "tax": ("欠缴土地使用税", "Land-use tax arrears"),
    "low_efficiency": ("低效用地", "Low efficiency"),
    "cleared": ("已处置", "Cleared"),
    "normal": ("正常", "Normal"),
}


def label(name: str, language: str = "zh") -> str:
    """The user-facing label of a canonical column name (the name itself if unknown)."""
    pair = LABELS.get(name)
    if pair is None:
        return name
    return pair[0] if language == "zh" else pair[1]


def labels(names: Iterable[str], language: str = "zh") -> dict[str, str]:
    """``{name: label}`` for renaming a frame's columns."""
    return {n: label(n, language) for n in names}


#: Coded values shown to users: column → {code: (zh, en)}.
VALUE_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "idle_cause": {
        "government": ("政府原因", "government"),
        "enterprise": ("企业原因", "enterprise"),
    },
    "idle_type": {"A": ("A 未按期动工", "A not started"), "B": ("B 中止开发", "B suspended")},
    "grade_group": {
        "above": ("规上", "above scale"),
        "below": ("规下", "below scale"),
        "T": ("不参评", "not evaluated"),
    },
    "method": {
        "code": ("信用代码", "credit code"),
        "name": ("名称一致", "same name"),
        "fuzzy": ("模糊匹配(请核对)", "fuzzy (confirm)"),
        "branch": ("分支机构", "branch"),
        "code_conflict": ("代码一致名称不符(请核对)", "code, names differ (confirm)"),
        "none": ("未匹配", "unmatched"),
    },
}


def translate_values(df, language: str = "zh"):
    """Replace coded values (``government``, ``fuzzy`` …) by user-facing words.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"idle_cause": ["government", "enterprise"]})
    >>> translate_values(df)["idle_cause"].tolist()
    ['政府原因', '企业原因']
    """
    k = 0 if language == "zh" else 1
    out = df.copy()
    for col, table in VALUE_LABELS.items():
        if col in out.columns:
            mapping = {code: pair[k] for code, pair in table.items()}
            out[col] = out[col].astype(object).replace(mapping)
    return out
