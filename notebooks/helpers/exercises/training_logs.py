"""Checks for the exercises of 10_logging.

Each check builds its own logger, handlers and run folder (below ``output/10_logging/``), so a verdict does not
depend on what the notebook's cells set up.
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import sys

from helpers.environment import output_path
from helpers.exercises import NotDoneYet, exercise, expect


class _ListHandler(logging.Handler):
    """Keeps every record it receives in a list instead of printing it."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@exercise(1)
def check_exercise_1(warn_if_worse) -> None:
    """``warn_if_worse(log, previous, current)`` logs one WARNING when accuracy fell, nothing otherwise.

    Taught in 10_logging.
    """
    log = logging.getLogger("exercise_1")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    handler = _ListHandler()
    log.handlers = [handler]
    # Records sent to another logger: the notebook's global "digits" logger, or the root logger (logging.warning,
    # or a logger that passes its records on to the root), which the answer should not have used.
    elsewhere = _ListHandler()
    others = (logging.getLogger("digits"), logging.getLogger())
    printed = io.StringIO()
    cases = [(0.95, 0.90), (0.90, 0.95), (0.95, 0.95)]
    for other in others:
        other.addHandler(elsewhere)
    try:
        with contextlib.redirect_stdout(printed):
            for previous, current in cases:
                before = len(handler.records)
                warn_if_worse(log, previous, current)
                if previous > current:
                    continue
                extra = handler.records[before:]
                expect(not extra, f"a record for {previous} -> {current} ({extra[0].levelname if extra else ''}): "
                       "only a drop in accuracy should be logged")
    finally:
        for other in others:
            other.removeHandler(elsewhere)
    records = handler.records
    if not records:
        names = sorted({record.name for record in elsewhere.records})
        expect(not names, f"your function logged on the logger {', '.join(map(repr, names))}, not on the logger it "
               "was given: call log.warning(...)")
        expect(not printed.getvalue(), f"your function printed {printed.getvalue().strip()!r} instead of logging it: "
               "call log.warning(...)")
        raise NotDoneYet
    expect(len(records) == 1, f"{len(records)} records for one drop in accuracy (0.95 -> 0.90), expected 1")
    expect(records[0].levelno == logging.WARNING, f"logged at {records[0].levelname}, expected WARNING")


@exercise(2)
def check_exercise_2(write_rates) -> None:
    """``write_rates(run_dir, rates)`` writes each rate as the scalar ``lr`` at steps 1, 2, 3, ...

    Taught in 10_logging.
    """
    from helpers.tensorboard_stub import use_tensorboard_without_tensorflow

    use_tensorboard_without_tensorflow()
    import torch
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    rates = [0.1, 0.05, 0.025]
    run_dir = output_path("10_logging", "runs", "exercise_2")
    shutil.rmtree(run_dir, ignore_errors=True)
    write_rates(run_dir, rates)
    events = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    events.Reload()
    tags = events.Tags()["scalars"]
    if not tags:
        raise NotDoneYet
    expect("lr" in tags, f"no scalar called 'lr'; the run has {sorted(tags)}")
    steps = [e.step for e in events.Scalars("lr")]
    expect(steps == [1, 2, 3], f"'lr' was written at steps {steps}, expected [1, 2, 3] (enumerate(rates, start=1))")
    values = [e.value for e in events.Scalars("lr")]
    expected = torch.tensor(rates, dtype=torch.float32).tolist()  # event files store float32
    expect(values == expected, f"'lr' holds {values}, expected the rates {rates} in order")


@exercise(3)
def check_exercise_3(show_debug_on_console) -> None:
    """``show_debug_on_console(logger)`` lets the handler writing to sys.stdout show DEBUG, nothing else changed.

    Taught in 10_logging.
    """
    log = logging.getLogger("exercise_3")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    for old in list(log.handlers):
        log.removeHandler(old)
        old.close()
    console = logging.StreamHandler(sys.stdout)
    console.setLevel(logging.INFO)
    errors = logging.FileHandler(output_path("10_logging", "exercise_3_errors.log"), mode="w", encoding="utf-8")
    errors.setLevel(logging.ERROR)
    log.addHandler(errors)
    log.addHandler(console)
    try:
        show_debug_on_console(log)
        levels = (log.level, console.level, errors.level, len(log.handlers))
    finally:
        errors.close()
    if levels == (logging.DEBUG, logging.INFO, logging.ERROR, 2):
        raise NotDoneYet
    expect(log.level == logging.DEBUG, f"the logger's own level is now {logging.getLevelName(log.level)}: leave "
           "it at DEBUG, it already lets every record through")
    expect(len(log.handlers) == 2 and console in log.handlers and errors in log.handlers,
           "the logger's handlers changed: change the level of the one that is there")
    expect(errors.level == logging.ERROR, f"the file handler's level is now {logging.getLevelName(errors.level)}: "
           "a FileHandler is a StreamHandler too; change only the handler whose stream is sys.stdout")
    expect(console.level == logging.DEBUG,
           f"the console handler's level is {logging.getLevelName(console.level)}, expected DEBUG")
