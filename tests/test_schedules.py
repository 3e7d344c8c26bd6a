"""Seed 003's decay rules vs a Python transcription, Keras built-ins and an optimizer run.

Tolerance: the schedules compute in float32, so values are compared at
rtol 1e-6 (float32 epsilon 1.2e-7 times a few operations).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from references import schedules as ref

from tfcourse import schedules as S

RTOL = 1e-6
SPE = 7  # steps per epoch
STEPS = range(0, 6 * SPE + 3)
KS = keras.optimizers.schedules


def _values(schedule, steps=STEPS):
    return np.array([float(schedule(step)) for step in steps])


def test_seed_003_table_first_four_epochs():
    schedule = S.InverseTimeEpochDecay(0.2, decay_rate=1, steps_per_epoch=100)
    got = [float(schedule(step)) for step in (0, 100, 200, 300)]
    np.testing.assert_allclose(got, [0.2 / 2, 0.2 / 3, 0.2 / 4, 0.2 / 5], rtol=RTOL)
    assert [round(v, 4) for v in got] == [0.1, 0.0667, 0.05, 0.04]
    # Constant within an epoch: the last step of epoch 1 still uses 0.1.
    assert float(schedule(99)) == pytest.approx(0.1, rel=RTOL)


CASES = {
    "inverse_time": (S.InverseTimeEpochDecay(0.2, 0.5, SPE),
                     lambda s: ref.inverse_time(0.2, 0.5, ref.epoch_of_step(s, SPE))),
    "inverse_time_from_0": (S.InverseTimeEpochDecay(0.2, 0.5, SPE, first_epoch=0),
                            lambda s: ref.inverse_time(0.2, 0.5, ref.epoch_of_step(s, SPE, 0))),
    "exponential_0.95": (S.ExponentialEpochDecay(0.1, SPE),
                         lambda s: ref.exponential(0.1, 0.95, ref.epoch_of_step(s, SPE))),
    "exponential_0.5": (S.ExponentialEpochDecay(0.1, SPE, decay_base=0.5),
                        lambda s: ref.exponential(0.1, 0.5, ref.epoch_of_step(s, SPE))),
    "inverse_sqrt_epoch": (S.InverseSqrtEpochDecay(0.1, SPE, k=2.0),
                           lambda s: ref.inverse_sqrt_epoch(0.1, 2.0, ref.epoch_of_step(s, SPE))),
    "inverse_sqrt_step": (S.InverseSqrtStepDecay(0.1, k=0.5),
                          lambda s: ref.inverse_sqrt_step(0.1, 0.5, s + 1)),
    "staircase": (S.StaircaseDecay(0.1, SPE, epochs_per_drop=2, factor=0.5),
                  lambda s: ref.staircase(0.1, 0.5, 2, ref.epoch_of_step(s, SPE))),
}


@pytest.mark.parametrize("name", CASES)
def test_matches_seed_formula_at_every_step(name):
    schedule, formula = CASES[name]
    for step in STEPS:
        assert float(schedule(step)) == pytest.approx(formula(step), rel=RTOL), f"step {step}"


KERAS_EQUAL = {
    # (ours, Keras built-in, step shift): ours(step) == keras(step + shift)
    "inverse_time": (S.InverseTimeEpochDecay(0.2, 0.5, SPE),
                     KS.InverseTimeDecay(0.2, SPE, 0.5, staircase=True), SPE),
    "inverse_time_from_0": (S.InverseTimeEpochDecay(0.2, 0.5, SPE, first_epoch=0),
                            KS.InverseTimeDecay(0.2, SPE, 0.5, staircase=True), 0),
    "exponential": (S.ExponentialEpochDecay(0.1, SPE, 0.9),
                    KS.ExponentialDecay(0.1, SPE, 0.9, staircase=True), SPE),
    "exponential_from_0": (S.ExponentialEpochDecay(0.1, SPE, 0.9, first_epoch=0),
                           KS.ExponentialDecay(0.1, SPE, 0.9, staircase=True), 0),
    "staircase": (S.StaircaseDecay(0.1, SPE, epochs_per_drop=2, factor=0.5),
                  KS.ExponentialDecay(0.1, 2 * SPE, 0.5, staircase=True), 0),
    "piecewise": (S.PiecewiseConstantEpochDecay([2, 4], [0.1, 0.05, 0.01], SPE),
                  KS.PiecewiseConstantDecay([2 * SPE - 1, 4 * SPE - 1], [0.1, 0.05, 0.01]), 0),
}


@pytest.mark.parametrize("name", KERAS_EQUAL)
def test_equals_keras_schedule_with_mapped_arguments(name):
    ours, theirs, shift = KERAS_EQUAL[name]
    np.testing.assert_allclose(_values(ours), _values(theirs, [s + shift for s in STEPS]), rtol=RTOL)


def test_piecewise_epoch_ranges():
    schedule = S.PiecewiseConstantEpochDecay([2, 4], [0.1, 0.05, 0.01], steps_per_epoch=3)
    epochs = [1] * 3 + [2] * 3 + [3] * 3 + [4] * 3 + [5] * 3
    want = {1: 0.1, 2: 0.1, 3: 0.05, 4: 0.05, 5: 0.01}
    np.testing.assert_allclose(_values(schedule, range(15)), [want[e] for e in epochs], rtol=RTOL)


def test_optimizer_uses_the_schedule_from_the_first_update():
    """SGD with the seed-003 schedule: the first update (step 0) uses epoch 1's 0.1."""
    schedule = S.InverseTimeEpochDecay(0.2, decay_rate=1, steps_per_epoch=2)
    optimizer = keras.optimizers.SGD(learning_rate=schedule)
    w = keras.Variable(np.zeros(1, "float32"))
    moved = []
    for _ in range(6):
        before = float(w.numpy()[0])
        optimizer.apply_gradients([(keras.ops.ones(1), w)])
        moved.append(before - float(w.numpy()[0]))  # gradient 1: the step equals the rate
    np.testing.assert_allclose(moved, [0.1, 0.1, 0.2 / 3, 0.2 / 3, 0.05, 0.05], rtol=1e-5)


ALL = [S.InverseTimeEpochDecay(0.2, 1.0, 10), S.ExponentialEpochDecay(0.1, 10, 0.9, first_epoch=0),
       S.InverseSqrtEpochDecay(0.1, 10, k=2), S.InverseSqrtStepDecay(0.3), S.StaircaseDecay(0.1, 10, 3, 0.1),
       S.PiecewiseConstantEpochDecay([1, 3], [0.3, 0.2, 0.1], 10)]


@pytest.mark.parametrize("schedule", ALL, ids=[type(s).__name__ for s in ALL])
def test_config_round_trip_and_registration(schedule):
    config = schedule.get_config()
    clone = type(schedule).from_config(config)
    assert clone.get_config() == config
    np.testing.assert_allclose(_values(clone), _values(schedule), rtol=0)
    serialized = keras.optimizers.schedules.serialize(schedule)
    assert serialized["registered_name"] == f"tfcourse>{type(schedule).__name__}"
    restored = keras.optimizers.schedules.deserialize(serialized)
    assert type(restored) is type(schedule) and restored.get_config() == config
    optimizer = keras.optimizers.SGD(learning_rate=schedule)
    again = keras.optimizers.SGD.from_config(optimizer.get_config())
    # `optimizer.learning_rate` evaluates the schedule; the config keeps the schedule itself.
    assert again.get_config()["learning_rate"] == optimizer.get_config()["learning_rate"]
    assert again.get_config()["learning_rate"]["registered_name"] == serialized["registered_name"]


@pytest.mark.parametrize("build,message", [
    (lambda: S.InverseTimeEpochDecay(0.2, 1.0, steps_per_epoch=0),
     r"`steps_per_epoch` must be an integer in \[1, inf\). Received: steps_per_epoch=0. it is ceil"),
    (lambda: S.InverseTimeEpochDecay(0.2, -1.0, 10),
     r"`decay_rate` must be in \[0.0, inf.. Received: decay_rate=-1.0"),
    (lambda: S.InverseTimeEpochDecay(-0.2, 1.0, 10),
     r"`initial_learning_rate` must be in \(0.0, inf.. Received: initial_learning_rate=-0.2"),
    (lambda: S.ExponentialEpochDecay(0.1, 10, decay_base=1.05),
     r"`decay_base` must be in \(0.0, 1.0\]. Received: decay_base=1.05. a base above 1"),
    (lambda: S.InverseSqrtStepDecay(0.1, k=0), r"`k` must be in \(0.0, inf.. Received: k=0"),
    (lambda: S.StaircaseDecay(0.1, 10, factor=-0.5), r"`factor` must be in \(0.0, 1.0\]"),
    (lambda: S.InverseTimeEpochDecay(0.2, 1.0, 10, first_epoch=2),
     r"`first_epoch` must be an integer in \[0, 1\]. Received: first_epoch=2"),
    (lambda: S.PiecewiseConstantEpochDecay([3, 2], [0.1, 0.05, 0.01], 10),
     r"`boundaries\[1\]` must be an integer in \[4, inf\). Received: boundaries\[1\]=2"),
    (lambda: S.PiecewiseConstantEpochDecay([3], [0.1], 10), r"`len\(values\)` must be an integer in \[2, 2\]"),
])
def test_bad_arguments_raise_clear_errors(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_steps_per_epoch_must_be_an_integer():
    with pytest.raises(TypeError, match=r"`steps_per_epoch` must be an integer. Received: steps_per_epoch=2.5"):
        S.StaircaseDecay(0.1, 2.5)


def test_public_names():
    assert sorted(S.__all__) == sorted(
        ["ExponentialEpochDecay", "InverseSqrtEpochDecay", "InverseSqrtStepDecay",
         "InverseStepDecay", "InverseTimeEpochDecay", "PiecewiseConstantEpochDecay", "StaircaseDecay"])
    for name in S.__all__:
        assert keras.saving.get_registered_object(f"tfcourse>{name}") is getattr(S, name)


def test_seed_004_inverse_step_decay_matches_reference_and_keras():
    schedule = S.InverseStepDecay(0.1, a=2.0)
    want = [ref.inverse_step(0.1, 2.0, step + 1) for step in STEPS]
    np.testing.assert_allclose(_values(schedule), want, rtol=RTOL)
    keras_form = KS.InverseTimeDecay(0.1 / 2.0, decay_steps=1, decay_rate=1.0)
    np.testing.assert_allclose(_values(schedule), _values(keras_form), rtol=RTOL)
    restored = S.InverseStepDecay.from_config(schedule.get_config())
    np.testing.assert_allclose(_values(restored), want, rtol=RTOL)


def test_inverse_step_decay_drives_gradient_descent():
    # w <- w - epsilon_t g with a constant g = 1: the steps are epsilon_0 / (a t).
    from tfcourse import optimizers

    w = keras.Variable(np.zeros(1, "float32"))
    optimizer = optimizers.GradientDescent(S.InverseStepDecay(1.0, a=4.0))
    positions = []
    for _ in range(4):
        optimizer.apply([keras.ops.ones(1)], [w])
        positions.append(float(w.numpy()[0]))
    steps = -np.diff([0.0, *positions])
    np.testing.assert_allclose(steps, [1 / 4, 1 / 8, 1 / 12, 1 / 16], rtol=RTOL)


def test_inverse_step_decay_rejects_a_zero_a():
    with pytest.raises(ValueError, match=r"`a` must be in \(0.0, inf\)\. Received: a=0$"):
        S.InverseStepDecay(0.1, a=0)
