"""Small vector fixtures for the loaders, built in code (pyogrio style).

One parcel layer of three squares near Shizuishan, in CGCS2000 GK zone CM 108E
(EPSG:4545), is written to every format and every shapefile encoding the
loaders must handle. Tests compare what comes back with ``PARCEL_VALUES``.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from pyproj import Transformer

# Chinese values, with characters outside GB 2312 (堃, 镕) and full-width brackets.
PARCEL_VALUES = {
    "ZDDM": ["640202001001GB00001", "640202001001GB00002", "640205002003GB00017"],
    "权利人": ["石嘴山市恒达化工有限公司", "宁夏堃镕冶金有限公司", "惠农区（红果子）建材厂"],
    "统一社会信": ["91640200MA76XXXX1L", "91640205MA76YYYY2K", ""],
    "园区": ["石嘴山经济技术开发区", "红果子工业园区", "平罗工业园区"],
}
SIDE = 100.0  # metres, each parcel a square


def parcel_origins(epsg: int) -> list[tuple[float, float]]:
    """Lower-left corners of the three squares in ``epsg``, near 106.4°E 39.0°N."""
    to = Transformer.from_crs(4490, epsg, always_xy=True)
    lonlat = [(106.40, 39.00), (106.41, 39.01), (106.52, 39.20)]
    return [to.transform(x, y) for x, y in lonlat]


def parcel_frame(epsg: int = 4545) -> gpd.GeoDataFrame:
    boxes = [shapely.box(x, y, x + SIDE, y + SIDE) for x, y in parcel_origins(epsg)]
    return gpd.GeoDataFrame(dict(PARCEL_VALUES), geometry=boxes, crs=epsg)


def write_shapefile(gdf: gpd.GeoDataFrame, path: Path, encoding: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # GDAL warns that it cuts long field names at 10 bytes (mid-character in UTF-8)
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(gdf, path, encoding=encoding)
    return path


def set_ldid(shp: Path, ldid: int, keep_cpg: bool = False) -> Path:
    """Set the dBASE language-driver byte and (by default) remove the .cpg."""
    dbf = shp.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = ldid
    dbf.write_bytes(bytes(data))
    if not keep_cpg:
        shp.with_suffix(".cpg").unlink()
    return shp


@pytest.fixture(scope="session")
def parcel_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The parcel layer in every format and shapefile encoding, keyed by variant."""
    root = tmp_path_factory.mktemp("parcels")
    gdf = parcel_frame(4545)
    out: dict[str, Path] = {}
    out["utf8_cpg"] = write_shapefile(gdf, root / "utf8_cpg" / "宗地.shp", "UTF-8")
    out["gbk_cpg"] = write_shapefile(gdf, root / "gbk_cpg" / "宗地.shp", "GBK")
    out["gbk_nocpg_ldid0"] = set_ldid(
        write_shapefile(gdf, root / "gbk_ldid0" / "宗地.shp", "GBK"), 0x00
    )
    out["gbk_ldid4d"] = set_ldid(
        write_shapefile(gdf, root / "gbk_ldid4d" / "宗地.shp", "GBK"), 0x4D
    )
    out["utf8_nocpg"] = set_ldid(
        write_shapefile(gdf, root / "utf8_nocpg" / "宗地.shp", "UTF-8"), 0x00
    )

    out["gpkg"] = root / "parcels.gpkg"
    pyogrio.write_dataframe(gdf, out["gpkg"], layer="宗地")
    out["geojson"] = root / "parcels.geojson"
    pyogrio.write_dataframe(gdf.to_crs(4490), out["geojson"], driver="GeoJSON")
    out["parquet"] = root / "parcels.parquet"
    gdf.to_parquet(out["parquet"])

    # DataV quirk: a bare JSON array of Features, lon/lat without a crs member
    fc = json.loads(gdf.to_crs(4490).to_json(drop_id=True))
    out["geojson_array"] = root / "array.json"
    out["geojson_array"].write_text(json.dumps(fc["features"], ensure_ascii=False), "utf-8")

    # zipped GBK shapefile without .cpg, in a sub-folder of the archive
    out["zip"] = root / "parcels.zip"
    src = out["gbk_nocpg_ldid0"]
    with zipfile.ZipFile(out["zip"], "w") as zf:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            zf.write(src.with_suffix(ext), f"导出/parcels{ext}")
    return out
