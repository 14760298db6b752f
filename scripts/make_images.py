"""Draw every figure in images/ (``make images``).

    python scripts/make_images.py [--out DIR]

* ``autograd_graph.png``: the autograd graph of 02_autograd's classic example,
  drawn from the real graph (``helpers.autograd_graphs.autograd_graph`` walks
  ``out.grad_fn.next_functions``), not from a hand-made list.
* ``architecture_overview.png``: the parts of a training program and how they
  talk to each other, shown at the top of 12_putting_it_together.

The PNGs are byte-for-byte reproducible: matplotlib's default style is used
whatever the local matplotlibrc says, and the files carry no software or date
metadata. ``tests/test_images.py`` redraws them and compares the bytes with the
committed files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from helpers.environment import REPO_ROOT  # noqa: E402

IMAGES_DIR = REPO_ROOT / "images"

DPI = 150
#: Nothing that changes between runs or machines goes into the PNG's text chunks.
PNG_METADATA = {"Software": None}

TENSOR_STYLE = {"facecolor": "#dbe9f6", "edgecolor": "#2b6ca3"}
NODE_STYLE = {"facecolor": "#fde3c8", "edgecolor": "#c0600e"}
INK = "#222222"


def _box(ax, x, y, width, height, title, subtitle="", style=None, title_size=11):
    """A rounded box centred on (x, y) with a bold title and an optional subtitle line."""
    style = style or {"facecolor": "#eeeeee", "edgecolor": "#555555"}
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.02,rounding_size=0.12", linewidth=1.6, **style))
    if subtitle:
        ax.text(x, y + 0.13 * height, title, ha="center", va="center", fontsize=title_size,
                fontweight="bold", color=INK)
        ax.text(x, y - 0.22 * height, subtitle, ha="center", va="center", fontsize=title_size - 2.5,
                color="#444444", family="monospace")
    else:
        ax.text(x, y, title, ha="center", va="center", fontsize=title_size, fontweight="bold", color=INK)


def _arrow(ax, start, end, color=INK, style="-|>", rad=0.0, linestyle="-", shrink=0.0, width=1.6):
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": style, "color": color, "lw": width, "linestyle": linestyle,
                            "connectionstyle": f"arc3,rad={rad}", "shrinkA": shrink, "shrinkB": shrink,
                            "mutation_scale": 16})


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, metadata=PNG_METADATA, facecolor="white")
    plt.close(fig)
    return path


def classic_example():
    """02_autograd's example: returns the named tensors (x, y, z, out), after out.backward()."""
    import torch

    x = torch.ones(2, 2, requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward(retain_graph=True)
    return {"x": x, "y": y, "z": z, "out": out}


def draw_autograd_graph(path: Path) -> Path:
    """The forward tensors (top) above the real backward graph (bottom) of the classic example."""
    from helpers.autograd_graphs import autograd_graph, node_label

    tensors = classic_example()
    nodes, edges = autograd_graph(tensors["out"])

    # Column of a node = length of the longest path from it down to a leaf, so that
    # the leaf sits on the left and the output on the right, in forward order.
    children = {i: [c for p, c in edges if p == i] for i in range(len(nodes))}
    depth: dict[int, int] = {}

    def longest(i):
        if i not in depth:
            depth[i] = 1 + max((longest(c) for c in children[i]), default=-1)
        return depth[i]

    for i in range(len(nodes)):
        longest(i)
    n_cols = max(depth.values()) + 1
    if sorted(depth.values()) != list(range(n_cols)):
        raise ValueError("draw_autograd_graph lays out a chain: one node per column")

    # Which named tensor each node belongs to: t.grad_fn for results, .variable for the leaf.
    owner = {}
    for name, t in tensors.items():
        for i, node in enumerate(nodes):
            if node is t.grad_fn or getattr(node, "variable", None) is t:
                owner[i] = name

    step, w, h, top, bottom = 2.75, 2.1, 0.82, 3.3, 1.2
    col_x = {i: step * depth[i] for i in range(len(nodes))}
    with plt.style.context("default"):
        fig, ax = plt.subplots(figsize=(13, 5.6))
        ax.set_xlim(-1.25, step * (n_cols - 1) + 1.25)
        ax.set_ylim(-0.3, 4.6)
        ax.axis("off")

        ax.text(-1.15, 4.25, "Forward pass: the tensors your code creates", fontsize=12, color="#2b6ca3",
                fontweight="bold", va="center")
        ax.text(-1.15, -0.05, "Backward graph: the grad_fn nodes autograd recorded, linked by next_functions;"
                " out.backward() walks it from right to left", fontsize=12, color="#c0600e",
                fontweight="bold", va="center")

        # Top lane: one tensor per column.
        for i in range(len(nodes)):
            name = owner.get(i)
            if name is None:
                _box(ax, col_x[i], top, w, h, "(no name)", "an intermediate", TENSOR_STYLE, title_size=12)
            else:
                _box(ax, col_x[i], top, w, h, name, f"shape {list(tensors[name].shape)}", TENSOR_STYLE,
                     title_size=13)

        # Forward arrows between consecutive tensors, labelled with the operation.
        by_col = {depth[i]: i for i in range(len(nodes))}
        for col in range(1, n_cols):
            i = by_col[col]
            op = type(nodes[i]).__name__.removesuffix("Backward0").lower()
            x0, x1 = col_x[by_col[col - 1]] + w / 2, col_x[i] - w / 2
            _arrow(ax, (x0, top), (x1, top), color="#2b6ca3", shrink=2)
            ax.text((x0 + x1) / 2, top + 0.12, op, ha="center", va="bottom", fontsize=10.5, color="#2b6ca3",
                    family="monospace")

        # Bottom lane: the backward nodes, with the next_functions edges pointing towards the leaf.
        for i, node in enumerate(nodes):
            name, _, shape = node_label(node).partition(" ")
            _box(ax, col_x[i], bottom, w, h, name, f"leaf {shape}" if shape else "", NODE_STYLE, title_size=11)
        seen: dict[tuple[int, int], int] = {}
        for parent, child in edges:
            k = seen.get((parent, child), 0)
            seen[(parent, child)] = k + 1
            rad = 0.0 if edges.count((parent, child)) == 1 else (-0.4 if k == 0 else 0.4)
            _arrow(ax, (col_x[parent] - w / 2, bottom), (col_x[child] + w / 2, bottom),
                   color="#c0600e", rad=rad, shrink=2)
            if edges.count((parent, child)) > 1 and k == 0:
                ax.text((col_x[parent] + col_x[child]) / 2, bottom - h / 2 - 0.12,
                        "two edges: y * y uses y twice,\nso both gradients add up", ha="center", va="top",
                        fontsize=9.5, color="#c0600e", style="italic")

        # Dotted links: each tensor's grad_fn, and the leaf's AccumulateGrad.
        for i in range(len(nodes)):
            name = owner.get(i)
            if name == "x":
                label = f"writes x.grad\n(= {tensors['x'].grad[0, 0].item():g} everywhere)"
            else:
                label = f"{name}.grad_fn" if name else "grad_fn"
            _arrow(ax, (col_x[i], top - h / 2), (col_x[i], bottom + h / 2), color="#777777", style="-",
                   linestyle=":", width=1.4)
            ax.text(col_x[i] + 0.08, (top + bottom) / 2, label, ha="left", va="center", fontsize=9.5,
                    color="#555555", family="monospace")

        fig.suptitle("The autograd graph of  y = x + 2;  out = (y * y * 3).mean()", fontsize=15,
                     fontweight="bold", y=0.97)
        fig.subplots_adjust(left=0.005, right=0.995, top=0.9, bottom=0.005)
        return _save(fig, path)


def draw_architecture_overview(path: Path) -> Path:
    """Dataset -> DataLoader -> model -> loss -> optimizer and scheduler -> logging and checkpoints."""
    data = {"facecolor": "#dbe9f6", "edgecolor": "#2b6ca3"}
    model = {"facecolor": "#fde3c8", "edgecolor": "#c0600e"}
    optim = {"facecolor": "#e2f0d9", "edgecolor": "#3f7f2a"}
    record = {"facecolor": "#ece2f4", "edgecolor": "#6a3d9a"}
    green, purple = "#3f7f2a", "#6a3d9a"
    w, h, row1, row2, row3 = 2.4, 1.05, 4.45, 2.55, 0.65
    x_data, x_loader, x_model, x_loss = 1.45, 4.75, 8.0, 11.25

    with plt.style.context("default"):
        fig, ax = plt.subplots(figsize=(13, 6.2))
        ax.set_xlim(0, 12.7)
        ax.set_ylim(0, 5.85)
        ax.axis("off")

        def label(x, y, text, color="#333333", ha="center"):
            ax.text(x, y, text, ha=ha, va="center", fontsize=10, color=color, family="monospace")

        # The training loop, repeated for every batch of every epoch.
        ax.add_patch(FancyBboxPatch((3.3, 1.8), 9.25, 3.65, boxstyle="round,pad=0.02,rounding_size=0.2",
                                    facecolor="#f7f7f7", edgecolor="#999999", linewidth=1.3, linestyle="--"))
        ax.text(3.45, 5.25, "the training loop: for every epoch, for every batch", fontsize=10.5,
                color="#555555", style="italic", va="center")

        _box(ax, x_data, row1, w, h, "Dataset", "ds[i] -> (x, y)", data)
        _box(ax, x_loader, row1, w, h, "DataLoader", "batches, shuffle,\nworkers", data)
        _box(ax, x_model, row1, w, h, "Model", "nn.Module\nforward(x) -> logits", model)
        _box(ax, x_loss, row1, w, h, "Loss", "criterion(logits, y)", model)
        _box(ax, x_loader, row2, w, h, "LR scheduler", "scheduler.step()", optim)
        _box(ax, x_model, row2, w, h, "Optimizer", "zero_grad(), step()", optim)
        _box(ax, 5.3, row3, w, h, "Logging", "logging, TensorBoard", record)
        _box(ax, 10.1, row3, w, h, "Checkpoints", "state_dict() -> .pt", record)

        for x0, x1, text in ((x_data, x_loader, "samples"), (x_loader, x_model, "batch"),
                             (x_model, x_loss, "logits")):
            _arrow(ax, (x0 + w / 2, row1), (x1 - w / 2, row1), shrink=2)
            label((x0 + x1) / 2, row1 + 0.22, text)
        # backward: from the loss into the model, where the gradients land on the parameters (p.grad)
        _arrow(ax, (x_loss, row1 - h / 2), (x_model + w / 2, row1 - 0.3), rad=-0.6, shrink=2)
        label(10.35, 3.05, "loss.backward()\nfills p.grad of the\nmodel's parameters", ha="left")
        # the optimizer reads the gradients from the parameters, then updates the parameters in place
        _arrow(ax, (x_model + 0.45, row1 - h / 2), (x_model + 0.45, row2 + h / 2), color=green, shrink=2)
        label(x_model + 0.55, 3.5, "reads\np.grad", color=green, ha="left")
        _arrow(ax, (x_model - 0.45, row2 + h / 2), (x_model - 0.45, row1 - h / 2), color=green, shrink=2)
        label(x_model - 0.55, 3.5, "step(): updates\nparameters", color=green, ha="right")
        # the scheduler sets the optimizer's learning rate
        _arrow(ax, (x_loader + w / 2, row2), (x_model - w / 2, row2), color=green, shrink=2)
        label((x_loader + x_model) / 2, row2 + 0.22, "sets lr", color=green)
        # once per epoch: metrics to the log, the best weights to disk
        _arrow(ax, (5.3, 1.8), (5.3, row3 + h / 2), color=purple, shrink=1)
        label(5.45, 1.5, "loss, accuracy per epoch", color=purple, ha="left")
        _arrow(ax, (10.1, 1.8), (10.1, row3 + h / 2), color=purple, shrink=1)
        label(10.25, 1.5, "best model's state_dict", color=purple, ha="left")

        fig.suptitle("A training program at a glance: who hands what to whom", fontsize=15,
                     fontweight="bold", y=0.97)
        fig.subplots_adjust(left=0.005, right=0.995, top=0.92, bottom=0.005)
        return _save(fig, path)


DRAWINGS = {
    "autograd_graph.png": draw_autograd_graph,
    "architecture_overview.png": draw_architecture_overview,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES_DIR, help="folder to write the PNGs into")
    args = parser.parse_args(argv)
    for name, draw in DRAWINGS.items():
        print(f"wrote {draw(args.out / name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
