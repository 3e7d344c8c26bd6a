"""The course's layers as Keras 3 layers (seeds 000-002).

One concept per module: ``batch_normalization`` (Algorithms 1 and 2 of
Ioffe & Szegedy, with population statistics), ``dropout`` (``rate`` or TF1's
``keep_prob``), ``maxout`` and ``activations`` (the course's activation names
resolved to Keras's own layers), and ``dense`` (``TF1Dense``: Dense adding its bias as
``tf.matmul(X, W) + b`` did, for ported TF1 programs).
"""

from tfcourse.layers.activations import ACTIVATIONS, activation_layer
from tfcourse.layers.batch_normalization import (
    BatchNormalization,
    PopulationStatistics,
    calibrate_population_statistics,
)
from tfcourse.layers.dense import TF1Dense
from tfcourse.layers.dropout import Dropout
from tfcourse.layers.maxout import Maxout

__all__ = [
    "ACTIVATIONS",
    "BatchNormalization",
    "Dropout",
    "Maxout",
    "PopulationStatistics",
    "TF1Dense",
    "activation_layer",
    "calibrate_population_statistics",
]
