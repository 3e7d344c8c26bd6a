"""Dropout with TF1's ``keep_prob`` or Keras's ``rate`` (seeds 001 and 002: dropout).

Seeds 001 (lecture 10-3) and 002 ("Overfitting") teach dropout; the lab 10
program behind seed 001's "deep NN with dropout 98%" (DeepLearningZeroToAll,
``legacy_tf1/mnist_nn_dropout.py``) calls ``tf.nn.dropout(L1,
keep_prob=keep_prob)`` with ``keep_prob = 0.7`` in training and ``1.0`` at
test time; no seed spells ``keep_prob`` (``docs/seeds.md``). TF2 and Keras
take the *drop* probability ``rate = 1 - keep_prob``.
Reference: docs/conventions.md section 6.
"""

from __future__ import annotations

import keras

from tfcourse._validation import check_exactly_one, check_range

__all__ = ["Dropout"]


@keras.saving.register_keras_serializable(package="tfcourse")
class Dropout(keras.layers.Dropout):
    """Inverted dropout, spelled with ``rate`` (Keras/TF2) or ``keep_prob`` (TF1).

    Training, with D a mask of independent Bernoulli(keep_prob) draws::

        keep_prob = 1 - rate
        y = x * D / keep_prob          # kept units are scaled up by 1/(1 - rate)

    Inference (``training=False``, or a direct call without ``training``): y = x.
    The sampling is ``keras.layers.Dropout``'s; this class only adds the TF1
    spelling and rejects the values that make dropout meaningless.

    Args:
        rate: probability of *dropping* a unit, in [0, 1).
        keep_prob: probability of *keeping* a unit, in (0, 1] (TF1 spelling).
            Give exactly one of ``rate`` and ``keep_prob``.
        noise_shape: shape of the mask, broadcast over the input (Keras).
        seed: int or ``None``.

    Example:

    >>> Dropout(keep_prob=0.7)   # the course's lab 10 setting; same as Dropout(rate=0.3)
    """

    def __init__(self, rate=None, keep_prob=None, noise_shape=None, seed=None, **kwargs):
        given = check_exactly_one(
            "Dropout", {"rate": rate, "keep_prob": keep_prob},
            hint="`rate` is the drop probability (Keras), `keep_prob` the keep "
                 "probability (TF1): rate = 1 - keep_prob")
        if given == "rate":
            rate = check_range("rate", rate, 0.0, 1.0, high_open=True,
                               hint="rate=1 would drop every unit")
        else:
            keep_prob = check_range("keep_prob", keep_prob, 0.0, 1.0, low_open=True,
                                    hint="keep_prob=0 would drop every unit; "
                                         "keep_prob is 1 - rate")
            rate = 1.0 - keep_prob
        self.keep_prob = keep_prob
        super().__init__(rate=rate, noise_shape=noise_shape, seed=seed, **kwargs)

    def get_config(self):
        config = super().get_config()
        if self.keep_prob is not None:  # save the spelling the user chose
            config.pop("rate")
            config["keep_prob"] = self.keep_prob
        return config
