"""``tfcourse plot``: the course's pictures as PNG files (and TensorBoard images)."""

from __future__ import annotations

import argparse
import os

FIGURES = ("optimizers", "activations", "init", "decay", "ewa")
SURFACE_CHOICES = ("beale", "rosenbrock", "long_valley", "saddle")
CONVENTION_CHOICES = ("course", "tf1", "keras", "torch")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "plot",
        help="draw the course's pictures (optimizer paths, activations, init, decay, EWA) as PNGs",
        description=(
            "Compute the numbers behind one of the course's pictures with the package's own "
            "optimizers, layers, initializers and schedules, draw them with matplotlib into "
            "OUT/<figure>.png, and with --logdir also into TensorBoard's Images tab "
            "(run LOGDIR/plots)."
        ),
    )
    parser.add_argument("figure", choices=FIGURES, metavar="FIGURE",
                        help="one of: " + ", ".join(FIGURES))
    parser.add_argument("--out", default="plots",
                        help="folder for the PNG, or the PNG's path when it ends in .png "
                             "(default: plots)")
    parser.add_argument("--logdir", default=None,
                        help="also write the image into LOGDIR/plots for TensorBoard")
    parser.add_argument("--dpi", type=int, default=100, help="resolution (default: 100)")
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
    out = args.out
    if args.figure == "optimizers":
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
    if args.figure == "activations":
        curves = viz.activation_curves()
        import numpy as np

        x = np.linspace(-6.0, 6.0, 601)
        path = viz.plot_activation_curves(curves, x, _png_path(out, "activations.png"),
                                          dpi=args.dpi)
        return path, [f"{n}: max f'(x) = {dy.max():.3g}" for n, (_, dy) in curves.items()]
    if args.figure == "init":
        results = viz.initialization_experiment()
        path = viz.plot_initialization(results, _png_path(out, "init.png"), dpi=args.dpi)
        return path, [f"{a} {i}: std layer 1 {s.stds[0]:.3g}, layer {len(s.stds)} {s.stds[-1]:.3g}"
                      for (a, i), s in results.items()]
    if args.figure == "decay":
        curves = viz.decay_curves()
        path = viz.plot_decay_curves(curves, _png_path(out, "decay.png"), dpi=args.dpi)
        return path, [f"{n}: {r[0]:.4g} -> {r[-1]:.4g}" for n, (_, r, _) in curves.items()]
    values = viz.temperature_series()
    curves = viz.ewa_curves(values)
    path = viz.plot_ewa(values, curves, _png_path(out, "ewa.png"), dpi=args.dpi)
    return path, [f"beta={b:g}{' bias-corrected' if c else ''}: v_1 = {v[0]:.3g}"
                  for (b, c), v in curves.items()]
