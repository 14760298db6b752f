"""scripts/seed_bench.py fails when any seed does not beat the SVC baseline, and says so in a quotable line."""

from __future__ import annotations

from seed_bench import verdict


def test_every_seed_above_svc_passes_with_a_quotable_line():
    line, status = verdict({0: 0.9944, 1: 0.9889, 2: 1.0}, svc=0.9833, test_size=360)
    assert status == 0
    assert line == ("DigitsCNN beat SVC with every one of 3 seeds: test accuracy 98.9% to 100.0% "
                    "(0 to 4 errors of 360) against SVC's 98.3% (6 errors)")


def test_one_seed_at_or_below_svc_fails_and_is_named():
    line, status = verdict({0: 0.9944, 1: 0.9833, 2: 0.9750}, svc=0.9833, test_size=360)
    assert status == 1
    assert line.startswith("DigitsCNN did NOT beat SVC with seed(s) 1, 2 of 3: ")


def test_a_tie_is_not_a_win():
    assert verdict({0: 0.9833}, svc=0.9833, test_size=360)[1] == 1
