"""The course's activation functions, resolved to Keras's own (seeds 000, 002).

Seed 000 (Unit 02) lists sigmoid, tanh, ReLU max(0, x), Leaky ReLU
max(0.01x, x) and max(0.1x, x), PReLU max(alpha x, x) with a learned alpha,
ELU (x if x >= 0 else alpha (e**x - 1)) and Maxout; seed 002 repeats
LeakyReLU/PReLU and ELU. SELU (scaled ELU, Klambauer et al. 2017) is in no
seed: it is offered because ``tf.nn.selu`` and Keras have it. Keras has all
of them except Maxout, so this module only maps
the course's names onto Keras layers; nothing is re-implemented. Maxout is
not an elementwise activation: it replaces Dense + activation by
``tfcourse.layers.Maxout(units, num_pieces)``.

Pitfall: the course's Leaky ReLU slope is 0.01 (or 0.1), whereas
``keras.activations.leaky_relu`` defaults to 0.2 and ``keras.layers.LeakyReLU``
to 0.3; the names below always pass the slope explicitly.
"""

from __future__ import annotations

import keras

from tfcourse._validation import check_choice

__all__ = ["ACTIVATIONS", "activation_layer"]

# name -> factory(layer_name) returning a Keras layer.
_FACTORIES = {
    "linear": lambda name: keras.layers.Activation("linear", name=name),
    "sigmoid": lambda name: keras.layers.Activation("sigmoid", name=name),
    "tanh": lambda name: keras.layers.Activation("tanh", name=name),
    "relu": lambda name: keras.layers.ReLU(name=name),
    "leaky_relu": lambda name: keras.layers.LeakyReLU(negative_slope=0.01, name=name),
    "leaky_relu_0.1": lambda name: keras.layers.LeakyReLU(negative_slope=0.1, name=name),
    "prelu": lambda name: keras.layers.PReLU(name=name),
    "elu": lambda name: keras.layers.ELU(alpha=1.0, name=name),
    "selu": lambda name: keras.layers.Activation("selu", name=name),
    "softmax": lambda name: keras.layers.Softmax(name=name),
}

#: Every activation name the course uses; ``"maxout"`` is built by the model
#: builder as a ``Maxout`` layer instead of an activation layer.
ACTIVATIONS = (*_FACTORIES, "maxout")


def activation_layer(name, layer_name=None):
    """Return the Keras layer for one of the course's activation names.

    ``"leaky_relu"`` is max(0.01x, x) and ``"leaky_relu_0.1"`` max(0.1x, x)
    (seed 000); ``"prelu"`` is ``keras.layers.PReLU`` (alpha starts at 0, one
    per unit); ``"elu"`` has alpha = 1 (seed 002).

    Args:
        name: one of ``ACTIVATIONS`` except ``"maxout"``.
        layer_name: the Keras layer's name. Defaults to Keras's automatic name.
    """
    check_choice("activation", name, tuple(_FACTORIES))
    return _FACTORIES[name](layer_name)
