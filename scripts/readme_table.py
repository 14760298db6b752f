"""Print the README's notebook table from the notebooks' openings (their titles and stated run times).

    python scripts/readme_table.py

The openings are the one source; paste the output into README.md (tests/test_conventions.py compares them).
"""

from __future__ import annotations

import re

import nbformat

from notebook_runner import REPO_ROOT, series_notebooks, stated_run_time, title_of


def learn_summary(path) -> str:
    """The README's "What you learn" cell for ``path``, kept from the current README where it exists."""
    for line in (REPO_ROOT / "README.md").read_text().splitlines():
        if f"](notebooks/{path.name})" in line:
            return [c.strip() for c in line.strip().strip("|").split("|")][2]
    return ""


def main() -> None:
    print("| # | Notebook | What you learn | CPU run time |\n|---|---|---|---|")
    for path in series_notebooks():
        nb = nbformat.read(path, as_version=4)
        number, title = re.match(r"(\d\d) (.*)", title_of(nb)).groups()
        print(f"| {number} | [{title}](notebooks/{path.name}) | {learn_summary(path)} | {stated_run_time(nb)} |")


if __name__ == "__main__":
    main()
