"""Walking the graph that autograd records while a tensor is computed."""

from __future__ import annotations

import torch


def autograd_graph(root: torch.Tensor) -> tuple[list, list[tuple[int, int]]]:
    """Walk the autograd graph behind ``root`` by following ``grad_fn.next_functions``.

    Returns ``(nodes, edges)``: ``nodes`` are the backward nodes (``MeanBackward0``,
    ``AccumulateGrad``, ...) in breadth-first order from ``root.grad_fn``; ``edges``
    holds one ``(parent index, child index)`` pair per ``next_functions`` entry, so
    a tensor used twice (``y * y``) gives two edges. ``None`` entries (inputs that
    need no gradient, such as the constant in ``x + 2``) are skipped. Taught in
    02_autograd; ``scripts/make_images.py`` draws ``images/autograd_graph.png`` from it.
    """
    if root.grad_fn is None:
        raise ValueError("autograd_graph: the tensor has no grad_fn (a leaf, or made without tracking)")
    nodes, edges, index = [root.grad_fn], [], {root.grad_fn: 0}
    for parent in nodes:  # the list grows while we walk it: a breadth-first search
        for child, _ in parent.next_functions:
            if child is None:
                continue
            if child not in index:
                index[child] = len(nodes)
                nodes.append(child)
            edges.append((index[parent], index[child]))
    return nodes, edges


def node_label(node) -> str:
    """A backward node's type name; an ``AccumulateGrad`` also shows its leaf's shape.

    Taught in 02_autograd.
    """
    name = type(node).__name__
    if hasattr(node, "variable"):  # AccumulateGrad: the node that writes a leaf's .grad
        name += f" {list(node.variable.shape)}"
    return name
