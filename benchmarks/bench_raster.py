"""Benchmark: zonal statistics of 100 000 parcels over a 10 000 × 10 000 raster.

Writes a tiled, DEFLATE-compressed float32 GeoTIFF (10 m cells, EPSG:4544)
and random rectangular-ish parcels (30–150 m) to a temp dir, then times
:func:`landclear.raster.zonal_stats` in a fresh subprocess per case so that
peak RSS (``ru_maxrss``) belongs to that case alone. Target: < 60 s, < 2 GB.

Run: ``.venv/bin/python benchmarks/bench_raster.py [--parcels N] [--size N]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHILD = r"""
import json, resource, sys, time
import geopandas as gpd
from landclear.raster import zonal_stats
raster, parcels, strategy, cells, stats = sys.argv[1:6]
gdf = gpd.read_parquet(parcels)
if len(sys.argv) > 6:            # one parcel covering the whole raster: memory bound check
    import shapely, rasterio
    with rasterio.open(raster) as ds:
        gdf = gpd.GeoDataFrame(geometry=[shapely.box(*ds.bounds).buffer(-1)], crs=ds.crs)
t0 = time.perf_counter()
out = zonal_stats(gdf, raster, stats.split(","), strategy=strategy, max_cells_in_memory=int(cells))
dt = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": dt, "peak_rss_mb": rss, "rows": len(out),
                  "mean_of_means": float(out["mean"].mean()),
                  "nan": int(out["mean"].isna().sum())}))
"""


def make_raster(path: Path, size: int, res: float = 10.0) -> None:
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    profile = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4544",
        "transform": from_origin(500_000, 4_350_000, res, res),
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "DEFLATE",
        "nodata": -9999.0,
    }
    rng = np.random.default_rng(1)
    step = 1024
    with rasterio.open(path, "w", **profile) as dst:
        for row in range(0, size, step):
            h = min(step, size - row)
            y = np.arange(row, row + h)[:, None]
            x = np.arange(size)[None, :]
            # smooth field + noise: realistic compression, not constant blocks
            block = (np.sin(x / 300) * np.cos(y / 500) + 1) / 2
            block = block + rng.normal(0, 0.05, block.shape)
            block = block.astype("float32")
            block[(x % 2000 < 20) & (y % 2000 < 20)] = -9999.0  # a few nodata holes
            dst.write(block, 1, window=Window(0, row, size, h))


def make_parcels(path: Path, n: int, size: int, res: float = 10.0) -> None:
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(2)
    extent = size * res
    x = 500_000 + rng.uniform(0, extent, n)
    y = 4_350_000 - rng.uniform(0, extent, n)
    w, h = rng.uniform(30, 150, n), rng.uniform(30, 150, n)
    boxes = shapely.box(x, y, x + w, y + h)
    # rotate a little so edges cut cells at odd angles, as real parcels do
    angle = rng.uniform(-30, 30, n)
    geoms = [shapely.affinity.rotate(b, a) for b, a in zip(boxes[:1000], angle[:1000], strict=True)]
    boxes[:1000] = geoms
    gpd.GeoDataFrame(geometry=boxes, crs="EPSG:4544").to_parquet(path)


def run_case(
    raster: Path, parcels: Path, strategy: str, cells: int, stats: str, whole: bool = False
) -> dict:
    args = [sys.executable, "-c", CHILD, str(raster), str(parcels), strategy, str(cells), stats]
    if whole:
        args.append("whole")
    res = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--parcels", type=int, default=100_000)
    ap.add_argument("--size", type=int, default=10_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        raster, parcels = tmp / "big.tif", tmp / "parcels.parquet"
        t0 = time.perf_counter()
        make_raster(raster, args.size)
        t_r = time.perf_counter() - t0
        make_parcels(parcels, args.parcels, args.size)
        print(
            f"raster {args.size}×{args.size} float32 tiled/DEFLATE: "
            f"{raster.stat().st_size / 2**20:.0f} MB written in {t_r:.1f} s; "
            f"{args.parcels} parcels"
        )
        cases = [
            ("feature-sequential", 30_000_000, "mean,count,coverage_fraction", False),
            ("raster-sequential", 30_000_000, "mean,count,coverage_fraction", False),
            ("feature-sequential", 30_000_000, "mean,count,min,max,median", False),
            ("feature-sequential", 30_000_000, "mean,count", True),
            ("feature-sequential", 1_000_000, "mean,count", True),
        ]
        print(f"| {'case':<78} | {'time s':>7} | {'peak RSS MB':>11} | {'NaN':>4} |")
        print(f"|{'-' * 80}|{'-' * 9}|{'-' * 13}|{'-' * 6}|")
        for strategy, cells, stats, whole in cases:
            r = run_case(raster, parcels, strategy, cells, stats, whole)
            what = "1 parcel = whole raster" if whole else f"{r['rows']} parcels"
            label = f"{what}, {strategy}, cells={cells:.0e}, {stats}"
            print(
                f"| {label:<78} | {r['seconds']:7.1f} | {r['peak_rss_mb']:11.0f} | {r['nan']:4d} |"
            )


if __name__ == "__main__":
    main()
