"""The project file (DOMAIN §9) → a validated :class:`Project`.

A project file is TOML. Paths are relative to the file. Every unknown key is
an error naming the key and the nearest valid one, so a typo never silently
falls back to a default.

Examples
--------
>>> p = load_project({"as_of": "2024-06-30", "inputs": {}}, base_dir=".")
>>> p.as_of.isoformat(), p.targets.enterprises, p.targets.mu
('2024-06-30', 80, 4000.0)
"""

from __future__ import annotations

import datetime as dt
import difflib
import glob
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from landclear.errors import ProjectError
from landclear.schema import FIELDS, INPUT_NAMES

TOP_KEYS = (
    "as_of",
    "city",
    "language",
    "inputs",
    "columns",
    "targets",
    "rules",
    "scenarios",
    "maps",
    "reports",
    "output",
    "engine",
)
OPTION_KEYS = ("encoding", "crs", "layer", "sheet", "sql", "table", "where", "units")
TARGET_KEYS = ("enterprises", "mu", "deadline", "start", "per_mu", "rectification")
PER_MU_KEYS = ("investment", "output", "tax")
MAP_KEYS = ("basemap", "tianditu_key", "offline", "simplify_m", "precision")
REPORT_KEYS = ("templates", "pdf", "where", "workers")
OUTPUT_KEYS = ("workbook_parcel_limit", "geoparquet")
#: Keys of an ``[inputs.rasters]`` table entry (see :func:`landclear.raster.raster_evidence`).
RASTER_KEYS = ("path", "band", "scale", "nodata")


def _nearest(key: str, valid: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.5)
    return (
        f"; did you mean {close[0]!r}? / 是否应为 {close[0]!r}?"
        if close
        else (f"; valid keys: {', '.join(valid)}")
    )


def check_keys(table: Mapping[str, Any], valid: tuple[str, ...] | list[str], where: str) -> None:
    """Raise :class:`ProjectError` for the first key of ``table`` not in ``valid``."""
    for key in table:
        if key not in valid:
            raise ProjectError(
                f"未知的配置项 unknown key {key!r} in [{where}]" + _nearest(key, valid)
            )


def parse_date(value: Any, where: str) -> dt.date:
    """A date from TOML (native date or ISO text)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ProjectError(
            f"{where} = {value!r} 不是日期 / is not a date (expected YYYY-MM-DD)"
        ) from None


@cache
def default_targets() -> dict[str, Any]:
    """The Shizuishan plan targets shipped in ``landclear/data/targets.toml``."""
    text = resources.files("landclear.data").joinpath("targets.toml").read_text("utf-8")
    return tomllib.loads(text)


@dataclass
class InputSpec:
    """One named input: where it is and how to read it."""

    name: str
    sources: list[str]
    options: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def is_database(self) -> bool:
        return any(s.startswith(("postgresql://", "postgres://")) for s in self.sources)


@dataclass
class Targets:
    """Clearance and per-mu targets (DOMAIN §2, §9 ``[targets]``)."""

    enterprises: int = 80
    mu: float = 4000.0
    deadline: dt.date = dt.date(2024, 12, 31)
    start: dt.date = dt.date(2022, 3, 23)
    per_mu: dict[int, dict[str, float]] = field(default_factory=dict)
    milestones: dict[int, float] = field(default_factory=dict)

    def per_mu_for(self, year: int) -> dict[str, float] | None:
        return self.per_mu.get(int(year))


@dataclass
class Project:
    """A validated project: dates, inputs, targets, rule overrides."""

    base_dir: Path
    as_of: dt.date
    city: str = "石嘴山市"
    language: str = "zh"
    inputs: dict[str, InputSpec] = field(default_factory=dict)
    #: ``name → Path``, or ``name → {"path": Path, "band", "scale", "nodata"}`` (given keys only).
    rasters: dict[str, Path | dict[str, Any]] = field(default_factory=dict)
    targets: Targets = field(default_factory=Targets)
    rules: dict[str, Any] = field(default_factory=dict)
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)
    maps: dict[str, Any] = field(default_factory=dict)
    reports: dict[str, Any] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)
    engine: str = "pandas"
    path: Path | None = None

    def resolve(self, value: str | Path) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p


def _targets(raw: Mapping[str, Any]) -> Targets:
    defaults = default_targets()
    merged: dict[str, Any] = {k: v for k, v in defaults.items() if k in TARGET_KEYS}
    check_keys(raw, TARGET_KEYS, "targets")
    per_mu_raw = dict(defaults.get("per_mu", {}))
    for year, table in raw.get("per_mu", {}).items():
        if not isinstance(table, Mapping):
            raise ProjectError(f"[targets.per_mu.{year}] must be a table")
        check_keys(table, PER_MU_KEYS, f"targets.per_mu.{year}")
        per_mu_raw[str(year)] = {**per_mu_raw.get(str(year), {}), **table}
    merged.update({k: v for k, v in raw.items() if k not in ("per_mu", "rectification")})
    merged["rectification"] = {**defaults.get("rectification", {}), **raw.get("rectification", {})}
    try:
        per_mu = {int(y): {k: float(v) for k, v in t.items()} for y, t in per_mu_raw.items()}
        milestones = {int(y): float(v) for y, v in merged.get("rectification", {}).items()}
        return Targets(
            enterprises=int(merged.get("enterprises", 80)),
            mu=float(merged.get("mu", 4000)),
            deadline=parse_date(merged.get("deadline", "2024-12-31"), "targets.deadline"),
            start=parse_date(merged.get("start", "2022-03-23"), "targets.start"),
            per_mu=per_mu,
            milestones=milestones,
        )
    except (TypeError, ValueError) as exc:
        raise ProjectError(f"[targets] 数值无效 / invalid number: {exc}") from None


def _check_encoding(options: Mapping[str, Any], name: str) -> None:
    """Raise :class:`ProjectError` when ``[inputs.<name>_options] encoding`` is no known codec."""
    if "encoding" not in options:
        return
    from landclear.io.vectors import option_encoding

    option_encoding(options["encoding"], name)


def _sources(value: Any, name: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ProjectError(f"[inputs] {name} 应为路径或路径列表 / must be a path or a list of paths")


def _check_exists(spec: InputSpec, base_dir: Path) -> None:
    if spec.is_database:
        return
    for src in spec.sources:
        p = Path(src).expanduser()
        p = p if p.is_absolute() else base_dir / p
        if glob.has_magic(str(p)):
            if not glob.glob(str(p)):
                raise ProjectError(
                    f"输入 {spec.name}: 通配符 {src!r} 未匹配到任何文件 / glob matches no file",
                    file=str(p),
                )
        elif not p.exists():
            raise ProjectError(
                f"输入 {spec.name}: 文件不存在 / file not found: {src!r}", file=str(p)
            )


def raster_path(entry: str | Path | Mapping[str, Any]) -> Path:
    """The file of one ``[inputs.rasters]`` entry (a path or a ``{path, …}`` table).

    Example
    -------
    >>> raster_path({"path": "built_up.tif", "band": 2}).name
    'built_up.tif'
    """
    return Path(entry["path"] if isinstance(entry, Mapping) else entry)


def _raster_entry(name: str, entry: Any, base: Path, check_files: bool) -> Path | dict[str, Any]:
    """One ``[inputs.rasters]`` entry, its path resolved against ``base``.

    ``name = "file.tif"`` gives a Path; ``name = {path = "file.tif", band = 2,
    scale = 0.01, nodata = 255}`` gives that dict with ``path`` a Path.
    """
    where = f"inputs.rasters.{name}"
    if isinstance(entry, Mapping):
        check_keys(entry, RASTER_KEYS, where)
        if "path" not in entry:
            raise ProjectError(
                f'[{where}] 缺少 path，例如 {{ path = "built_up.tif", band = 1 }} / needs a path'
            )
        out: dict[str, Any] = dict(entry)
        band = out.get("band", 1)
        if isinstance(band, bool) or not (
            (isinstance(band, int) and band >= 1) or (isinstance(band, str) and band.strip())
        ):
            raise ProjectError(
                f'[{where}] band = {band!r} 应为从 1 开始的波段号或波段名（如 "NDVI"）/ '
                "band must be a 1-based number or a band description"
            )
        for key in ("scale", "nodata"):
            value = out.get(key, 0.0)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ProjectError(f"[{where}] {key} = {value!r} 应为数值 / must be a number")
        if out.get("scale", 1.0) == 0:
            raise ProjectError(f"[{where}] scale 不能为 0 / scale must not be 0")
        value = out["path"]
    else:
        out = {}
        value = entry
    if not isinstance(value, str | Path) or not str(value).strip():
        raise ProjectError(
            f'[{where}] 应为路径或表，如 {name} = "file.tif" 或 {name} = {{ path = "file.tif", '
            f"band = 1 }} / must be a path or a table {{path, band, scale, nodata}}"
        )
    p = Path(value).expanduser()
    p = p if p.is_absolute() else base / p
    if check_files and not p.exists():
        raise ProjectError(f"栅格 {name} 文件不存在 / raster not found", file=str(p))
    if not out:
        return p
    out["path"] = p
    return out


def load_project(
    source: str | Path | Mapping[str, Any],
    *,
    base_dir: str | Path | None = None,
    check_files: bool = True,
) -> Project:
    """Read and validate a project file (or an equivalent dict).

    Parameters
    ----------
    source : path or mapping
        A TOML project file, or its parsed content.
    base_dir : path, optional
        Where relative paths start; default the project file's folder.
    check_files : bool
        Raise when an input file or glob does not exist.

    Examples
    --------
    >>> p = load_project({"as_of": "2024-06-30", "targets": {"mu": 3000}}, base_dir=".")
    >>> p.targets.mu, p.targets.per_mu_for(2024)
    (3000.0, {'investment': 185.0, 'output': 175.0, 'tax': 8.0})
    """
    path: Path | None = None
    if isinstance(source, Mapping):
        raw = dict(source)
        base = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        path = Path(source)
        if not path.exists():
            raise ProjectError("项目文件不存在 / project file not found", file=str(path))
        try:
            raw = tomllib.loads(path.read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ProjectError(
                f"项目文件不是有效的 TOML / invalid TOML: {exc}", file=str(path)
            ) from None
        except UnicodeDecodeError:
            raise ProjectError("项目文件须为 UTF-8 编码 / must be UTF-8", file=str(path)) from None
        base = Path(base_dir) if base_dir is not None else path.parent
    base = base.resolve()
    try:
        check_keys(raw, TOP_KEYS, "project")
        as_of = parse_date(raw["as_of"], "as_of") if "as_of" in raw else dt.date.today()

        inputs_raw = dict(raw.get("inputs", {}))
        valid_inputs = list(INPUT_NAMES) + ["rasters"] + [f"{n}_options" for n in INPUT_NAMES]
        check_keys(inputs_raw, valid_inputs, "inputs")
        columns_raw = dict(raw.get("columns", {}))
        check_keys(columns_raw, INPUT_NAMES, "columns")
        inputs: dict[str, InputSpec] = {}
        for name in INPUT_NAMES:
            if name not in inputs_raw:
                continue
            options = dict(inputs_raw.get(f"{name}_options", {}))
            check_keys(options, OPTION_KEYS, f"inputs.{name}_options")
            _check_encoding(options, name)
            units = options.get("units", {})
            if not isinstance(units, Mapping) or not all(
                isinstance(v, str) for v in units.values()
            ):
                raise ProjectError(
                    f'[inputs.{name}_options] units 须为表，如 {{ amount = "元" }}'
                    " / units must be a table of unit names"
                )
            check_keys(units, list(FIELDS[name]), f"inputs.{name}_options.units")
            cols = columns_raw.get(name, {})
            if not isinstance(cols, Mapping):
                raise ProjectError(f"[columns.{name}] 须为表 / must be a table")
            # A typo ("parkk") would otherwise swallow the header and silently lose the column.
            check_keys(cols, list(FIELDS[name]), f"columns.{name}")
            if not all(isinstance(v, str) for v in cols.values()):
                raise ProjectError(
                    f"[columns.{name}] 的值须为表头文字 / values must be header text"
                )
            spec = InputSpec(name, _sources(inputs_raw[name], name), options, dict(cols))
            if check_files:
                _check_exists(spec, base)
            inputs[name] = spec
        for name in columns_raw:
            if name not in inputs:
                raise ProjectError(f"[columns.{name}] 对应的输入未配置 / no such input in [inputs]")

        rasters_raw = inputs_raw.get("rasters", {})
        if not isinstance(rasters_raw, Mapping):
            raise ProjectError("[inputs.rasters] 须为表 / must be a table of name = path")
        rasters = {
            rname: _raster_entry(rname, entry, base, check_files)
            for rname, entry in rasters_raw.items()
        }

        maps = dict(raw.get("maps", {}))
        check_keys(maps, MAP_KEYS, "maps")
        reports = dict(raw.get("reports", {}))
        check_keys(reports, REPORT_KEYS, "reports")
        output = dict(raw.get("output", {}))
        check_keys(output, OUTPUT_KEYS, "output")
        language = str(raw.get("language", "zh"))
        if language not in ("zh", "en"):
            raise ProjectError(
                f"language = {language!r}: 只支持 'zh' 或 'en' / must be 'zh' or 'en'"
            )
        engine = str(raw.get("engine", "pandas"))
        if engine not in ("pandas", "dask"):
            raise ProjectError(f"engine = {engine!r}: 只支持 'pandas' 或 'dask'")
        scenarios = dict(raw.get("scenarios", {}))
        for sname, stable in scenarios.items():
            if not isinstance(stable, Mapping):
                raise ProjectError(f"[scenarios.{sname}] must be a table")
        rules = dict(raw.get("rules", {}))
        if rules:
            from landclear.rules.config import load_settings

            load_settings(rules)  # validates keys now, with the nearest valid key
        return Project(
            base_dir=base,
            as_of=as_of,
            city=str(raw.get("city", "石嘴山市")),
            language=language,
            inputs=inputs,
            rasters=rasters,
            targets=_targets(dict(raw.get("targets", {}))),
            rules=rules,
            scenarios=scenarios,
            maps=maps,
            reports=reports,
            output=output,
            engine=engine,
            path=path,
        )
    except ProjectError as exc:
        if exc.file is None and path is not None:
            exc.file = str(path)
        raise
