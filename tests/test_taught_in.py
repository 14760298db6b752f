"""Every public helper says where it is taught ("Taught in NN_topic"), and that is the first notebook using it."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re

import pytest

import helpers
from conftest import NOTEBOOKS

MODULES = [importlib.import_module(f"helpers.{m.name}") for m in pkgutil.iter_modules(helpers.__path__)]
PUBLIC = [
    (module.__name__, name, obj)
    for module in MODULES
    for name, obj in vars(module).items()
    if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
    and obj.__module__ == module.__name__
]


def notebook_code(path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


CODE = {path.stem: notebook_code(path) for path in NOTEBOOKS}


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
