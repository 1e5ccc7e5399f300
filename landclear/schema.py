"""Canonical names and types of every input and output (DOMAIN §6 and §8).

This module is the contract between loaders, rules and outputs: loaders
produce these names, rules read them, writers label them.

``FIELDS[input][name]`` is the value type a loader converts the column to:
``str`` (text, stripped), ``code`` (credit code, normalised), ``date``,
``number`` (float, 万元 where money), ``int``, ``bool``.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

#: Columns every loaded frame carries back to its source row.
SOURCE_FILE = "source_file"
SOURCE_ROW = "source_row"

FIELDS: dict[str, dict[str, str]] = {
    "parcels": {
        "parcel_id": "str",
        "owner_name": "str",
        "credit_code": "code",
        "park": "str",
        "county": "str",
        "land_use": "str",
        "certified_area": "number",
        "grant_date": "date",
        "agreed_start": "date",
        "agreed_completion": "date",
        "actual_start": "date",
        "suspended_since": "date",
        "developed_area": "number",
        "land_price": "number",
        "planned_investment": "number",
        "invested": "number",
        "floor_area": "number",
        "footprint_area": "number",
        "expiry_date": "date",
        "delay_cause": "str",
        "cert_no": "str",
    },
    "enterprises": {
        "credit_code": "code",
        "name": "str",
        "status": "str",
        "stopped_since": "date",
        "above_scale": "bool",
        "industry_code": "str",
        "output_value": "number",
        "revenue": "number",
        "tax_paid": "number",
        "value_added": "number",
        "energy_tce": "number",
        "electricity_kwh": "number",
        "emissions": "number",
        "employees": "number",
        "rd_spend": "number",
        "investment": "number",
        "year": "int",
        "county": "str",
        "park": "str",
    },
    "tax_arrears": {
        "credit_code": "code",
        "name": "str",
        "tax_type": "str",
        "amount": "number",
        "period_start": "date",
        "period_end": "date",
    },
    "mortgages": {
        "parcel_id": "str",
        "cert_no": "str",
        "credit_code": "code",
        "name": "str",
        "mortgagee": "str",
        "amount": "number",
        "start": "date",
        "end": "date",
        "idle_flag": "bool",
    },
    "disposals": {
        "parcel_id": "str",
        "credit_code": "code",
        "name": "str",
        "method": "str",
        "status": "str",
        "completed_on": "date",
        "area_mu": "number",
        "park": "str",
        "county": "str",
    },
    "parks": {"park": "str", "county": "str"},
    "buildings": {"floors": "number", "floor_area": "number"},
}

#: Columns without which an input cannot be used at all.
REQUIRED: dict[str, tuple[str, ...]] = {
    "parcels": ("parcel_id",),
    "enterprises": ("name",),
    "tax_arrears": ("tax_type", "period_start"),
    "mortgages": ("start",),
    "disposals": ("status",),
    "parks": ("park",),
    "buildings": (),
}

#: Columns that must be present in at least one of each group.
REQUIRED_ANY: dict[str, tuple[tuple[str, ...], ...]] = {
    "tax_arrears": (("credit_code", "name"),),
    "mortgages": (("parcel_id", "cert_no", "credit_code", "name"),),
    "disposals": (("parcel_id", "credit_code", "name"),),
}

#: Headers whose unit is 元 in the file but 万元 canonically (money columns).
MONEY: dict[str, tuple[str, ...]] = {
    "parcels": ("land_price", "planned_investment", "invested"),
    "enterprises": ("output_value", "revenue", "tax_paid", "value_added", "rd_spend", "investment"),
    "tax_arrears": ("amount",),
    "mortgages": ("amount",),
    "disposals": (),
}

#: Computed parcel columns required by the output contract (DOMAIN §8).
PARCEL_OUTPUTS: tuple[str, ...] = (
    "area_mu",
    "idle",
    "idle_type",
    "idle_cause",
    "idle_years",
    "idle_fee",
    "recoverable",
    "stopped_2y",
    "tax_arrears_2y",
    "mortgaged_idle",
    "lists",
    "grade",
    "score",
    "low_efficiency",
    "building_coverage",
    "plot_ratio",
    "intensity_ok",
    "cleared",
    "action",
    "action_rule",
    "action_reason",
    "priority",
)

INPUT_NAMES: tuple[str, ...] = (
    "parcels",
    "enterprises",
    "tax_arrears",
    "mortgages",
    "disposals",
    "parks",
    "buildings",
)


@cache
def aliases() -> dict[str, dict[str, list[str]]]:
    """Header aliases shipped in ``landclear/data/aliases.toml``."""
    text = resources.files("landclear.data").joinpath("aliases.toml").read_text("utf-8")
    return tomllib.loads(text)
