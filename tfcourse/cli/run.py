"""``tfcourse run LAB --tier legacy|port|keras``: train one version of a lab."""

from __future__ import annotations

import argparse
import sys

from tfcourse.cli._arguments import (add_data_dir_argument, data_dir_environment,
                                     max_examples, positive_int)

DATASETS = ("mnist", "fashion_mnist", "synthetic")
TIERS = ("legacy", "port", "keras")


def add_lab_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags ``run`` and ``compare`` share."""
    parser.add_argument("lab", metavar="LAB", help="a lab name from `tfcourse labs` "
                                                    "(or a short name: softmax, mnist_nn, xavier...)")
    parser.add_argument("--dataset", choices=DATASETS, default="mnist",
                        help="data set (default mnist; offline: fashion_mnist)")
    parser.add_argument("--epochs", type=positive_int("epochs"), default=None,
                        help="epochs (default: the program's training_epochs, 15)")
    parser.add_argument("--max-examples", type=positive_int("max_examples"), default=None,
                        metavar="N",
                        help="keep at most N examples per split (quick runs)")
    parser.add_argument("--seed", type=int, default=0,
                        help="graph seed of programs without tf.set_random_seed, shuffle and "
                             "dropout seed (default 0)")
    parser.add_argument("--logdir", default="logs",
                        help="TensorBoard log root: <logdir>/<lab>/<tier>/{train,validation} "
                             "(default logs)")
    add_data_dir_argument(parser)
    parser.add_argument("--quiet", action="store_true",
                        help="no starting line and no progress (by default, on stderr: a "
                             "first line saying what starts, then which tier, epoch, step and "
                             "time left; plain epoch lines when stderr is not a terminal)")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "run", help="train one version of a lab (legacy TF1 program, TF2 port, Keras)",
        description="Train one version of a lab: its TF1 program through tfcourse.compat "
                    "(legacy), the TF2 port (port) or the Keras model with model.fit (keras), "
                    "with progress and TensorBoard logs. The Keras tier saves the trained "
                    "model as <logdir>/<lab>/keras/model.keras and checkpoints every epoch: "
                    "the same command again resumes, and a larger --epochs trains a finished "
                    "run further.",
    )
    add_lab_arguments(parser)
    parser.add_argument("--tier", choices=TIERS, default="keras",
                        help="which version (default keras)")
    parser.add_argument("--ensemble", type=int, default=1, metavar="N",
                        help="keras tier: train N models (seeds SEED, SEED+1000, ...) and report "
                             "each one's test accuracy and that of their averaged softmax "
                             "outputs (seed 001's model ensemble; no checkpoints or logs)")
    parser.add_argument("--overwrite", action="store_true",
                        help="start afresh: discard the tier's earlier checkpoints, saved model "
                             "and TensorBoard events (without it, the keras tier resumes from "
                             "<logdir>/<lab>/keras/checkpoints)")
    parser.set_defaults(run=run)


def starting(args: argparse.Namespace) -> str:
    from tfcourse.labs import get
    from tfcourse.labs.runs import plural

    lab = get(args.lab)
    epochs = lab.epochs if args.epochs is None else args.epochs
    return f"Training {lab.name} [{args.tier}] on {args.dataset}, {plural(epochs, 'epoch')}"


def run(args: argparse.Namespace) -> int:
    from tfcourse._runtime import import_tensorflow
    from tfcourse.labs import get

    lab = get(args.lab)
    if args.ensemble != 1:
        return _run_ensemble(args, lab, import_tensorflow)
    import_tensorflow()
    from tfcourse.labs.runs import keras_checkpoint_dir, plural
    from tfcourse.labs.runs import run as run_tier

    checkpoint_dir = None
    if args.tier == "keras":
        from tfcourse import checkpointing

        checkpoint_dir, moved_from = keras_checkpoint_dir(args.logdir, lab)
        if moved_from is not None:
            print(f"Renamed the checkpoint folder {moved_from} to {checkpoint_dir} (TensorBoard "
                  "reads a folder named `checkpoint` as a checkpoint index)", file=sys.stderr)
        pointer = None if args.overwrite else checkpointing.read_checkpoint(checkpoint_dir)
        if pointer is not None:
            print(f"Resuming after epoch {pointer['epochs_done']} from {checkpoint_dir} "
                  "(--overwrite starts afresh)", file=sys.stderr)
    with data_dir_environment(args.data_dir):
        result = run_tier(lab, args.tier, dataset=args.dataset, epochs=args.epochs,
                          max_examples=max_examples(args.max_examples), seed=args.seed,
                          logdir=args.logdir, verbose=not args.quiet, echo=True,
                          checkpoint_dir=checkpoint_dir, overwrite=args.overwrite)
    print(f"{lab.name} [{args.tier}] on {args.dataset}: {plural(result.epochs, 'epoch')}, "
          f"final cost {result.epoch_costs[-1]:.6g}, test accuracy {result.final_accuracy:.4f} "
          f"(course, MNIST: {lab.course_result}); logs in {args.logdir}/{lab.name}/{args.tier}")
    if getattr(result, "model_path", None):
        print(f"model: {result.model_path} (tfcourse.load_model opens it)")
    return 0


def _run_ensemble(args: argparse.Namespace, lab, import_tensorflow) -> int:
    """``--ensemble N``: N Keras-tier runs of the lab from different seeds, then their average."""
    from tfcourse._validation import check_choice, check_int

    num_members = check_int("--ensemble", args.ensemble, low=1)
    check_choice("--tier (with --ensemble)", args.tier, ["keras"])
    import_tensorflow()
    from tfcourse import ensembles
    from tfcourse.labs.runs import load_data, run_keras

    data = load_data(args.dataset, args.max_examples)
    members, seeds = [], []
    for k in range(num_members):
        seed = args.seed + ensembles.SEED_STRIDE * k
        print(f"member {k + 1}/{num_members} (seed {seed})", flush=True)
        result = run_keras(lab, data, epochs=args.epochs, seed=seed,
                           verbose=0 if args.quiet else "auto")
        members.append(result.model)
        seeds.append(seed)
    report = ensembles.evaluate(members, *data.test, seeds=seeds)
    print(f"{lab.name} [keras] on {args.dataset}, ensemble of {num_members}:")
    for line in report.report():
        print(f"  {line}")
    return 0
