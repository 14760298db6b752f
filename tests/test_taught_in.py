"""Every public helper says where it is taught ("Taught in NN_topic"), and that is the first notebook using it.

The exercise package is the exception: ``helpers.exercises`` (the core: ``exercise``, ``expect``, ``Verdict``...)
is the machinery the check modules are written with, and a check module ``helpers.exercises.<topic>`` serves one
lesson, the one named by its topic (``training_logs`` for 10_logging). For those the test checks that each check
module's public checks are exactly the ones its lesson calls, and that no lesson imports another lesson's checks.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re

import pytest

import helpers
import helpers.exercises
from conftest import NOTEBOOKS

EXEMPT = {"helpers.exercises"}  # the exercise core: see the module docstring
MODULES = [importlib.import_module(f"helpers.{m.name}") for m in pkgutil.iter_modules(helpers.__path__)]
PUBLIC = [
    (module.__name__, name, obj)
    for module in MODULES
    if module.__name__ not in EXEMPT
    for name, obj in vars(module).items()
    if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
    and obj.__module__ == module.__name__
]
CHECK_MODULES = [importlib.import_module(f"helpers.exercises.{m.name}")
                 for m in pkgutil.iter_modules(helpers.exercises.__path__)]
#: topic of a check module -> the lesson it serves
TOPIC_EXCEPTIONS = {"training_logs": "10_logging"}


def notebook_code(path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


CODE = {path.stem: notebook_code(path) for path in NOTEBOOKS}


def lesson_of(topic: str) -> str | None:
    if topic in TOPIC_EXCEPTIONS:
        return TOPIC_EXCEPTIONS[topic]
    return next((stem for stem in CODE if stem[3:] == topic), None)


@pytest.mark.parametrize("module, name, obj", PUBLIC, ids=[f"{m}.{n}" for m, n, _ in PUBLIC])
def test_taught_in_names_the_first_notebook_that_uses_it(module, name, obj):
    taught = re.findall(r"Taught in (\d\d_[a-z0-9_]+)", " ".join((obj.__doc__ or "").split()))
    assert taught, f"{module}.{name}: its docstring should say 'Taught in NN_topic'"
    users = [stem for stem, code in CODE.items() if re.search(rf"\b{name}\b", code)]
    assert users, f"{module}.{name}: no notebook uses it; a helper exists for the notebooks (remove it?)"
    assert taught[0] == users[0], f"{module}.{name}: says 'Taught in {taught[0]}', but {users[0]} uses it first"


def test_every_module_is_listed_in_the_package_docstring():
    for module in MODULES:
        assert f"``{module.__name__}``" in helpers.__doc__, f"helpers/__init__.py does not describe {module.__name__}"


@pytest.mark.parametrize("module", CHECK_MODULES, ids=[m.__name__ for m in CHECK_MODULES])
def test_a_check_module_serves_its_lesson_and_only_that(module):
    topic = module.__name__.rsplit(".", 1)[1]
    lesson = lesson_of(topic)
    assert lesson, f"{module.__name__}: no lesson notebook NN_{topic}.ipynb for it to serve"
    checks = sorted(name for name, obj in vars(module).items()
                    if re.fullmatch(r"check_exercise_\d+", name) and inspect.isfunction(obj))
    called = sorted(set(re.findall(r"\b(check_exercise_\d+)\(", CODE[lesson])))
    assert checks and checks == called, f"{module.__name__} defines {checks}; {lesson} calls {called}"
    others = [stem for stem, code in CODE.items() if stem != lesson and f"helpers.exercises.{topic} " in code]
    assert not others, f"{module.__name__} serves {lesson}, but {others} import it too"
