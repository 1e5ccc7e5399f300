"""PostGIS in and out: parcels from a table or a query, results back into tables.

Input, in the project file (DOMAIN §9)::

    [inputs]
    parcels = "postgresql://analyst@10.0.0.5:5432/cadastre?table=public.宗地"
    # or a query (the URL names only the database):
    # parcels = "postgresql://analyst@10.0.0.5:5432/cadastre"
    # [inputs.parcels_options]
    # sql = "SELECT * FROM public.宗地 WHERE 地类编码 LIKE '06%'"
    # where = "县区 = '惠农区'"      # optional filter on a table

The rows come back like :func:`landclear.io.vectors.read_vectors` returns a
file: canonical column names (header aliases, ``[columns.parcels]``), the raw
values, ``source_file`` = the table or ``SQL: …`` and ``source_row`` = the row
number in the result (1-based; add ``ORDER BY`` to the query for a stable
numbering), geometry in EPSG:4490 from the geometry column's SRID (or the
``crs`` option when the SRID is 0), broken geometry repaired or rejected and
logged by row.

Passwords: put them in ``~/.pgpass`` or ``PGPASSWORD``, not in the project
file; libpq reads both.

Output: :func:`write_postgis` replaces the tables ``parcels``, ``enterprises``
and ``parks`` of a schema (default ``landclear``) in one transaction and gives
every geometry column a GIST index.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd

from landclear._memory import gc_paused
from landclear.errors import CRSError, DataError, InputFileError
from landclear.io.write import objects_as_text
from landclear.quality import QualityLog
from landclear.schema import SOURCE_FILE, SOURCE_ROW

if TYPE_CHECKING:
    import sqlalchemy

    from landclear.project import InputSpec
    from landclear.result import Result

__all__ = ["connect_url", "read_postgis", "read_postgis_input", "split_source", "write_postgis"]

#: Query-string keys of a source URL that landclear reads (not passed to libpq).
URL_KEYS = ("table", "where", "sql")
OUTPUT_TABLES = ("parcels", "enterprises", "parks")
_PART = r'(?:"[^"]+"|[^\W\d][\w$]*)'
_IDENT = re.compile(rf"^{_PART}(?:\.{_PART})?$")


# --------------------------------------------------------------------------- URLs


def split_source(source: str) -> tuple[str, dict[str, str]]:
    """Split a ``postgresql://`` source into the libpq URL and landclear's keys.

    Examples
    --------
    >>> split_source("postgresql://u@h:5432/db?table=s.t&sslmode=disable")
    ('postgresql://u@h:5432/db?sslmode=disable', {'table': 's.t'})
    """
    parts = urlsplit(source)
    query = parse_qsl(parts.query, keep_blank_values=True)
    ours = {k: v for k, v in query if k in URL_KEYS}
    rest = [(k, v) for k, v in query if k not in URL_KEYS]
    return urlunsplit(parts._replace(query=urlencode(rest))), ours


def connect_url(url: str) -> str:
    """The SQLAlchemy URL (psycopg 3 driver) of a libpq URL.

    Examples
    --------
    >>> connect_url("postgresql://u@h/db"), connect_url("postgres://u@h/db")
    ('postgresql+psycopg://u@h/db', 'postgresql+psycopg://u@h/db')
    """
    url = split_source(url)[0]
    return re.sub(r"^postgres(?:ql)?(?:\+\w+)?://", "postgresql+psycopg://", url)


def _shown(url: str) -> str:
    """The URL without a password, for messages and quality.json."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts._replace(query=""))


def quote_table(name: str) -> str:
    """``schema.table`` with each part quoted as an SQL identifier.

    Raises
    ------
    InputFileError
        For a name that is not one or two identifiers.

    Examples
    --------
    >>> quote_table("public.宗地"), quote_table('"My Schema".t')
    ('"public"."宗地"', '"My Schema"."t"')
    """
    name = name.strip()
    if not _IDENT.match(name):
        raise InputFileError(f"表名无效 / invalid table name {name!r} (expected schema.table)")
    parts = re.findall(_PART, name)
    return ".".join(p if p.startswith('"') else '"' + p + '"' for p in parts)


@contextmanager
def _engine(url: str) -> Iterator[sqlalchemy.Engine]:
    from sqlalchemy import create_engine

    engine = create_engine(connect_url(url), pool_pre_ping=False)
    try:
        yield engine
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- reading


def _geometry_columns(conn: Any, query: str) -> list[str]:
    """Names of the PostGIS geometry columns a query returns (in order)."""
    from sqlalchemy import text

    res = conn.execute(text(f"SELECT * FROM ({query}) AS _lc_q LIMIT 0"))
    cursor = res.cursor
    oids = {d.name: d.type_code for d in cursor.description}
    res.close()
    types = dict(
        conn.execute(
            text("SELECT oid, typname FROM pg_type WHERE oid = ANY(:oids)"),
            {"oids": list(set(oids.values()))},
        ).all()
    )
    return [name for name, oid in oids.items() if types.get(oid) in ("geometry", "geography")]


def read_postgis(
    url: str,
    *,
    table: str | None = None,
    sql: str | None = None,
    where: str | None = None,
) -> tuple[gpd.GeoDataFrame, str]:
    """Raw rows of a PostGIS table or query and the name to show for them.

    Parameters
    ----------
    url : str
        ``postgresql://user@host:port/db`` (``?table=`` allowed).
    table, sql, where : str, optional
        A table (``schema.name``) with an optional ``where`` filter, or a query.

    Returns
    -------
    (GeoDataFrame, str)
        Geometry column renamed ``geometry``, CRS from its SRID (None if 0).

    Example
    -------
    >>> gdf, shown = read_postgis("postgresql://u@localhost/db", table="public.parcels")  # doctest: +SKIP
    """
    from sqlalchemy import text

    base, ours = split_source(url)
    table = table or ours.get("table")
    sql = sql or ours.get("sql")
    where = where or ours.get("where")
    if sql:
        query = sql.strip().rstrip(";")
        shown = "SQL: " + " ".join(query.split())[:80]
    elif table:
        query = f"SELECT * FROM {quote_table(table)}"
        if where:
            query += f" WHERE {where}"
        shown = f"{_shown(base)} 表 {table}" + (f" WHERE {where}" if where else "")
    else:
        raise InputFileError(
            "PostGIS 输入需指定表或查询:在 URL 中加 ?table=schema.name,或在 "
            '[inputs.parcels_options] 中写 sql = "SELECT …" / name a table or a query',
            file=_shown(base),
        )
    try:
        with _engine(base) as engine, engine.connect() as conn:
            geoms = _geometry_columns(conn, query)
            if not geoms:
                raise InputFileError(
                    "查询结果没有几何列 / the query returns no geometry column", file=shown
                )
            geom = geoms[0]
            # EWKB keeps the SRID, so geopandas sets the CRS from the data itself.
            q = f"SELECT * FROM ({query}) AS _lc_q"
            with gc_paused():  # one geometry object per row
                gdf = gpd.read_postgis(text(q), conn, geom_col=geom)
    except (InputFileError, CRSError):
        raise
    except Exception as exc:  # noqa: BLE001 - driver/SQL errors become one readable error
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputFileError(
            f"无法读取 PostGIS:{first} / cannot read from PostGIS", file=shown
        ) from exc
    if geom != "geometry":
        gdf = gdf.rename_geometry("geometry") if "geometry" not in gdf.columns else gdf
    for extra in geoms[1:]:
        if extra in gdf.columns:
            gdf = gdf.drop(columns=extra)
    return gdf, shown


def read_postgis_input(
    spec: InputSpec,
    log: QualityLog | None = None,
    region: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector input (parcels, parks, buildings) from PostGIS, like ``read_vectors``.

    Parameters
    ----------
    spec : InputSpec
        ``spec.sources[0]`` is the ``postgresql://`` URL; ``spec.options`` may
        hold ``table``, ``sql``, ``where`` and ``crs`` (used when the SRID is
        0); ``spec.columns`` the ``[columns.<input>]`` overrides.
    log : QualityLog, optional
        Receives the source, rows read, CRS, rejections and repairs.
    region : (min lon, min lat, max lon, max lat), optional
        The study area, as for :func:`landclear.io.vectors.read_vectors`.

    Returns
    -------
    GeoDataFrame
        EPSG:4490, canonical names, raw values, ``source_file``, ``source_row``.

    Example
    -------
    >>> from landclear.project import InputSpec
    >>> spec = InputSpec("parcels", ["postgresql://u@localhost/db?table=public.zd"])
    >>> gdf = read_postgis_input(spec, QualityLog())  # doctest: +SKIP
    """
    from landclear.io import vectors

    log = log if log is not None else QualityLog()
    rec = log.input(spec.name)
    urls = [s for s in spec.sources if s.startswith(("postgresql://", "postgres://"))]
    if not urls:
        raise InputFileError(
            f"输入 {spec.name}: 需要 postgresql:// 地址 / a postgresql:// URL is "
            "needed with the sql option"
        )
    frames = []
    for url in urls:
        raw, shown = read_postgis(
            url,
            table=spec.options.get("table"),
            sql=spec.options.get("sql"),
            where=spec.options.get("where"),
        )
        ds = SimpleNamespace(shown=shown)
        rec.files.append(shown)
        rec.rows_read += len(raw)
        if len(raw) == 0:
            log.warn("查询结果为空 / no rows", input=spec.name, file=shown)
        # Reuse the file loader's steps so a table behaves exactly like a file.
        mapped, units = vectors._map_columns(raw, spec.name, spec.columns, ds, rec, log)
        mapped[SOURCE_FILE] = shown
        mapped[SOURCE_ROW] = np.arange(1, len(mapped) + 1, dtype=np.int64)
        n_rejected = rec.rows_rejected
        clean = vectors._clean_geometry(mapped, ds, rec)  # source CRS, before reprojection
        if len(raw) and clean.empty:
            reasons = pd.Series([r["reason"] for r in rec.rejected[n_rejected:]]).value_counts()
            raise DataError(
                f"全部 {len(raw)} 行均被拒绝,主要原因:{reasons.index[0]} / every row rejected",
                file=shown,
            )
        clean, crs_label = vectors._to_output_crs(
            clean, spec.options.get("crs"), ds, rec, log, region
        )
        vectors._check_extent(clean, ds, rec, log)
        rec.encoding = "UTF-8 (PostgreSQL)"
        rec.crs = crs_label if rec.crs in (None, crs_label) else f"{rec.crs}; {crs_label}"
        clean.attrs["units"] = units
        frames.append(clean)
    out = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    out = gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=vectors.OUTPUT_CRS)
    ordered = [c for c in out.columns if c not in (SOURCE_FILE, SOURCE_ROW, "geometry")]
    out = out[[*ordered, SOURCE_FILE, SOURCE_ROW, "geometry"]]
    out.attrs["units"] = {k: v for f in frames for k, v in f.attrs.get("units", {}).items()}
    return out


# --------------------------------------------------------------------------- writing


def _sql_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Types psycopg adapts: Arrow-backed to NumPy/nullable, mixed objects to text."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, gpd.array.GeometryDtype):
            continue
        if isinstance(s.dtype, pd.ArrowDtype):
            kind = s.dtype.kind
            if kind == "b":
                out[col] = s.astype("boolean")
            elif kind in "iu":
                out[col] = s.astype("Int64")
            elif kind == "f":
                out[col] = s.astype("float64")
            elif kind == "M":
                out[col] = s.astype("datetime64[ns]")
            else:
                out[col] = s.astype("string")
        elif s.dtype == object:
            text = objects_as_text(s)
            out[col] = text.astype(object).where(text.notna(), None)
        elif isinstance(s.dtype, pd.StringDtype):
            out[col] = s.astype(object).where(s.notna(), None)
    return out


def _gist_index(conn: Any, schema: str, table: str, column: str = "geometry") -> None:
    from sqlalchemy import text

    exists = conn.execute(
        text(
            "SELECT 1 FROM pg_indexes WHERE schemaname = :s AND tablename = :t "
            "AND indexdef ILIKE '%USING gist%'"
        ),
        {"s": schema, "t": table},
    ).first()
    if not exists:
        conn.execute(
            text(
                f'CREATE INDEX "{table}_{column}_gist" ON "{schema}"."{table}" USING GIST ("{column}")'
            )
        )


def write_postgis(
    result: Result,
    url: str,
    schema: str = "landclear",
    *,
    tables: Sequence[str] = OUTPUT_TABLES,
    chunksize: int = 50_000,
) -> dict[str, str]:
    """Write parcels, enterprises and parks to PostGIS tables (replacing them).

    Parameters
    ----------
    result : Result
        A finished run.
    url : str
        ``postgresql://user@host:port/db``.
    schema : str
        Created when missing. Tables ``parcels`` (EPSG:4490 polygons),
        ``enterprises`` and ``parks`` (polygons when the project has parks)
        are replaced in one transaction; geometry columns get GIST indexes.
    tables : sequence of str
        A subset of ``("parcels", "enterprises", "parks")``.
    chunksize : int
        Rows per INSERT batch.

    Returns
    -------
    dict
        ``{"parcels": "landclear.parcels", ...}``.

    Example
    -------
    >>> write_postgis(result, "postgresql://analyst@localhost/landuse")  # doctest: +SKIP
    {'parcels': 'landclear.parcels', 'enterprises': 'landclear.enterprises', 'parks': 'landclear.parks'}
    """
    from sqlalchemy import text

    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", schema):
        raise InputFileError(f"schema 名无效 / invalid schema name {schema!r}")
    unknown = set(tables) - set(OUTPUT_TABLES)
    if unknown:
        raise ValueError(f"unknown tables {sorted(unknown)}; valid: {OUTPUT_TABLES}")
    frames: dict[str, pd.DataFrame] = {}
    if "parcels" in tables:
        frames["parcels"] = result.parcel_layer()
    if "enterprises" in tables:
        frames["enterprises"] = pd.DataFrame(
            result.enterprises.drop(columns=[c for c in ("geometry",) if c in result.enterprises])
        )
    if "parks" in tables:
        frames["parks"] = result.park_layer()
    written: dict[str, str] = {}
    base = split_source(url)[0]
    with _engine(base) as engine, engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        for name, frame in frames.items():
            ready = _sql_ready(frame)
            conn.execute(text(f'DROP TABLE IF EXISTS "{schema}"."{name}" CASCADE'))
            if isinstance(ready, gpd.GeoDataFrame):
                ready.to_postgis(
                    name, conn, schema=schema, if_exists="replace", index=False, chunksize=chunksize
                )
                _gist_index(conn, schema, name, ready.geometry.name)
            else:
                pd.DataFrame(ready).to_sql(
                    name, conn, schema=schema, if_exists="replace", index=False, chunksize=chunksize
                )
            written[name] = f"{schema}.{name}"
    return written


def postgis_writer(url: str, schema: str = "landclear"):
    """A ``result.extras["writers"]`` hook that also writes the run to PostGIS.

    Example
    -------
    >>> result.extras.setdefault("writers", []).append(postgis_writer(url))  # doctest: +SKIP
    """

    def hook(result: Result, out: str | Path) -> dict[str, Path]:
        tables = write_postgis(result, url, schema)
        return {f"postgis_{k}": Path(v) for k, v in tables.items()}

    return hook
