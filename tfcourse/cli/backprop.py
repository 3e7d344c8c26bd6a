"""``tfcourse backprop``: backpropagation by hand in NumPy, checked against TensorFlow and Keras."""

from __future__ import annotations

import argparse
import os

DATASETS = ("mnist", "fashion_mnist", "synthetic")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "backprop",
        help="backpropagation from scratch in NumPy next to GradientTape and a Keras twin",
        description=(
            "Seed 004's backpropagation: the worked examples (f = wx + b at w=-2, x=5, b=3; the "
            "sigmoid node; two sigmoid neurons), then a two-layer net (Affine, Sigmoid or ReLU, "
            "Affine, softmax with loss) whose hand-written gradients are checked against "
            "central differences and tf.GradientTape, trained by gradient descent next to its "
            "Keras twin from the same weights on the same mini-batches. Prints the per-step "
            "loss comparison and writes OUT/backprop.png."
        ),
    )
    parser.add_argument("--dataset", choices=DATASETS, default="fashion_mnist",
                        help="data set (default fashion_mnist)")
    parser.add_argument("--data-dir", default=None, help="folder with the dataset's files")
    parser.add_argument("--num-train", type=int, default=10000,
                        help="training examples kept (default 10000)")
    parser.add_argument("--steps", type=int, default=300, help="gradient-descent steps "
                                                                "(default 300)")
    parser.add_argument("--batch-size", type=int, default=100, help="default 100")
    parser.add_argument("--hidden", type=int, default=50, help="hidden units (default 50)")
    parser.add_argument("--activation", choices=("sigmoid", "relu"), default="sigmoid",
                        help="hidden activation (default sigmoid)")
    parser.add_argument("--learning-rate", type=float, default=0.1, help="default 0.1")
    parser.add_argument("--seed", type=int, default=0, help="weights and batches (default 0)")
    parser.add_argument("--out", default="plots", help="folder for backprop.png, or a .png path "
                                                      "(default plots)")
    parser.add_argument("--logdir", default=None,
                        help="also write the image into LOGDIR/plots for TensorBoard")
    parser.add_argument("--dpi", type=int, default=100, help="resolution (default: 100)")
    parser.set_defaults(run=run)


def worked_examples() -> list[str]:
    """Seed 004's examples, each value computed by the NumPy nodes."""
    from tfcourse.scratch import Sigmoid, linear_graph, sigmoid_chain

    g = linear_graph()
    node = Sigmoid()
    y = float(node.forward(1.0))
    dx = float(node.backward(1.0))
    chain = sigmoid_chain()
    return [
        f"f = wx + b at w={g.w:g}, x={g.x:g}, b={g.b:g}: forward g = wx = {g.g:g}, f = g + b = "
        f"{g.f:g}; backward from df/df = 1: df/db = {g.df_db:g}, df/dg = {g.df_dg:g}, "
        f"df/dw = x = {g.df_dw:g}, df/dx = w = {g.df_dx:g}",
        f"sigmoid node at x=1: y = {y:.6f}; backward dx = dout (1 - y) y = {dx:.6f}",
        f"two sigmoid neurons (z2={chain.z2:g}, w2={chain.w2:g}, w1={chain.w1:g}, "
        f"t={chain.t:g}, Error = (y1 - t)^2 = {chain.error:.6f}):",
        f"  dError/dw1 = dError/dy1 sigma' z1          = {chain.by_formula['w1']:.9f} "
        f"(nodes: {chain.by_nodes['w1']:.9f})",
        f"  dError/dw2 = dError/dy1 sigma' w1 sigma' z2 = {chain.by_formula['w2']:.9f} "
        f"(nodes: {chain.by_nodes['w2']:.9f})",
    ]


def _png_path(out: str, name: str) -> str:
    return out if out.lower().endswith(".png") else os.path.join(out, name)


def run(args: argparse.Namespace) -> int:
    from tfcourse._validation import check_int

    num_train = check_int("--num-train", args.num_train, low=1)
    for line in worked_examples():
        print(line)
    print()
    from tfcourse._runtime import import_tensorflow

    import_tensorflow()
    from tfcourse import data, scratch, viz

    (x, y), (x_test, y_test) = data.load(args.dataset, args.data_dir, flatten=True,
                                         num_train=num_train)
    classes = int(max(y.max(), y_test.max())) + 1
    result = scratch.train_twins(
        x, scratch.one_hot(y, classes), x_test, scratch.one_hot(y_test, classes),
        hidden_size=args.hidden, activation=args.activation, learning_rate=args.learning_rate,
        batch_size=args.batch_size, steps=args.steps, seed=args.seed)
    print(f"two-layer net {x.shape[1]}-{args.hidden}-{classes} ({args.activation}) on "
          f"{args.dataset} ({len(x)} examples), gradient descent lr={args.learning_rate:g}, "
          f"batch {args.batch_size}, {args.steps} steps")
    for line in result.report():
        print(line)
    path = viz.plot_backprop_twins(result, _png_path(args.out, "backprop.png"), dpi=args.dpi)
    print(f"wrote {path}")
    if args.logdir is not None:
        from tfcourse.monitoring import write_image

        folder = write_image(os.path.join(args.logdir, "plots"), "backprop", path)
        print(f"image 'backprop' written to {folder}")
    if not result.passed:
        raise RuntimeError("the NumPy net and its Keras twin disagree beyond the stated bounds "
                           "(see the table above)")
    return 0
