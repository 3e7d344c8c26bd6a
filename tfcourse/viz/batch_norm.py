"""Batch normalization's Figure 1, and its two inference rules (seed 000, Unit 04).

Seed 000 reproduces Ioffe & Szegedy's Figure 1: "(a) The test accuracy of
the MNIST network trained with and without Batch Normalization, vs. the
number of training steps. (b, c) The evolution of input distributions to a
typical sigmoid, over the course of training, shown as {15, 50, 85}th
percentiles." The paper's network has 3 fully connected hidden layers of
100 sigmoid units; here it is ``tfcourse.models.MLPSpec(hidden_sizes=(100,
100, 100), activation="sigmoid")`` with the course's ``tf.random_normal``
weights, with and without ``tfcourse.layers.BatchNormalization`` before each
sigmoid, trained by ``tfcourse.optimizers.GradientDescent`` on the same
mini-batches. "A typical sigmoid" is unit 0 of the last hidden layer; its
input is ``dense_3``'s output without BN and ``batch_norm_3``'s with it.

Inference (seed 000's Algorithm 2): a BN net can normalize with the moving
averages Keras keeps (momentum 0.99: they lag the weights by ~100 steps) or
with the paper's population statistics E[x] = E_B[mu_B], Var[x] = m/(m-1)
E_B[sigma2_B] over training mini-batches at the current weights
(``calibrate_population_statistics``). Both are measured at every record
point: they differ early in training and agree once the weights settle.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tfcourse._validation import check_int, check_positive

__all__ = ["BatchNormRun", "batch_norm_experiment"]

PERCENTILES = (15, 50, 85)


@dataclasses.dataclass
class BatchNormRun:
    """One network's record.

    Attributes:
        batch_norm: with BN or not.
        steps: the training steps recorded (0 = before training).
        test_accuracy: at each step (moving averages for BN nets).
        percentiles: (len(steps), 3) the 15th, 50th and 85th percentiles of
            the sigmoid's input over the test examples (BN nets: normalized
            with the population statistics of the current weights, which is
            what training's per-batch statistics estimate; moving averages
            lag by ~100 steps).
        population_accuracy: BN nets: test accuracy with Algorithm 2's
            population statistics at each step (``None`` without BN).
    """

    batch_norm: bool
    steps: np.ndarray
    test_accuracy: np.ndarray
    percentiles: np.ndarray
    population_accuracy: np.ndarray | None = None


def batch_norm_experiment(train, test, *, steps: int = 2000, record_every: int = 50,
                          batch_size: int = 60, learning_rate: float = 0.5,
                          calibration_batches: int = 20, seed: int = 0) -> dict[bool, BatchNormRun]:
    """Train the 3 x 100 sigmoid net with and without BN; record accuracy and the sigmoid input.

    Args:
        train, test: ``(x, y)`` with flattened inputs and class ids.
        steps: training steps, >= 1. Defaults to 2000.
        record_every: steps between records. Defaults to 50.
        batch_size: Defaults to 60 (the paper's).
        learning_rate: gradient descent's rate. Defaults to 0.5.
        calibration_batches: training mini-batches averaged for the
            population statistics at each record. Defaults to 20.
        seed: weights and mini-batch order (the same for both nets).

    Returns:
        ``{False: run without BN, True: run with BN}``.
    """
    import keras

    from tfcourse import models, optimizers
    from tfcourse.layers import BatchNormalization, calibrate_population_statistics
    from tfcourse.training import MiniBatches

    steps = check_int("steps", steps, low=1)
    record_every = check_int("record_every", record_every, low=1, high=steps)
    learning_rate = check_positive("learning_rate", learning_rate)
    calibration_batches = check_int("calibration_batches", calibration_batches, low=1)
    (x, y), (x_test, y_test) = train, test
    spec = models.MLPSpec(hidden_sizes=(100, 100, 100), activation="sigmoid",
                          kernel_initializer="random_normal", bias_initializer="zeros")
    batches = MiniBatches(x, y, batch_size, seed=seed)
    calibration = np.asarray(x[: calibration_batches * batch_size])
    runs = {}
    for batch_norm in (False, True):
        keras.utils.set_random_seed(seed)
        model = models.build_model(spec.replace(batch_norm=batch_norm), seed=seed)
        model.compile(optimizer=optimizers.GradientDescent(learning_rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        probe_name = "batch_norm_3" if batch_norm else "dense_3"
        probe = keras.Model(model.input, model.get_layer(probe_name).output)
        bn_layers = [layer for layer in model.layers if isinstance(layer, BatchNormalization)]
        record = {"steps": [], "accuracy": [], "percentiles": [], "population": []}

        def measure(step):
            logits = keras.ops.convert_to_numpy(model(x_test, training=False))
            record["steps"].append(step)
            record["accuracy"].append(float(np.mean(np.argmax(logits, 1) == y_test)))
            if bn_layers:
                # The sigmoid's input as training shapes it: normalized with statistics of
                # the current weights (Algorithm 2), not with moving averages that lag.
                calibrate_population_statistics(model, calibration, batch_size=batch_size)
                logits = keras.ops.convert_to_numpy(model(x_test, training=False))
                record["population"].append(float(np.mean(np.argmax(logits, 1) == y_test)))
            inputs = keras.ops.convert_to_numpy(probe(x_test, training=False))[:, 0]
            record["percentiles"].append(np.percentile(inputs, PERCENTILES))
            for layer in bn_layers:
                layer.inference = "moving"

        measure(0)
        callback = _EveryNSteps(record_every, measure)
        epochs = -(-steps // record_every)
        model.fit(batches.epochs(0, -(-steps // len(batches)) + 1), steps_per_epoch=record_every,
                  epochs=epochs, verbose=0, shuffle=False, callbacks=[callback])
        runs[batch_norm] = BatchNormRun(
            batch_norm, np.asarray(record["steps"]), np.asarray(record["accuracy"]),
            np.asarray(record["percentiles"]),
            np.asarray(record["population"]) if bn_layers else None)
    return runs


def _EveryNSteps(every, measure):
    import keras

    class EveryNSteps(keras.callbacks.Callback):
        """Calls ``measure(step)`` at the end of every Keras "epoch" of ``every`` steps."""

        def on_epoch_end(self, epoch, logs=None):
            measure((epoch + 1) * every)

    return EveryNSteps()
