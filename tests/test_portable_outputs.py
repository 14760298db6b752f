"""No checked output depends on the path separator, absolute paths, or the accelerator: shown without Windows or a GPU.

Checked outputs are those strict nbval compares: every code cell's output except in cells marked
NBVAL_IGNORE_OUTPUT or NBVAL_SKIP (or tagged so). They were stored on Linux; what would differ
on Windows or a Mac is the code that prints them, so the tests look at both: the stored text
(no machine's paths, no backslash separators, device names covered by the sanitize rules) and
the cells' source (paths printed through ``shown_path`` or written literally, never cut at "/").
``shown_path`` itself is run with Windows path rules.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path, PureWindowsPath

import nbformat
import pytest

from conftest import NOTEBOOK_DIR, REPO_ROOT
from helpers import environment
from test_sanitize import sanitize

NOTEBOOK_FILES = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")) + sorted(NOTEBOOK_DIR.glob("solutions/*.ipynb"))
UNCHECKED_MARKS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP")
UNCHECKED_TAGS = ("nbval-ignore-output", "nbval-skip")


def checked_text(output) -> str:
    """The parts of one output that strict nbval compares (an error: its name and message)."""
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return f"{output.ename}: {output.evalue}"
    return "\n".join(value for key, value in output.get("data", {}).items()
                     if key.startswith("text/") and isinstance(value, str))


def checked_cells(path: Path):
    """(label, source, [checked output texts]) for each code cell whose output nbval compares."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or any(mark in cell.source for mark in UNCHECKED_MARKS):
            continue
        if any(tag in cell.metadata.get("tags", []) for tag in UNCHECKED_TAGS):
            continue
        name = path.relative_to(NOTEBOOK_DIR).as_posix() if NOTEBOOK_DIR in path.parents else path.name
        label = f"{name} cell {index} ({cell.get('id', '?')})"
        yield label, cell.source, [checked_text(output) for output in cell.get("outputs", [])]


def machine_paths() -> re.Pattern:
    """Windows separators and drive letters, and absolute paths of this or any usual machine."""
    here = sorted({str(REPO_ROOT), sys.prefix, sys.base_prefix, str(Path.home())}, key=len, reverse=True)
    return re.compile("|".join([
        r"[A-Za-z]:\\",                 # C:\
        r"[\w.-]\\[\w.-]",              # output\00_before_you_start
        r"\\\\",                        # 'output\\hello.txt' in a repr
        r"(?<![\w.~])/(?:home|root|tmp|work|Users|usr|var|opt|private|mnt|srv)/",
        *(re.escape(p) for p in here if len(p) > 1),
    ]))


MACHINE_PATH = machine_paths()


def findings_in_outputs(path: Path) -> list[str]:
    found = []
    for label, _, texts in checked_cells(path):
        for text in texts:
            for match in MACHINE_PATH.finditer(text):
                found.append(f"{label}: {text[max(0, match.start() - 40):match.end() + 40]!r}")
            # What an accelerator prints instead of the CPU must compare equal after sanitizing.
            for device in ("cuda", "cuda:0", "mps", "mps:0", "xpu:1"):
                kind, _, index = device.partition(":")
                on_device = re.sub(r"device\(type='cpu'\)",
                                   f"device(type='{kind}'" + (f", index={index})" if index else ")"), text)
                on_device = re.sub(r"\bcpu\b", device, on_device)
                if sanitize(on_device) != sanitize(text):
                    found.append(f"{label}: on {device} it would print {on_device!r}")
    return found


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.relative_to(NOTEBOOK_DIR).as_posix())
def test_checked_outputs_hold_on_any_system_and_device(path):
    found = findings_in_outputs(path)
    assert not found, "checked output that depends on the machine:\n  " + "\n  ".join(found)


# A path below output/ is made at run time from the machine's own paths (output_path), so it prints
# portably only through shown_path (or error_summary, which rewrites the paths in a message with it),
# or when the cell writes it out itself.
OUTPUT_PATH = re.compile(r"(?<![\w/.:<-])output/[\w./-]+")
PORTABLE_PRINTERS = ("shown_path(", "error_summary(", "output/")
SPLIT_ON_SLASH = re.compile(r"""\.r?split\(\s*["']/["']""")


def findings_in_sources(path: Path) -> list[str]:
    found = []
    for label, source, texts in checked_cells(path):
        for line in source.splitlines():
            if "print(" in line and SPLIT_ON_SLASH.search(line):
                found.append(f"{label}: cuts a printed path at '/', which Windows paths lack: {line.strip()!r} "
                             "(use Path(...).name or shown_path)")
        for text in texts:
            for token in OUTPUT_PATH.findall(text):
                if not any(printer in source for printer in PORTABLE_PRINTERS):
                    found.append(f"{label}: prints the path {token!r}, neither through shown_path nor written "
                                 "in the cell (on Windows it would print with backslashes)")
    return found


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.relative_to(NOTEBOOK_DIR).as_posix())
def test_checked_cells_print_paths_portably(path):
    found = findings_in_sources(path)
    assert not found, "\n  ".join(["path printed in a way that differs on Windows:", *found])


def write_probe(tmp_path, source, outputs):
    cell = nbformat.v4.new_code_cell(source, outputs=outputs)
    path = tmp_path / "00_probe.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return path


@pytest.mark.parametrize(("source", "text"), [
    ("print(path)", "output\\00_before_you_start\\hello.txt\n"),
    ("print(repr(str(path)))", "'output\\\\hello.txt'\n"),
    ("print(path)", f"{REPO_ROOT}/output/00_before_you_start/hello.txt\n"),
    ("print(path)", "/home/ada/learn-pytorch/output/hello.txt\n"),
    ("print(path)", "C:\\Users\\ada\\hello.txt\n"),
])
def test_the_output_scan_finds_a_machine_path(tmp_path, source, text):
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    assert findings_in_outputs(write_probe(tmp_path, source, outputs))
    ignored = write_probe(tmp_path, "# NBVAL_IGNORE_OUTPUT\n" + source, outputs)
    assert findings_in_outputs(ignored) == [], "an ignored cell's output is not compared, so it may hold anything"


def test_the_output_scan_finds_a_device_the_sanitize_rules_miss(tmp_path, monkeypatch):
    import test_sanitize

    text = "tensor([1.]) on cpu, device(type='cpu')\n"
    probe = write_probe(tmp_path, "print(x)", [nbformat.v4.new_output("stream", name="stdout", text=text)])
    assert findings_in_outputs(probe) == []
    monkeypatch.setattr(test_sanitize, "PATTERNS", [])  # no sanitize rules: "on mps" is not "on cpu"
    assert any("on mps it would print" in f for f in findings_in_outputs(probe))


@pytest.mark.parametrize(("source", "text", "culprit"), [
    ('print(" ".join(a.rsplit("/", 1)[-1] for a in cmd))', "python ddp_digits.py\n", "cuts a printed path"),
    ("print(path.relative_to(REPO_ROOT))", "output/00_before_you_start/hello.txt\n", "neither through shown_path"),
])
def test_the_source_scan_finds_a_path_printed_the_posix_way(tmp_path, source, text, culprit):
    outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    assert any(culprit in f for f in findings_in_sources(write_probe(tmp_path, source, outputs)))
    fixed = source.replace("path.relative_to(REPO_ROOT)", "shown_path(path)").replace(
        'a.rsplit("/", 1)[-1]', "Path(a).name")
    assert findings_in_sources(write_probe(tmp_path, fixed, outputs)) == []


class WindowsPath(PureWindowsPath):
    """Windows path rules on any system (``resolve`` is the identity: these paths are already absolute)."""

    def resolve(self):
        return self


@pytest.mark.parametrize(("given", "shown"), [
    (r"C:\Users\ada\learn-pytorch\output\00_before_you_start\hello.txt", "output/00_before_you_start/hello.txt"),
    (r"c:\users\ADA\Learn-PyTorch\output\09_training_process", "output/09_training_process"),  # case-blind
    (r"C:\Users\ada\learn-pytorch\images\architecture.png", "images/architecture.png"),
    (r"D:\scratch\series-output\11_data_handling\digits.csv", "output/11_data_handling/digits.csv"),
    (r"E:\elsewhere\digits.pt", "digits.pt"),  # outside the repository: the file name only
])
def test_shown_path_prints_windows_paths_relative_with_slashes(monkeypatch, given, shown):
    monkeypatch.setattr(environment, "Path", WindowsPath)
    monkeypatch.setattr(environment, "REPO_ROOT", WindowsPath(r"C:\Users\ada\learn-pytorch"))
    monkeypatch.setattr(environment, "OUTPUT_DIR", WindowsPath(r"D:\scratch\series-output"))
    assert environment.shown_path(given) == shown
