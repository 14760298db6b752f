"""Keeping ``torch.compile``'s own notices out of a notebook's output."""

from __future__ import annotations

import logging


def quiet_compiler_notices() -> None:
    """Silence the notices ``torch.compile``'s C++ code generation logs to stderr on some machines.

    On a machine with a CUDA toolkit but no usable GPU, Inductor's C++ build logs "No CUDA runtime is found,
    using CUDA_HOME=..." (a path of that machine) on every first compilation; the compiled code is the same
    either way. Errors still show. Taught in 04_static_vs_dynamic_graphs.
    """
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
