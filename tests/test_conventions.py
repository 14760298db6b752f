"""Convention tests over every notebook (see CONTRIBUTING.md).

These check what strict nbval cannot: how a notebook opens and closes, that its
stored outputs came from one clean top-to-bottom run, and that nothing noisy or
machine-specific was stored. A lesson closes with Summary, Exercises (skeletons and one
check cell that says "not done yet" for each) and Next; its worked solutions live in
notebooks/solutions/ under the same name, where every check says "correct".
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import NOTEBOOK_DIR, NOTEBOOKS, REPO_ROOT
from notebook_runner import IGNORE_MARK, RAISES_MARK, SOLUTIONS_DIR, solutions_notebooks, title_of

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


CHECK_CALL = re.compile(r"\bcheck_exercise_(\d+)\(")
CHECK_IMPORT = re.compile(r"from helpers\.exercises\.(\w+) import")
#: The check module of a lesson is named after its topic (the stem without the number); 10's is training_logs.
TOPIC_EXCEPTIONS = {"10_logging": "training_logs"}


def topic_of(stem: str) -> str:
    return TOPIC_EXCEPTIONS.get(stem, stem[3:])


def stored_text(cell) -> str:
    return "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def check_cells(nb) -> list[tuple[int, list[int]]]:
    """(cell index, [exercise numbers it checks]) for each code cell that calls check_exercise_N(...)."""
    found = []
    for index, cell in code_cells(nb):
        numbers = [int(n) for n in CHECK_CALL.findall(source(cell))]
        if numbers:
            found.append((index, numbers))
    return found


def closing(nb):
    """(the level-2 headings from Summary on, {name: cell index}) of a lesson."""
    h2 = [(text.lower(), index) for level, text, index in markdown_headings(nb) if level == 2]
    summary = next((k for k, (text, _) in enumerate(h2) if text.startswith("summary")), None)
    tail = h2[summary:] if summary is not None else []
    return [text for text, _ in tail], {text.split()[0]: index for text, index in tail}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_closing_sections(path):
    nb = load(path)
    titles, at = closing(nb)
    names = [t.split()[0] for t in titles]
    assert names in (["summary", "exercises", "next"], ["summary", "exercises", "next", "further"]), (
        f"{path.name}: a lesson ends with ## Summary, ## Exercises, ## Next (optionally ## Further reading), "
        f"found {titles}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_exercises_have_skeletons_and_one_check_cell_that_says_not_done_yet(path):
    nb = load(path)
    _, at = closing(nb)
    if "exercises" not in at:
        pytest.fail(f"{path.name}: no ## Exercises section")
    start, end = at["exercises"], at["next"]
    exercises = "\n".join(source(c) for c in nb["cells"][start:end] if c["cell_type"] == "markdown")
    assert f"solutions/{path.name}" in exercises, f"{path.name}: Exercises should link solutions/{path.name}"
    checks = [(i, numbers) for i, numbers in check_cells(nb) if start < i < end]
    assert len(checks) == 1, f"{path.name}: Exercises wants exactly one check cell, found cells {checks}"
    check_index, numbers = checks[0]
    assert numbers == list(range(1, len(numbers) + 1)), f"{path.name}: the check cell checks exercises {numbers}"
    expected = "".join(f"Exercise {n}: not done yet\n" for n in numbers)
    stored = stored_text(nb["cells"][check_index])
    assert stored == expected, (
        f"{path.name}: on the untouched skeletons the check cell should store\n{expected}found\n{stored}")
    skeletons = [i for i, c in code_cells(nb) if start < i < check_index]
    assert skeletons, f"{path.name}: no skeleton cells for the reader before the check cell"
    without = [i for i in skeletons if "..." not in source(nb["cells"][i])]
    assert not without, f"{path.name}: skeleton cells {without} have no ... for the reader to replace"
    topics = set(CHECK_IMPORT.findall("\n".join(source(c) for _, c in code_cells(nb))))
    assert topics == {topic_of(path.stem)}, (
        f"{path.name}: the checks come from helpers.exercises.{topic_of(path.stem)}, found imports of {topics}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_solution_below_the_exercises(path):
    """Nothing after the exercise skeletons shows or runs a solution: no code after the check cell, no "correct"."""
    nb = load(path)
    _, at = closing(nb)
    start = at.get("exercises", len(nb["cells"]))
    checks = [i for i, _ in check_cells(nb) if i > start]
    after = [i for i, _ in code_cells(nb) if checks and i > checks[-1]]
    assert not after, f"{path.name}: code cells {after} after the check cell (solutions live in solutions/)"
    for index, cell in enumerate(nb["cells"]):
        if index < start:
            continue
        assert not re.search(r"^Exercise \d+: correct", stored_text(cell), re.MULTILINE), (
            f"{path.name} cell {index}: a check says correct below the Exercises heading: a solution is shown")
        assert not (cell["cell_type"] == "markdown" and re.search(r"^#+\s*solutions?\b", source(cell), re.I | re.M)), (
            f"{path.name} cell {index}: a Solutions section in the lesson (solutions live in solutions/)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_each_lesson_has_a_solutions_notebook_whose_checks_all_say_correct(path):
    lesson = load(path)
    solutions_path = SOLUTIONS_DIR / path.name
    assert solutions_path.exists(), f"{path.name}: no worked solutions at notebooks/solutions/{path.name}"
    solutions = load(solutions_path)
    import nbformat

    title = title_of(nbformat.read(path, as_version=4))
    first = source(solutions["cells"][0]) if solutions["cells"] else ""
    assert re.search(rf"^# {re.escape(title)}: solutions\s*$", first, re.M), (
        f"solutions/{path.name}: the first cell's title should be '# {title}: solutions'")
    lesson_numbers = sorted(n for _, numbers in check_cells(lesson) for n in numbers)
    solved = {}
    for index, numbers in check_cells(solutions):
        stored = stored_text(solutions["cells"][index])
        for n in numbers:
            assert f"Exercise {n}: correct\n" in stored, (
                f"solutions/{path.name} cell {index}: the check of exercise {n} should store 'Exercise {n}: correct', "
                f"found {stored!r}")
            solved[n] = index
    assert sorted(solved) == lesson_numbers, (
        f"solutions/{path.name} checks exercises {sorted(solved)}, the lesson has {lesson_numbers}")
    wrong = [line for _, c in code_cells(solutions) for line in stored_text(c).splitlines()
             if re.match(r"Exercise \d+: (wrong|not done yet)", line)]
    assert not wrong, f"solutions/{path.name}: {wrong}"
    topics = set(CHECK_IMPORT.findall("\n".join(source(c) for _, c in code_cells(solutions))))
    assert topics == {topic_of(path.stem)}, f"solutions/{path.name} imports checks from {topics}"


def test_every_solutions_notebook_belongs_to_a_lesson():
    lessons = {p.name for p in NOTEBOOKS}
    strays = [p.name for p in solutions_notebooks() if p.name not in lessons]
    assert not strays, f"notebooks/solutions/ holds notebooks of no lesson: {strays}"
    modules = {p.stem for p in (NOTEBOOK_DIR / "helpers" / "exercises").glob("*.py")} - {"__init__"}
    unused = sorted(modules - {topic_of(p.stem) for p in NOTEBOOKS})
    assert not unused, f"check modules in helpers/exercises/ that serve no lesson: {unused}"


@pytest.mark.slow
def test_nbval_collects_the_solutions_notebooks():
    """`make test` runs pytest over testpaths; the solutions notebooks must be among the notebooks it runs."""
    import subprocess
    import sys
    import tomllib

    ini = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "notebooks" in ini["testpaths"]
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "--numprocesses=0", "notebooks"],
                         cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    collected = {line.split("::")[0] for line in run.stdout.splitlines() if "::" in line}
    for path in [*NOTEBOOKS, *solutions_notebooks()]:
        name = path.relative_to(REPO_ROOT).as_posix()
        assert name in collected, f"nbval does not collect {name}:\n{run.stdout[-2000:]}"


ALL = [*NOTEBOOKS, *solutions_notebooks()]
all_ids = [p.relative_to(NOTEBOOK_DIR).as_posix() for p in ALL]


@pytest.mark.parametrize("path", ALL, ids=all_ids)
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


@pytest.mark.parametrize("path", ALL, ids=all_ids)
def test_few_ignored_outputs(path):
    """At most 20% of a notebook's code cells ignore their output (each is listed in tests/ignored_outputs.toml)."""
    nb = load(path)
    cells = code_cells(nb)
    ignored = [i for i, c in cells if IGNORE_MARK in source(c)]
    assert len(ignored) <= MAX_IGNORED_SHARE * len(cells), (
        f"{path.name}: {len(ignored)} of {len(cells)} code cells ignore their output (at most {MAX_IGNORED_SHARE:.0%})"
    )


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
