"""The exercise core (helpers.exercises): how a check decides and reports, on a made-up exercise; then every
lesson's checks, run from its solutions notebook, against the global random state.

The made-up exercise asks for ``double(x)`` returning ``2 * x``; its test follows the rules the lesson
checks follow: NotDoneYet only for the untouched skeleton (a body of ``...`` returns None), ``expect`` for
a wrong answer with what is wrong, and the reader's function called inside the test.
"""

from __future__ import annotations

import importlib
import json
import pickle
import random
import re

import matplotlib
import numpy as np
import pytest
import torch

from helpers.exercises import CORRECT, NOT_DONE, WRONG, NotDoneYet, Verdict, Wrong, exercise, expect
from notebook_runner import solutions_notebooks


@exercise(3)
def check_double(double):
    answer = double(torch.tensor([1.0, -2.0]))
    if answer is None:
        raise NotDoneYet
    expect(isinstance(answer, torch.Tensor), f"double returned a {type(answer).__name__}, not a tensor")
    expect(torch.equal(answer, torch.tensor([2.0, -4.0])), f"double([1, -2]) gave {answer.tolist()}, not [2.0, -4.0]")


def skeleton(x):
    ...


def test_the_untouched_skeleton_is_not_done_yet():
    verdict = check_double.verdict(skeleton)
    assert verdict == Verdict(3, NOT_DONE) and not verdict.correct
    assert str(verdict) == "Exercise 3: not done yet"


def test_a_wrong_answer_is_wrong_and_says_what_is_wrong():
    verdict = check_double.verdict(lambda x: x + 2)
    assert verdict.status == WRONG and not verdict.correct
    assert verdict.detail == "double([1, -2]) gave [3.0, 0.0], not [2.0, -4.0]"
    assert str(verdict) == "Exercise 3: wrong: double([1, -2]) gave [3.0, 0.0], not [2.0, -4.0]"
    assert check_double.verdict(lambda x: [2.0, -4.0]).detail == "double returned a list, not a tensor"


def test_an_exception_from_the_readers_code_is_wrong_with_its_type():
    def raises(x):
        return x @ torch.ones(3, 3)  # a shape mistake

    verdict = check_double.verdict(raises)
    assert verdict.status == WRONG
    assert verdict.detail.startswith("your code raised RuntimeError: "), verdict.detail
    # Not "not done yet": an answer that crashes was tried.
    assert check_double.verdict(lambda x: x.no_such_method()).detail.startswith("your code raised AttributeError")


# Written as a check module is (compiled outside this test file, so pytest does not rewrite its asserts).
ASSERTING_CHECKS = """
@exercise(1)
def check_positive(value):
    assert value > 0, f"{value} is not positive"


@exercise(2)
def check_bare(value):
    assert value
"""


def test_a_failed_assert_is_wrong_too():
    namespace = {"exercise": exercise}
    exec(compile(ASSERTING_CHECKS, "helpers/exercises/example.py", "exec"), namespace)
    assert str(namespace["check_positive"].verdict(-1)) == "Exercise 1: wrong: -1 is not positive"
    assert namespace["check_bare"].verdict(0) == Verdict(2, WRONG, "an assertion failed")
    assert namespace["check_positive"].verdict(1).correct


def test_the_right_answer_is_correct():
    verdict = check_double.verdict(lambda x: 2 * x)
    assert verdict == Verdict(3, CORRECT) and verdict.correct
    assert str(verdict) == "Exercise 3: correct"


def test_calling_the_check_prints_one_line(capsys):
    assert check_double(lambda x: 2 * x) is None
    check_double(skeleton)
    check_double(lambda x: x)
    assert capsys.readouterr().out.splitlines() == [
        "Exercise 3: correct",
        "Exercise 3: not done yet",
        "Exercise 3: wrong: double([1, -2]) gave [1.0, -2.0], not [2.0, -4.0]",
    ]
    assert check_double.number == 3 and check_double.__name__ == "check_double"


def test_a_check_leaves_the_global_generators_as_it_found_them():
    @exercise(4)
    def check_draws(answer):
        torch.nn.Linear(4, 4)  # initialised from the global generator
        random.random()
        np.random.rand()
        expect(answer, "no")

    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    before = global_rng_state()
    assert check_draws.verdict(True).correct and check_draws.verdict(False).status == WRONG
    after = global_rng_state()
    assert torch.equal(before[0], after[0]) and before[1:] == after[1:]


def test_wrong_and_not_done_yet_are_distinct_exceptions():
    assert not issubclass(Wrong, NotDoneYet) and not issubclass(NotDoneYet, Wrong)


# Every lesson's checks, run as its solutions notebook runs them: each verdict is "correct" whatever state the
# global random number generators are in, and a check leaves that state as it found it (a check draws from a
# local torch.Generator, so rerunning cells above, or running the check, never changes what the reader's own
# cells draw).

SOLUTIONS = solutions_notebooks()


def global_rng_state():
    return torch.get_rng_state(), pickle.dumps(random.getstate()), pickle.dumps(np.random.get_state())


def run_solutions(path, seed, monkeypatch) -> list[tuple[str, str, bool]]:
    """Execute the solutions notebook's code with the global generators seeded by ``seed``.

    Returns (check, verdict, whether the global RNG state changed during the check) for every check call.
    """
    topic = json.loads(path.read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in topic["cells"] if c["cell_type"] == "code"]
    modules = {m for s in sources for m in re.findall(r"from (helpers\.exercises\.\w+) import", s)}
    calls = []
    for module in map(importlib.import_module, modules):
        for name, check in list(vars(module).items()):
            if re.fullmatch(r"check_exercise_\d+", name):
                check = getattr(check, "original", check)  # wrapped by an earlier run of this test

                def recorded(*answer, _check=check, _name=name, **options):
                    before = global_rng_state()
                    verdict = _check.verdict(*answer, **options)
                    after = global_rng_state()
                    changed = not (torch.equal(before[0], after[0]) and before[1:] == after[1:])
                    calls.append((f"{path.name}: {_name}", str(verdict), changed))
                    print(verdict)

                recorded.original = check
                monkeypatch.setattr(module, name, recorded)
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    namespace: dict = {"__name__": "__main__"}
    for source in sources:
        exec(compile(source, str(path), "exec"), namespace)
    return calls


@pytest.mark.slow
@pytest.mark.parametrize("path", SOLUTIONS, ids=[p.name for p in SOLUTIONS])
def test_checks_ignore_and_keep_the_global_rng(path, monkeypatch, tmp_path):
    monkeypatch.chdir(path.parents[1])  # notebooks/, where a notebook's kernel runs
    matplotlib.use("Agg")
    first = run_solutions(path, 0, monkeypatch)
    second = run_solutions(path, 12345, monkeypatch)
    assert first, f"{path.name} calls no check"
    assert [c[:2] for c in first] == [c[:2] for c in second], "verdicts depend on the global RNG state"
    not_correct = [c for c in first if not c[1].endswith(": correct")]
    assert not not_correct, f"worked solutions that are not correct: {not_correct}"
    drawing = sorted({c[0] for c in first + second if c[2]})
    assert not drawing, f"checks that change the global random state (draw from it): {drawing}"
