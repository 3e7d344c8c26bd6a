"""Model ensembles: N course networks from different seeds, their softmax outputs averaged (seed 001).

Seed 001 (lecture 10-3, "NN dropout and model ensemble") trains several
networks independently and combines them: each member k gives class
probabilities p_k(x) = softmax(logits_k(x)), the ensemble predicts

    p(x) = 1/N sum_k p_k(x),      class = argmax_c p(x)_c

Members differ only in their seed (initial weights, mini-batch order,
dropout masks), so their errors are partly independent and averaging
cancels some of them: the ensemble is usually more accurate than its
average member, and often than its best one.

Measured on Fashion-MNIST (the lab ``mnist_nn_xavier``: 784-256-256-10,
``tf.contrib`` Xavier weights, Adam 0.001, 15 epochs of batch 100 on the
55000 training images; five members with seeds 0, 1000, ..., 4000, which
change the initial weights; the lab's graph seed 777 fixes the batch order)::

    tfcourse run mnist_nn_xavier --tier keras --dataset fashion_mnist --ensemble 5

    members 0.8893 0.8868 0.8871 0.8837 0.8812 (mean 0.8856)
    ensemble of 5: 0.8928, +0.72 points over the mean member, +0.35 over the best

:func:`train_ensemble` trains members of one :class:`tfcourse.models.MLPSpec`;
:func:`evaluate` scores any trained models that output logits (or
probabilities, ``from_logits=False``); :func:`build_ensemble` joins trained
members into one Keras model that outputs the averaged probabilities.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from tfcourse._validation import check_bool, check_int

__all__ = ["EnsembleResult", "build_ensemble", "evaluate", "member_probabilities",
           "train_ensemble"]

SEED_STRIDE = 1000
"""Member k uses seed + 1000 k: the models' per-layer seeds (seed + layer) never collide."""


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def member_probabilities(models: Sequence, x, *, from_logits: bool = True,
                         batch_size: int = 1000) -> np.ndarray:
    """Each member's class probabilities on ``x``: shape (members, examples, classes), float64."""
    if not models:
        raise ValueError("`models` must hold at least one model. Received: models=[]")
    from_logits = check_bool("from_logits", from_logits)
    outputs = []
    for model in models:
        out = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), np.float64)
        outputs.append(_softmax(out) if from_logits else out)
    return np.stack(outputs)


@dataclasses.dataclass
class EnsembleResult:
    """Test accuracy of every member and of their averaged softmax outputs.

    Attributes:
        member_accuracies: one per member, in order.
        ensemble_accuracy: accuracy of argmax of the mean probabilities.
        seeds: the members' seeds (if known).
        models: the trained members (if kept).
    """

    member_accuracies: list
    ensemble_accuracy: float
    seeds: list = dataclasses.field(default_factory=list)
    models: list = dataclasses.field(default_factory=list, repr=False)

    @property
    def mean_member_accuracy(self) -> float:
        return float(np.mean(self.member_accuracies))

    @property
    def gain_over_mean(self) -> float:
        """Ensemble accuracy minus the mean member's, in accuracy units (0.01 = 1 point)."""
        return self.ensemble_accuracy - self.mean_member_accuracy

    @property
    def gain_over_best(self) -> float:
        return self.ensemble_accuracy - float(np.max(self.member_accuracies))

    def report(self) -> list[str]:
        """Lines for a terminal: one per member, then the ensemble and its gains."""
        lines = [f"member {k + 1}" + (f" (seed {self.seeds[k]})" if self.seeds else "")
                 + f": test accuracy {accuracy:.4f}"
                 for k, accuracy in enumerate(self.member_accuracies)]
        lines.append(f"ensemble of {len(self.member_accuracies)} (mean of softmax outputs): "
                     f"{self.ensemble_accuracy:.4f}, {100 * self.gain_over_mean:+.2f} points "
                     f"over the mean member ({self.mean_member_accuracy:.4f}), "
                     f"{100 * self.gain_over_best:+.2f} over the best")
        return lines


def evaluate(models: Sequence, x, y, *, from_logits: bool = True, seeds=None) -> EnsembleResult:
    """Score each member and the ensemble p(x) = mean_k softmax(logits_k(x)).

    Args:
        models: trained Keras models (or anything with ``predict``).
        x: inputs; y: class ids (N,) or one-hot (N, K).
        from_logits: the models output logits (the course's networks do).
        seeds: the members' seeds, for the report.
    """
    y = np.asarray(y)
    labels = np.argmax(y, axis=1) if y.ndim == 2 else y.astype(int)
    probabilities = member_probabilities(models, x, from_logits=from_logits)
    members = [float(np.mean(np.argmax(p, axis=1) == labels)) for p in probabilities]
    ensemble = float(np.mean(np.argmax(probabilities.mean(axis=0), axis=1) == labels))
    return EnsembleResult(members, ensemble, list(seeds or []), list(models))


def build_ensemble(models: Sequence, *, from_logits: bool = True, name: str = "ensemble"):
    """One Keras model whose output is the members' averaged probabilities.

    ``inputs -> member_k -> softmax -> average``; the members' weights are
    shared, not copied, and the whole model saves as one ``.keras`` file.
    """
    import keras

    if not models:
        raise ValueError("`models` must hold at least one model. Received: models=[]")
    inputs = keras.Input(models[0].input_shape[1:], name="inputs")
    outputs = []
    for k, model in enumerate(models, start=1):
        out = model(inputs)
        if from_logits:
            out = keras.layers.Softmax(name=f"probabilities_{k}")(out)
        outputs.append(out)
    average = (keras.layers.Average(name="average")(outputs) if len(outputs) > 1
               else outputs[0])
    return keras.Model(inputs, average, name=name)


def train_ensemble(spec, train, test, *, num_members: int = 5, optimizer: str = "adam",
                   learning_rate: float = 1e-3, epochs: int = 5, batch_size: int = 100,
                   seed: int = 0, verbose: int = 0) -> EnsembleResult:
    """Train ``num_members`` models of ``spec`` (seeds seed, seed + 1000, ...) and score them.

    Each member is :func:`tfcourse.models.build_model` with its own seed,
    compiled with ``optimizers.get(optimizer)`` and
    ``SparseCategoricalCrossentropy(from_logits=True)``, and trained with
    ``model.fit`` (shuffled with its seed).

    Args:
        spec: a :class:`tfcourse.models.MLPSpec` (logits output).
        train, test: ``(x, y)`` pairs, y as class ids.
        num_members: >= 1. Defaults to 5.
        optimizer, learning_rate: a ``tfcourse.optimizers`` name and its rate.
        epochs, batch_size: ``model.fit``'s.
        seed: the first member's seed.

    Returns:
        An :class:`EnsembleResult` with the trained members in ``models``.
    """
    import keras

    from tfcourse import models as course_models
    from tfcourse import optimizers

    num_members = check_int("num_members", num_members, low=1)
    seed = check_int("seed", seed, low=0)
    (x, y), (x_test, y_test) = train, test
    members, seeds = [], []
    for k in range(num_members):
        member_seed = seed + SEED_STRIDE * k
        keras.utils.set_random_seed(member_seed)
        model = course_models.build_model(spec.replace(name=f"member_{k + 1}"), seed=member_seed)
        model.compile(optimizer=optimizers.get(optimizer, learning_rate=learning_rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=verbose, shuffle=True)
        members.append(model)
        seeds.append(member_seed)
    return evaluate(members, x_test, y_test, seeds=seeds)
