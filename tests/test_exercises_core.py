"""The exercise core (helpers.exercises): how a check decides and reports, on a made-up exercise.

The made-up exercise asks for ``double(x)`` returning ``2 * x``; its test follows the rules the lesson
checks follow: NotDoneYet only for the untouched skeleton (a body of ``...`` returns None), ``expect`` for
a wrong answer with what is wrong, and the reader's function called inside the test.
"""

from __future__ import annotations

import torch

from helpers.exercises import CORRECT, NOT_DONE, WRONG, NotDoneYet, Verdict, Wrong, exercise, expect


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


def test_wrong_and_not_done_yet_are_distinct_exceptions():
    assert not issubclass(Wrong, NotDoneYet) and not issubclass(NotDoneYet, Wrong)
