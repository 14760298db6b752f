"""Printing results so that they read the same on every machine: errors, terminal colours, rounded numbers.

A lesson's cells stay about PyTorch; the small chores that keep a printed line identical on Linux, macOS
and Windows, on Python 3.11 to 3.13 and on any CPU live here.
"""

from __future__ import annotations

import re

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def strip_colours(text: str) -> str:
    """``text`` without terminal colour codes (Python 3.13 colours tracebacks). Taught in 11_data_handling."""
    return _ANSI_ESCAPE.sub("", text)


def _shown_paths(text: str) -> str:
    """``text`` with every path below the repository written as ``shown_path`` writes it (``output/...``).

    Error messages name files by their absolute paths, which differ between machines and use ``\\`` on
    Windows.
    """
    from helpers.environment import OUTPUT_DIR, REPO_ROOT, shown_path

    for root in (OUTPUT_DIR, REPO_ROOT):  # output/ first: it may lie inside the repository
        for form in dict.fromkeys((str(root), str(root.resolve()))):
            text = re.sub(re.escape(form) + r"""[^\s'"`:,;()]*""", lambda found: shown_path(found.group(0)), text)
    return text


def error_summary(error: BaseException) -> str:
    """An exception as ``TypeName: first line of its message``, without colour codes or machine paths.

    Later lines of a message often hold versions or paths of one machine; paths below the repository
    print as ``shown_path`` prints them. Taught in 03_custom_autograd_functions.
    """
    lines = _shown_paths(strip_colours(str(error))).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def rounded(value: float, digits: int = 4) -> float:
    """``value`` rounded to ``digits`` decimals, ``-0.0`` printed as ``0.0``. Taught in 07_weight_initialisation."""
    return round(float(value), digits) + 0.0


def without_timestamp(line: str) -> str:
    """``line`` without the ISO 8601 timestamp it starts with: ``2026-01-31T09:15:02 INFO ...`` -> ``INFO ...``.

    A log file's timestamps differ on every run. Raises ``ValueError`` naming the line when it does not start
    with a timestamp, so a check of a log's format cannot pass by accident. Taught in 10_logging.
    """
    from datetime import datetime

    stamp, _, rest = line.partition(" ")
    try:
        datetime.fromisoformat(stamp)
    except ValueError:
        raise ValueError(f"this log line does not start with an ISO 8601 timestamp: {line!r}") from None
    return rest
