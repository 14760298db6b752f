"""Config tests: FloydHub launch files and the pinned requirements agree with each other."""

from __future__ import annotations

import re

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement

from conftest import REPO_ROOT

# What floyd-cli reads from floyd.yml (its default_floyd.yml documents these), and its machine types.
FLOYD_KEYS = {"env", "machine", "input", "description", "max_runtime", "command", "task"}
FLOYD_TASK_KEYS = FLOYD_KEYS - {"task"}
FLOYD_MACHINES = {"cpu", "gpu", "cpu2", "gpu2"}


def parse_requirements(path):
    """{normalised name: Requirement} for a pip requirements file; fails on any invalid line."""
    requirements = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement as error:
            pytest.fail(f"{path.name}, line {number}: not a valid requirement {raw!r}: {error}")
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name not in requirements, f"{path.name}, line {number}: {req.name} listed twice"
        requirements[name] = req
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
        and "--notebook-dir=notebooks" in task["command"]
    ]
    assert gpu_jupyter, "floyd.yml needs a GPU task that starts JupyterLab on notebooks/"


def test_floyd_commands_point_at_files_that_exist():
    for name, task in load_floyd()["task"].items():
        for word in task["command"].split():
            if word.endswith(".py") or word.startswith("notebooks"):
                path = word.split("=", 1)[-1]
                assert (REPO_ROOT / path).exists(), f"task {name}: {path} does not exist"


def test_requirements_are_exact_pins_and_agree_everywhere():
    requirements = parse_requirements(REPO_ROOT / "requirements.txt")
    constraints = parse_requirements(REPO_ROOT / "constraints.txt")
    floyd = parse_requirements(REPO_ROOT / "floyd_requirements.txt")
    for name, req in requirements.items():
        pinned = exact_pin(req)
        assert name in constraints, f"{name} is in requirements.txt but not in constraints.txt"
        assert exact_pin(constraints[name]) == pinned, f"{name}: requirements.txt and constraints.txt differ"
    for name, req in floyd.items():
        assert name in requirements, f"floyd_requirements.txt lists {name}, which requirements.txt does not pin"
        assert exact_pin(req) == exact_pin(requirements[name]), (
            f"{name} is pinned differently in floyd_requirements.txt and requirements.txt"
        )
    for core in ("torch", "torchvision", "tensorflow-cpu", "nbval", "pytest-xdist"):
        assert core in requirements


def test_pinned_versions_are_the_ones_installed():
    """The environment the suite runs in is the pinned one (else stored outputs may legitimately differ)."""
    from importlib import metadata

    for name, req in parse_requirements(REPO_ROOT / "requirements.txt").items():
        assert metadata.version(name) == exact_pin(req), f"{name}: installed {metadata.version(name)}"
