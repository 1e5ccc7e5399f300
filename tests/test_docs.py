"""The user guide against the code: every verb, key and default documented; every link resolves.

``docs/`` is the analysts' manual. These tests keep it honest without running
the pipeline: the command-line verbs and their options come from the click
group, the rule keys and defaults from ``landclear/data/rules.toml``, the
project-file keys from ``landclear.project`` / ``landclear.scenario``; every
TOML example in the docs must load with the validators the project file goes
through; every relative link (and ``#anchor``) in ``docs/*.md``, ``README.md``
and ``notebooks/README.md`` must point at something that exists.
"""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
LINKED = [*PAGES, ROOT / "README.md", ROOT / "notebooks" / "README.md"]
RULES_TOML = ROOT / "landclear" / "data" / "rules.toml"


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _all_docs() -> str:
    return "\n".join(_read(p) for p in [*PAGES, ROOT / "README.md"])


def _section(text: str, heading: str) -> str:
    """The text of the ``##`` section whose heading starts with ``heading``."""
    start = text.index(f"\n## {heading}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _strip_code(text: str) -> str:
    """Markdown without fenced code blocks and inline code (links there are examples)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


# ------------------------------------------------------------------ command line
def _commands() -> dict[str, Any]:
    from landclear.cli import main

    return dict(main.commands)


def test_every_cli_verb_is_documented_with_every_option():
    commands = _commands()
    assert {"validate", "run", "demo", "map", "report", "snapshot", "changes", "bulletin"} <= set(
        commands
    )
    docs = _all_docs()
    table = _section(_read(DOCS / "index.md"), "7. 命令行")
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(r"^\| `landclear ([a-z]+)[^`]*` \|.*$", table, re.M)
    }
    for name, cmd in commands.items():
        assert f"landclear {name}" in docs, f"verb {name!r} is not in the docs"
        assert name in rows, f"verb {name!r} is missing from the command table of index.md"
        flags = {
            opt
            for p in cmd.params
            for opt in getattr(p, "opts", [])
            if opt.startswith("--") and opt not in ("--help", "--debug")
        }
        documented = set(re.findall(r"--[a-z][a-z-]*", rows[name]))
        assert flags == documented, f"landclear {name}: options {flags} vs documented {documented}"
        assert any(getattr(p, "name", None) == "debug" for p in cmd.params), name
    assert "--debug" in table


# ------------------------------------------------------------------------- rules
def _flat_rules() -> dict[str, Any]:
    """``rules.toml`` as dotted keys; open tables and the actions list stay whole."""
    out: dict[str, Any] = {}

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for key, value in node.items():
            path = f"{prefix}{key}"
            if isinstance(value, dict) and path != "intensity.min_plot_ratio":
                walk(path + ".", value)
            else:
                out[path] = value

    walk("", tomllib.loads(_read(RULES_TOML)))
    return out


def _key_table(section: str) -> dict[str, str]:
    rows = re.findall(r"^\| `([a-z_][A-Za-z0-9_.]*)` \| ([^|]+) \|", section, re.M)
    return {key: cell.strip() for key, cell in rows}


def _same(documented: str, default: Any) -> bool:
    if isinstance(default, list):
        literal = re.match(r"`(\[.*\])`", documented)
        if literal:
            return tomllib.loads(f"v = {literal.group(1)}")["v"] == default
        return f"{len(default)} 个" in documented  # long lists: the count, then a sample
    literal = re.match(r"`([^`]+)`", documented)
    assert literal, documented
    value = tomllib.loads(f"v = {literal.group(1)}")["v"]
    if isinstance(default, float) and math.isnan(default):
        return isinstance(value, float) and math.isnan(value)
    return value == default and type(value) is type(default)


def test_every_rules_toml_key_is_documented_with_its_default_and_none_invented():
    section = _section(_read(DOCS / "rules.md"), "6. 全部设置键")
    table = _key_table(section)
    flat = _flat_rules()
    assert set(table) == set(flat), (
        f"missing from docs/rules.md: {sorted(set(flat) - set(table))}; "
        f"not in rules.toml: {sorted(set(table) - set(flat))}"
    )
    for key, default in flat.items():
        if key == "intensity.min_plot_ratio":
            assert f"{len(default)} 个行业代码" in table[key]
        elif key == "actions.rules":
            assert f"{len(default)} 条规则" in table[key]
        else:
            assert _same(table[key], default), (
                f"{key}: docs say {table[key]}, rules.toml {default!r}"
            )
    # Every row names a source (legal text or the working convention) and a meaning.
    for row in re.findall(r"^\| `[a-z_][A-Za-z0-9_.]*` \|.*$", section, re.M):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 4 and all(cells), row
    # The plot-ratio table: every industry code with its value, and nothing else.
    codes = dict(re.findall(r"^\| `(\d\d)` \| [^|]+ \| `([0-9.]+)` \|", section, re.M))
    assert {k: float(v) for k, v in codes.items()} == flat["intensity.min_plot_ratio"]


def test_every_default_action_rule_is_in_the_docs():
    rules = tomllib.loads(_read(RULES_TOML))["actions"]["rules"]
    text = _section(_read(DOCS / "rules.md"), "4. 处置建议")
    for rule in rules:
        row = re.search(rf"^\| {re.escape(rule['id'])} \|(.*)\| (\d+) \|$", text, re.M)
        assert row, f"rule {rule['id']} missing from docs/rules.md §4"
        assert int(row.group(2)) == rule["priority"], rule["id"]
        assert rule["action"].split("/")[0] in row.group(1), rule["id"]


# ------------------------------------------------------------------ project file
def _project_keys() -> dict[str, tuple[str, ...]]:
    from landclear import project
    from landclear.scenario import SCENARIO_KEYS
    from landclear.schema import INPUT_NAMES

    return {
        "top": project.TOP_KEYS,
        "inputs": INPUT_NAMES,
        "options": project.OPTION_KEYS,
        "targets": project.TARGET_KEYS,
        "per_mu": project.PER_MU_KEYS,
        "maps": project.MAP_KEYS,
        "reports": project.REPORT_KEYS,
        "output": project.OUTPUT_KEYS,
        "scenarios": SCENARIO_KEYS,
    }


def test_every_project_file_key_is_documented():
    page = _read(DOCS / "project-file.md")
    index = _section(_read(DOCS / "index.md"), "4. 项目文件")
    for group, keys in _project_keys().items():
        for key in keys:
            in_code = re.search(rf"`[^`\n]*(?<![a-z_]){key}(?![a-z_])[^`\n]*`", page)
            assert in_code, f"{group} key {key!r} not in project-file.md"
            assert key in index, f"{group} key {key!r} not in the key table of index.md"


def test_project_file_page_invents_no_key():
    keys = _project_keys()
    valid = {k for group in keys.values() for k in group}
    valid |= set(_flat_rules()) | {k.split(".")[0] for k in _flat_rules()}
    first_cells = re.findall(
        r"^\| ([^|]+) \|", _strip_code_keep_inline(DOCS / "project-file.md"), re.M
    )
    for cell in first_cells:
        for token in re.findall(r"`([^`]+)`", cell):
            name = token.strip("[]").split(".")[0].split("<")[0].strip()
            path = token.strip("[]")
            if path.startswith("rules."):
                name = path.split(".")[1]
            assert name in valid or name in ("rules",), (
                f"project-file.md documents unknown key {token!r}"
            )


def _strip_code_keep_inline(path: Path) -> str:
    return re.sub(r"^```.*?^```", "", _read(path), flags=re.S | re.M)


def _toml_blocks() -> list[tuple[str, str]]:
    blocks = []
    for path in [*PAGES, ROOT / "README.md"]:
        for m in re.finditer(r"^```toml\n(.*?)^```", _read(path), re.S | re.M):
            blocks.append((path.name, m.group(1)))
    return blocks


def _check_project_table(raw: dict[str, Any]) -> None:
    """Raise ProjectError for a key the project file would refuse (files are not opened)."""
    from landclear.project import check_keys
    from landclear.rules.config import load_rule_settings
    from landclear.schema import FIELDS, INPUT_NAMES

    keys = _project_keys()
    check_keys(raw, keys["top"], "project")
    inputs = raw.get("inputs", {})
    check_keys(inputs, [*INPUT_NAMES, "rasters", *(f"{n}_options" for n in INPUT_NAMES)], "inputs")
    for name in INPUT_NAMES:
        options = inputs.get(f"{name}_options", {})
        check_keys(options, keys["options"], f"inputs.{name}_options")
        check_keys(options.get("units", {}), list(FIELDS[name]), f"inputs.{name}_options.units")
    for name, cols in raw.get("columns", {}).items():
        check_keys({name: 1}, INPUT_NAMES, "columns")
        check_keys(cols, list(FIELDS[name]), f"columns.{name}")
    targets = raw.get("targets", {})
    check_keys(targets, keys["targets"], "targets")
    for year, table in targets.get("per_mu", {}).items():
        check_keys(table, keys["per_mu"], f"targets.per_mu.{year}")
    for group in ("maps", "reports", "output"):
        check_keys(raw.get(group, {}), keys[group], group)
    for name, spec in raw.get("scenarios", {}).items():
        check_keys(spec, keys["scenarios"], f"scenarios.{name}")
    if "rules" in raw:
        load_rule_settings(raw["rules"])


@pytest.mark.parametrize("where,block", _toml_blocks(), ids=lambda v: v if len(v) < 30 else "")
def test_toml_examples_in_the_docs_use_only_valid_keys(where: str, block: str):
    _check_project_table(tomllib.loads(block))


def test_an_invented_key_in_an_example_would_fail():
    from landclear.errors import ProjectError

    with pytest.raises(ProjectError, match="fee_rate"):
        _check_project_table({"rules": {"idle": {"fee_rat": 0.1}}})
    with pytest.raises(ProjectError, match="basemap"):
        _check_project_table({"maps": {"basemapp": "osm"}})


# ----------------------------------------------------------------------- outputs
def test_every_output_of_the_contract_is_documented():
    from landclear.labels import LIST_NAMES
    from landclear.schema import PARCEL_OUTPUTS

    page = _read(DOCS / "outputs.md")
    for name in (
        "landclear.gpkg",
        "ledgers.xlsx",
        "quality.json",
        "progress.json",
        "progress.png",
        "maps/overview.html",
        "reports/",
        "bulletin.pdf",
        "changes.xlsx",
        "scenario-NAME.xlsx",
        "landclear-history.sqlite",
        ".parquet",
    ):
        assert name in page, name
    for layer in ("`parcels`", "`enterprises`", "`parks`"):
        assert layer in page
    for field in PARCEL_OUTPUTS:
        assert f"`{field}`" in page, f"parcel output {field} not in outputs.md"
    for key in ("rows_read", "rows_used", "rows_rejected", "rows_skipped", "matches", "warnings"):
        assert key in page
    for zh, _ in LIST_NAMES.values():
        assert zh in page or zh.removesuffix("清单") in page, zh


# ------------------------------------------------------------------------- links
def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for line in _strip_code_keep_inline(path).splitlines():
        m = re.match(r"^#{1,6} (.+?)\s*#*$", line)
        if not m:
            continue
        slug = _slug(m.group(1))
        n = seen.get(slug, 0)
        out.add(slug if n == 0 else f"{slug}-{n}")
        seen[slug] = n + 1
    return out


def _links(path: Path) -> list[str]:
    text = _strip_code(_read(path))
    return re.findall(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text)


@pytest.mark.parametrize("page", LINKED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path):
    broken = []
    for target in _links(page):
        if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
            continue
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        if not dest.exists():
            broken.append(target)
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{page.name}: broken links {broken}"


def test_the_link_check_sees_links_and_anchors():
    assert _slug("1. 安装 / Install") == "1-安装--install"
    assert "1-安装--install" in _anchors(DOCS / "index.md")
    assert "project-file.md" in _links(DOCS / "index.md")


def test_index_is_a_table_of_contents_of_every_page():
    index = _read(DOCS / "index.md")
    contents = _section(index, "目录")
    for page in PAGES:
        if page.name != "index.md":
            assert f"({page.name})" in contents, f"{page.name} is not in the contents of index.md"
    # Each numbered chapter of the contents links to a section that exists.
    chapters = re.findall(r"^\d+\. \[[^\]]+\]\(#([^)]+)\)", contents, re.M)
    assert len(chapters) >= 8
    assert set(chapters) <= _anchors(DOCS / "index.md")
    for n in range(1, 8):
        assert re.search(rf"0{n}", contents + _section(index, "10. 示例笔记本"))
