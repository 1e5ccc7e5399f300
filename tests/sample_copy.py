"""A linked copy of the sample project with an edited project file, for tests."""

from __future__ import annotations

from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "shapefiles"


def sample_project(
    tmp_path: Path, *, replace: dict[str, str] | None = None, append: str = ""
) -> Path:
    """A copy of the sample project (data linked, not copied) with an edited project file.

    The what-if scenarios are cut off; ``replace`` maps text of the project
    file to its replacement (each must occur), ``append`` adds TOML at the end.
    """
    proj = tmp_path / "proj"
    proj.mkdir()
    for item in SAMPLE.iterdir():
        if item.name != "project.toml":
            (proj / item.name).symlink_to(item)
    text = (SAMPLE / "project.toml").read_text("utf-8").split("# What-if scenarios")[0]
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    (proj / "project.toml").write_text(text + append, "utf-8")
    return proj / "project.toml"
