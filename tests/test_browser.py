"""The main job, done the way a reader does it: JupyterLab in a real browser.

JupyterLab is started with the command `make lab` runs (the repository's root is served, so notebooks can
show ../images/*.png, and the news question is switched off), on a free loopback port and with a token. Headless
Chromium (Debian's /usr/bin/chromium, driven by Playwright; no browser is ever downloaded) opens a
notebook, runs every cell from the Run menu, waits until the kernel is done, and reads the result
off the page: every code cell numbered 1..N in order and no error or stderr output anywhere. A
screenshot goes to output/browser/.

The notebooks are served from a copy of the repository's layout in a temporary folder (notebooks/
with helpers/, and images/), so that whatever the notebook writes stays there, and JupyterLab's autosave
is switched off; the tests check that neither the copy nor the repository's notebook changed. A
second test runs a copy with a cell that raises and checks that the checker reports it. A third opens
every notebook that shows a figure from images/ and fails on any image the page could not load.

JupyterLab runs the command `make lab` runs, taken from the Makefile (`make -n lab`), in a fresh browser
profile with no JupyterLab user settings, as a new reader meets it: the news question must not appear, and a
second run without the Makefile's settings folder shows that the test would see it if it did.

Without Chromium the tests skip and say so in the summary (`-ra`), except where the environment variable CI is
set: there a missing browser fails them. scripts/ensure_chromium.sh installs it (Debian's package) where it can,
and `make test` calls it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from conftest import NOTEBOOK_DIR, REPO_ROOT

#: Debian's Chromium; SERIES_CHROMIUM names another binary (the suite's own test of the missing-browser rule).
CHROMIUM = Path(os.environ.get("SERIES_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOT_DIR = REPO_ROOT / "output" / "browser"
# A quick notebook: the test is about the browser path, not about the slowest notebook.
NOTEBOOK = next((n for n in ("01_tensors.ipynb", "00_before_you_start.ipynb") if (NOTEBOOK_DIR / n).exists()), None)
RUN_TIMEOUT_S = 120
NEWS_QUESTION = "Would you like to get notified about official Jupyter news?"

# JupyterLab user settings for the tests that run cells: no autosave (the page must not write the notebook back),
# every cell kept in the page (no windowing, so all prompts and outputs can be read). Nothing about news: the
# run command must deal with that itself, and the news tests start with no user settings at all.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}

pytestmark = pytest.mark.slow


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def browser_missing() -> str | None:
    """Why the real-browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return (f"Chromium is not installed at {CHROMIUM} (scripts/ensure_chromium.sh could not install it: it needs "
                "root and apt-get); the real-browser JupyterLab tests cannot run")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (pinned in pyproject.toml) is not installed; the real-browser tests cannot run"
    return None


@pytest.fixture(scope="module")
def chromium_present():
    """Skip, saying why, where there is no browser; under CI (CI set) that is a failure instead."""
    missing = browser_missing()
    if missing and under_ci():
        pytest.fail(f"CI is set and {missing}")
    if missing:
        pytest.skip(missing)


def lab_command(port: int) -> list[str]:
    """The command `make lab` runs (read with `make -n`: nothing is installed or started), on ``port``."""
    dry_run = subprocess.run(["make", "--no-print-directory", "-n", "lab", f"PORT={port}"], cwd=REPO_ROOT,
                             capture_output=True, text=True, check=True).stdout
    lines = [line for line in dry_run.splitlines() if re.search(r"\bjupyter(\.exe)? lab\b", line)]
    assert len(lines) == 1, f"expected one `jupyter lab` command in `make -n lab`:\n{dry_run}"
    command = shlex.split(lines[0])
    if not Path(command[0]).is_absolute():  # .venv/bin/python: relative to the repository, where make runs
        command[0] = str(REPO_ROOT / command[0])
    return command


def lab_settings_folder(command: list[str]) -> str | None:
    """The folder of JupyterLab settings the run command passes (--LabApp.app_settings_dir=...), if any."""
    return next((arg.split("=", 1)[1] for arg in command if arg.startswith("--LabApp.app_settings_dir=")), None)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def git_status(*paths: str) -> str:
    return subprocess.run(["git", "status", "--porcelain", "--", *paths], cwd=REPO_ROOT, capture_output=True,
                          text=True, check=True).stdout


class Lab:
    """`make lab`'s JupyterLab on a copy of the series' layout (notebooks/, images/, its settings) in ``root``.

    ``settings``: JupyterLab user settings to start with; None for none at all, as for a new reader.
    ``without``: command-line options to leave out of the run command (to show what they do).
    """

    def __init__(self, root: Path, settings: dict | None = None, without: tuple[str, ...] = ()):
        self.root = root
        self.notebooks = root / "notebooks"
        self.notebooks.mkdir(parents=True)
        shutil.copytree(NOTEBOOK_DIR / "helpers", self.notebooks / "helpers",
                        ignore=shutil.ignore_patterns("__pycache__"))
        if (REPO_ROOT / "images").is_dir():
            shutil.copytree(REPO_ROOT / "images", root / "images")
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [arg for arg in lab_command(self.port) if not arg.startswith(without or ("\0",))]
        folder = lab_settings_folder(cmd)
        if folder and not Path(folder).is_absolute():  # relative to the repository root, as `make lab` runs
            shutil.copytree(REPO_ROOT / folder, root / folder)
        user_settings = root / "user-settings"  # empty: nothing set by a user
        for name, values in (settings or {}).items():
            path = user_settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        # A user's own JupyterLab and Jupyter folders, empty: what a new reader has. The token comes through the
        # environment (JUPYTER_TOKEN), so the command line stays exactly the Makefile's.
        env = {**os.environ, "JUPYTER_TOKEN": self.token,
               "JUPYTERLAB_SETTINGS_DIR": str(user_settings), "JUPYTERLAB_WORKSPACES_DIR": str(root / "workspaces"),
               "JUPYTER_CONFIG_DIR": str(root / "jupyter-config"), "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
               "IPYTHONDIR": str(root / "ipython")}
        self.command = cmd
        self.log = (root / "lab.log").open("w")
        self.proc = subprocess.Popen(cmd, cwd=root, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        self.wait_ready()

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            body = response.read()
        return json.loads(body) if body else None

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_text()}")
            try:
                self.api("/api/status")
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{self.log_text()}")

    def log_text(self) -> str:
        self.log.flush()
        return (self.root / "lab.log").read_text()[-3000:]

    def shutdown_kernels(self) -> None:
        for kernel in self.api("/api/kernels") or []:
            self.api(f"/api/kernels/{kernel['id']}", method="DELETE")

    def stop(self) -> None:
        try:
            self.shutdown_kernels()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def lab(chromium_present, tmp_path_factory):
    server = Lab(tmp_path_factory.mktemp("lab"), settings=LAB_SETTINGS)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def playwright(chromium_present):
    """Playwright, once per module (its synchronous API cannot be started twice at a time)."""
    from playwright import sync_api

    with sync_api.sync_playwright() as started:
        yield started


@pytest.fixture(scope="module")
def browser(playwright):
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


# What the page shows, read in one go: each code cell's prompt and whether it shows an error or stderr.
READ_CELLS = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].map(cell => ({
    prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
    outputs: cell.querySelectorAll('.jp-OutputArea-output').length,
    errors: [...cell.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"]')]
              .map(e => e.textContent.trim().split('\\n').slice(-1)[0]),
}))"""


# True once every code cell shows an empty prompt and no output.
ALL_CLEARED = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].every(cell =>
    !/\\d/.test(cell.querySelector('.jp-InputArea-prompt').textContent)
    && !cell.querySelector('.jp-OutputArea-output'))"""


def wait_for_kernel(lab: Lab, page, name: str, timeout: float = 90) -> None:
    """Wait until the notebook's kernel is started and idle, as the status bar shows it.

    On a slow first load JupyterLab may ask which kernel to start; a user accepts the proposed
    one (the notebook's own, Python 3), and so does this.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dialog = page.locator(".jp-Dialog")
        if dialog.count() and "Select Kernel" in dialog.first.inner_text():
            dialog.first.get_by_role("button", name="Select", exact=True).click()
        sessions = lab.api("/api/sessions") or []
        idle = any(s["path"].endswith(name) and s["kernel"]["execution_state"] == "idle" for s in sessions)
        status = page.locator("#jp-main-statusbar").inner_text() if page.locator("#jp-main-statusbar").count() else ""
        if idle and "| Idle" in status:
            return
        time.sleep(0.5)
    pytest.fail(f"{name}: no idle kernel after {timeout} s (status bar: {status!r})")


def click_menu(page, menu: str, item: str) -> None:
    page.get_by_role("menuitem", name=menu, exact=True).click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def run_all_in_browser(lab: Lab, browser, name: str, screenshot: Path, expect_error: bool = False) -> list[dict]:
    """Open ``name`` in JupyterLab, clear it, run all cells from the Run menu, wait; return what each code cell shows.

    Outputs are cleared first so that what the page shows afterwards can only come from this run,
    not from the outputs stored in the file.
    """
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    try:
        page.goto(f"{lab.url}/lab/tree/notebooks/{name}?reset&token={lab.token}")
        page.locator(".jp-Notebook .jp-CodeCell").first.wait_for(timeout=60_000)
        wait_for_kernel(lab, page, name)
        click_menu(page, "Edit", "Clear Outputs of All Cells")
        page.wait_for_function(ALL_CLEARED, timeout=30_000)
        click_menu(page, "Run", "Run All Cells")
        deadline = time.monotonic() + RUN_TIMEOUT_S
        settled = 0
        while True:
            cells = page.evaluate(READ_CELLS)
            prompts = [c["prompt"] for c in cells]
            running = any("*" in p for p in prompts)
            numbered = all(any(ch.isdigit() for ch in p) for p in prompts)
            errored = any(c["errors"] for c in cells)
            # Done: nothing queued or running, and either every cell ran or one failed (which stops Run All).
            finished = errored if expect_error else (numbered or errored)
            settled = settled + 1 if not running and finished else 0
            if settled >= 3:  # stable over three looks, not a gap between two cells
                break
            if time.monotonic() > deadline:
                page.screenshot(path=str(screenshot))
                pytest.fail(f"{name}: cells still running after {RUN_TIMEOUT_S} s: {prompts}")
            time.sleep(0.5)
        page.screenshot(path=str(screenshot))
        return cells
    finally:
        page.close()


def test_run_all_cells_in_jupyterlab_in_chromium(lab, browser):
    shutil.copy2(NOTEBOOK_DIR / NOTEBOOK, lab.notebooks / NOTEBOOK)
    copy_before = (lab.notebooks / NOTEBOOK).read_bytes()
    repo_before = git_status(f"notebooks/{NOTEBOOK}")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOT_DIR / f"{Path(NOTEBOOK).stem}.png"

    cells = run_all_in_browser(lab, browser, NOTEBOOK, screenshot)

    expected = len([c for c in nbformat.read(NOTEBOOK_DIR / NOTEBOOK, as_version=4).cells if c.cell_type == "code"])
    assert len(cells) == expected, f"the page shows {len(cells)} code cells, the notebook has {expected}"
    errors = {i: c["errors"] for i, c in enumerate(cells) if c["errors"]}
    assert not errors, f"{NOTEBOOK}: error or stderr output in code cells {errors} (see {screenshot})"
    counts = [int("".join(ch for ch in c["prompt"] if ch.isdigit())) for c in cells]
    assert counts == list(range(1, expected + 1)), f"cells did not all run once, in order: {counts}"
    # The outputs on the page come from this run (they were cleared first): where the stored
    # notebook has output, the page shows output again.
    stored = [bool(c.outputs) for c in nbformat.read(NOTEBOOK_DIR / NOTEBOOK, as_version=4).cells
              if c.cell_type == "code"]
    assert [c["outputs"] > 0 for c in cells] == stored, "the page's outputs differ from the stored ones"
    assert screenshot.stat().st_size > 10_000
    # Autosave was off and nothing saved: the served copy and the repository's notebook are untouched.
    assert (lab.notebooks / NOTEBOOK).read_bytes() == copy_before, "JupyterLab wrote the notebook back"
    assert git_status(f"notebooks/{NOTEBOOK}") == repo_before


def test_a_cell_that_raises_is_reported(lab, browser):
    """The checker is not blind: a copy of the notebook with a failing first code cell is reported."""
    nb = nbformat.read(NOTEBOOK_DIR / NOTEBOOK, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    assert len(code) > 1
    broken_at = code[0]  # first, so the check costs no imports: Run All stops right there
    nb.cells.insert(broken_at, nbformat.v4.new_code_cell("raise RuntimeError('a deliberately broken cell')"))
    nbformat.write(nb, lab.notebooks / "broken.ipynb")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)

    cells = run_all_in_browser(lab, browser, "broken.ipynb", SCREENSHOT_DIR / "broken.png", expect_error=True)

    errors = {i: c["errors"] for i, c in enumerate(cells) if c["errors"]}
    # Run All sends every cell at once and the kernel aborts only the requests already queued when the first
    # fails, so a later cell can still run (and fail without the setup); what matters is the first error.
    assert errors and min(errors) == 0, f"expected the first code cell's error to be reported, found {errors}"
    assert errors[0] == ["RuntimeError: a deliberately broken cell"], errors[0]
    assert "RuntimeError: a deliberately broken cell" in errors[0][0]
    ran = [any(ch.isdigit() for ch in c["prompt"]) for c in cells]
    assert ran[0] and not any(ran[1:]), f"Run All should stop at the failing cell: {ran}"


NOTEBOOKS_WITH_FIGURES = [p.name for p in sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
                          if "](../images/" in p.read_text(encoding="utf-8")]

# Every image in the rendered markdown, with whether the browser could load it.
READ_IMAGES = """() => [...document.querySelectorAll('.jp-Notebook .jp-RenderedMarkdown img')].map(img => ({
    src: img.getAttribute('src'), loaded: img.complete && img.naturalWidth > 0}))"""


def open_as_a_new_reader(playwright, tmp_path, without: tuple[str, ...] = ()) -> tuple[str, Path]:
    """Start `make lab`'s JupyterLab with no user settings, open its default URL in a fresh Chromium profile.

    Returns the text of the page once notebook 00 is open and JupyterLab had time to ask its questions.
    """
    server = Lab(tmp_path / "lab", settings=None, without=without)
    shutil.copy2(NOTEBOOK_DIR / "00_before_you_start.ipynb", server.notebooks / "00_before_you_start.ipynb")
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOT_DIR / f"opening{'-without-settings' if without else ''}.png"
    try:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.goto(f"{server.url}/?token={server.token}")  # the URL `make lab` prints: the default URL
            page.locator(".jp-Notebook .jp-RenderedMarkdown h1").first.wait_for(timeout=90_000)
            # The question, when asked, comes a moment after the notebook appears: look for 10 s.
            deadline = time.monotonic() + 10
            while NEWS_QUESTION not in page.inner_text("body") and time.monotonic() < deadline:
                time.sleep(0.5)
            text = page.inner_text("body")
            page.screenshot(path=str(screenshot))
        finally:
            context.close()
    finally:
        server.stop()
    return text, screenshot


def test_the_lab_opens_at_the_first_notebook_without_the_news_question(playwright, tmp_path):
    text, screenshot = open_as_a_new_reader(playwright, tmp_path)
    assert "00 Before you start" in text, f"JupyterLab did not open notebook 00 (see {screenshot})"
    assert NEWS_QUESTION not in text, f"a new reader of `make lab` is asked about Jupyter news (see {screenshot})"


def test_without_the_makefiles_settings_the_news_question_appears(playwright, tmp_path):
    """The test above can see the question: with the run command less its settings folder, it is asked."""
    flag = "--LabApp.app_settings_dir="
    assert lab_settings_folder(lab_command(8888)), f"`make lab` passes no {flag}...: nothing keeps the question away"
    text, screenshot = open_as_a_new_reader(playwright, tmp_path, without=(flag,))
    assert NEWS_QUESTION in text, f"without {flag} the news question should appear (see {screenshot})"


@pytest.mark.parametrize("name", NOTEBOOKS_WITH_FIGURES)
def test_every_figure_loads_in_jupyterlab(lab, browser, name):
    shutil.copy2(NOTEBOOK_DIR / name, lab.notebooks / name)
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    try:
        page.goto(f"{lab.url}/lab/tree/notebooks/{name}?reset&token={lab.token}")
        page.locator(".jp-Notebook .jp-RenderedMarkdown img").first.wait_for(timeout=60_000)
        deadline = time.monotonic() + 30
        while True:
            images = page.evaluate(READ_IMAGES)
            if all(img["loaded"] for img in images) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.locator(".jp-Notebook .jp-RenderedMarkdown img").first.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOT_DIR / f"{Path(name).stem}-figure.png"))
    finally:
        page.close()
    expected = re.findall(r"\]\((\.\./images/[^)\s]+)\)", (NOTEBOOK_DIR / name).read_text(encoding="utf-8"))
    assert len(images) >= len(expected) > 0, f"{name}: the page shows {images}, the notebook links {expected}"
    broken = [img["src"] for img in images if not img["loaded"]]
    assert not broken, f"{name}: images that did not load in JupyterLab: {broken}"


@pytest.mark.parametrize("ci", ["true", None], ids=["CI-set", "CI-unset"])
def test_a_missing_browser_fails_under_ci_and_skips_with_its_reason_elsewhere(ci, tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "CI"}
    env.update(SERIES_CHROMIUM=str(tmp_path / "no-chromium-here"), SERIES_OUTPUT_DIR=str(tmp_path / "output"))
    if ci:
        env["CI"] = ci
    run = subprocess.run([sys.executable, "-m", "pytest", "--numprocesses=0", "-q", "-k", "run_all_cells",
                          "tests/test_browser.py"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    report = run.stdout + run.stderr
    reason = f"Chromium is not installed at {tmp_path / 'no-chromium-here'}"
    # The outcome from pytest's summary line (the return code also reflects the clean-tree check, which
    # other work in a shared checkout can trip).
    outcome = report.strip().splitlines()[-1]
    if ci:
        assert re.search(r"\b1 (error|failed)\b", outcome) and "skipped" not in outcome, report[-3000:]
        pattern = r"^(ERROR|FAILED) tests/test_browser.py::test_run_all_cells.*CI is set and " + re.escape(reason)
        assert re.search(pattern, report, re.MULTILINE), report[-3000:]
    else:
        assert re.search(r"\b1 skipped\b", outcome) and not re.search(r"failed|error", outcome), report[-3000:]
        assert re.search(r"^SKIPPED \[\d+\] tests/test_browser.py.*" + re.escape(reason), report, re.MULTILINE), \
            report[-3000:]
