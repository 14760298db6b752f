"""Convention tests over every notebook (see CONTRIBUTING.md).

These check what strict nbval cannot: how a notebook opens and closes, that its
stored outputs came from one clean top-to-bottom run, and that nothing noisy or
machine-specific was stored.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import NOTEBOOK_DIR, NOTEBOOKS, REPO_ROOT, SKIPPED_CELLS
from notebook_runner import IGNORE_MARK, RAISES_MARK

MAX_IGNORED_SHARE = 0.2
# An absolute path of some machine (Linux, macOS, Windows) that a stored output must not show.
MACHINE_PATH = re.compile(r"(?<![\w.])(/(root|tmp|home|Users|work|opt|private|var/folders)/|[A-Za-z]:\\\\Users)")


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def markdown_headings(nb):
    """(level, text, cell index) for every markdown heading outside code fences."""
    headings = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        in_fence = False
        for line in source(cell).splitlines():
            if line.strip().startswith("```"):
                in_fence = not in_fence
            match = re.match(r"^(#{1,6})\s+(.*)", line)
            if match and not in_fence:
                headings.append((len(match.group(1)), match.group(2).strip(), index))
    return headings


def code_cells(nb):
    return [(i, c) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]


def test_there_are_notebooks_numbered_in_reading_order():
    assert NOTEBOOKS, "no notebooks found"
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(len(numbers))), f"notebook numbers must run 00, 01, ... without gaps: {numbers}"
    for path in NOTEBOOKS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), path.name
    strays = [p.name for p in NOTEBOOK_DIR.glob("*.ipynb") if p not in NOTEBOOKS]
    assert not strays, f"notebooks outside the numbered series (drafts, copies?): {strays}"


ids = [p.name for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_opening(path):
    nb = load(path)
    headings = markdown_headings(nb)
    h1 = [h for h in headings if h[0] == 1]
    assert len(h1) == 1, f"{path.name}: exactly one H1 title expected, found {[h[1] for h in h1]}"
    assert h1[0][2] == 0, f"{path.name}: the H1 title belongs in the first cell"
    opening = "\n".join(source(c) for c in nb["cells"][:3] if c["cell_type"] == "markdown")
    assert re.search(r"what you.ll learn", opening, re.I), f"{path.name}: no 'What you'll learn' in the opening"
    section = re.split(r"what you.ll learn", opening, flags=re.I)[1]
    bullets = []
    for line in section.splitlines()[1:]:
        if re.match(r"^\s*[-*] ", line):
            bullets.append(line)
        elif bullets and not line.strip():
            break
    assert 3 <= len(bullets) <= 6, f"{path.name}: 'What you'll learn' wants 3 to 6 bullets, has {len(bullets)}"
    assert re.search(r"prerequisites", opening, re.I), f"{path.name}: no Prerequisites in the opening"
    assert re.search(r"\btime\b", opening, re.I), f"{path.name}: no Time (reading and CPU run time) in the opening"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_setup_cell_seeds_and_picks_device_with_cpu_fallback(path):
    nb = load(path)
    first_index, first = code_cells(nb)[0]
    src = source(first)
    assert "seed_everything(" in src, f"{path.name}: the first code cell must seed (helpers.seed_everything)"
    assert "get_device()" in src, f"{path.name}: the first code cell must pick the device (helpers.get_device)"
    # Versions and device are printed in a cell nbval ignores, right after the setup cell.
    _, second = code_cells(nb)[1]
    assert IGNORE_MARK in source(second) and "environment_summary(" in source(second), (
        f"{path.name}: the second code cell should print helpers.environment_summary(...) under {IGNORE_MARK}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_closing_sections(path):
    nb = load(path)
    h2 = [(text.lower(), index) for level, text, index in markdown_headings(nb) if level == 2]
    titles = [t for t, _ in h2]
    for name in ("summary", "exercises", "next"):
        assert any(t.startswith(name) for t in titles), f"{path.name}: missing '## {name.title()}' section"
    order = [next(i for i, t in enumerate(titles) if t.startswith(n)) for n in ("summary", "exercises", "next")]
    assert order == sorted(order), f"{path.name}: closing sections must be Summary, Exercises, Next in that order"
    # Exercises come with a way to check the answer: an assert (in prose or in a checker cell).
    start = h2[order[1]][1]
    end = h2[order[2]][1]
    exercises = "\n".join(source(c) for c in nb["cells"][start:end])
    assert "assert" in exercises, f"{path.name}: each exercise needs a check (an assert or expected value)"
    # Skeletons to fill in first, worked solutions after them (still inside Exercises, before Next).
    subheadings = [text.lower() for level, text, index in markdown_headings(nb) if level == 3 and start < index < end]
    assert "solutions" in subheadings, f"{path.name}: Exercises needs a '### Solutions' part after the checks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_executed_once_top_to_bottom_with_clean_outputs(path):
    nb = load(path)
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernelspec must be python3"
    cells = code_cells(nb)
    counts = [c.get("execution_count") for _, c in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{path.name}: run it top to bottom with `make execute NB={path.relative_to(REPO_ROOT)}` (counts {counts})"
    )
    for index, cell in cells:
        src = source(cell)
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                assert RAISES_MARK in src, f"{path.name} cell {index}: error output in a cell not marked {RAISES_MARK}"
            if out["output_type"] == "stream":
                assert out["name"] != "stderr", (
                    f"{path.name} cell {index}: stderr in stored output (a warning?): {''.join(out['text'])[:200]!r}"
                )
            text = json.dumps(out)
            assert not re.search(r"0x[0-9a-f]{8,}", text), f"{path.name} cell {index}: memory address in output"
            found = MACHINE_PATH.search(text) or (str(REPO_ROOT) in text and str(REPO_ROOT))
            assert not found, f"{path.name} cell {index}: machine path in output ({found}): run make execute"
        if RAISES_MARK in src:
            assert any(o["output_type"] == "error" for o in cell.get("outputs", [])), (
                f"{path.name} cell {index}: marked {RAISES_MARK} but stores no error"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_few_ignored_outputs_and_explicit_skips(path):
    nb = load(path)
    cells = code_cells(nb)
    ignored = [i for i, c in cells if IGNORE_MARK in source(c)]
    assert len(ignored) <= MAX_IGNORED_SHARE * len(cells), (
        f"{path.name}: {len(ignored)} of {len(cells)} code cells ignore their output (at most {MAX_IGNORED_SHARE:.0%})"
    )
    for index, cell in cells:
        if "NBVAL_SKIP" in source(cell):
            key = f"{path.name}#{index}"
            assert key in SKIPPED_CELLS, f"{key} is skipped by nbval but not listed in tests/conftest.py SKIPPED_CELLS"


def test_strict_mode_everywhere():
    import tomllib

    for name in ("Makefile", "pyproject.toml", ".ci/run", "scripts/portability.py", "scripts/pythons.py"):
        text = (REPO_ROOT / name).read_text()
        assert "nbval-lax" not in text, f"{name} mentions --nbval-lax: the series is checked strictly"
    addopts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    assert "--nbval" in addopts
    sanitize_files = sorted(p.name for p in REPO_ROOT.glob("*sanitize*"))
    assert sanitize_files == ["nbval_sanitize.cfg"], f"exactly one sanitize file expected: {sanitize_files}"


def test_sanitize_file_format():
    """Each section is exactly one regex: line followed immediately by its replace: line."""
    lines = [ln for ln in (REPO_ROOT / "nbval_sanitize.cfg").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    sections = 0
    for i, line in enumerate(lines):
        if line.startswith("["):
            sections += 1
            assert lines[i + 1].startswith("regex: "), f"{line}: first line must be 'regex: ...'"
            assert lines[i + 2].startswith("replace:"), f"{line}: 'replace:' must follow the regex line"
            re.compile(lines[i + 1][len("regex: "):])
    assert sections >= 1


def readme_table():
    """[(number, title, file, run time)] from the README's notebook table."""
    rows = []
    for line in (REPO_ROOT / "README.md").read_text().splitlines():
        match = re.match(r"^\|\s*(\d\d)\s*\|\s*\[(.+?)\]\((notebooks/\d\d_[a-z0-9_]+\.ipynb)\)\s*\|"
                         r".*\|\s*([^|]+?)\s*\|$", line)
        if match:
            rows.append(match.groups())
    return rows


def test_readme_table_agrees_with_the_notebooks():
    """Each notebook's opening is the one source of its title and run time; the README's table repeats them."""
    import nbformat

    from notebook_runner import stated_run_time, title_of

    rows = readme_table()
    assert [file for _, _, file, _ in rows] == [f"notebooks/{p.name}" for p in NOTEBOOKS], (
        "README's notebook table must list every notebook, in order"
    )
    for (number, title, file, run_time), path in zip(rows, NOTEBOOKS):
        nb = nbformat.read(path, as_version=4)
        assert f"{number} {title}" == title_of(nb), f"{file}: README says {title!r}, the notebook {title_of(nb)!r}"
        assert run_time == stated_run_time(nb), (
            f"{file}: README says {run_time!r}, the notebook's opening {stated_run_time(nb)!r}"
        )


def test_ci_runs_exactly_the_readme_test_command():
    ci = [ln.strip() for ln in (REPO_ROOT / ".ci/run").read_text().splitlines()
          if ln.strip() and not ln.startswith("#") and not ln.startswith(("set ", "cd "))]
    assert ci == ["make test"], f".ci/run should only call the README's test command, found {ci}"
    readme = (REPO_ROOT / "README.md").read_text()
    assert "make test" in readme and "make lab" in readme


def test_links_between_notebooks_use_their_titles():
    """A link that names a notebook ("[01 Tensors](01_tensors.ipynb)", or a table row of 00) uses its H1 title."""
    import nbformat

    from notebook_runner import title_of

    titles = {path.stem: title_of(nbformat.read(path, as_version=4)) for path in NOTEBOOKS}
    wrong = []
    for path in NOTEBOOKS:
        for cell in load(path)["cells"]:
            if cell["cell_type"] != "markdown":
                continue
            for line in source(cell).splitlines():
                row = re.match(r"^\|\s*(\d\d)\s*\|\s*\[([^\]]+)\]\((\d\d_[a-z0-9_]+)\.ipynb\)", line)
                if row and f"{row.group(1)} {row.group(2)}" != titles.get(row.group(3)):
                    wrong.append(f"{path.name}: table row {row.group(1)} {row.group(2)!r}")
                for text, target in re.findall(r"\[(\d\d [^\]]+)\]\((\d\d_[a-z0-9_]+)\.ipynb\)", line):
                    if text.replace("`", "") != titles.get(target, "").replace("`", ""):
                        wrong.append(f"{path.name}: [{text}] -> {target} is titled {titles.get(target)!r}")
    assert not wrong, "links that do not match the notebook's title:\n" + "\n".join(wrong)
