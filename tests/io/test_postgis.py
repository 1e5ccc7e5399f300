"""PostGIS input and output against a real PostgreSQL + PostGIS server.

The server is started by :mod:`postgis_server` (initdb in a temp folder,
127.0.0.1 on a free port). Without the binaries the tests skip with a message
— a failure in CI, where skips are not allowed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

sys.path.insert(0, str(Path(__file__).parent))
import postgis_server  # noqa: E402

from landclear.analysis import run  # noqa: E402
from landclear.errors import CRSError, InputFileError  # noqa: E402
from landclear.io.postgis import (  # noqa: E402
    connect_url,
    quote_table,
    read_postgis_input,
    split_source,
    write_postgis,
)
from landclear.io.vectors import read_vectors  # noqa: E402
from landclear.project import InputSpec, load_project  # noqa: E402
from landclear.quality import QualityLog  # noqa: E402

pytestmark = pytest.mark.postgis

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "shapefiles"
RAW = {  # table → (file, encoding) of the sample, loaded raw into PostGIS
    "gaoxin": ("parcels/gaoxin.shp", None),
    "jingkai": ("parcels/jingkai.shp", "GBK"),
    "pingluo": ("parcels/pingluo.gpkg", None),
}


@pytest.fixture(scope="module")
def server():
    bin_dir = postgis_server.find_bin()
    if bin_dir is None or not postgis_server.has_postgis(bin_dir):
        pytest.skip(postgis_server.INSTALL_HINT)
    srv = postgis_server.start(bin_dir)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def engine(server):
    from sqlalchemy import create_engine

    eng = create_engine(connect_url(server.url))
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def raw_tables(engine):
    """The three sample parcel files, raw (file headers, file CRS), as tables in schema src."""
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("CREATE SCHEMA IF NOT EXISTS src"))
    frames = {}
    for table, (rel, enc) in RAW.items():
        gdf = pyogrio.read_dataframe(SAMPLE / rel, encoding=enc)
        gdf.to_postgis(table, engine, schema="src", if_exists="replace", index=False)
        frames[table] = gdf
    return frames


def test_url_helpers():
    url, ours = split_source("postgresql://u:pw@h:5/db?table=src.宗地&sslmode=disable")
    assert ours == {"table": "src.宗地"}
    assert url == "postgresql://u:pw@h:5/db?sslmode=disable"
    assert connect_url("postgres://u@h/db?table=x.y") == "postgresql+psycopg://u@h/db"
    assert quote_table('src."宗 地"') == '"src"."宗 地"'
    with pytest.raises(InputFileError):
        quote_table("a; DROP TABLE b")


def test_table_reads_like_the_file(server, raw_tables):
    log_db, log_file = QualityLog(), QualityLog()
    spec = InputSpec(
        "parcels",
        [f"{server.url}?table=src.gaoxin"],
        columns={"credit_code": "统一社会信", "cert_no": "不动产权证"},
    )
    got = read_postgis_input(spec, log_db)
    want = read_vectors(SAMPLE / "parcels/gaoxin.shp", columns=spec.columns, log=log_file)
    assert len(got) == len(want) == len(raw_tables["gaoxin"])
    assert got.crs.to_epsg() == 4490
    assert got["source_row"].tolist() == list(range(1, len(got) + 1))
    assert got["source_file"].iloc[0].endswith("表 src.gaoxin")
    for col in ("parcel_id", "owner_name", "credit_code", "cert_no", "park", "grant_date"):
        assert (
            got[col].astype("string").fillna("").tolist()
            == want[col].astype("string").fillna("").tolist()
        ), col
    np.testing.assert_allclose(got["certified_area"], want["certified_area"])
    # Same reprojection (SRID 4544 in the table, .prj in the file): same vertices.
    assert shapely.equals_exact(
        np.asarray(got.geometry.array), np.asarray(want.geometry.array), tolerance=1e-9
    ).all()
    rec = log_db.inputs["parcels"]
    assert rec.crs == "EPSG:4544"
    assert rec.rows_read == rec.rows_used + rec.rows_rejected == len(raw_tables["gaoxin"])


def test_sql_and_where(server, raw_tables):
    expected = int((raw_tables["pingluo"]["县区"] == "平罗县").sum())
    sql = 'SELECT * FROM src.pingluo WHERE "宗地面积" > 20 ORDER BY "宗地代码"'
    spec = InputSpec("parcels", [server.url], options={"sql": sql})
    log = QualityLog()
    got = read_postgis_input(spec, log)
    raw = raw_tables["pingluo"]
    assert len(got) == int((raw["宗地面积"] > 20).sum())
    assert got["parcel_id"].tolist() == sorted(got["parcel_id"].tolist())
    assert log.inputs["parcels"].files[0].startswith("SQL: SELECT * FROM src.pingluo")
    spec = InputSpec(
        "parcels", [f"{server.url}?table=src.pingluo"], options={"where": "\"县区\" = '平罗县'"}
    )
    assert len(read_postgis_input(spec, QualityLog())) == expected


def test_srid_zero_needs_crs_and_broken_rows_are_accounted(server, engine):
    from sqlalchemy import text

    square = "POLYGON((106.40 39.00, 106.41 39.00, 106.41 39.01, 106.40 39.01, 106.40 39.00))"
    bowtie = "POLYGON((106.40 39.00, 106.41 39.01, 106.41 39.00, 106.40 39.01, 106.40 39.00))"
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS src.nosrid"))
        conn.execute(text('CREATE TABLE src.nosrid ("宗地代码" text, geom geometry)'))
        conn.execute(
            text(
                "INSERT INTO src.nosrid VALUES ('a', ST_GeomFromText(:sq)), ('b', ST_GeomFromText(:bt)),"
                " ('c', 'POLYGON EMPTY'::geometry), ('d', NULL)"
            ),
            {"sq": square, "bt": bowtie},
        )
    spec = InputSpec("parcels", [f"{server.url}?table=src.nosrid"])
    with pytest.raises(CRSError):
        read_postgis_input(spec, QualityLog())
    spec.options["crs"] = "EPSG:4490"
    log = QualityLog()
    got = read_postgis_input(spec, log)
    rec = log.inputs["parcels"]
    assert got["parcel_id"].tolist() == ["a", "b"]  # the bow-tie is repaired, kept
    assert rec.rows_read == 4 and rec.rows_rejected == 2 and rec.rows_used == 2
    assert sorted(r["row"] for r in rec.rejected) == [3, 4]
    assert [r["row"] for r in rec.repairs] == [2]
    assert got.geometry.is_valid.all()


def test_bad_table_is_a_readable_error(server, raw_tables):
    spec = InputSpec("parcels", [f"{server.url}?table=src.missing"])
    with pytest.raises(InputFileError, match="无法读取 PostGIS"):
        read_postgis_input(spec, QualityLog())
    with pytest.raises(InputFileError, match="表或查询"):
        read_postgis_input(InputSpec("parcels", [server.url]), QualityLog())


@pytest.fixture(scope="module")
def file_result():
    return run(SAMPLE / "project.toml")


def test_pipeline_from_postgis_matches_files(server, raw_tables, file_result):
    raw = (SAMPLE / "project.toml").read_text("utf-8")
    project = load_project(SAMPLE / "project.toml")
    tables = [f"{server.url}?table=src.{t}" for t in RAW]
    project.inputs["parcels"].sources = tables
    assert "[columns.parcels]" in raw  # the truncated dBASE names still need mapping
    db = run(project)
    cols = [
        "parcel_id",
        "area_mu",
        "park",
        "idle",
        "idle_years",
        "idle_fee",
        "lists",
        "grade",
        "low_efficiency",
        "building_coverage",
        "action",
        "action_rule",
        "priority",
    ]
    a = db.parcels.sort_values(["parcel_id", "source_row"])[cols].reset_index(drop=True)
    b = file_result.parcels.sort_values(["parcel_id", "source_row"])[cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)
    assert db.summary() == file_result.summary()
    rec = db.quality.inputs["parcels"]
    assert rec.rows_read == sum(len(f) for f in raw_tables.values())


def test_write_postgis_replaces_tables_with_gist_indexes(server, engine, file_result):
    from sqlalchemy import text

    r = file_result
    for _ in range(2):  # twice: replace, not append
        written = write_postgis(r, server.url, schema="landclear")
    assert written == {
        "parcels": "landclear.parcels",
        "enterprises": "landclear.enterprises",
        "parks": "landclear.parks",
    }
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM landclear.parcels")).scalar()
        n_ent = conn.execute(text("SELECT count(*) FROM landclear.enterprises")).scalar()
        srid = conn.execute(text("SELECT DISTINCT ST_SRID(geometry) FROM landclear.parcels")).all()
        idle_mu = conn.execute(
            text("SELECT sum(area_mu) FROM landclear.parcels WHERE idle")
        ).scalar()
        gist = (
            conn.execute(
                text(
                    "SELECT tablename FROM pg_indexes WHERE schemaname = 'landclear' "
                    "AND indexdef ILIKE '%USING gist%' ORDER BY tablename"
                )
            )
            .scalars()
            .all()
        )
    assert n == len(r.parcels) and n_ent == len(r.enterprises)
    assert srid == [(4490,)]
    assert idle_mu == pytest.approx(r.parcels.loc[r.parcels["idle"], "area_mu"].sum(), rel=1e-12)
    assert gist == ["parcels", "parks"]
    back = gpd.read_postgis("SELECT * FROM landclear.parcels", engine, geom_col="geometry")
    assert back.crs.to_epsg() == 4490
    assert (
        back.sort_values("parcel_id")["action"].tolist()
        == r.parcels.sort_values("parcel_id")["action"].tolist()
    )
