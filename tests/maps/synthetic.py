"""A small stand-in for a Result: parcels on a grid in two parks, every state present."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

XSS_NAMES = (
    "<img src=x onerror=alert(1)>",
    "${alert(1)}",
    "</script><script>alert(1)</script>",
)


@dataclass
class FakeProject:
    as_of: dt.date = dt.date(2024, 6, 30)
    city: str = "石嘴山市"
    language: str = "zh"
    maps: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeResult:
    parcels: gpd.GeoDataFrame
    park_shapes: gpd.GeoDataFrame
    parks: pd.DataFrame
    project: FakeProject = field(default_factory=FakeProject)
    extras: dict[str, Any] = field(default_factory=dict)


def grid_parcels(
    nx: int,
    ny: int,
    *,
    x0: float = 106.38,
    y0: float = 38.98,
    size_m: float = 80.0,
    park: str = "测试园区",
    prefix: str = "640202",
) -> gpd.GeoDataFrame:
    """``nx × ny`` square parcels sharing edges, states cycling through every class."""
    dx = size_m / (111_320 * np.cos(np.radians(y0)))
    dy = size_m / 110_574
    ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
    ix, iy = ix.ravel(), iy.ravel()
    geoms = shapely.box(x0 + ix * dx, y0 + iy * dy, x0 + (ix + 1) * dx, y0 + (iy + 1) * dy)
    n = len(geoms)
    k = np.arange(n) % 9
    gdf = gpd.GeoDataFrame(
        {
            "parcel_id": [f"{prefix}001001GB{i:05d}" for i in range(n)],
            "owner_name": [f"宁夏测试企业{i % 50}有限公司" for i in range(n)],
            "credit_code": ["91640200MA76XXXX0X"] * n,
            "park": park,
            "county": "大武口区",
            "land_use": "0601",
            "area_mu": np.full(n, size_m * size_m / (10000 / 15)),
            "cleared": k == 0,
            "recoverable": k == 1,
            "idle": np.isin(k, (1, 2, 4)),
            "idle_cause": pd.array(
                np.where(k == 2, "government", np.where(np.isin(k, (1, 4)), "enterprise", None)),
                dtype="string",
            ),
            "mortgaged_idle": k == 3,
            "stopped_2y": k == 5,
            "tax_arrears_2y": np.isin(k, (3, 6)),
            "low_efficiency": k == 7,
            "lists": np.where(k == 3, 2, np.where(np.isin(k, (5, 6)), 1, 0)),
            "idle_years": np.where(k == 1, 3, 0),
            "idle_fee": np.where(k == 1, 12.5, 0.0),
            "grade": np.array(["A", "B", "C", "D", "T"])[np.arange(n) % 5],
            "score": np.linspace(40, 120, n),
            "building_coverage": np.full(n, 0.25),
            "plot_ratio": np.full(n, 0.8),
            "action": "依法处置",
            "action_rule": "R1",
            "action_reason": "测试",
            "priority": 1,
        },
        geometry=geoms,
        crs=4490,
    )
    return gdf


def fake_result(nx: int = 6, ny: int = 5, *, xss: bool = True) -> FakeResult:
    a = grid_parcels(nx, ny, park="测试园区")
    b = grid_parcels(4, 3, x0=106.45, y0=39.05, park="惠农/园区:B", prefix="640205")
    parcels = pd.concat([a, b], ignore_index=True)
    if xss:
        parcels.loc[: len(XSS_NAMES) - 1, "owner_name"] = list(XSS_NAMES)
        parcels.loc[0, "action_reason"] = "<b>bold</b>${alert(2)}"
    parcels = gpd.GeoDataFrame(parcels, geometry="geometry", crs=4490)
    shapes = parcels.dissolve("park").reset_index()[["park", "geometry"]]
    shapes["geometry"] = shapes.to_crs(4545).buffer(30, join_style="mitre").to_crs(4490)
    parks = pd.DataFrame(
        {
            "park": ["测试园区", "惠农/园区:B"],
            "industrial_mu": [1000.0, 300.0],
            "investment_per_mu": [190.0, 120.0],
            "output_per_mu": [160.0, 180.0],
            "tax_per_mu": [9.0, 5.0],
            "investment_target": [185.0, 185.0],
            "output_target": [175.0, 175.0],
            "tax_target": [8.0, 8.0],
            "investment_gap": [5.0, -65.0],
            "output_gap": [-15.0, 5.0],
            "tax_gap": [1.0, -3.0],
            "investment_pass": [True, False],
            "output_pass": [False, True],
            "tax_pass": [True, False],
        }
    )
    return FakeResult(parcels=parcels, park_shapes=shapes, parks=parks)
