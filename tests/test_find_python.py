"""scripts/find_python.sh: the entry point picks a supported Python, or stops before installing anything."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO_ROOT


def fake_python(folder, name, version):
    """An executable called ``name`` that answers version checks as Python ``version`` would."""
    major, minor = (int(x) for x in version.split(".")[:2])
    script = folder / name
    script.write_text(
        "#!/bin/sh\n"
        f'exec {sys.executable} -c "import sys; sys.version_info = ({major}, {minor}, 0); '
        "import platform; platform.python_version = lambda: '" + version + "'; exec(sys.argv[1])\" \"$2\"\n"
    )
    script.chmod(0o755)
    return script


def find(tmp_path, *pythons, override=None):
    """Run the finder with a PATH that holds only ``pythons`` (fakes) and the tools the script uses."""
    import shutil

    for name, version in pythons:
        fake_python(tmp_path, name, version)
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in ("sed", "dirname"):
        (tools / tool).symlink_to(shutil.which(tool))
    env = {"PATH": f"{tmp_path}:{tools}"}
    if override:
        env["PYTHON"] = str(tmp_path / override)
    return subprocess.run([REPO_ROOT / "scripts" / "find_python.sh"], env=env, capture_output=True, text=True)


def test_prefers_the_oldest_supported_python(tmp_path):
    result = find(tmp_path, ("python3.13", "3.13.0"), ("python3.12", "3.12.1"), ("python3", "3.14.0"))
    assert result.returncode == 0 and result.stdout.strip() == str(tmp_path / "python3.12")


def test_falls_back_to_python3_when_it_is_supported(tmp_path):
    result = find(tmp_path, ("python3", "3.13.0"))
    assert result.returncode == 0 and result.stdout.strip() == str(tmp_path / "python3")


@pytest.mark.parametrize("version", ["3.10.13", "3.14.0"])
def test_stops_with_a_clear_message_when_no_supported_python_exists(tmp_path, version):
    result = find(tmp_path, ("python3", version), ("python", version))
    assert result.returncode == 1 and result.stdout == ""
    assert "needs Python 3.11 to 3.13" in result.stderr and f"python3={version}" in result.stderr


def test_an_explicit_python_is_checked_too(tmp_path):
    result = find(tmp_path, ("python3.11", "3.11.7"), ("old", "3.10.13"), override="old")
    assert result.returncode == 1 and "old=3.10.13" in result.stderr
