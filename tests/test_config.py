"""Config tests: the FloydHub launch files and the pins (pyproject.toml, constraints.txt) agree with each other."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement

from conftest import REPO_ROOT

# What floyd-cli reads from floyd.yml (its default_floyd.yml documents these), and its machine types.
FLOYD_KEYS = {"env", "machine", "input", "description", "max_runtime", "command", "task"}
FLOYD_TASK_KEYS = FLOYD_KEYS - {"task"}
FLOYD_MACHINES = {"cpu", "gpu", "cpu2", "gpu2"}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirements(path):
    """{normalised name: [Requirement, ...]} for a pip requirements file; fails on any invalid line.

    A name may appear more than once with different environment markers (constraints.txt pins some
    packages per platform or Python version).
    """
    requirements = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement as error:
            pytest.fail(f"{path.name}, line {number}: not a valid requirement {raw!r}: {error}")
        requirements.setdefault(normalise(req.name), []).append(req)
    return requirements


def project_dependencies(groups=("dev",)):
    """{normalised name: [Requirement, ...]} from pyproject.toml's [project] dependencies and dependency groups."""
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    requirements = {}
    entries = pyproject["project"]["dependencies"] + [e for g in groups for e in pyproject["dependency-groups"][g]]
    for entry in entries:
        req = Requirement(entry)
        requirements.setdefault(normalise(req.name), []).append(req)
    return requirements


def exact_pin(req):
    specs = list(req.specifier)
    assert len(specs) == 1 and specs[0].operator == "==", f"{req} must be pinned exactly (name==version)"
    return specs[0].version


def load_floyd():
    return yaml.safe_load((REPO_ROOT / "floyd.yml").read_text())


def test_floyd_yml_uses_only_keys_floyd_cli_reads():
    config = load_floyd()
    assert isinstance(config, dict)
    assert set(config) <= FLOYD_KEYS, f"unknown floyd.yml keys: {set(config) - FLOYD_KEYS}"
    assert config.get("machine") in FLOYD_MACHINES
    assert isinstance(config.get("max_runtime", 0), int)
    assert isinstance(config.get("env"), str) and config["env"]
    for name, task in config.get("task", {}).items():
        assert set(task) <= FLOYD_TASK_KEYS, f"task {name}: unknown keys {set(task) - FLOYD_TASK_KEYS}"
        assert task.get("machine", config["machine"]) in FLOYD_MACHINES, f"task {name}: bad machine"
        assert isinstance(task.get("command"), str), f"task {name}: needs a command"


def test_floyd_has_a_gpu_task_that_starts_jupyter_on_the_series():
    tasks = load_floyd()["task"]
    gpu_jupyter = [
        name for name, task in tasks.items()
        if task.get("machine", "").startswith("gpu") and task["command"].startswith("jupyter lab")
        and "--ServerApp.root_dir=." in task["command"] and "notebooks/00_before_you_start.ipynb" in task["command"]
    ]
    assert gpu_jupyter, "floyd.yml needs a GPU task that serves the repository in JupyterLab, opening notebook 00"


def test_floyd_commands_point_at_files_that_exist():
    for name, task in load_floyd()["task"].items():
        for word in task["command"].split():
            path = word.split("=", 1)[-1].removeprefix("/lab/tree/")
            if path.endswith((".py", ".ipynb")) or path.startswith("notebooks"):
                assert (REPO_ROOT / path).exists(), f"task {name}: {path} does not exist"


def test_pins_are_exact_and_agree_everywhere():
    """Every direct dependency (both sets) is pinned exactly, and constraints.txt and floyd_requirements.txt agree.

    floyd_requirements.txt installs the reader's set only: the launch files serve the notebooks.
    """
    direct = project_dependencies()
    constraints = parse_requirements(REPO_ROOT / "constraints.txt")
    for name, reqs in direct.items():
        for req in reqs:
            pinned = exact_pin(req)
            assert name in constraints, f"{name} is a dependency in pyproject.toml but not in constraints.txt"
            pins = {exact_pin(c) for c in constraints[name]}
            assert pins == {pinned}, f"{name}: pyproject.toml pins {pinned}, constraints.txt {pins}"
    for reqs in constraints.values():
        for req in reqs:
            exact_pin(req)
    reader = project_dependencies(groups=())
    for name, reqs in parse_requirements(REPO_ROOT / "floyd_requirements.txt").items():
        assert name in reader, f"floyd_requirements.txt lists {name}, which pyproject.toml does not pin"
        assert exact_pin(reqs[0]) == exact_pin(direct[name][0]), f"{name}: floyd_requirements.txt differs"


def test_tensorflow_is_the_same_release_on_every_platform():
    """tensorflow-cpu where its wheels exist, tensorflow elsewhere; the markers cover the four platforms once."""
    direct = project_dependencies()
    (cpu,), (full,) = direct["tensorflow-cpu"], direct["tensorflow"]
    assert exact_pin(cpu) == exact_pin(full)
    platforms = {
        "linux-x86_64": {"sys_platform": "linux", "platform_machine": "x86_64"},
        "linux-aarch64": {"sys_platform": "linux", "platform_machine": "aarch64"},
        "macos-arm64": {"sys_platform": "darwin", "platform_machine": "arm64"},
        "windows-amd64": {"sys_platform": "win32", "platform_machine": "AMD64"},
    }
    for name, env in platforms.items():
        chosen = [req.name for req in (cpu, full) if req.marker.evaluate(env)]
        assert len(chosen) == 1, f"{name}: the markers select {chosen}"
