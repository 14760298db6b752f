"""The exercise checks of every lesson, and the one way a check reports.

Each lesson has a module here (``helpers.exercises.tensors`` for 01_tensors, and so on) with one check per
exercise. A lesson's notebook ends with the exercises: skeleton cells for the reader, then a cell that calls
the checks. The worked solutions live apart, in ``notebooks/solutions/``, so that running a lesson top to
bottom never writes a solution into the reader's answer cells; each solution calls the same check.

A check is a function decorated with :func:`exercise`. Called with the reader's answer, it prints one line:

- ``Exercise 2: correct``
- ``Exercise 2: wrong: <what is wrong>``: the answer was tried and failed; the message names the fault
  (a value, a type, an exception the reader's code raised).
- ``Exercise 2: not done yet``: only for the untouched skeleton (the ``...`` still in place).

The undecorated test raises :class:`NotDoneYet` for the untouched skeleton and :class:`Wrong` (or fails an
``assert``) for a wrong answer; any other exception comes from the reader's code and is reported as wrong,
with its type and message. Checks draw their own random numbers from a local generator, so they give the
same verdict however often the reader reran the cells above, and a check leaves the global generators (torch's
CPU generator, ``random``, NumPy's) as it found them. ``check.verdict(answer)`` returns the
:class:`Verdict` without printing it; the test suite feeds each check correct and wrong answers that way.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

CORRECT, WRONG, NOT_DONE = "correct", "wrong", "not done yet"


class NotDoneYet(Exception):
    """Raised by a check's test when the reader's answer is still the untouched skeleton."""


class Wrong(Exception):
    """Raised by a check's test when the answer was tried and is wrong; the message says what is wrong."""


def expect(condition: object, message: str) -> None:
    """Raise :class:`Wrong` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise Wrong(message)


@dataclass(frozen=True)
class Verdict:
    """What a check found: the exercise's number, its status and, unless correct, what is wrong."""

    number: int
    status: Literal["correct", "wrong", "not done yet"]
    detail: str = ""

    @property
    def correct(self) -> bool:
        return self.status == CORRECT

    def __str__(self) -> str:
        line = f"Exercise {self.number}: {self.status}"
        return f"{line}: {self.detail}" if self.status == WRONG and self.detail else line


@contextlib.contextmanager
def _global_random_state_kept():
    """Leave the global generators (torch's CPU one, Python's ``random``, NumPy's) as the check found them.

    A check should draw from its own ``torch.Generator``; where it cannot help drawing from the global one (a
    layer's constructor initialises its weights from it), the reader's later cells still draw what they would
    have drawn without the check.
    """
    import random
    import sys

    import torch

    numpy = sys.modules.get("numpy")
    python_state = random.getstate()
    numpy_state = numpy.random.get_state() if numpy else None
    with torch.random.fork_rng(devices=[]):
        try:
            yield
        finally:
            random.setstate(python_state)
            if numpy_state is not None:
                numpy.random.set_state(numpy_state)


def exercise(number: int) -> Callable:
    """Turn ``test(answer, ...)`` into the check of exercise ``number`` (see the module docstring)."""

    def decorate(test: Callable) -> Callable:
        def verdict(*answer, **options) -> Verdict:
            try:
                with _global_random_state_kept():
                    test(*answer, **options)
            except NotDoneYet:
                return Verdict(number, NOT_DONE)
            except (Wrong, AssertionError) as error:
                return Verdict(number, WRONG, str(error) or "an assertion failed")
            except Exception as error:  # raised by the reader's code, run inside the test
                return Verdict(number, WRONG, f"your code raised {type(error).__name__}: {error}")
            return Verdict(number, CORRECT)

        @functools.wraps(test)
        def check(*answer, **options) -> None:
            print(verdict(*answer, **options))

        check.verdict = verdict
        check.number = number
        return check

    return decorate
