"""Keeping ``torch.compile``'s own notices out of a notebook's output."""

from __future__ import annotations

import logging


def quiet_compiler_notices() -> None:
    """Silence the notices ``torch.compile``'s C++ code generation logs to stderr on some machines.

    On a machine with a CUDA toolkit but no usable GPU, Inductor's C++ build logs "No CUDA runtime is found,
    using CUDA_HOME=..." (a path of that machine) on every first compilation; the compiled code is the same
    either way. Errors still show. Taught in 06_devices_and_cuda.
    """
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)


def import_tensorflow():
    """Import TensorFlow without its start-up notices, after ``torch.compile``'s machinery; return the module.

    TensorFlow logs from C++ straight to stderr, so its two settings must be in the environment before the import:
    errors only, and no "oneDNN custom operations are on" notice. ``torch._dynamo`` is imported first because
    loading it after TensorFlow (it loads Triton) crashes the Python process on Linux. The compiler's notices are
    silenced as in ``quiet_compiler_notices``. Taught in 04_static_vs_dynamic_graphs.
    """
    import os

    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # errors only
    os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"  # no oneDNN notice at import
    quiet_compiler_notices()

    import torch._dynamo  # noqa: F401, I001  before TensorFlow, see above
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # TensorFlow's Python-side deprecation messages
    return tf
