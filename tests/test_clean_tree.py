"""The suite's clean-tree check (tests/conftest.py) compares contents, not the names git reports.

Each case makes a small git repository, takes the fingerprint, changes something, and compares: a further
edit to a file that was already modified, a new file in a folder that was already untracked, and the plain
cases. An unchanged tree gives the same fingerprint twice.
"""

from __future__ import annotations

import subprocess

import pytest

from conftest import changed_files, tree_fingerprint


@pytest.fixture
def repo(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "tracked.txt").write_text("committed\n")
    (tmp_path / ".gitignore").write_text("output/\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "start")
    # A working tree that is already dirty before the "test run": one modified file, one untracked folder.
    (tmp_path / "tracked.txt").write_text("modified before the run\n")
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "one.txt").write_text("untracked before the run\n")
    return tmp_path


def test_an_unchanged_tree_gives_the_same_fingerprint(repo):
    before = tree_fingerprint(repo)
    (repo / "output").mkdir()
    (repo / "output" / "written-by-a-test.txt").write_text("ignored by git\n")
    assert tree_fingerprint(repo) == before
    assert set(before) == {"tracked.txt", "drafts/one.txt"}


@pytest.mark.parametrize("change, expected", [
    (lambda r: (r / "tracked.txt").write_text("edited again during the run\n"), "tracked.txt (content changed)"),
    (lambda r: (r / "drafts" / "two.txt").write_text("new\n"), "drafts/two.txt (new to git status)"),
    (lambda r: (r / "drafts" / "one.txt").write_text("changed\n"), "drafts/one.txt (content changed)"),
    (lambda r: (r / "new.txt").write_text("new\n"), "new.txt (new to git status)"),
    (lambda r: (r / "tracked.txt").write_text("committed\n"), "tracked.txt (back to its committed state, or removed)"),
    (lambda r: (r / "tracked.txt").unlink(), "tracked.txt (content changed)"),
], ids=["modified-file-edited-again", "new-file-in-untracked-folder", "untracked-file-edited", "new-file",
        "modified-file-restored", "modified-file-deleted"])
def test_a_change_during_the_run_is_caught(repo, change, expected):
    before = tree_fingerprint(repo)
    change(repo)
    assert changed_files(before, tree_fingerprint(repo)) == [expected]


def test_outside_a_git_checkout_there_is_nothing_to_compare(tmp_path):
    assert tree_fingerprint(tmp_path) is None
