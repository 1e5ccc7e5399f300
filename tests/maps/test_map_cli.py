import click
from click.testing import CliRunner
from tests_root import ROOT

from landclear.maps import register_cli


def test_map_command_writes_one_park_offline_with_static(tmp_path):
    @click.group()
    def main():
        pass

    register_cli(main)
    res = CliRunner().invoke(
        main,
        [
            "map",
            str(ROOT / "shapefiles" / "project.toml"),
            "--park",
            "平罗工业园区",
            "--offline",
            "--out",
            str(tmp_path),
            "--static",
            "png",
        ],
    )
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in (tmp_path / "maps").iterdir())
    assert files == ["平罗工业园区.html", "平罗工业园区.png"]
    bad = CliRunner().invoke(
        main,
        ["map", str(ROOT / "shapefiles" / "project.toml"), "--park", "无", "--out", str(tmp_path)],
    )
    assert bad.exit_code == 2 and "平罗工业园区" in bad.output
