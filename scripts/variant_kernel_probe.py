"""An IPython startup file for the kernels of a portability run: the kernel reports, from inside, what it runs under.

scripts/portability.py copies this file into a fresh IPYTHONDIR's profile_default/startup/ for a run that
logs (SERIES_VARIANT_LOG), so it runs in each notebook's kernel, and only there (startup files run in IPython,
not in pytest or in DataLoader workers), before the first cell. It appends one line to the log:

    <pid> kernel {"kernel": "IPythonKernel", "start_method": "spawn", "env": {...}, "onednn_isa": "Intel AVX2"}

``onednn_isa`` is what oneDNN itself reports in this process: its verbose mode is switched on for one tiny
oneDNN operation (a reorder) with the kernel's stdout redirected to a temporary file, so the notebook's
outputs see nothing. It is None where oneDNN is off or absent (then nothing can be said about its ISA).
"""


def _series_variant_probe():  # one name, deleted at once: the notebook's namespace stays as it was
    import os

    def onednn_isa():
        import ctypes
        import sys
        import tempfile

        import torch

        if not (torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled):
            return None
        with tempfile.TemporaryFile() as capture:
            sys.stdout.flush()
            saved = os.dup(1)
            os.dup2(capture.fileno(), 1)  # oneDNN prints with C's printf to file descriptor 1
            try:
                with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
                    torch.ones(8, 16).to_mkldnn().to_dense()
                ctypes.CDLL(None).fflush(None)
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            capture.seek(0)
            lines = capture.read().decode(errors="replace").splitlines()
        return next((line.split(",isa:", 1)[1] for line in lines if ",info,cpu,isa:" in line), None)

    def report():
        import json
        import multiprocessing

        log = os.environ.get("SERIES_VARIANT_LOG")
        if not log:
            return
        shell = get_ipython()  # noqa: F821 (IPython provides it to startup files)
        names = ("ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY", "OMP_NUM_THREADS", "SERIES_VARIANT_START_METHOD",
                 "SERIES_VARIANT_MKLDNN")
        record = {
            "kernel": type(getattr(shell, "kernel", None)).__name__,
            "start_method": multiprocessing.get_start_method(allow_none=True),
            "env": {name: os.environ.get(name) for name in names},
            "onednn_isa": onednn_isa(),
        }
        with open(log, "a") as file:
            file.write(f"{os.getpid()} kernel {json.dumps(record)}\n")

    report()


_series_variant_probe()
del _series_variant_probe
