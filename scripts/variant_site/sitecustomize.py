"""Loaded by every Python process of a portability run (scripts/portability.py puts this folder on PYTHONPATH).

It applies the parts of a variant that no environment variable of torch's can: forcing the default
multiprocessing start method, and switching oneDNN off. It logs what it did to SERIES_VARIANT_LOG, one line
per process and one per process start, so a test can prove the variant reached the kernels and their workers.
"""

import os

_log_path = os.environ.get("SERIES_VARIANT_LOG")


def _log(line):
    if _log_path:
        with open(_log_path, "a") as log:
            log.write(f"{os.getpid()} {line}\n")


_method = os.environ.get("SERIES_VARIANT_START_METHOD")
if _method:
    import multiprocessing
    import multiprocessing.process

    multiprocessing.set_start_method(_method, force=True)
    _original_start = multiprocessing.process.BaseProcess.start

    def _logged_start(self):
        _original_start(self)
        # "Process" is the default context (what we forced); ForkProcess, SpawnProcess, ... an explicit one.
        _log(f"start {type(self).__name__} {self._popen.method}")

    multiprocessing.process.BaseProcess.start = _logged_start

if os.environ.get("SERIES_VARIANT_MKLDNN") == "0":
    import torch

    torch.backends.mkldnn.enabled = False

_log("process")
