"""Tests of landclear.io.vectors: encodings, formats, CRS, headers, geometry repair."""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from landclear.errors import CRSError, DataError, InputFileError, MissingColumnError
from landclear.io.vectors import (
    detect_dbf_encoding,
    list_sources,
    normalise_encoding,
    read_vectors,
)
from landclear.quality import QualityLog
from landclear.schema import SOURCE_FILE, SOURCE_ROW


def _load_fixture_helpers():
    # tests/conftest.py also exists, so "import conftest" is ambiguous: load ours by path
    path = Path(__file__).with_name("conftest.py")
    spec = importlib.util.spec_from_file_location("landclear_tests_io_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_kit = _load_fixture_helpers()
PARCEL_VALUES, SIDE = _kit.PARCEL_VALUES, _kit.SIDE
parcel_frame, parcel_origins, write_shapefile = (
    _kit.parcel_frame,
    _kit.parcel_origins,
    _kit.write_shapefile,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "shapefile_encoding"
MAPSHAPER = DATA / "mapshaper_dbf_fixtures"
GARY = DATA / "amap_shp_garybikini" / "石嘴山市_districts.shp"
UTF8_CREDIT = {"credit_code": "统一社"}  # what GDAL leaves of 统一社会信 in a UTF-8 .dbf


def _expected_values() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "parcel_id": PARCEL_VALUES["ZDDM"],
            "owner_name": PARCEL_VALUES["权利人"],
            "credit_code": PARCEL_VALUES["统一社会信"],
            "park": PARCEL_VALUES["园区"],
        }
    )


def _values(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    cols = ["parcel_id", "owner_name", "credit_code", "park"]
    # the shapefile driver returns an empty text cell as null: compare as text
    return pd.DataFrame({c: gdf[c].fillna("").astype(str).tolist() for c in cols})


def _assert_vertices_4490(gdf: gpd.GeoDataFrame, epsg: int) -> None:
    """Every output vertex equals a direct pyproj transform of the fixture vertex."""
    tr = Transformer.from_crs(epsg, 4490, always_xy=True)
    src = parcel_frame(epsg).geometry.values
    want = shapely.transform(src, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    # ring start and orientation differ between formats (shapefiles store clockwise)
    got = shapely.get_coordinates(shapely.normalize(gdf.geometry.values))
    np.testing.assert_allclose(got, shapely.get_coordinates(shapely.normalize(want)), atol=1e-10)


# --------------------------------------------------------------------------- encodings


ENCODING_MATRIX = {
    "utf8_cpg": "UTF-8 (.cpg)",
    "gbk_cpg": "GB18030 (.cpg)",
    "gbk_nocpg_ldid0": "GB18030 (detected)",
    "gbk_ldid4d": "GB18030 (LDID)",
    "utf8_nocpg": "UTF-8 (detected)",
}


@pytest.mark.parametrize("variant", list(ENCODING_MATRIX))
def test_encoding_matrix_gives_identical_chinese_values(parcel_files, variant):
    log = QualityLog()
    gdf = read_vectors(parcel_files[variant], columns=UTF8_CREDIT, log=log)
    pd.testing.assert_frame_equal(_values(gdf), _expected_values())
    rec = log.inputs["parcels"]
    assert rec.encoding == ENCODING_MATRIX[variant]
    assert rec.crs == "EPSG:4545"
    assert (rec.rows_read, rec.rows_used, rec.rows_rejected) == (3, 3, 0)


def test_utf8_field_names_cut_mid_character_are_trimmed(parcel_files):
    raw = parcel_files["utf8_nocpg"].with_suffix(".dbf").read_bytes()
    # GDAL really left a partial character in the field name: 9 bytes 统一社 + 1 byte
    assert b"\xe7\xbb\x9f\xe4\xb8\x80\xe7\xa4\xbe\xe4\x00" in raw[:200]
    log = QualityLog()
    gdf = read_vectors(parcel_files["utf8_nocpg"], log=log)
    assert "统一社" in gdf.columns  # kept under its (trimmed) name without an override
    assert any("统一社" in n and "截断" in n for n in log.inputs["parcels"].notes)


def test_encoding_option_and_cpg_precedence(parcel_files):
    log = QualityLog()
    gdf = read_vectors(parcel_files["gbk_nocpg_ldid0"], encoding="gbk", log=log)
    assert log.inputs["parcels"].encoding == "GB18030 (option)"
    pd.testing.assert_frame_equal(_values(gdf), _expected_values())
    log = QualityLog()  # a .cpg wins over the option, with a note
    gdf = read_vectors(parcel_files["gbk_cpg"], encoding="utf-8", log=log)
    assert log.inputs["parcels"].encoding == "GB18030 (.cpg)"
    assert any(".cpg" in n and "不一致" in n for n in log.inputs["parcels"].notes)
    pd.testing.assert_frame_equal(_values(gdf), _expected_values())


def test_gbk_geojson_is_recoded(parcel_files, tmp_path):
    text = parcel_files["geojson"].read_text("utf-8")
    path = tmp_path / "gbk.geojson"
    path.write_bytes(text.encode("gb18030"))
    log = QualityLog()
    gdf = read_vectors(path, log=log)
    assert log.inputs["parcels"].encoding == "GB18030 (detected)"
    pd.testing.assert_frame_equal(_values(gdf), _expected_values())


def test_detect_dbf_encoding_on_built_fixtures(parcel_files):
    assert detect_dbf_encoding(parcel_files["gbk_nocpg_ldid0"].with_suffix(".dbf")) == (
        "GB18030",
        "detected",
    )
    assert detect_dbf_encoding(parcel_files["gbk_ldid4d"]) == ("GB18030", "LDID")
    assert detect_dbf_encoding(parcel_files["utf8_cpg"]) == ("UTF-8", ".cpg")
    assert detect_dbf_encoding(parcel_files["utf8_nocpg"]) == ("UTF-8", "detected")


# The way each mapshaper fixture gets its encoding: detected, from .cpg or LDID,
# or only when the user names it (Big5 and Japanese cannot be told from GBK).
MAPSHAPER_HOW = {
    "gbk.dbf": ("GB18030", "detected"),
    "gb2312.dbf": ("GB18030", "detected"),
    "utf8.dbf": ("UTF-8", "detected"),
    "latin1.dbf": ("ISO-8859-1", "detected"),
    "cpg/big5.dbf": ("BIG5", ".cpg"),
    "cpg/euckr.dbf": ("EUC-KR", ".cpg"),
    "ldid/chinese.dbf": ("GB18030", "LDID"),
}


def _expected_rows() -> list[dict[str, str]]:
    with open(DATA / "dbf_decoding_expected.csv", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["file"].startswith("mapshaper_dbf_fixtures/")]


@pytest.mark.parametrize("row", _expected_rows(), ids=lambda r: f"{r['file']}#{r['record_index']}")
def test_mapshaper_fixtures_decode_as_published(row):
    path = DATA / row["file"]
    key = row["file"].removeprefix("mapshaper_dbf_fixtures/")
    if key in MAPSHAPER_HOW:
        enc, how = detect_dbf_encoding(path)
        assert (enc, how) == MAPSHAPER_HOW[key]
    else:  # the user names the encoding in the project file
        enc = normalise_encoding(row["decode_with"])
    table = pyogrio.read_dataframe(path, encoding=enc, read_geometry=False)
    text_col = "NAME" if "NAME" in table.columns else table.columns[0]
    assert table[text_col].iloc[int(row["record_index"])] == row["expected_value"]


def test_normalise_encoding_spellings():
    assert normalise_encoding("Big-5") == "BIG5"
    assert normalise_encoding("936") == "GB18030"
    assert normalise_encoding("gbk") == "GB18030"
    assert normalise_encoding("65001") == "UTF-8"
    assert normalise_encoding("EUC-KR") == "EUC-KR"
    assert normalise_encoding("System") is None


def test_real_utf8_dbf_without_cpg_and_gcj02_declared():
    """GaryBikini: UTF-8 .dbf, LDID 0, no .cpg, no .prj, GCJ-02 coordinates."""
    log = QualityLog()
    gdf = read_vectors(GARY, input_name="parks", columns={"park": "name"}, crs="GCJ-02", log=log)
    assert gdf["park"].tolist() == ["惠农区", "平罗县", "大武口区"]  # file order
    rec = log.inputs["parks"]
    assert (rec.encoding, rec.crs) == ("UTF-8 (detected)", "GCJ-02 (option)")
    assert gdf.crs.to_epsg() == 4490

    # Independent check: the forward WGS84→GCJ-02 formula (DOMAIN §3 constants)
    # applied to the output must give back the file's raw coordinates.
    raw = pyogrio.read_dataframe(GARY, encoding="UTF-8")
    raw_xy = shapely.get_coordinates(raw.geometry.values)[::50]
    out_xy = shapely.get_coordinates(gdf.geometry.values)[::50]
    back = np.array([_wgs84_to_gcj02(x, y) for x, y in out_xy])
    np.testing.assert_allclose(back, raw_xy, atol=1e-6)
    shift = raw_xy - out_xy  # GCJ-02 lies ~400-600 m east and a little north here
    assert 0.003 < shift[:, 0].mean() < 0.008 and 0.0 < shift[:, 1].mean() < 0.002


def _wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lng - 105.0, lat - 35.0
    dlat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlat += (20 * math.sin(6 * x * math.pi) + 20 * math.sin(2 * x * math.pi)) * 2 / 3
    dlat += (20 * math.sin(y * math.pi) + 40 * math.sin(y / 3 * math.pi)) * 2 / 3
    dlat += (160 * math.sin(y / 12 * math.pi) + 320 * math.sin(y * math.pi / 30)) * 2 / 3
    dlng = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    dlng += (20 * math.sin(6 * x * math.pi) + 20 * math.sin(2 * x * math.pi)) * 2 / 3
    dlng += (20 * math.sin(x * math.pi) + 40 * math.sin(x / 3 * math.pi)) * 2 / 3
    dlng += (150 * math.sin(x / 12 * math.pi) + 300 * math.sin(x / 30 * math.pi)) * 2 / 3
    rad = lat / 180 * math.pi
    magic = 1 - ee * math.sin(rad) ** 2
    sq = math.sqrt(magic)
    dlat = dlat * 180 / ((a * (1 - ee)) / (magic * sq) * math.pi)
    dlng = dlng * 180 / (a / sq * math.cos(rad) * math.pi)
    return lng + dlng, lat + dlat


def test_gcj_formula_matches_published_vector():
    x, y = _wgs84_to_gcj02(116.404, 39.915)
    assert abs(x - 116.41024449916938) < 1e-9 and abs(y - 39.91640428150164) < 1e-9


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize("variant", ["gpkg", "geojson", "geojson_array", "parquet", "zip"])
def test_formats_give_same_values_and_coordinates(parcel_files, variant):
    log = QualityLog()
    gdf = read_vectors(parcel_files[variant], log=log)
    pd.testing.assert_frame_equal(_values(gdf), _expected_values())
    assert gdf.crs.to_epsg() == 4490
    _assert_vertices_4490(gdf, 4545)
    assert gdf[SOURCE_ROW].tolist() == [1, 2, 3]


def test_zip_member_named_in_source_file(parcel_files, tmp_path):
    log = QualityLog()
    gdf = read_vectors("parcels.zip", base_dir=parcel_files["zip"].parent, log=log)
    assert set(gdf[SOURCE_FILE]) == {"parcels.zip/导出/parcels.shp"}
    assert log.inputs["parcels"].encoding == "GB18030 (detected)"


class _LegacyZipInfo(zipfile.ZipInfo):
    """Store the name as raw code-page bytes without the UTF-8 flag (as Windows does)."""

    def _encodeFilenameFlags(self):  # noqa: N802 - overrides the stdlib name
        return self.filename.encode("cp437"), self.flag_bits & ~0x800


def test_windows_zip_with_gbk_member_names(parcel_files, tmp_path):
    src = parcel_files["gbk_nocpg_ldid0"]
    path = tmp_path / "windows.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            # what Windows "send to zip" writes: GBK bytes, no UTF-8 flag
            info = _LegacyZipInfo(("宗地" + ext).encode("gbk").decode("cp437"))
            zf.writestr(info, src.with_suffix(ext).read_bytes())
    assert not zipfile.ZipFile(path).infolist()[0].flag_bits & 0x800
    gdf = read_vectors(path)
    assert set(gdf[SOURCE_FILE]) == {f"{path.as_posix()}/宗地.shp"}
    pd.testing.assert_frame_equal(_values(gdf), _expected_values())


def test_real_bare_feature_array_datav(tmp_path):
    # DataV GeoAtlas mirrors ship a bare JSON array of Features (no FeatureCollection).
    # The shared DataV copy has no stated licence, so the same quirk is built here from
    # the real district outlines of the MIT-licensed AMap shapefile (tests/data).
    shp = GARY
    districts = pyogrio.read_dataframe(shp, encoding="utf-8", columns=["name", "adcode"])
    collection = json.loads(districts.set_crs(4490).to_json(drop_id=True))
    path = tmp_path / "640200.json"
    path.write_text(json.dumps(collection["features"], ensure_ascii=False), "utf-8")
    log = QualityLog()
    gdf = read_vectors(path, input_name="parks", columns={"park": "name"}, crs="GCJ-02", log=log)
    assert gdf["park"].tolist() == ["惠农区", "平罗县", "大武口区"]
    assert "裸要素数组" in log.inputs["parks"].encoding
    assert log.inputs["parks"].crs == "GCJ-02 (option)"
    # GCJ-02 in, CGCS2000 out: the outlines move back by the DOMAIN §3 offset (~400 m west).
    shift = (
        gdf.to_crs(4544).centroid.x.to_numpy()
        - districts.set_crs(4490).to_crs(4544).centroid.x.to_numpy()
    )
    assert ((shift > -700) & (shift < -300)).all()


def test_several_layers_warn_and_layer_option(tmp_path):
    path = tmp_path / "two.gpkg"
    a, b = parcel_frame(4545), parcel_frame(4545).iloc[:1]
    pyogrio.write_dataframe(a, path, layer="宗地")
    pyogrio.write_dataframe(b, path, layer="新增宗地")
    log = QualityLog()
    assert len(read_vectors(path, log=log)) == 3
    assert any("多个图层" in w["message"] or "个图层" in w["message"] for w in log.warnings)
    assert len(read_vectors(path, layer="新增宗地")) == 1
    with pytest.raises(InputFileError, match="新增宗地"):
        read_vectors(path, layer="没有")


# --------------------------------------------------------------------------- sources


def test_missing_file_and_empty_glob_are_named(tmp_path):
    with pytest.raises(InputFileError, match="missing.shp"):
        read_vectors("missing.shp", base_dir=tmp_path)
    with pytest.raises(InputFileError, match=r"parcels/\*\.shp"):
        read_vectors("parcels/*.shp", base_dir=tmp_path)


def test_list_sources_glob_skips_side_files(parcel_files):
    root = parcel_files["gbk_cpg"].parent
    assert list_sources("*", base_dir=root) == [root / "宗地.shp"]


# --------------------------------------------------------------------------- CRS


def test_files_in_two_gk_zones_are_concatenated_in_4490(tmp_path):
    write_shapefile(parcel_frame(4544), tmp_path / "a" / "zone105.shp", "GBK")
    write_shapefile(parcel_frame(4545), tmp_path / "b" / "zone108.shp", "GBK")
    log = QualityLog()
    gdf = read_vectors(["a/zone105.shp", "b/*.shp"], base_dir=tmp_path, log=log)
    assert gdf.crs.to_epsg() == 4490 and len(gdf) == 6
    assert gdf[SOURCE_FILE].tolist() == ["a/zone105.shp"] * 3 + ["b/zone108.shp"] * 3
    assert gdf[SOURCE_ROW].tolist() == [1, 2, 3, 1, 2, 3]
    assert log.inputs["parcels"].crs == "EPSG:4544; EPSG:4545"
    assert log.inputs["parcels"].rows_read == 6
    _assert_vertices_4490(gdf.iloc[:3], 4544)
    _assert_vertices_4490(gdf.iloc[3:], 4545)


def test_missing_crs_error_and_option(tmp_path):
    shp = write_shapefile(parcel_frame(4545), tmp_path / "noprj.shp", "GBK")
    shp.with_suffix(".prj").unlink()
    with pytest.raises(CRSError) as err:
        read_vectors(shp)
    msg = str(err.value)
    assert "noprj.shp" in msg and "缺少坐标系" in msg
    assert '[inputs.parcels_options] crs = "EPSG:4545"' in msg
    log = QualityLog()
    gdf = read_vectors(shp, crs="EPSG:4545", log=log)
    assert log.inputs["parcels"].crs == "EPSG:4545 (option)"
    _assert_vertices_4490(gdf, 4545)


def test_option_disagreeing_with_file_crs_warns_and_file_wins(parcel_files):
    log = QualityLog()
    gdf = read_vectors(parcel_files["gpkg"], crs="EPSG:4544", log=log)
    assert any("不一致" in w["message"] for w in log.warnings)
    _assert_vertices_4490(gdf, 4545)


def test_gcj02_declared_for_projected_file_is_refused_or_ignored(tmp_path, parcel_files):
    shp = write_shapefile(parcel_frame(4545), tmp_path / "noprj.shp", "GBK")
    shp.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match="noprj.shp"):  # metres cannot be GCJ-02 degrees
        read_vectors(shp, crs="GCJ-02")
    log = QualityLog()  # the file says EPSG:4545: it wins, with a warning
    gdf = read_vectors(parcel_files["gpkg"], crs="GCJ-02", log=log)
    _assert_vertices_4490(gdf, 4545)
    assert any("不一致" in w["message"] for w in log.warnings)


def test_unreadable_prj_is_not_called_missing(tmp_path):
    shp = write_shapefile(parcel_frame(4545), tmp_path / "bad.shp", "GBK")
    shp.with_suffix(".prj").write_text("GARBAGE")
    with pytest.raises(CRSError) as err:
        read_vectors(shp)
    msg = str(err.value)
    assert "bad.shp" in msg and "无法识别 .prj" in msg and "GARBAGE" in msg
    assert "缺少坐标系" not in msg
    log = QualityLog()
    gdf = read_vectors(shp, crs="EPSG:4545", log=log)  # the option still rescues it
    _assert_vertices_4490(gdf, 4545)
    assert any("无法识别" in n for n in log.inputs["parcels"].notes)


def test_unknown_crs_option(tmp_path):
    shp = write_shapefile(parcel_frame(4545), tmp_path / "noprj.shp", "GBK")
    shp.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match="EPSG:4545"):
        read_vectors(shp, crs="CGCS2000 带号不明")


# --------------------------------------------------------------------------- headers


def test_truncated_header_mapped_via_override(parcel_files):
    gdf = read_vectors(parcel_files["gbk_cpg"], columns={"credit_code": "统一社会信"})
    assert gdf["credit_code"].fillna("").tolist() == PARCEL_VALUES["统一社会信"]
    assert "统一社会信" not in gdf.columns


@pytest.mark.parametrize("input_name", ["parcels", "parks", "buildings"])
def test_column_override_not_in_the_file_is_a_quality_warning(tmp_path, input_name):
    """As for the ledgers: a [columns.X] header the file lacks is a warning, not a note."""
    path = tmp_path / "layer.gpkg"
    pyogrio.write_dataframe(parcel_frame(4545), path)
    log = QualityLog()
    # fields no header of the file stands for (an alias found would make the override moot)
    wanted = {"parcels": "agreed_start", "parks": "county", "buildings": "floor_area"}[input_name]
    read_vectors(path, input_name=input_name, columns={wanted: "不存在的列"}, log=log)
    hits = [w for w in log.warnings if "header not found" in w["message"]]
    assert [w["message"] for w in hits] == [
        f"[columns.{input_name}] {wanted} = '不存在的列': 文件中没有该列 / header not found"
    ]
    assert hits[0]["file"].endswith("layer.gpkg") and hits[0]["input"] == input_name
    assert hits[0]["column"] == wanted
    # a header that is there gives no warning
    log = QualityLog()
    read_vectors(path, input_name=input_name, columns={wanted: "权利人"}, log=log)
    assert not [w for w in log.warnings if "header not found" in w["message"]]


def test_unmapped_columns_kept_and_units_in_attrs(tmp_path):
    gdf = parcel_frame(4545).assign(**{"宗地面积(亩)": [10.5, 20.0, 3.0], "备注": ["a", "b", "c"]})
    path = tmp_path / "units.gpkg"
    pyogrio.write_dataframe(gdf, path)
    out = read_vectors(path)
    assert out["备注"].tolist() == ["a", "b", "c"]
    assert out["certified_area"].tolist() == [10.5, 20.0, 3.0]
    assert out.attrs["units"] == {"certified_area": "亩"}


def test_header_units_are_applied_per_file(tmp_path):
    """Two files, one in 亩 and one in 平方米: each is converted by its own header unit."""
    from landclear.io.parse import harmonise

    a = parcel_frame(4545).iloc[:2].assign(**{"宗地面积(亩)": [33.7, 10.0]})
    b = parcel_frame(4545).iloc[2:].assign(**{"宗地面积(平方米)": [22500.0]})
    pyogrio.write_dataframe(a, tmp_path / "a.gpkg")
    pyogrio.write_dataframe(b, tmp_path / "b.gpkg")
    log = QualityLog()
    gdf = read_vectors(["a.gpkg", "b.gpkg"], base_dir=tmp_path, log=log)
    np.testing.assert_allclose(gdf["certified_area"], [33.7, 10.0, 33.75])
    assert any("不同" in n for n in log.inputs["parcels"].notes)
    # the loader's later harmonise must not convert a second time
    again = harmonise(gdf, "parcels", {}, log)
    np.testing.assert_allclose(again["certified_area"], [33.7, 10.0, 33.75])


def test_units_option_wins_over_the_header_per_file(tmp_path):
    a = parcel_frame(4545).assign(**{"ZDMJ": [1500.0, 3000.0, 6000.0]})
    pyogrio.write_dataframe(a, tmp_path / "a.gpkg")
    gdf = read_vectors("a.gpkg", base_dir=tmp_path, units={"certified_area": "平方米"})
    np.testing.assert_allclose(gdf["certified_area"], [2.25, 4.5, 9.0])


def test_missing_required_column_message(tmp_path):
    gdf = parcel_frame(4545).drop(columns=["ZDDM"])
    path = tmp_path / "no_id.gpkg"
    pyogrio.write_dataframe(gdf, path)
    with pytest.raises(MissingColumnError) as err:
        read_vectors(path)
    msg = str(err.value)
    for part in ("no_id.gpkg", "parcel_id", "宗地代码", "[columns.parcels]", "权利人", "园区"):
        assert part in msg
    assert err.value.column == "parcel_id"


# --------------------------------------------------------------------------- geometry


def _geometry_fixture(tmp_path: Path) -> Path:
    x0, y0 = parcel_origins(4545)[0]
    sq = shapely.box(x0, y0, x0 + SIDE, y0 + SIDE)
    bowtie = shapely.Polygon(
        [(x0, y0), (x0 + SIDE, y0 + SIDE), (x0 + SIDE, y0), (x0, y0 + SIDE), (x0, y0)]
    )
    line = shapely.LineString([(x0, y0), (x0 + SIDE, y0)])
    coll = shapely.GeometryCollection([sq, line])
    geoms = [sq, bowtie, None, shapely.Polygon(), line, coll]
    gdf = gpd.GeoDataFrame({"ZDDM": [f"P{i}" for i in range(1, 7)]}, geometry=geoms, crs=4545)
    path = tmp_path / "geoms.gpkg"
    pyogrio.write_dataframe(gdf, path, geometry_type="Unknown")
    return path


def test_invalid_empty_and_wrong_geometries(tmp_path):
    log = QualityLog()
    gdf = read_vectors(_geometry_fixture(tmp_path), log=log)
    rec = log.inputs["parcels"]
    assert gdf["parcel_id"].tolist() == ["P1", "P2", "P6"]
    assert gdf[SOURCE_ROW].tolist() == [1, 2, 6]
    assert rec.rows_read == 6 == rec.rows_used + rec.rows_rejected
    assert len(gdf) == rec.rows_used == 3
    rejected = {r["row"]: r["reason"] for r in rec.rejected}
    assert rejected[3] == rejected[4] == "几何为空 / empty geometry"
    assert "LineString" in rejected[5] and "不是面" in rejected[5]
    repaired = {r["row"]: r["repair"] for r in rec.repairs}
    assert set(repaired) == {2, 6}
    assert "Self-intersection" in repaired[2]
    assert all(r["file"].endswith("geoms.gpkg") for r in rec.repairs)
    assert shapely.is_valid(gdf.geometry.values).all()
    # the bowtie becomes two triangles of a quarter square each: half the area
    back = gdf.to_crs(4545).area.to_numpy()
    np.testing.assert_allclose(back, [SIDE**2, SIDE**2 / 2, SIDE**2], rtol=1e-6)
    assert gdf.geometry.iloc[1].geom_type == "MultiPolygon"
    assert gdf.geometry.iloc[2].geom_type == "Polygon"  # polygon kept, line dropped


def test_zero_area_polygon_is_rejected_in_the_source_crs(tmp_path):
    """A ring collapsed onto a line must not come back as a tiny polygon after reprojection."""
    x0, y0 = parcel_origins(4545)[0]
    flat = shapely.Polygon([(x0, y0), (x0 + 150, y0), (x0 + 300, y0), (x0, y0)])
    sq = shapely.box(x0, y0 + 500, x0 + SIDE, y0 + 500 + SIDE)
    gdf = gpd.GeoDataFrame({"ZDDM": ["F1", "S1"]}, geometry=[flat, sq], crs=4545)
    path = tmp_path / "flat.gpkg"
    pyogrio.write_dataframe(gdf, path)
    log = QualityLog()
    out = read_vectors(path, log=log)
    rec = log.inputs["parcels"]
    assert out["parcel_id"].tolist() == ["S1"]
    assert [r["row"] for r in rec.rejected] == [1]
    assert "面积为零" in rec.rejected[0]["reason"]
    assert rec.rows_read == rec.rows_used + rec.rows_rejected == 2


def test_z_coordinates_dropped(tmp_path):
    x0, y0 = parcel_origins(4545)[0]
    poly = shapely.Polygon(
        [(x0, y0, 5), (x0 + SIDE, y0, 5), (x0 + SIDE, y0 + SIDE, 6), (x0, y0, 5)]
    )
    path = tmp_path / "z.gpkg"
    pyogrio.write_dataframe(gpd.GeoDataFrame({"ZDDM": ["Z1"]}, geometry=[poly], crs=4545), path)
    log = QualityLog()
    gdf = read_vectors(path, log=log)
    assert not shapely.has_z(gdf.geometry.values).any()
    assert any("Z/M" in n for n in log.inputs["parcels"].notes)
    np.testing.assert_allclose(gdf.to_crs(4545).area, [SIDE**2 / 2], rtol=1e-6)


def test_all_features_rejected_is_a_data_error():
    # mapshaper's LDID fixture: a GBK point layer, not polygons
    with pytest.raises(DataError, match="不是面"):
        read_vectors(MAPSHAPER / "ldid" / "chinese.shp", columns={"parcel_id": "NAME"})
