"""Draw the course's pictures from the numbers in ``trajectories`` and ``curves``.

matplotlib is imported here only, lazily, with the non-interactive Agg
backend, so the figures render on servers and in CI without a display. Each
``plot_*`` function writes one PNG of ``size`` inches at ``dpi`` (so
``size[0] * dpi`` by ``size[1] * dpi`` pixels) and returns its path.
"""

from __future__ import annotations

import os
from typing import Mapping

import numpy as np

from tfcourse._validation import check_int

__all__ = [
    "plot_activation_curves",
    "plot_backprop_twins",
    "plot_decay_curves",
    "plot_ewa",
    "plot_initialization",
    "plot_optimizer_paths",
]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path, dpi) -> str:
    dpi = check_int("dpi", dpi, low=10, high=600)
    path = os.fspath(path)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=dpi, format="png")  # no bbox_inches: the size stays what was asked
    _pyplot().close(fig)
    return path


def plot_optimizer_paths(surface, paths: Mapping, path, dpi: int = 100, size=(13.0, 5.5)) -> str:
    """Contour of ``surface`` with one path per optimizer, and loss against step.

    Paths that left the region end with an x and say so in the legend
    ("diverged at step k", or "escaped" on the saddle).
    """
    plt = _pyplot()
    from matplotlib import colors

    fig, (ax_map, ax_loss) = plt.subplots(1, 2, figsize=size, width_ratios=(1.2, 1.0))
    grid_x, grid_y, grid_z = surface.grid()
    if surface.log_levels:
        low = max(float(np.min(grid_z)), 1e-3)
        levels = np.logspace(np.log10(low), np.log10(float(np.max(grid_z))), 30)
        ax_map.contour(grid_x, grid_y, grid_z, levels=levels, norm=colors.LogNorm(),
                       cmap="viridis", linewidths=0.6)
    else:
        ax_map.contour(grid_x, grid_y, grid_z, levels=30, cmap="viridis", linewidths=0.6)
    if surface.minimum is not None:
        ax_map.plot(*surface.minimum, marker="*", color="red", markersize=14, linestyle="none",
                    label=f"minimum {surface.minimum}")
    ax_map.plot(*surface.start, marker="o", color="black", linestyle="none",
                label=f"start {surface.start}")
    cmap = plt.get_cmap("tab10")
    for index, result in enumerate(paths.values()):
        color = cmap(index % 10)
        xy = result.positions
        ax_map.plot(xy[:, 0], xy[:, 1], color=color, linewidth=1.4, label=result.label)
        if result.stopped_at is not None:
            ax_map.plot(xy[-1, 0], xy[-1, 1], marker="x", color=color, markersize=9)
        steps = np.arange(len(result.losses))
        finite = np.isfinite(result.losses)
        ax_loss.plot(steps[finite], result.losses[finite], color=color, linewidth=1.2,
                     label=result.optimizer)
    ax_map.set_xlim(*surface.xlim)
    ax_map.set_ylim(*surface.ylim)
    ax_map.set_xlabel("x")
    ax_map.set_ylabel("y")
    any_path = next(iter(paths.values()))
    ax_map.set_title(f"{surface.title}: f = {surface.formula}\n"
                     f"tfcourse optimizers, convention={any_path.convention}", fontsize=10)
    ax_map.legend(fontsize=7, loc="best")
    if surface.minimum is not None:
        ax_loss.set_yscale("symlog", linthresh=1e-6)
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("f(x, y)")
    ax_loss.set_title("loss against step")
    ax_loss.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path, dpi)


def plot_activation_curves(curves: Mapping, x, path, dpi: int = 100, size=(12.0, 5.0)) -> str:
    """Each activation (left) and its derivative (right), on the same x."""
    plt = _pyplot()
    fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=size)
    for name, (y, dy) in curves.items():
        ax_f.plot(x, y, label=name)
        ax_d.plot(x, dy, label=f"{name}'")
    ax_f.set_ylim(-1.5, 3.0)
    ax_f.set_title("activation f(x)")
    ax_d.set_title("derivative f'(x): sigmoid's is at most 1/4 (vanishing gradient)")
    for ax in (ax_f, ax_d):
        ax.axhline(0, color="gray", linewidth=0.5)
        ax.axvline(0, color="gray", linewidth=0.5)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path, dpi)


def plot_initialization(results: Mapping, path, dpi: int = 100, size=(20.0, 12.0)) -> str:
    """One row per (activation, initialization), one histogram per layer."""
    plt = _pyplot()
    rows = list(results.values())
    num_layers = len(rows[0].histograms)
    fig, axes = plt.subplots(len(rows), num_layers, figsize=size, squeeze=False)
    for row, stats in zip(axes, rows):
        for index, (ax, (counts, edges)) in enumerate(zip(row, stats.histograms)):
            ax.stairs(counts, edges, fill=True, color="tab:blue")
            ax.set_yticks([])
            ax.tick_params(labelsize=6)
            ax.set_title(f"layer {index + 1}: std {stats.stds[index]:.2g}", fontsize=7)
        row[0].set_ylabel(f"{stats.activation}\n{stats.initialization}", fontsize=8)
    fig.suptitle("activations through a 10-layer net: N(0,0.01) vanishes, N(0,1) saturates, "
                 "Xavier suits tanh, He suits ReLU", fontsize=11)
    fig.tight_layout()
    return _save(fig, path, dpi)


def plot_decay_curves(curves: Mapping, path, dpi: int = 100, size=(10.0, 5.0)) -> str:
    """Learning rate against epoch for each decay rule."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=size)
    for name, (epochs, rates, _) in curves.items():
        ax.plot(epochs, rates, label=name, drawstyle="steps-post")
    ax.set_xlabel("epoch (counted from 1)")
    ax.set_ylabel("learning rate")
    ax.set_title("seed 003's learning-rate decay rules (tfcourse.schedules)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return _save(fig, path, dpi)


def plot_ewa(values, curves: Mapping, path, dpi: int = 100, size=(12.0, 5.0)) -> str:
    """The noisy series and its averages, bias-corrected (solid) and not (dashed)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=size)
    days = np.arange(1, len(values) + 1)
    ax.scatter(days, values, s=4, color="lightgray", label="daily temperature")
    cmap = plt.get_cmap("tab10")
    betas = sorted({beta for beta, _ in curves}, key=lambda b: -b)
    for index, beta in enumerate(betas):
        color = cmap(index)
        ax.plot(days, curves[(beta, True)], color=color,
                label=f"beta={beta:g} (~{1 / (1 - beta):.0f} days), bias-corrected")
        ax.plot(days, curves[(beta, False)], color=color, linestyle="--",
                label=f"beta={beta:g}, no bias correction")
    ax.set_xlabel("day t")
    ax.set_ylabel("temperature (C)")
    ax.set_title("exponentially weighted average v_t = beta v_{t-1} + (1 - beta) theta_t (seed 003)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return _save(fig, path, dpi)


def plot_backprop_twins(run, path, dpi: int = 100, size=(12.0, 4.8)) -> str:
    """The NumPy net's and the Keras twin's per-step losses, and their difference against the bound."""
    plt = _pyplot()
    fig, (ax_loss, ax_diff) = plt.subplots(1, 2, figsize=size)
    steps = np.arange(1, len(run.numpy_losses) + 1)
    ax_loss.plot(steps, run.numpy_losses, color="tab:blue", linewidth=2.5, alpha=0.6,
                 label="NumPy, backprop by hand")
    ax_loss.plot(steps, run.keras_losses, color="black", linewidth=1.0, linestyle="--",
                 label="Keras twin (train_on_batch)")
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("mini-batch loss (cross-entropy)")
    settings = run.settings
    ax_loss.set_title(f"{settings['input_size']}-{settings['hidden_size']}-"
                      f"{settings['output_size']} {settings['activation']} net, gradient "
                      f"descent lr={settings['learning_rate']:g}")
    ax_loss.legend()
    ax_loss.grid(alpha=0.3)
    # An exact 0 cannot sit on a log axis: show it at the axis floor.
    floor = 1e-18
    ax_diff.semilogy(steps, np.maximum(run.differences, floor), color="tab:red", marker=".",
                     linestyle="none", markersize=4, label="|NumPy - Keras| (0 drawn at 1e-18)")
    ax_diff.semilogy(steps, run.bounds, color="gray", linestyle=":", label="bound")
    ax_diff.set_ylim(floor / 2, max(float(np.max(run.bounds)) * 10, 1e-10))
    ax_diff.set_xlabel("step")
    ax_diff.set_ylabel("absolute difference")
    ax_diff.set_title("per-step loss difference (both float64)")
    ax_diff.legend(loc="center right")
    ax_diff.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return _save(fig, path, dpi)
