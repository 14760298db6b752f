"""TensorBoard's event writer and reader without importing TensorFlow."""

from __future__ import annotations


def use_tensorboard_without_tensorflow() -> None:
    """Let TensorBoard's writer and reader work without importing TensorFlow.

    ``torch.utils.tensorboard`` only writes event files, but TensorBoard looks
    for TensorFlow to get a file-system layer and imports it when installed:
    seconds of start-up and C++ log lines on stderr. TensorBoard ships a stub
    for exactly this case and uses it when a module named
    ``tensorboard.compat.notf`` exists; this registers that (empty) module.
    Call it before the first ``from torch.utils.tensorboard import ...``; it
    also tells TensorFlow, should anything still import it, to keep quiet.
    Taught in 10_logging.
    """
    import os
    import sys
    import types

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))


def stored_hparams(accumulator) -> dict:
    """The hyperparameters that ``SummaryWriter.add_hparams`` stored in a run, as a dict.

    ``accumulator`` is a loaded ``EventAccumulator`` of the run folder. The hparams plugin keeps the settings as a
    protocol-buffer record whose values are floats
    (``torch`` stores ints and bools as numbers) or strings; this unpacks it.
    Taught in 10_logging.
    """
    from tensorboard.plugins.hparams import plugin_data_pb2

    content = accumulator.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    record = plugin_data_pb2.HParamsPluginData.FromString(content)
    return {name: getattr(value, value.WhichOneof("kind")) for name, value in record.session_start_info.hparams.items()}
