"""The hardware reference: float32 matmul peak and the matmul floor of one training step.

* peak: GFLOP/s of an ``n x n`` float32 ``tf.linalg.matmul`` (``2 n^3`` flops),
  several products per ``tf.function`` call so the call overhead does not count;
* step floor: the eight matmuls of one training step of the course's
  784-256-256-10 MLP at batch B (forward ``X W1``, ``H1 W2``, ``H2 W3``;
  backward ``dW`` of the three layers and ``dH`` of the two upper ones), timed
  alone the same way. ``B / t`` is the samples/s no training loop can beat on
  this machine (no activations, loss, optimizer or call overhead);
* step chain: the same eight matmuls in the order a step must run them (each
  takes the previous one's result: ``H1 = X W1``, ``H2 = H1 W2``, ...,
  ``dH1 = dH2 W2^T``, ``dW1 = X^T dH1``) and one step after the other
  (``parallel_iterations=1``), as in training, where the next step reads the
  weights the previous one updated. The floor's independent products overlap
  across steps and keep their operands in cache, so it is optimistic; the
  chain is what the matmuls of a real step cost.

Run:  python -m benchmarks matmul   (or python benchmarks/matmul.py)
"""

from __future__ import annotations

import argparse

if __package__ in (None, ""):
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import _common

LAYERS = (784, 256, 256, 10)


def step_flops(batch_size: int, layers=LAYERS) -> int:
    """Flops of the eight matmuls of one training step (2 m n k each)."""
    pairs = list(zip(layers[:-1], layers[1:]))
    forward = sum(2 * batch_size * a * b for a, b in pairs)
    weight_grads = forward
    input_grads = sum(2 * batch_size * a * b for a, b in pairs[1:])
    return forward + weight_grads + input_grads


def _peak_function(n: int, inner: int):
    import tensorflow as tf  # noqa: PLC0415

    a = tf.random.normal((n, n), seed=1)
    b = tf.random.normal((n, n), seed=2)

    @tf.function
    def products():
        total = tf.zeros((), tf.float32)
        for _ in tf.range(inner):  # a graph loop: grappler cannot merge repeated products
            total += tf.linalg.matmul(a, b)[0, 0]
        return total

    return products


def _step_function(batch_size: int, inner: int, layers=LAYERS):
    import tensorflow as tf  # noqa: PLC0415

    xs = [tf.random.normal((batch_size, width), seed=i) for i, width in enumerate(layers)]
    ws = [tf.random.normal((a, b), seed=10 + i) for i, (a, b) in enumerate(zip(layers[:-1], layers[1:]))]

    @tf.function
    def eight_matmuls():
        total = tf.zeros((), tf.float32)
        for _ in tf.range(inner):  # a graph loop: grappler cannot merge repeated products
            for i, w in enumerate(ws):
                total += tf.linalg.matmul(xs[i], w)[0, 0]                      # forward
                total += tf.linalg.matmul(xs[i], xs[i + 1], transpose_a=True)[0, 0]  # dW
                if i > 0:
                    total += tf.linalg.matmul(xs[i + 1], w, transpose_b=True)[0, 0]  # dH
        return total

    return eight_matmuls


def _chain_function(batch_size: int, inner: int, layers=LAYERS):
    import tensorflow as tf  # noqa: PLC0415

    x = tf.random.uniform((batch_size, layers[0]), seed=1)
    # weights of scale 1/sqrt(fan_in): activations and their gradients stay
    # near 1, far from the overflow and denormals that would change the speed
    ws = [tf.random.normal((a, b), seed=10 + i) / a ** 0.5
          for i, (a, b) in enumerate(zip(layers[:-1], layers[1:]))]

    @tf.function
    def chained_matmuls():
        total = tf.zeros((), tf.float32)
        for _ in tf.range(inner):
            tf.autograph.experimental.set_loop_options(parallel_iterations=1)
            hs = [x]
            for w in ws:
                hs.append(tf.linalg.matmul(hs[-1], w))
            grad = hs[-1]
            for i in reversed(range(len(ws))):
                total += tf.linalg.matmul(hs[i], grad, transpose_a=True)[0, 0]  # dW
                if i > 0:
                    grad = tf.linalg.matmul(grad, ws[i], transpose_b=True)  # dH
            total += grad[0, 0]
        return total

    return chained_matmuls


def chain_timer(batch_size: int, min_seconds: float = 0.2):
    """A callable returning the seconds of one step's chain (traced and warmed up once here).

    What :func:`benchmarks.labs_throughput` calls in every round, beside the
    tiers, so that the chain and the tiers see the same load.
    """
    inner = max(2, int(4e8 // step_flops(batch_size)))
    call = _chain_function(batch_size, inner)
    call()
    calls = max(1, int(min_seconds / max(_common.time_call(call, 1), 1e-6)))
    return lambda: _common.time_call(call, calls) / inner


def step_figures(batch_size: int, stats: dict) -> dict:
    """Samples/s and GFLOP/s of a step whose seconds are ``stats`` (see :func:`measure`)."""
    return _step_figures(batch_size, stats)


def measure(sizes=(1024, 2048), batch_sizes=(100, 1024), repeats: int = 5,
            min_seconds: float = 0.2) -> dict:
    """Peak GFLOP/s per matrix size and the step floor per batch size."""
    figures: dict = {"peak": {}, "step_floor": {}, "step_chain": {}}
    for n in sizes:
        inner = max(2, int(4e9 // (2 * n ** 3)))  # about 4 GFLOP per call
        call = _peak_function(n, inner)
        call()
        calls = max(1, int(min_seconds / max(_common.time_call(call, 1), 1e-6)))
        values = [2 * n ** 3 * inner / _common.time_call(call, calls) / 1e9 for _ in range(repeats)]
        figures["peak"][str(n)] = _common.summary(values)
    best = max(s["median"] for s in figures["peak"].values())
    figures["peak_gflops"] = best
    for batch_size in batch_sizes:
        inner = max(2, int(4e8 // step_flops(batch_size)))
        call = _step_function(batch_size, inner)
        call()
        calls = max(1, int(min_seconds / max(_common.time_call(call, 1), 1e-6)))
        seconds = [_common.time_call(call, calls) / inner for _ in range(repeats)]
        stats = _common.summary(seconds)
        figures["step_floor"][str(batch_size)] = _step_figures(batch_size, stats)
        call = _chain_function(batch_size, inner)
        call()
        seconds = [_common.time_call(call, calls) / inner for _ in range(repeats)]
        figures["step_chain"][str(batch_size)] = _step_figures(batch_size,
                                                               _common.summary(seconds))
    return figures


def _step_figures(batch_size: int, stats: dict) -> dict:
    return {
        "step_seconds": stats,
        "flops_per_step": step_flops(batch_size),
        "samples_per_second": batch_size / stats["median"],
        "gflops": step_flops(batch_size) / stats["median"] / 1e9,
    }


def report(figures: dict) -> None:
    print("matmul peak (float32):")
    for n, stats in figures["peak"].items():
        print(_common.line(f"{n} x {n} matmul", stats, "GFLOP/s"))
    print("matmul floor of one 784-256-256-10 training step (8 matmuls):")
    for batch_size, floor in figures["step_floor"].items():
        print(_common.step_lines(f"batch {batch_size}: 8 matmuls", floor, "floor"))
    print("the same 8 matmuls in step order, one step after the other:")
    for batch_size, chain in figures.get("step_chain", {}).items():
        print(_common.step_lines(f"batch {batch_size}: chain", chain, "chain"))


def main(argv=None, quick: bool = False, results_dir=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if quick:
        figures = measure(sizes=(64,), batch_sizes=(8,), repeats=2, min_seconds=0.001)
    else:
        figures = measure(repeats=args.repeats)
    report(figures)
    _common.write("matmul", figures, {"repeats": args.repeats, "quick": quick}, results_dir)
    return figures


if __name__ == "__main__":
    main()
