"""Numerical faults stop training with a diagnosis (issue 9, items 3 and 6; tfcourse.faults)."""

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from tfcourse import checkpointing, faults, optimizers
from tfcourse.training import train

HELPER = Path(__file__).with_name("resume_helpers.py")


def test_nan_at_a_step_names_step_layer_and_keeps_the_last_finite_checkpoint(tmp_path):
    # learning rate 1e30 at step 15 (epoch 3 of 6-step epochs): step 16's loss is NaN
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run([sys.executable, str(HELPER), str(tmp_path / "ckpt"),
                             str(tmp_path / "out.npz"), "--nan-at-step", "16"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode != 0
    assert ("NonFiniteError: Training stopped at step 16 (epoch 3): the loss is nan; the "
            "gradients of layer `logits` became non-finite first (non-finite in: logits, "
            "hidden_2, hidden_1)") in result.stderr
    assert f"The last finite checkpoint is kept: {tmp_path / 'ckpt'}/epoch-0002.keras" \
        in result.stderr
    assert not (tmp_path / "out.npz").exists()
    pointer = checkpointing.read_checkpoint(tmp_path / "ckpt")
    assert pointer["epochs_done"] == 2 and pointer["iterations"] == 12
    with np.load(tmp_path / "ckpt" / pointer["variables"]) as arrays:
        assert all(np.all(np.isfinite(arrays[k])) for k in arrays.files if k.startswith("model_"))


def _model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="hidden"),
                              keras.layers.Dense(2, name="out")])
    model.compile(optimizer=optimizers.GradientDescent(0.1),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def test_guard_stops_at_the_first_step_and_leaves_the_weights_before_it():
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = np.arange(8) % 2
    x[0, 1] = np.inf  # in the first mini-batch (shuffle off); refused unless check_data=False
    model = _model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(faults.NonFiniteError,
                       match=r"Training stopped at step 1 \(epoch 1\): the loss is nan; the "
                             r"gradients of layer `out` became non-finite first \(non-finite "
                             r"in: out, hidden\)\. Lower the learning rate.* No checkpoint was "
                             r"written\."):
        train(model, x, y, batch_size=4, shuffle=False, check_data=False, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)  # the step's non-finite update was undone


def test_guard_without_batches_names_the_layer_whose_weights_went_non_finite():
    model = _model()
    guard = faults.NonFiniteGuard()
    guard.set_model(model)
    model.optimizer.build(model.trainable_variables)
    model.get_layer("out").kernel.assign(np.full((4, 2), np.inf, "float32"))
    guard.on_train_batch_end(0, {"loss": 0.5})  # a finite loss: the weights wait for epoch end
    with pytest.raises(FloatingPointError, match=r"the loss is 0\.5; the weights of layer `out` "
                                                 r"became non-finite first"):
        guard.on_epoch_end(0, {"loss": 0.5})


def test_guard_is_silent_while_everything_is_finite():
    model = _model()
    x = np.random.default_rng(1).normal(size=(8, 3)).astype("float32")
    history = train(model, x, np.arange(8) % 2, batch_size=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


class _SpikeAt(keras.optimizers.schedules.LearningRateSchedule):
    """0.01, except 1e30 at update ``update`` (0-based): the next step's loss is NaN."""

    def __init__(self, update):
        self.update = update

    def __call__(self, step):
        return keras.ops.where(keras.ops.equal(step, self.update), 1e30, 0.01)


@pytest.mark.parametrize("steps_per_execution", [1, 4, 6])
def test_guard_names_the_exact_step_when_keras_runs_several_steps_per_call(steps_per_execution):
    # 12 mini-batches of 2 per epoch; Keras calls the hooks once per call of k
    # steps, and the guard replays from its last copy to find the step itself
    rng = np.random.default_rng(3)
    x = rng.normal(size=(24, 3)).astype("float32")
    y = np.arange(24) % 2
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, name="hidden"),
                              keras.layers.Dense(2, name="out")])
    model.compile(optimizer=optimizers.Adam(_SpikeAt(17), convention="tf1"),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  steps_per_execution=steps_per_execution)
    with pytest.raises(faults.NonFiniteError,
                       match=r"Training stopped at step 19 \(epoch 2\): the loss is nan; the "
                             r"gradients of layer `out` became non-finite first \(non-finite "
                             r"in: out, hidden\)"):
        train(model, x, y, batch_size=2, epochs=3, shuffle=False, verbose=0)
    # left with the weights before step 19: finite, and 18 updates done
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())
    assert int(model.optimizer.iterations.numpy()) == 18


def test_guard_copies_the_state_once_per_epoch_and_every_hundred_steps():
    x = np.random.default_rng(4).normal(size=(250, 3)).astype("float32")
    model = _model()
    guard = faults.NonFiniteGuard(lambda epoch, index: (x[index:index + 1], np.zeros(1)))
    copies = []
    original = guard._state

    def counting_state():
        copies.append(int(model.optimizer.iterations.numpy()))
        return original()

    guard._state = counting_state
    train(model, x, np.arange(250) % 2, batch_size=1, epochs=2, verbose=0, shuffle=False,
          stop_on_non_finite=False, callbacks=[guard])
    assert copies == [0, 100, 200, 250, 350, 450]


def test_training_memory_estimate_formula():
    # weights + gradients + slots, 4 bytes each: Adam (2 slots) on 1000 parameters
    assert faults.training_memory_bytes(1000) == 4 * 1000 * 4
    assert faults.training_memory_bytes(1000, optimizer_slots=0, bytes_per_value=8) == 16000
    assert faults.check_memory(1000, available=16000) == 16000
    with pytest.raises(MemoryError, match=r"needs about 0\.00 GiB for 1000 parameters"):
        faults.check_memory(1000, available=15999)
    assert faults.available_memory_bytes() > 0


# Memory is estimated from the spec, before any weight is allocated ----------------

@pytest.mark.parametrize("spec", [
    dict(),
    dict(hidden_sizes=()),
    dict(activation="maxout", num_pieces=3, batch_norm=True),
    dict(activation="prelu", batch_norm=True, keep_prob=0.5, output_activation="softmax",
         hidden_sizes=(7,), input_size=13, num_classes=3),
])
def test_spec_parameter_count_matches_the_built_model(spec):
    from tfcourse.models import MLPSpec, build_model

    spec = MLPSpec(**spec)
    assert spec.num_parameters == build_model(spec, seed=0).count_params()


def test_build_model_refuses_a_model_too_large_before_building(monkeypatch):
    from tfcourse import models

    # two hidden layers of a million units: 1e12 weights, 8 TB with their gradients
    spec = models.MLPSpec(hidden_sizes=(10**6, 10**6))
    built = []
    with monkeypatch.context() as patch:
        patch.setattr(models.keras, "Input", lambda *args, **kwargs: built.append(args))
        with pytest.raises(MemoryError, match=r"^`model` needs about 7456\.51 GiB for "
                                              r"1000796000010 parameters and their gradients, and "
                                              r"\d+\.\d\d GiB are available\. Use fewer or "
                                              r"smaller layers$"):
            models.build_model(spec)
    assert built == []  # refused from the sizes: not even the input was made
    # the limit is the available memory: a model that fits exactly is built
    small = models.MLPSpec(hidden_sizes=(4,), input_size=3, num_classes=2)
    monkeypatch.setattr(faults, "available_memory_bytes", lambda: 2 * 4 * small.num_parameters)
    assert models.build_model(small).count_params() == small.num_parameters
    monkeypatch.setattr(faults, "available_memory_bytes",
                        lambda: 2 * 4 * small.num_parameters - 1)
    with pytest.raises(MemoryError, match=r"for 26 parameters and their gradients"):
        models.build_model(small)


def test_guard_falls_back_to_the_recorded_step_losses_when_the_replay_stays_finite():
    # The mini-batch the guard is given for step 8 is clean, the one trained on
    # holds an Inf (as when a replay cannot reproduce a fault): the step comes
    # from the per-step losses the model records, not a range of 5 steps.
    import tensorflow as tf

    from tfcourse.labs.keras_tier import StepLossModel

    x = np.random.default_rng(6).normal(size=(40, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[np.arange(40) % 2]
    trained = x.copy()
    trained[28, 0] = np.inf  # row 28: the 8th mini-batch of 4 (step 8)
    inputs = keras.Input((3,))
    model = StepLossModel(inputs, keras.layers.Dense(2, name="out")(inputs), num_steps=10)
    model.compile(optimizer=optimizers.GradientDescent(0.1),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True),
                  steps_per_execution=5)
    guard = faults.NonFiniteGuard(lambda epoch, i: (x[4 * i:4 * i + 4], y[4 * i:4 * i + 4]))
    with pytest.raises(faults.NonFiniteError,
                       match=r"Training stopped at step 8 \(epoch 1\): the loss is nan; "
                             r"the weights of layer `out` became non-finite first"):
        model.fit(tf.data.Dataset.from_tensor_slices((trained, y)).batch(4), epochs=1,
                  verbose=0, shuffle=False, callbacks=[guard])
