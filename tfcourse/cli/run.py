"""``tfcourse run LAB --tier legacy|port|keras``: train one version of a lab."""

from __future__ import annotations

import argparse

DATASETS = ("mnist", "fashion_mnist", "synthetic")
TIERS = ("legacy", "port", "keras")


def add_lab_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags ``run`` and ``compare`` share."""
    parser.add_argument("lab", metavar="LAB", help="a lab name from `tfcourse labs` "
                                                    "(or a short name: softmax, mnist_nn, xavier...)")
    parser.add_argument("--dataset", choices=DATASETS, default="mnist",
                        help="data set (default mnist; offline: fashion_mnist)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs (default: the program's training_epochs, 15)")
    parser.add_argument("--max-examples", type=int, default=None, metavar="N",
                        help="keep at most N examples per split (quick runs)")
    parser.add_argument("--seed", type=int, default=0,
                        help="graph seed of programs without tf.set_random_seed, shuffle and "
                             "dropout seed (default 0)")
    parser.add_argument("--logdir", default="logs",
                        help="TensorBoard log root: <logdir>/<lab>/<tier>/{train,validation} "
                             "(default logs)")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "run", help="train one version of a lab (legacy TF1 program, TF2 port, Keras)",
        description="Train one version of a lab: its TF1 program through tfcourse.compat "
                    "(legacy), the TF2 port (port) or the Keras model with model.fit (keras), "
                    "with a progress bar and TensorBoard logs.",
    )
    add_lab_arguments(parser)
    parser.add_argument("--tier", choices=TIERS, default="keras",
                        help="which version (default keras)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--overwrite", action="store_true",
                        help="keras tier: discard the checkpoint of an earlier run of these "
                             "settings and train from the start (without it, running the same "
                             "command again resumes from <logdir>/<lab>/keras/checkpoint)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from tfcourse._runtime import import_tensorflow
    from tfcourse.labs import get

    lab = get(args.lab)
    import_tensorflow()
    from tfcourse.labs.runs import run as run_tier

    checkpoint_dir = None
    if args.tier == "keras":
        import os
        import shutil

        from tfcourse import checkpointing

        checkpoint_dir = os.path.join(args.logdir, lab.name, "keras", "checkpoint")
        if args.overwrite and os.path.isdir(checkpoint_dir):
            shutil.rmtree(checkpoint_dir)
        pointer = checkpointing.read_checkpoint(checkpoint_dir)
        if pointer is not None:
            print(f"Resuming after epoch {pointer['epochs_done']} from {checkpoint_dir} "
                  "(--overwrite starts afresh)")
    result = run_tier(lab, args.tier, dataset=args.dataset, epochs=args.epochs,
                      max_examples=args.max_examples, seed=args.seed, logdir=args.logdir,
                      verbose=not args.quiet, echo=True, checkpoint_dir=checkpoint_dir)
    print(f"{lab.name} [{args.tier}] on {args.dataset}: {result.epochs} epochs, "
          f"final cost {result.epoch_costs[-1]:.6g}, test accuracy {result.final_accuracy:.4f} "
          f"(course, MNIST: {lab.course_result}); logs in {args.logdir}/{lab.name}/{args.tier}")
    return 0
