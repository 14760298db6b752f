"""The checks of 10_logging: the worked solutions pass, skeletons are "not done yet", and plausible wrong
answers are "wrong" with a message that names the fault."""

from __future__ import annotations

import logging
import sys

from helpers.exercises.training_logs import check_exercise_1, check_exercise_2, check_exercise_3
from helpers.tensorboard_stub import use_tensorboard_without_tensorflow

use_tensorboard_without_tensorflow()
from torch.utils.tensorboard import SummaryWriter  # noqa: E402

# Exercise 1 -------------------------------------------------------------------------------------------------

def warn_if_worse_solution(log, previous, current):
    if current < previous:
        log.warning("validation accuracy fell from %.4f to %.4f", previous, current)


def test_1_solution_is_correct():
    assert check_exercise_1.verdict(warn_if_worse_solution).correct


def test_1_skeleton_is_not_done_yet():
    assert check_exercise_1.verdict(lambda log, previous, current: None).status == "not done yet"


def test_1_info_level_is_wrong():
    def answer(log, previous, current):
        if current < previous:
            log.info("accuracy fell")

    v = check_exercise_1.verdict(answer)
    assert v.status == "wrong" and "logged at INFO, expected WARNING" in v.detail


def test_1_warning_on_equal_is_wrong():
    def answer(log, previous, current):
        if current <= previous:
            log.warning("accuracy fell")

    v = check_exercise_1.verdict(answer)
    assert v.status == "wrong" and "0.95 -> 0.95" in v.detail


def test_1_always_warning_is_wrong():
    v = check_exercise_1.verdict(lambda log, previous, current: log.warning("epoch done"))
    assert v.status == "wrong" and "0.9 -> 0.95" in v.detail


def test_1_global_digits_logger_is_wrong():
    def answer(log, previous, current):
        if current < previous:
            logging.getLogger("digits").warning("accuracy fell")

    v = check_exercise_1.verdict(answer)
    assert v.status == "wrong" and "logged on the logger 'digits', not on the logger it was given" in v.detail


def test_1_root_logger_is_wrong():
    def answer(log, previous, current):
        if current < previous:
            logging.warning("accuracy fell")

    handlers = list(logging.getLogger().handlers)
    v = check_exercise_1.verdict(answer)
    assert v.status == "wrong" and "logged on the logger 'root'" in v.detail
    assert logging.getLogger().handlers == handlers  # the check left no handler behind


def test_1_print_instead_of_log_is_wrong(capsys):
    def answer(log, previous, current):
        if current < previous:
            print("accuracy fell")

    v = check_exercise_1.verdict(answer)
    assert v.status == "wrong" and "printed 'accuracy fell' instead of logging" in v.detail
    assert capsys.readouterr().out == ""


# Exercise 2 -------------------------------------------------------------------------------------------------

def write_rates_solution(run_dir, rates):
    writer = SummaryWriter(log_dir=str(run_dir))
    for step, rate in enumerate(rates, start=1):
        writer.add_scalar("lr", rate, step)
    writer.close()


def skeleton(run_dir, rates):
    writer = SummaryWriter(log_dir=str(run_dir))
    writer.close()


def test_2_solution_is_correct():
    assert check_exercise_2.verdict(write_rates_solution).correct


def test_2_skeleton_is_not_done_yet():
    assert check_exercise_2.verdict(skeleton).status == "not done yet"


def test_2_steps_from_zero_are_wrong():
    def answer(run_dir, rates):
        writer = SummaryWriter(log_dir=str(run_dir))
        for step, rate in enumerate(rates):
            writer.add_scalar("lr", rate, step)
        writer.close()

    v = check_exercise_2.verdict(answer)
    assert v.status == "wrong" and "steps [0, 1, 2], expected [1, 2, 3]" in v.detail


def test_2_another_tag_is_wrong():
    def answer(run_dir, rates):
        writer = SummaryWriter(log_dir=str(run_dir))
        for step, rate in enumerate(rates, start=1):
            writer.add_scalar("learning_rate", rate, step)
        writer.close()

    v = check_exercise_2.verdict(answer)
    assert v.status == "wrong" and "no scalar called 'lr'" in v.detail and "learning_rate" in v.detail


def test_2_one_step_for_all_is_wrong():
    def answer(run_dir, rates):
        writer = SummaryWriter(log_dir=str(run_dir))
        for rate in rates:
            writer.add_scalar("lr", rate, 1)
        writer.close()

    v = check_exercise_2.verdict(answer)
    assert v.status == "wrong" and "steps [1, 1, 1]" in v.detail


# Exercise 3 -------------------------------------------------------------------------------------------------

def show_debug_solution(logger):
    for handler in logger.handlers:
        if getattr(handler, "stream", None) is sys.stdout:
            handler.setLevel(logging.DEBUG)


def test_3_solution_is_correct():
    assert check_exercise_3.verdict(show_debug_solution).correct


def test_3_skeleton_is_not_done_yet():
    assert check_exercise_3.verdict(lambda logger: None).status == "not done yet"


def test_3_every_stream_handler_is_wrong():
    def answer(logger):  # a FileHandler is a StreamHandler too
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setLevel(logging.DEBUG)

    v = check_exercise_3.verdict(answer)
    assert v.status == "wrong" and "a FileHandler is a StreamHandler too" in v.detail


def test_3_logger_level_is_wrong():
    v = check_exercise_3.verdict(lambda logger: logger.setLevel(logging.INFO))
    assert v.status == "wrong" and "logger's own level is now INFO" in v.detail


def test_3_new_handler_is_wrong():
    v = check_exercise_3.verdict(lambda logger: logger.addHandler(logging.StreamHandler(sys.stdout)))
    assert v.status == "wrong" and "handlers changed" in v.detail
