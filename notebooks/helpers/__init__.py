"""Code that several notebooks of the series share, one module per topic.

- ``helpers.environment``: seeding, choosing the device, where notebooks write, the environment check.
- ``helpers.autograd_graphs``: walking the graph autograd records.
- ``helpers.checkpoints``: atomic, resumable training checkpoints.
- ``helpers.digits``: the handwritten digits scikit-learn ships, a split of them, and a small CNN.
- ``helpers.image_tables``: images listed in a CSV table, as a ``Dataset``.
- ``helpers.tensorboard_stub``: TensorBoard's writer without importing TensorFlow.
- ``helpers.display``: printing errors, colours and rounded numbers the same way on every machine.
- ``helpers.exercises``: the exercise checks, one module per lesson, and how a check reports.
- ``helpers.compiling``: keeping ``torch.compile``'s notices of one machine out of a notebook's output.

A lesson's own code lives in its notebook; only what several notebooks (or a DataLoader worker, which
cannot see a notebook's classes) need lives here. Each public name's docstring says which notebook
teaches it ("Taught in NN_topic"), and a test checks that this is the first notebook that uses it.
Modules import only the standard library and torch at the top; heavier libraries are imported inside
the functions that need them, so ``import helpers.environment`` stays cheap.
"""
