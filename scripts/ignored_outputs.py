"""The registry of ignored outputs (tests/ignored_outputs.toml): what it lists, what the notebooks mark, and the gap.

    python scripts/ignored_outputs.py            # count and reasons, per notebook (`make ignored`)
    python scripts/ignored_outputs.py --check    # also list every disagreement; exit 1 if there is one
    python scripts/ignored_outputs.py --missing  # TOML lines to fill in for marked cells the registry lacks

A cell's output escapes strict nbval when the cell carries a comment marker (``# NBVAL_IGNORE_OUTPUT``,
``# NBVAL_SKIP``, ``# NBVAL_RAISES_EXCEPTION``) or a cell tag (``nbval-ignore-output``, ``nbval-skip``,
``raises-exception``), read with nbval's own rules. Each such cell, in notebooks/*.ipynb and
notebooks/solutions/*.ipynb, is listed in the registry under its notebook (the path below notebooks/) and
its nbformat cell id, with the marks, the reason and ``checked_by``: the id of a checked cell of the same
notebook that pins what matters. A cell that raises on purpose is itself checked (nbval compares the
error's name and message, not its traceback), so ``checked_by`` may name the cell itself.
tests/test_ignored_outputs.py fails on any disagreement.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

from notebook_runner import NOTEBOOK_DIR, REPO_ROOT

REGISTRY = REPO_ROOT / "tests" / "ignored_outputs.toml"
#: Comment markers and cell tags under which nbval does not compare a cell's output as it is
#: (NBVAL_RAISES_EXCEPTION: it compares only the error's name and message, and tolerates the error).
COMMENT_MARKS = ("NBVAL_IGNORE_OUTPUT", "PYTEST_VALIDATE_IGNORE_OUTPUT", "NBVAL_SKIP", "NBVAL_RAISES_EXCEPTION")
TAG_MARKS = ("nbval-ignore-output", "pytest-validate-ignore-output", "nbval-skip", "nbval-raises-exception",
             "raises-exception")
#: Marks whose cell still has its output compared (the error's name and message).
RAISES_MARKS = ("NBVAL_RAISES_EXCEPTION", "nbval-raises-exception", "raises-exception")


def notebook_paths() -> list[Path]:
    """Every notebook nbval runs: the lessons and their solutions."""
    return sorted(NOTEBOOK_DIR.glob("*.ipynb")) + sorted(NOTEBOOK_DIR.glob("solutions/*.ipynb"))


def key_of(path: Path) -> str:
    """A notebook's key in the registry: its path below notebooks/ ("09_training_process.ipynb")."""
    return path.relative_to(NOTEBOOK_DIR).as_posix()


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def marks_of(cell: dict) -> list[str]:
    """The marks that take ``cell``'s output out of nbval's comparison, as nbval reads them."""
    if cell.get("cell_type") != "code":
        return []
    found = []
    for line in _source(cell).splitlines():  # nbval: a stripped line starting with '#', the rest a marker
        line = line.strip()
        if line.startswith("#") and line.lstrip("#").strip() in COMMENT_MARKS:
            found.append(line.lstrip("#").strip())
    tags = cell.get("metadata", {}).get("tags") or []
    found += [tag for tag in tags if tag in TAG_MARKS]
    return sorted(set(found))


def load_cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def marked_cells(path: Path) -> dict[str, list[str]]:
    """{cell id: marks} for every cell of the notebook at ``path`` whose output nbval does not compare as is."""
    marked = {}
    for index, cell in enumerate(load_cells(path)):
        marks = marks_of(cell)
        if marks:
            marked[cell.get("id") or f"<cell {index} has no id>"] = marks
    return marked


def load_registry(path: Path = REGISTRY) -> dict[str, dict[str, dict]]:
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def listed_marks(entry: dict) -> list[str]:
    return sorted(m.strip() for m in str(entry.get("mark", "")).split(",") if m.strip())


def is_checked(cell: dict) -> tuple[bool, str]:
    """Whether nbval compares ``cell``'s stored output (and there is one); if not, why not."""
    if cell.get("cell_type") != "code":
        return False, f"a {cell.get('cell_type')} cell, not a code cell"
    ignored = [m for m in marks_of(cell) if m not in RAISES_MARKS]
    if ignored:
        return False, f"its own output is not compared ({', '.join(ignored)})"
    if not cell.get("outputs"):
        return False, "it stores no output, so nbval has nothing to compare"
    return True, ""


def problems(registry: dict | None = None, notebooks: dict[str, Path] | None = None, whole: bool = True) -> list[str]:
    """Every disagreement between the registry and the notebooks ({key: path}), one line each (empty: they agree).

    ``whole``: ``notebooks`` are all there are, so a registry table for any other notebook is a stray.
    """
    registry = load_registry() if registry is None else registry
    keys = {key_of(p): p for p in notebook_paths()} if notebooks is None else notebooks
    found = []
    for name in sorted(set(registry) - set(keys)) if whole else []:
        found.append(f"{name}: listed in {REGISTRY.name}, but there is no such notebook")
    for name, path in keys.items():
        cells = {c.get("id"): c for c in load_cells(path)}
        marked, listed = marked_cells(path), registry.get(name, {})
        for cell_id, marks in marked.items():
            if cell_id not in listed:
                found.append(f"{name}: cell {cell_id} ({', '.join(marks)}) is not listed in {REGISTRY.name}")
            elif listed_marks(listed[cell_id]) != marks:
                found.append(f"{name}: cell {cell_id} is marked {', '.join(marks)}, the registry says "
                             f"{listed[cell_id].get('mark')!r}")
        for cell_id, entry in listed.items():
            if cell_id not in cells:
                found.append(f"{name}: cell {cell_id} is listed, but the notebook has no cell with that id")
                continue
            if cell_id not in marked:
                found.append(f"{name}: cell {cell_id} is listed, but its output is not ignored (no mark)")
            reason = str(entry.get("reason", "")).strip()
            if len(reason) < 15 or "TODO" in reason:
                found.append(f"{name}: cell {cell_id}: no real reason given ({reason!r})")
            neighbour = entry.get("checked_by")
            if not neighbour:
                found.append(f"{name}: cell {cell_id}: no checked_by (the checked cell that pins what matters)")
            elif neighbour not in cells:
                found.append(f"{name}: cell {cell_id}: checked_by {neighbour} is no cell of this notebook")
            else:
                checked, why = is_checked(cells[neighbour])
                if not checked:
                    found.append(f"{name}: cell {cell_id}: checked_by {neighbour} is not a checked cell: {why}")
                elif neighbour == cell_id and not set(marked.get(cell_id, [])) <= set(RAISES_MARKS):
                    found.append(f"{name}: cell {cell_id}: only a cell that raises on purpose may check itself")
    return found


def missing_lines(registry: dict | None = None) -> list[str]:
    """TOML lines, per notebook, for marked cells the registry lacks (reason and checked_by still to write)."""
    registry = load_registry() if registry is None else registry
    lines = []
    for path in notebook_paths():
        listed = registry.get(key_of(path), {})
        todo = {i: m for i, m in marked_cells(path).items() if i not in listed}
        if todo:
            lines.append(f'\n["{key_of(path)}"]')
            for cell_id, marks in todo.items():
                lines.append(f'"{cell_id}" = {{ mark = "{", ".join(marks)}", reason = "TODO", checked_by = "" }}')
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="list disagreements; exit 1 if there is any")
    parser.add_argument("--missing", action="store_true", help="print TOML lines for unlisted marked cells")
    args = parser.parse_args()
    if args.missing:
        print("\n".join(missing_lines()) or "every marked cell is listed")
        return 0
    registry = load_registry()
    total = 0
    for name, entries in registry.items():
        print(f"{name}: {len(entries)}")
        for cell_id, entry in entries.items():
            print(f"  {cell_id} [{entry.get('mark')}] {entry.get('reason')} (checked by {entry.get('checked_by')})")
        total += len(entries)
    by_mark: dict[str, int] = {}
    for entries in registry.values():
        for entry in entries.values():
            for mark in listed_marks(entry):
                by_mark[mark] = by_mark.get(mark, 0) + 1
    print(f"\n{total} ignored outputs in {len(registry)} notebooks ("
          + ", ".join(f"{mark}: {count}" for mark, count in sorted(by_mark.items())) + ")")
    found = problems(registry)
    if found:
        print(f"\n{len(found)} disagreements between {REGISTRY.relative_to(REPO_ROOT)} and the notebooks:")
        print("\n".join(f"  {line}" for line in found))
    elif args.check:
        print("the registry and the notebooks agree")
    return 1 if found and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
