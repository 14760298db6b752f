"""Every ignored output is listed in tests/ignored_outputs.toml with a reason and a checked neighbour, and only those.

The registry and the notebooks are compared in both directions (scripts/ignored_outputs.py does the work and
`make ignored` prints the list): a cell whose output nbval does not compare as stored must be listed; a listed
cell must exist and carry a mark; and its ``checked_by`` must be a code cell of the same notebook whose stored
output nbval does compare. The last tests build small notebooks with each kind of disagreement and show that
the check reports it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPO_ROOT
from ignored_outputs import REGISTRY, key_of, load_registry, marks_of, notebook_paths, problems

NOTEBOOKS = {key_of(path): path for path in notebook_paths()}


def test_the_registry_parses_and_lists_only_notebooks_that_exist():
    registry = load_registry()
    assert registry, f"{REGISTRY} is missing or empty"
    strays = sorted(set(registry) - set(NOTEBOOKS))
    assert not strays, f"{REGISTRY.name} lists notebooks that do not exist: {strays}"


def test_solutions_notebooks_are_covered_too():
    """The registry's reach is every notebook nbval runs, the solutions included."""
    solutions = sorted((REPO_ROOT / "notebooks" / "solutions").glob("*.ipynb"))
    assert all(key_of(path) in NOTEBOOKS for path in solutions)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_registry_agrees_with_the_notebook(name):
    found = problems(load_registry(), {name: NOTEBOOKS[name]}, whole=False)
    assert not found, "\n".join(found) + (
        f"\n(`python scripts/ignored_outputs.py --missing` prints lines to add to {REGISTRY.name})")


def test_make_ignored_prints_the_count_and_the_reasons():
    run = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "ignored_outputs.py")], cwd=REPO_ROOT,
                         capture_output=True, text=True, check=True)
    registry = load_registry()
    total = sum(len(entries) for entries in registry.values())
    assert f"{total} ignored outputs in {len(registry)} notebooks" in run.stdout
    for entries in registry.values():
        for entry in entries.values():
            assert entry["reason"] in run.stdout
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "\nignored:" in makefile and "scripts/ignored_outputs.py" in makefile


# The check itself, on small notebooks made for the purpose.

def code(cell_id, source, outputs=None, tags=None):
    cell = {"cell_type": "code", "id": cell_id, "metadata": {}, "source": source, "execution_count": 1,
            "outputs": outputs if outputs is not None else [{"output_type": "stream", "name": "stdout",
                                                              "text": "printed\n"}]}
    if tags:
        cell["metadata"]["tags"] = tags
    return cell


def notebook(tmp_path, *cells):
    path = tmp_path / "99_example.ipynb"
    path.write_text(json.dumps({"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return {"99_example.ipynb": path}


REASON = "losses of a long training run differ between CPUs"


def entry(mark="NBVAL_IGNORE_OUTPUT", reason=REASON, checked_by="checked"):
    return {"mark": mark, "reason": reason, "checked_by": checked_by}


def test_marks_are_read_as_nbval_reads_them():
    assert marks_of(code("a", "# NBVAL_IGNORE_OUTPUT\nprint(1)")) == ["NBVAL_IGNORE_OUTPUT"]
    assert marks_of(code("a", "x = 1\n  #  NBVAL_SKIP  ")) == ["NBVAL_SKIP"]
    assert marks_of(code("a", "print(1)", tags=["nbval-ignore-output"])) == ["nbval-ignore-output"]
    assert marks_of(code("a", "1/0", tags=["raises-exception"])) == ["raises-exception"]
    assert marks_of(code("a", "print('# NBVAL_IGNORE_OUTPUT')")) == []  # not a comment line
    assert marks_of({"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# NBVAL_SKIP"}) == []


def test_a_consistent_registry_passes(tmp_path):
    nb = notebook(tmp_path, code("ignored", "# NBVAL_IGNORE_OUTPUT\nprint(t)"), code("checked", "print(ok)"))
    assert problems({"99_example.ipynb": {"ignored": entry()}}, nb) == []


@pytest.mark.parametrize("cells, listed, complaint", [
    ([code("ignored", "# NBVAL_IGNORE_OUTPUT\nprint(t)"), code("checked", "print(ok)")], {},
     "is not listed"),
    ([code("tagged", "print(t)", tags=["nbval-skip"]), code("checked", "print(ok)")], {},
     "is not listed"),
    ([code("plain", "print(t)"), code("checked", "print(ok)")], {"plain": entry()},
     "its output is not ignored"),
    ([code("checked", "print(ok)")], {"gone": entry()},
     "no cell with that id"),
    ([code("ignored", "# NBVAL_IGNORE_OUTPUT\nprint(t)"), code("checked", "print(ok)")],
     {"ignored": entry(mark="NBVAL_SKIP")}, "the registry says"),
    ([code("ignored", "# NBVAL_IGNORE_OUTPUT\nprint(t)"), code("checked", "print(ok)")],
     {"ignored": entry(reason="TODO")}, "no real reason"),
    ([code("ignored", "# NBVAL_IGNORE_OUTPUT\nprint(t)")], {"ignored": entry(checked_by="")},
     "no checked_by"),
    ([code("ignored", "# NBVAL_IGNORE_OUTPUT\nprint(t)")], {"ignored": entry(checked_by="elsewhere")},
     "is no cell of this notebook"),
    ([code("ignored", "# NBVAL_IGNORE_OUTPUT\nprint(t)"), code("checked", "# NBVAL_IGNORE_OUTPUT\nprint(ok)")],
     {"ignored": entry(), "checked": entry(checked_by="ignored")}, "its own output is not compared"),
    ([code("ignored", "# NBVAL_IGNORE_OUTPUT\nprint(t)"), code("checked", "x = 1", outputs=[])],
     {"ignored": entry()}, "stores no output"),
    ([code("ignored", "# NBVAL_IGNORE_OUTPUT\nprint(t)"),
      {"cell_type": "markdown", "id": "checked", "metadata": {}, "source": "All is well."}],
     {"ignored": entry()}, "not a code cell"),
    ([code("ignored", "# NBVAL_IGNORE_OUTPUT\nprint(t)")], {"ignored": entry(checked_by="ignored")},
     "is not a checked cell"),
], ids=["unlisted-comment", "unlisted-tag", "listed-unmarked", "listed-missing", "wrong-mark", "no-reason",
        "no-checked-by", "checked-by-elsewhere", "checked-by-ignored", "checked-by-no-output", "checked-by-markdown",
        "checks-itself"])
def test_each_disagreement_is_reported(tmp_path, cells, listed, complaint):
    found = problems({"99_example.ipynb": listed}, notebook(tmp_path, *cells))
    assert any(complaint in line for line in found), found


def test_a_cell_that_raises_on_purpose_may_check_itself(tmp_path):
    raising = code("raises", "# NBVAL_RAISES_EXCEPTION\n1/0",
                   outputs=[{"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero",
                             "traceback": []}])
    nb = notebook(tmp_path, raising)
    listed = {"raises": entry(mark="NBVAL_RAISES_EXCEPTION", checked_by="raises")}
    assert problems({"99_example.ipynb": listed}, nb) == []


def test_a_notebook_the_registry_names_must_exist(tmp_path):
    found = problems({"98_gone.ipynb": {}}, notebook(tmp_path, code("checked", "print(ok)")))
    assert any("no such notebook" in line for line in found), found
