"""The optimizers in real training: model.fit (jit on and off) and .keras resume.

- Every optimizer trains a small float32 MLP on synthetic data with
  ``model.fit`` and lowers the loss, with ``jit_compile`` on and off; the
  fused TensorFlow kernels are trained under XLA too.
- Save / load / continue: a model compiled with each optimizer is trained one
  epoch, saved to ``.keras``, loaded in a fresh Python process that does not
  import tfcourse and passes no ``custom_objects``, and trained one more
  epoch; its weights must equal, exactly, those of two uninterrupted epochs
  (so the optimizer's slots and iteration count were restored).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from tfcourse import optimizers

LEARNING_RATES = {"gradient_descent": 0.1, "momentum": 0.5, "nesterov": 0.05,
                  "adagrad": 0.1, "rmsprop": 0.01, "adadelta": 1.0, "adam": 0.01,
                  "nadam": 0.01, "adamw": 0.01}


def _data(num_examples=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(num_examples, 4)).astype("float32")
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2] * x[:, 2:3]).astype("float32")
    return x, y


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"),
                             keras.layers.Dense(1)])


def _mse(model, x, y):
    # An eager forward pass: cheaper than compiling evaluate() for every case.
    return float(np.mean((keras.ops.convert_to_numpy(model(x)) - y) ** 2))


FIT_CASES = [(name, "course", jit) for name in optimizers.ALL for jit in (False, True)] + [
    (name, "tf1", True) for name in ("momentum", "adagrad", "rmsprop", "adam", "nadam")
]


@pytest.mark.parametrize("name,convention,jit_compile", FIT_CASES,
                         ids=[f"{n}-{c}-{'jit' if j else 'nojit'}" for n, c, j in FIT_CASES])
def test_fit_lowers_the_loss(name, convention, jit_compile):
    x, y = _data()
    model = _model()
    extra = {"momentum": 0.9} if (name, convention) in (("momentum", "tf1"),) else {}
    opt = optimizers.get(name, learning_rate=LEARNING_RATES[name], convention=convention,
                         **extra)
    model.compile(optimizer=opt, loss="mse", jit_compile=jit_compile)
    before = _mse(model, x, y)
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    after = _mse(model, x, y)
    assert np.isfinite(after) and after < 0.95 * before, (before, after)
    assert int(opt.iterations) == 8
    assert all(w.dtype == "float32" for w in model.weights)
    if convention == "tf1":
        assert opt._use_fused()


RESUME_CASES = [(name, "course", {}) for name in optimizers.ALL] + [
    ("adam", "tf1", {}), ("rmsprop", "tf1", {"momentum": 0.5, "centered": True}),
    ("nadam", "keras", {}), ("momentum", "torch", {"momentum": 0.9, "dampening": 0.5}),
    ("adamw", "tf1", {"weight_decay": 0.001}), ("adam", "course", {"amsgrad": True, "l2": 0.01}),
]

_CONTINUE = textwrap.dedent("""
    import json, sys
    import numpy as np
    import keras
    import tfcourse.optimizers  # registers the classes; no custom_objects below
    cases, folder = json.loads(sys.argv[1]), sys.argv[2]
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2] * x[:, 2:3]).astype("float32")
    report = {}
    for index in range(len(cases)):
        model = keras.models.load_model(f"{folder}/model_{index}.keras")
        opt = model.optimizer
        iterations = int(opt.iterations)
        model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
        np.savez(f"{folder}/continued_{index}.npz", *[w.numpy() for w in model.weights])
        report[index] = {"class": type(opt).__module__ + "." + type(opt).__name__,
                         "convention": opt.convention, "iterations": iterations}
    print(json.dumps(report))
""")


def test_keras_file_resumes_exactly_in_a_fresh_process(tmp_path):
    x, y = _data()
    uninterrupted = []
    for index, (name, convention, extra) in enumerate(RESUME_CASES):
        model = _model()
        model.compile(optimizer=optimizers.get(name, learning_rate=LEARNING_RATES[name],
                                               convention=convention, **extra),
                      loss="mse", jit_compile=False)
        model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
        model.save(tmp_path / f"model_{index}.keras")
        # Saving leaves the objects untouched: this is the uninterrupted run.
        model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
        uninterrupted.append([w.numpy() for w in model.weights])

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(
        [sys.executable, "-c", _CONTINUE, json.dumps([c[:2] for c in RESUME_CASES]),
         str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=300,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for index, (name, convention, _) in enumerate(RESUME_CASES):
        entry = report[str(index)]
        assert entry["class"].startswith("tfcourse.optimizers.")
        assert entry["class"].endswith(type(optimizers.get(name, **(
            {"weight_decay": 0.001} if (name, convention) == ("adamw", "tf1") else {}),
            convention=convention, learning_rate=0.1)).__name__)
        assert entry["convention"] == convention
        assert entry["iterations"] == 4  # one epoch of 64 / 16 updates, restored
        continued = np.load(tmp_path / f"continued_{index}.npz")
        for k, want in enumerate(uninterrupted[index]):
            got = continued[f"arr_{k}"]
            assert np.array_equal(got, want), (name, convention, k, np.abs(got - want).max())
