"""``tfcourse plot``: the course's pictures as PNG files (and TensorBoard images)."""

from __future__ import annotations

import argparse
import os

FIGURES = {
    "optimizers": "optimizer paths on a 2-D surface (--surface) and loss against step",
    "family": "which optimizers fix the gradient, which the step size, which both (measured)",
    "gd": "batch vs mini-batch vs stochastic gradient descent: cost per iteration and paths",
    "activations": "activations and derivatives (PReLU, Maxout), tanh = 2 sigmoid(2x) - 1, "
                   "a linear net collapsing to one layer",
    "init": "activations through 10 tanh/ReLU layers: zeros, N(0,0.01), N(0,1), Xavier, He",
    "init_sigmoid": "lecture 10-2's experiment: 5 sigmoid layers of 100 units",
    "symmetry": "all-zero weights keep every hidden unit equal while training",
    "fitting": "under- and overfitting; what dropout, weight decay, early stopping do to the gap "
               "(Fashion-MNIST subset, ~1 min)",
    "batch_norm": "batch normalization's Figure 1 and moving-average vs population inference "
                  "(Fashion-MNIST subset, ~1 min)",
    "decay": "the learning-rate decay rules",
    "ewa": "exponentially weighted averages, with and without bias correction",
}
DATASETS = ("fashion_mnist", "mnist", "synthetic")
SURFACE_CHOICES = ("beale", "rosenbrock", "long_valley", "saddle")
CONVENTION_CHOICES = ("course", "tf1", "keras", "torch")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "plot",
        help="draw the course's pictures (optimizers, gradient descent, activations, init, "
             "fitting, batch norm, decay, EWA) as PNGs",
        description=(
            "Compute the numbers behind one of the course's pictures with the package's own "
            "optimizers, layers, initializers and schedules, draw them with matplotlib into "
            "OUT/<figure>.png, and with --logdir also into TensorBoard's Images tab "
            "(run LOGDIR/plots). Figures: "
            + "; ".join(f"{name}: {text}" for name, text in FIGURES.items())
        ),
    )
    parser.add_argument("figure", choices=tuple(FIGURES), metavar="FIGURE",
                        help="one of: " + ", ".join(FIGURES))
    parser.add_argument("--out", default="plots",
                        help="folder for the PNG, or the PNG's path when it ends in .png "
                             "(default: plots)")
    parser.add_argument("--logdir", default=None,
                        help="also write the image into LOGDIR/plots for TensorBoard")
    parser.add_argument("--dpi", type=int, default=100, help="resolution (default: 100)")
    parser.add_argument("--dataset", choices=DATASETS, default="fashion_mnist",
                        help="fitting, batch_norm, symmetry: the data set (default fashion_mnist)")
    parser.add_argument("--data-dir", default=None, help="folder with the dataset's files")
    group = parser.add_argument_group("optimizers")
    group.add_argument("--surface", choices=SURFACE_CHOICES, default="beale",
                       help="the 2-D function (default: beale)")
    group.add_argument("--convention", choices=CONVENTION_CHOICES, default="course",
                       help="the optimizers' convention (default: course)")
    group.add_argument("--optimizers", default=None, metavar="NAMES",
                       help="comma-separated names from tfcourse.optimizers.ALL (default: all)")
    group.add_argument("--learning-rate", type=float, default=None,
                       help="one rate for every optimizer (default: the surface's table)")
    group.add_argument("--steps", type=int, default=None,
                       help="updates per path (default: the surface's)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tfcourse._runtime import import_tensorflow

    import_tensorflow()
    from tfcourse import viz

    name, summary = _draw(args, viz)
    print(f"wrote {name}")
    for line in summary:
        print(f"  {line}")
    if args.logdir is not None:
        from tfcourse.monitoring import write_image

        tag = os.path.splitext(os.path.basename(name))[0]
        folder = write_image(os.path.join(args.logdir, "plots"), tag, name)
        print(f"image '{tag}' written to {folder}")
    return 0


def _png_path(out: str, name: str) -> str:
    """``--out``: a path ending in ``.png`` is the file itself, anything else a folder."""
    return out if out.lower().endswith(".png") else os.path.join(out, name)


def _draw(args, viz) -> tuple[str, list[str]]:
    return _DRAWERS[args.figure](args, viz, args.out)


def _optimizers(args, viz, out):
    surface = viz.get_surface(args.surface)
    names = None if args.optimizers is None else [
        n.strip() for n in args.optimizers.split(",") if n.strip()]
    paths = viz.optimizer_paths(surface, names, convention=args.convention,
                                steps=args.steps, learning_rates=args.learning_rate)
    path = viz.plot_optimizer_paths(
        surface, paths, _png_path(out, f"optimizers_{surface.name}.png"), dpi=args.dpi)
    lines = [f"{p.label}: {len(p.positions) - 1} steps, ends at "
             f"({p.final[0]:.4g}, {p.final[1]:.4g}), f = {p.losses[-1]:.4g}"
             for p in paths.values()]
    return path, lines


def _family(args, viz, out):
    measured = viz.family_measurements()
    path = viz.plot_optimizer_family(measured, _png_path(out, "family.png"), dpi=args.dpi)
    return path, [f"{m.optimizer} ({m.family}): steady |dy|/|dx| {m.step_ratio:.3g}, "
                  f"zig-zag kept {m.damping:.3g}" for m in measured.values()]


def _gradient_descent(args, viz, out):
    import numpy as np

    problem = viz.regression_problem()
    runs = viz.gradient_descent_runs(problem)
    path = viz.plot_gradient_descent(problem, runs, _png_path(out, "gd.png"), dpi=args.dpi)
    lines = []
    for run in runs.values():
        rises = int(np.sum(np.diff(run.full_costs) > 0))
        lines.append(f"{run.label}: J {run.full_costs[0]:.4g} -> {run.full_costs[-1]:.4g} "
                     f"(minimum {problem.cost(problem.minimum):.4g}); J rose at {rises} of "
                     f"{len(run.minibatch_costs)} iterations")
    return path, lines


def _activations(args, viz, out):
    import numpy as np

    curves = viz.activation_curves()
    x = np.linspace(-6.0, 6.0, 601)
    identity = viz.tanh_identity()
    collapse = viz.linear_collapse()
    path = viz.plot_activation_curves(curves, x, _png_path(out, "activations.png"),
                                      dpi=args.dpi, identity=identity, collapse=collapse)
    lines = [f"{viz.ACTIVATION_LABELS[n]}: max f'(x) = {dy.max():.3g}"
             for n, (_, dy) in curves.items()]
    gap = float(np.max(np.abs(identity["tanh"] - identity["2 sigmoid(2x) - 1"])))
    lines.append(f"tanh(x) - (2 sigmoid(2x) - 1): at most {gap:.1e}")
    lines.append(f"{collapse.num_layers} linear layers vs their one-layer product: "
                 f"at most {collapse.max_difference:.1e} apart")
    return path, lines


def _init_lines(results):
    return [f"{a} {i}: std layer 1 {s.stds[0]:.3g}, layer {len(s.stds)} {s.stds[-1]:.3g}"
            for (a, i), s in results.items()]


def _init(args, viz, out):
    results = viz.initialization_experiment()
    path = viz.plot_initialization(
        results, _png_path(out, "init.png"), dpi=args.dpi,
        title="Activations through 10 layers of 500 units (lecture \"Reducing Loss\", "
              "weight initialization): zeros make every unit equal, N(0, 0.01) vanishes, "
              "N(0, 1) saturates or explodes, Xavier suits tanh, He suits ReLU")
    return path, _init_lines(results)


def _init_sigmoid(args, viz, out):
    results = viz.initialization_experiment(("sigmoid",), ("N(0, 1)", "N(0, 0.01)", "Xavier",
                                                           "He"), num_layers=5, units=100)
    path = viz.plot_initialization(
        results, _png_path(out, "init_sigmoid.png"), dpi=args.dpi,
        title="Sigmoid activations through 5 layers of 100 units (lecture 10-2):\n"
              "std 1 saturates at 0 and 1, std 0.01 piles up at 0.5, Xavier keeps a spread")
    return path, _init_lines(results)


def _load(args, num_train, num_test=None):
    from tfcourse import data

    return data.load(args.dataset, args.data_dir, flatten=True, num_train=num_train,
                     num_test=num_test)


def _symmetry(args, viz, out):
    (x, y), _ = _load(args, 2000)
    runs = viz.symmetry_experiment((x, y), hidden_units=32)
    path = viz.plot_symmetry(runs, 32, _png_path(out, "symmetry.png"), dpi=args.dpi)
    return path, [f"{name}: unit spread {run.spread[-1]:.3g}, training accuracy "
                  f"{run.train_accuracy[-1]:.3f} after {run.steps[-1]} steps"
                  for name, run in runs.items()]


def _fitting(args, viz, out):
    (x, y), (x_test, y_test) = _load(args, 1000, 2000)
    curves = viz.fitting_curves((x, y), (x_test, y_test), epochs=30)
    path = viz.plot_fitting(curves, _png_path(out, "fitting.png"), dpi=args.dpi)
    return path, [f"{c.name} ({c.description}): train loss {c.train_loss[c.kept]:.3f}, "
                  f"validation loss {c.validation_loss[c.kept]:.3f}, gap {c.final_gap:.3f}, "
                  f"validation accuracy {c.final_validation_accuracy:.3f}"
                  + (f", weights of epoch {c.stopped_epoch}" if c.stopped_epoch else "")
                  for c in curves.values()]


def _batch_norm(args, viz, out):
    (x, y), (x_test, y_test) = _load(args, 10000, 2000)
    runs = viz.batch_norm_experiment((x, y), (x_test, y_test))
    path = viz.plot_batch_norm(runs, _png_path(out, "batch_norm.png"), dpi=args.dpi)
    lines = []
    for batch_norm, run in runs.items():
        spread = run.percentiles[-1]
        lines.append(f"{'with' if batch_norm else 'without'} BN: test accuracy "
                     f"{run.test_accuracy[-1]:.4f} after {run.steps[-1]} steps; sigmoid input "
                     f"15/50/85th percentiles {spread[0]:.2f} / {spread[1]:.2f} / {spread[2]:.2f}")
    bn = runs[True]
    lines.append(f"BN inference at step {bn.steps[1]}: moving averages {bn.test_accuracy[1]:.4f}, "
                 f"population statistics {bn.population_accuracy[1]:.4f}; at step "
                 f"{bn.steps[-1]}: {bn.test_accuracy[-1]:.4f} vs {bn.population_accuracy[-1]:.4f}")
    return path, lines


def _decay(args, viz, out):
    curves = viz.decay_curves()
    path = viz.plot_decay_curves(curves, _png_path(out, "decay.png"), dpi=args.dpi)
    return path, [f"{n}: {r[0]:.4g} -> {r[-1]:.4g}" for n, (_, r, _) in curves.items()]


def _ewa(args, viz, out):
    values = viz.temperature_series()
    curves = viz.ewa_curves(values)
    path = viz.plot_ewa(values, curves, _png_path(out, "ewa.png"), dpi=args.dpi)
    return path, [f"beta={b:g}{' bias-corrected' if c else ''}: v_1 = {v[0]:.3g}"
                  for (b, c), v in curves.items()]


_DRAWERS = {
    "optimizers": _optimizers,
    "family": _family,
    "gd": _gradient_descent,
    "activations": _activations,
    "init": _init,
    "init_sigmoid": _init_sigmoid,
    "symmetry": _symmetry,
    "fitting": _fitting,
    "batch_norm": _batch_norm,
    "decay": _decay,
    "ewa": _ewa,
}
