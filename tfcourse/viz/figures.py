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
    "plot_batch_norm",
    "plot_fitting",
    "plot_gradient_descent",
    "plot_optimizer_family",
    "plot_symmetry",
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


LOSS_FLOOR = 1e-12
"""The lowest loss the optimizer figure draws on its log axis."""


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
        losses = result.losses[finite]
        if surface.minimum is not None:
            losses = np.maximum(losses, LOSS_FLOOR)
        ax_loss.plot(steps[finite], losses, color=color, linewidth=1.2,
                     label=result.optimizer)
    ax_map.set_xlim(*surface.xlim)
    ax_map.set_ylim(*surface.ylim)
    ax_map.set_xlabel("x")
    ax_map.set_ylabel("y")
    any_path = next(iter(paths.values()))
    ax_map.set_title(f"{surface.title}: f = {surface.formula}\n"
                     f"tfcourse optimizers, convention={any_path.convention}", fontsize=10)
    # The legend goes under both panels: on the saddle and Rosenbrock every
    # corner of the map is crossed by some path.
    handles, labels = ax_map.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=9, frameon=False)
    if surface.minimum is not None:
        # f >= 0 with minimum 0: a log axis, exact zeros drawn at the floor (a
        # symlog axis puts 0 right under its linear threshold: a false kink).
        ax_loss.set_yscale("log")
        ax_loss.set_ylabel(f"f(x, y)  (values below {LOSS_FLOOR:g} drawn at {LOSS_FLOOR:g})")
    else:
        ax_loss.set_ylabel("f(x, y)")
    ax_loss.set_xlabel("step")
    ax_loss.set_title("loss against step")
    ax_loss.grid(alpha=0.3)
    rows = -(-len(handles) // 3)
    fig.tight_layout(rect=(0.0, 0.045 * rows + 0.02, 1.0, 1.0))
    return _save(fig, path, dpi)


def plot_activation_curves(curves: Mapping, x, path, dpi: int = 100, size=(14.0, 10.0), *,
                           identity: Mapping | None = None, collapse=None) -> str:
    """The activations (top left) and their derivatives (top right); below, tanh = 2 sigmoid(2x) - 1
    (``identity``, from :func:`~tfcourse.viz.curves.tanh_identity`) and a deep linear net
    collapsing to one layer (``collapse``, :func:`~tfcourse.viz.curves.linear_collapse`)."""
    from tfcourse.viz.curves import ACTIVATION_LABELS

    plt = _pyplot()
    rows = 2 if identity is not None or collapse is not None else 1
    fig, axes = plt.subplots(rows, 2, figsize=size if rows == 2 else (size[0], size[1] / 2),
                             squeeze=False)
    ax_f, ax_d = axes[0]
    for name, (y, dy) in curves.items():
        label = ACTIVATION_LABELS.get(name, name)
        style = {"linestyle": "--"} if name in ("prelu", "maxout") else {}
        ax_f.plot(x, y, label=label, **style)
        ax_d.plot(x, dy, label=label, **style)
    ax_f.set_ylim(-2.0, 4.0)
    ax_f.set_title("activation f(x)")
    ax_d.set_ylim(-0.7, 1.7)
    ax_d.set_title("derivative f'(x): the sigmoid's is at most 1/4 (vanishing gradient)")
    for ax in (ax_f, ax_d):
        ax.axhline(0, color="gray", linewidth=0.5)
        ax.axvline(0, color="gray", linewidth=0.5)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
    ax_f.legend(fontsize=9, loc="upper left")
    if rows == 2:
        ax_tanh, ax_linear = axes[1]
        if identity is not None:
            t = identity["x"]
            ax_tanh.plot(t, identity["tanh"], color="tab:orange", linewidth=4, alpha=0.5,
                         label="tanh(x)")
            ax_tanh.plot(t, identity["2 sigmoid(2x) - 1"], color="black", linestyle="--",
                         label="2 sigmoid(2x) - 1")
            gap = float(np.max(np.abs(identity["tanh"] - identity["2 sigmoid(2x) - 1"])))
            ax_tanh.plot(t, identity["slide: (1 - e^-x) / (1 + e^-x)"], color="tab:red",
                         linestyle=":", label="(1 - e^-x)/(1 + e^-x) = tanh(x/2), a misprint")
            ax_tanh.set_title(f"tanh(x) = 2 sigmoid(2x) - 1 (largest gap {gap:.1e})")
            ax_tanh.set_xlabel("x")
            ax_tanh.grid(alpha=0.3)
            ax_tanh.legend(fontsize=9, loc="upper left")
        if collapse is not None:
            ax_linear.plot(collapse.x, collapse.deep, color="tab:blue", linewidth=4, alpha=0.5,
                           label=f"{collapse.num_layers} Dense layers, linear activation")
            ax_linear.plot(collapse.x, collapse.collapsed, color="black", linestyle="--",
                           label="one layer: x (W1 W2 ... W4) + b")
            ax_linear.plot(collapse.x, collapse.nonlinear, color="tab:green",
                           label="the same weights with tanh")
            ax_linear.set_title("a linear activation collapses a deep net to one layer "
                                f"(largest gap {collapse.max_difference:.1e})")
            ax_linear.set_xlabel("input x")
            ax_linear.set_ylabel("output")
            ax_linear.grid(alpha=0.3)
            ax_linear.legend(fontsize=9, loc="upper left")
    fig.tight_layout()
    return _save(fig, path, dpi)


def _compact(value, _position=None) -> str:
    """Tick text that stays short: 0, 0.5, 2e+05, 1e+12."""
    if value == 0:
        return "0"
    if 1e-2 <= abs(value) < 1e4:
        return f"{value:.3g}"
    return f"{value:.0e}"


def _shown_layers(num_layers: int, most: int = 5) -> list[int]:
    """Layers 1 and num_layers and a few in between (1-based)."""
    if num_layers <= most:
        return list(range(1, num_layers + 1))
    return sorted({int(round(v)) for v in np.geomspace(1, num_layers, most)})


def plot_initialization(results: Mapping, path, dpi: int = 100, size=None, title=None) -> str:
    """Activation histograms per layer: one block per activation, one row per initialization.

    Every panel of a row shares the x axis (tanh: -1 to 1, sigmoid: 0 to 1,
    ReLU: 0 to the largest activation of that net), so activations that
    vanish pile up at 0 and activations that explode march right. Each panel
    states the layer's standard deviation; all-zero weights also state how
    many units differ (1: the symmetry problem).
    """
    from matplotlib import ticker

    plt = _pyplot()
    activations = list(dict.fromkeys(a for a, _ in results))
    inits = list(dict.fromkeys(i for _, i in results))
    first = next(iter(results.values()))
    num_layers = len(first.histograms)
    layers = _shown_layers(num_layers)
    columns = len(layers) * len(activations)
    if size is None:
        size = (3.0 * columns + 1.5 if columns <= 5 else 1.75 * columns + 1.5,
                1.7 * len(inits) + 1.6)
    fig = plt.figure(figsize=size)
    outer = fig.add_gridspec(1, len(activations), wspace=0.12)
    for block, activation in enumerate(activations):
        grid = outer[block].subgridspec(len(inits), len(layers), hspace=0.55, wspace=0.12)
        for row, init in enumerate(inits):
            stats = results[(activation, init)]
            for column, layer in enumerate(layers):
                ax = fig.add_subplot(grid[row, column])
                counts, edges = stats.histograms[layer - 1]
                ax.stairs(counts, edges, fill=True, color="tab:blue")
                ax.set_xlim(edges[0], edges[-1])
                ax.set_yticks([])
                ax.xaxis.set_major_locator(ticker.MaxNLocator(2))
                ax.xaxis.set_major_formatter(ticker.FuncFormatter(_compact))
                ax.tick_params(labelsize=8)
                note = f"std {_compact(stats.stds[layer - 1])}"
                if stats.distinct_units[layer - 1] == 1:
                    note += "\nall units equal"
                ax.text(0.97, 0.93, note, transform=ax.transAxes, ha="right", va="top",
                        fontsize=8, bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0})
                if row == 0:
                    ax.set_title(f"layer {layer}", fontsize=10)
                if column == 0:
                    ax.set_ylabel(init, fontsize=10)
        scale = {"tanh": "x from -1 to 1", "sigmoid": "x from 0 to 1",
                 "relu": "positive values; one x scale per row"}[activation]
        left = outer[block].get_position(fig)
        fig.text((left.x0 + left.x1) / 2, 0.895, f"{activation} ({scale})", ha="center",
                 fontsize=12, weight="bold")
    if title is None:
        title = (f"Activations through {num_layers} layers: zeros make every unit equal, "
                 "N(0, 0.01) vanishes, N(0, 1) saturates or explodes, Xavier suits tanh, "
                 "He suits ReLU")
    fig.suptitle(title, fontsize=12, y=0.995)
    fig.subplots_adjust(left=0.06, right=0.99, top=0.84, bottom=0.05)
    return _save(fig, path, dpi)


def plot_decay_curves(curves: Mapping, path, dpi: int = 100, size=(10.0, 5.0)) -> str:
    """Learning rate against epoch for each decay rule."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=size)
    for name, (epochs, rates, _) in curves.items():
        ax.plot(epochs, rates, label=name, drawstyle="steps-post")
    ax.set_xlabel("epoch (counted from 1)")
    ax.set_ylabel("learning rate")
    ax.set_title("learning-rate decay rules of Ng's Deep Learning course 2, week 2 "
                 "(tfcourse.schedules)")
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
    ax.set_title("exponentially weighted average v_t = beta v_{t-1} + (1 - beta) theta_t "
                 "(Ng, Deep Learning course 2, week 2)")
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


def plot_gradient_descent(problem, runs: Mapping, path, dpi: int = 100, size=(14.0, 5.5)) -> str:
    """Cost per iteration (left) and the paths on the cost's contours (right) for each batch size."""
    plt = _pyplot()
    fig, (ax_cost, ax_map) = plt.subplots(1, 2, figsize=size)
    colors = {"batch": "tab:blue", "mini-batch": "tab:orange", "stochastic": "tab:red"}
    for run in sorted(runs.values(), key=lambda r: r.batch_size):
        color = colors[run.label.split(" ")[0]]
        iterations = np.arange(1, len(run.minibatch_costs) + 1)
        ax_cost.plot(iterations, run.minibatch_costs, color=color, linewidth=1.0,
                     alpha=0.9 if run.batch_size > 1 else 0.6,
                     label=f"{run.label}: cost of its own mini-batch")
        ax_map.plot(run.positions[:, 0], run.positions[:, 1], color=color, linewidth=1.2,
                    marker=".", markersize=3, label=run.label)
    best = min(runs.values(), key=lambda r: -r.batch_size)
    ax_cost.plot(np.arange(len(best.full_costs)), best.full_costs, color="black",
                 linestyle="--", linewidth=1.0, label="batch: J on the whole set")
    ax_cost.set_yscale("log")
    ax_cost.set_xlabel("iteration (one update each)")
    ax_cost.set_ylabel("cost J (log scale)")
    ax_cost.set_title("batch GD falls at every iteration; mini-batch and stochastic GD fall noisily")
    ax_cost.grid(alpha=0.3, which="both")
    ax_cost.legend(fontsize=9)
    span = np.concatenate([run.positions for run in runs.values()])
    low, high = span.min(0) - 0.5, span.max(0) + 0.5
    w1, w2 = np.meshgrid(np.linspace(low[0], high[0], 200), np.linspace(low[1], high[1], 200))
    cost = problem.cost(np.stack([w1, w2], axis=-1))
    ax_map.contour(w1, w2, cost, levels=np.geomspace(cost.min() * 1.01, cost.max(), 20),
                   cmap="viridis", linewidths=0.6)
    ax_map.plot(*problem.minimum, marker="*", color="black", markersize=14, linestyle="none",
                label="least-squares minimum")
    ax_map.set_xlabel("w1")
    ax_map.set_ylabel("w2")
    ax_map.set_title("the same runs on the contours of J(w1, w2)")
    ax_map.legend(fontsize=9, loc="upper left")
    fig.suptitle("Batch vs mini-batch vs stochastic gradient descent on linear regression "
                 f"(m = {len(problem.x)}, the same learning rate)", fontsize=12)
    fig.tight_layout()
    return _save(fig, path, dpi)


def plot_fitting(curves: Mapping, path, dpi: int = 100, size=(15.0, 8.5)) -> str:
    """Top: training vs validation loss of each run. Bottom: the gap per run, and accuracy."""
    plt = _pyplot()
    names = list(curves)
    fig, axes = plt.subplots(2, len(names), figsize=size, sharey="row", squeeze=False)
    for column, name in enumerate(names):
        run = curves[name]
        epochs = np.arange(1, len(run.train_loss) + 1)
        ax = axes[0, column]
        ax.plot(epochs, run.train_loss, color="tab:blue", label="training loss")
        ax.plot(epochs, run.validation_loss, color="tab:red", label="validation loss")
        if run.stopped_epoch is not None:
            ax.axvline(run.stopped_epoch, color="gray", linestyle=":",
                       label=f"weights kept: epoch {run.stopped_epoch}")
        ax.set_title(f"{name}\n{run.description}", fontsize=10)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax = axes[1, column]
        ax.plot(epochs, run.train_accuracy, color="tab:blue", label="training accuracy")
        ax.plot(epochs, run.validation_accuracy, color="tab:red", label="validation accuracy")
        ax.set_title(f"gap {run.final_gap:.2f}, validation accuracy "
                     f"{run.final_validation_accuracy:.3f}", fontsize=10)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    axes[0, 0].set_ylabel("cross-entropy")
    axes[1, 0].set_ylabel("accuracy")
    fig.suptitle("Under- and overfitting (lecture \"Reducing Loss\"): a too-small net stays poor "
                 "on both sets; a too-large one learns the training set and the gap\n"
                 "(validation loss - training loss, at the weights kept) grows; dropout, weight "
                 "decay and early stopping shrink it", fontsize=12)
    fig.tight_layout()
    return _save(fig, path, dpi)


def plot_batch_norm(runs: Mapping, path, dpi: int = 100, size=(16.0, 5.0)) -> str:
    """Figure 1 of the BN paper: (a) test accuracy, (b, c) a sigmoid's input percentiles; and
    moving-average vs population inference."""
    plt = _pyplot()
    plain, normalized = runs[False], runs[True]
    fig, axes = plt.subplots(1, 4, figsize=size)
    ax = axes[0]
    ax.plot(plain.steps, plain.test_accuracy, color="tab:gray", label="without BN")
    ax.plot(normalized.steps, normalized.test_accuracy, color="tab:blue", label="with BN")
    ax.set_title("(a) test accuracy")
    ax.set_xlabel("training step")
    ax.set_ylabel("test accuracy")
    ax.legend()
    shared = np.concatenate([plain.percentiles, normalized.percentiles])
    low, high = float(shared.min()) - 0.5, float(shared.max()) + 0.5
    for ax, run, title in ((axes[1], plain, "(b) without BN"), (axes[2], normalized,
                                                                  "(c) with BN")):
        for index, (q, style) in enumerate(zip((15, 50, 85), (":", "-", ":"))):
            ax.plot(run.steps, run.percentiles[:, index], color="black", linestyle=style,
                    label=f"{q}th percentile")
        ax.set_ylim(low, high)
        ax.set_title(f"{title}: input of one sigmoid")
        ax.set_xlabel("training step")
        ax.legend(fontsize=8)
    axes[1].set_ylabel("sigmoid input (same scale in b and c)")
    ax = axes[3]
    ax.plot(normalized.steps, normalized.test_accuracy, color="tab:blue",
            label="moving averages (Keras, momentum 0.99)")
    ax.plot(normalized.steps, normalized.population_accuracy, color="tab:green",
            linestyle="--", label="population statistics (Algorithm 2)")
    ax.set_title("(d) BN inference: E[x], Var[x] two ways")
    ax.set_xlabel("training step")
    ax.legend(fontsize=8, loc="lower right")
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.suptitle("Batch normalization (Ioffe & Szegedy, Fig. 1): 3 x 100 sigmoid units, "
                 "gradient descent, the same mini-batches", fontsize=12)
    fig.tight_layout()
    return _save(fig, path, dpi)


def plot_symmetry(runs: Mapping, hidden_units: int, path, dpi: int = 100,
                  size=(12.0, 4.8)) -> str:
    """All-zero weights vs Xavier: how different the hidden units are, and the training accuracy."""
    plt = _pyplot()
    fig, (ax_spread, ax_accuracy) = plt.subplots(1, 2, figsize=size)
    colors = {"zeros": "tab:red", "xavier": "tab:blue"}
    floor = 1e-9
    for name, run in runs.items():
        label = "all-zero weights" if name == "zeros" else "Xavier weights"
        ax_spread.semilogy(run.steps, np.maximum(run.spread, floor), color=colors[name],
                           marker="o", markersize=3, label=label)
        ax_accuracy.plot(run.steps, run.train_accuracy, color=colors[name], marker="o",
                         markersize=3, label=label)
    ax_spread.set_ylim(floor / 3, None)
    ax_spread.set_title(f"how different the {hidden_units} hidden units' weights are\n"
                        f"(0 drawn at {floor:g}: every unit the same)")
    ax_spread.set_ylabel("max |W1[:, j] - mean over units|")
    ax_accuracy.set_title("training accuracy")
    for ax in (ax_spread, ax_accuracy):
        ax.set_xlabel("training step")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    fig.suptitle("Do not initialize to 0 (lecture 10-2): equal units get equal gradients and "
                 "stay equal", fontsize=12)
    fig.tight_layout()
    return _save(fig, path, dpi)


def plot_optimizer_family(measurements: Mapping, path, dpi: int = 100,
                          size=(13.0, 5.5)) -> str:
    """Seed 000's family tree (left) and where each optimizer lands when measured (right)."""
    plt = _pyplot()
    fig, (ax_tree, ax_map) = plt.subplots(1, 2, figsize=size, width_ratios=(1.0, 1.25))
    ax_tree.axis("off")
    boxes = {
        "SGD\nw+ = w - eta * dE/dw": (0.5, 0.88),
        "fix the gradient (direction)\nMomentum, NAG": (0.2, 0.5),
        "fix the step size (eta)\nAdagrad, RMSProp, AdaDelta": (0.8, 0.5),
        "fix both\nAdam, Nadam": (0.5, 0.12),
    }
    for text, (bx, by) in boxes.items():
        ax_tree.text(bx, by, text, ha="center", va="center", fontsize=11,
                     bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "black"})
    arrow = {"arrowstyle": "->", "color": "gray"}
    for start, end in (((0.45, 0.82), (0.25, 0.57)), ((0.55, 0.82), (0.75, 0.57)),
                       ((0.25, 0.43), (0.45, 0.19)), ((0.75, 0.43), (0.55, 0.19))):
        ax_tree.annotate("", xy=end, xytext=start, arrowprops=arrow)
    ax_tree.set_title("The optimizers' family tree (Neural Network 2 seminar, Unit 05)")
    colors = {"plain (w - lr g)": "black", "fixes the gradient": "tab:orange",
              "fixes the step size": "tab:green", "fixes both": "tab:purple"}
    # Optimizers that land on the same point share one label.
    groups: dict = {}
    for name, m in measurements.items():
        key = (round(float(np.log10(m.step_ratio)), 2), round(float(np.log10(m.damping)), 2))
        groups.setdefault(key, []).append(m)
    for members in groups.values():
        m = members[0]
        ax_map.scatter(m.step_ratio, m.damping, s=60, color=colors.get(m.family, "gray"),
                       label=m.family, zorder=3)
        ax_map.annotate(", ".join(x.optimizer for x in members), (m.step_ratio, m.damping),
                        textcoords="offset points", xytext=(8, -4), fontsize=9)
    handles, labels = ax_map.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax_map.legend(unique.values(), unique.keys(), loc="center", fontsize=9)
    ax_map.set_xscale("log")
    ax_map.set_yscale("log")
    ax_map.set_xlim(0.3, 40)
    ax_map.set_ylim(0.02, 3)
    ax_map.set_xlabel("steady gradients (1, 10): |dy| / |dx|\n(10: the step follows the "
                      "gradient; 1: each coordinate's step size normalized)", fontsize=9)
    ax_map.set_ylabel("flipping gradients (1, +-10): share of the zig-zag kept\n"
                      "(1: none removed; small: the gradient is averaged)", fontsize=9)
    ax_map.set_title("measured: tfcourse.optimizers, course convention, 200 updates")
    ax_map.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return _save(fig, path, dpi)
