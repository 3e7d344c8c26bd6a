"""Build the course's networks from a small spec: MLPs (seeds 000, 001, 004) and CNNs (lab 11).

The course's networks are all MLPs on 784 MNIST pixels:

* softmax regression 784 -> 10 (lecture 10 lab: 90%, seed 001);
* the 784-256-256-10 ReLU MLP of seed 004 (``tf.random_normal`` weights and biases);
* the "deep" net with dropout whose result seed 001 reports ("Deep Neural
  Nets with Dropout: 98%"); seed 001 gives no architecture, so the preset is
  the DeepLearningZeroToAll lab 10 program that seed 001 summarizes
  (``legacy_tf1/mnist_nn_dropout.py``): 784-512-512-512-512-10,
  ``tf.contrib`` Xavier weights, dropout with keep_prob 0.7;
* the homework "bigger and deeper MLP" 784-512-512-10 of seed 004.

``MLPSpec`` describes one of them with plain Python values (a KerasTuner
hypermodel can fill it from hyperparameters); ``build_model(spec)`` returns
an uncompiled ``keras.Model`` whose layers have predictable names, in order:

    dense_1, [batch_norm_1], activation_1, [dropout_1], dense_2, ..., logits, [probabilities]

(``maxout_i`` replaces ``dense_i`` + ``activation_i`` for ``activation="maxout"``),
so that the weights of a TF1 program (W1, b1, W2, ...) can be copied into
``dense_1``, ``dense_2``, ..., ``logits``.

``ConvSpec`` describes the convolutional nets of the course's next chapter
(the lab 11 programs: ``tf.nn.conv2d`` + ReLU + 2x2 max pooling blocks, then
dense layers); ``build_model`` builds either spec, checking the parameter
memory first.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import keras

from tfcourse import initializers as course_initializers
from tfcourse._validation import (
    check_bool,
    check_choice,
    check_exactly_one,
    check_int,
    check_range,
)
from tfcourse.layers import ACTIVATIONS, BatchNormalization, Dropout, Maxout, activation_layer

__all__ = ["ConvSpec", "MLPSpec", "PRESETS", "WeightDecay", "build_model", "preset"]

BATCH_NORM_POSITIONS = ("before", "after")
OUTPUT_ACTIVATIONS = (None, "softmax", "sigmoid")


@keras.saving.register_keras_serializable(package="tfcourse")
class WeightDecay(keras.regularizers.Regularizer):
    """The penalty lambda/2 ||W||^2, whose gradient lambda W gives seed 002's weight decay.

    With plain gradient descent the update becomes the seed's
    ``W <- W - lr (dL/dW + lambda W)``. It is ``keras.regularizers.L2(lambda
    / 2)``, except that lambda/2 takes the weight's dtype exactly
    (``convert_to_tensor``): Keras' L2 passes it through float32, 3e-8
    relative off in a float64 model.

    Args:
        weight_decay: lambda, >= 0.
    """

    def __init__(self, weight_decay):
        self.weight_decay = check_range("weight_decay", weight_decay, 0.0)

    def __call__(self, x):
        half = keras.ops.convert_to_tensor(self.weight_decay / 2, x.dtype)
        return half * keras.ops.sum(keras.ops.square(x))

    def get_config(self):
        return {"weight_decay": self.weight_decay}


def _as_tuple(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


@dataclasses.dataclass(frozen=True)
class MLPSpec:
    """A fully connected classifier of the course, in plain Python values.

    Args:
        input_size: inputs per example (784 for MNIST). >= 1.
        hidden_sizes: units of each hidden layer, e.g. ``(256, 256)``; ``()``
            gives softmax regression.
        num_classes: output units. >= 1.
        activation: one of ``tfcourse.layers.ACTIVATIONS``: ``sigmoid``,
            ``tanh``, ``relu``, ``leaky_relu`` (slope 0.01), ``leaky_relu_0.1``,
            ``prelu``, ``elu``, ``selu``, ``maxout`` (Maxout replaces Dense +
            activation), ``linear``.
        kernel_initializer: a name (``"random_normal"`` is TF1's N(0, 1),
            ``"xavier"``/``"he"`` the course rules, ``"xavier_tf1"`` TF1's
            ``xavier_initializer()``, any Keras name such as
            ``"glorot_uniform"``), an initializer object or config, or a
            sequence with one entry per weight layer (hidden layers, then logits).
        bias_initializer: the same for biases (the course's TF1 programs draw
            them from ``"random_normal"``). Defaults to ``"zeros"``.
        batch_norm: insert ``tfcourse.layers.BatchNormalization`` after each
            hidden Dense layer. Defaults to ``False``.
        batch_norm_position: ``"before"`` the activation (the paper and the
            course, default) or ``"after"`` it. With maxout, BN normalizes the
            Maxout output.
        batch_norm_inference: ``"moving"`` (Keras) or ``"population"`` (paper).
        batch_norm_momentum, batch_norm_epsilon: BN's Keras-style settings.
        dropout_rate: drop probability after each hidden layer, in [0, 1).
        keep_prob: TF1 spelling, 1 - dropout_rate, in (0, 1]. Give at most one.
        num_pieces: pieces per Maxout unit (``activation="maxout"``). >= 1.
        output_activation: ``None`` (logits, default: the labs use
            ``softmax_cross_entropy_with_logits``), ``"softmax"`` or ``"sigmoid"``.
        weight_decay: lambda of seed 002's weight decay
            ``W <- W - lr (dL/dW + lambda W)``, on every kernel (not the
            biases), >= 0. The penalty lambda/2 ||W||^2
            (:class:`WeightDecay`) added to the loss has the gradient lambda W, so plain gradient descent makes
            exactly the seed's update. Seed 001 searches it as 10^U(-8, -4)
            (``tfcourse.tuning.course_space``). Defaults to ``0.0``.
        name: the model's name.
    """

    input_size: int = 784
    hidden_sizes: tuple = (256, 256)
    num_classes: int = 10
    activation: str = "relu"
    kernel_initializer: Any = "glorot_uniform"
    bias_initializer: Any = "zeros"
    batch_norm: bool = False
    batch_norm_position: str = "before"
    batch_norm_inference: str = "moving"
    batch_norm_momentum: float = 0.99
    batch_norm_epsilon: float = 1e-3
    dropout_rate: float | None = None
    keep_prob: float | None = None
    num_pieces: int = 2
    output_activation: str | None = None
    weight_decay: float = 0.0
    name: str = "mlp"

    def __post_init__(self):
        set_ = object.__setattr__.__get__(self)
        set_("input_size", check_int("input_size", self.input_size, low=1))
        if not isinstance(self.hidden_sizes, (list, tuple)):
            check_choice("type(hidden_sizes)", type(self.hidden_sizes).__name__, ["tuple", "list"])
        set_("hidden_sizes", tuple(check_int(f"hidden_sizes[{i}]", units, low=1)
                                   for i, units in enumerate(self.hidden_sizes)))
        set_("num_classes", check_int("num_classes", self.num_classes, low=1))
        check_choice("activation", self.activation, ACTIVATIONS)
        for field in ("kernel_initializer", "bias_initializer"):
            value = _as_tuple(getattr(self, field))
            if isinstance(value, tuple):
                check_int(f"len({field})", len(value), low=self.num_weight_layers,
                          high=self.num_weight_layers,
                          hint="give one initializer, or one per weight layer "
                               "(hidden layers, then logits)")
            set_(field, value)
        set_("batch_norm", check_bool("batch_norm", self.batch_norm))
        check_choice("batch_norm_position", self.batch_norm_position, BATCH_NORM_POSITIONS)
        set_("batch_norm_momentum", check_range("batch_norm_momentum", self.batch_norm_momentum,
                                                0.0, 1.0, high_open=True))
        set_("batch_norm_epsilon", check_range("batch_norm_epsilon", self.batch_norm_epsilon, 0.0))
        check_choice("batch_norm_inference", self.batch_norm_inference, ("moving", "population"))
        if self.dropout_rate is not None and self.keep_prob is not None:
            check_exactly_one("MLPSpec", {"dropout_rate": self.dropout_rate,
                                          "keep_prob": self.keep_prob})
        if self.dropout_rate is not None:
            set_("dropout_rate", check_range("dropout_rate", self.dropout_rate, 0.0, 1.0,
                                             high_open=True))
        if self.keep_prob is not None:
            set_("keep_prob", check_range("keep_prob", self.keep_prob, 0.0, 1.0, low_open=True))
        set_("num_pieces", check_int("num_pieces", self.num_pieces, low=1))
        if self.output_activation is not None:
            check_choice("output_activation", self.output_activation, ("softmax", "sigmoid"))
        set_("weight_decay", check_range("weight_decay", self.weight_decay, 0.0))

    @property
    def num_weight_layers(self) -> int:
        """Hidden layers plus the logits layer."""
        return len(self.hidden_sizes) + 1

    @property
    def num_parameters(self) -> int:
        """The model's ``count_params()``, computed from the sizes without building it.

        Per hidden layer of ``u`` units on ``n`` inputs: ``(n + 1) u`` (Dense)
        or ``(n + 1) u k`` (Maxout, ``k`` pieces); batch norm adds 6 vectors of
        ``u`` (gamma, beta, moving and population statistics) and a counter;
        PReLU adds one slope per unit. The logits add ``(n + 1) num_classes``.
        """
        total, fan_in = 0, self.input_size
        for units in self.hidden_sizes:
            pieces = self.num_pieces if self.activation == "maxout" else 1
            total += (fan_in + 1) * units * pieces
            total += (6 * units + 1) if self.batch_norm else 0
            total += units if self.activation == "prelu" else 0
            fan_in = units
        return total + (fan_in + 1) * self.num_classes

    @property
    def has_dropout(self) -> bool:
        return bool(self.dropout_rate) or (self.keep_prob is not None and self.keep_prob < 1.0)

    def replace(self, **changes) -> MLPSpec:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


PADDINGS = ("same", "valid")
CONV_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name != "maxout")
MAX_CONV_BLOCKS = 3


def _per_block(name, value, count, check):
    """``value`` for every block, or one entry per block, as a tuple of ``count`` checked values."""
    values = tuple(value) if isinstance(value, (list, tuple)) else (value,) * count
    if len(values) != count:
        check_int(f"len({name})", len(values), low=count, high=count,
                  hint="give one value for every conv block, or one per block")
    return tuple(check(f"{name}[{i}]", item) for i, item in enumerate(values))


def _conv_output(size: int, window: int, stride: int, padding: str) -> int:
    """Output side of a convolution or pooling window (TF's SAME and VALID rules)."""
    if padding == "same":
        return -(-size // stride)  # ceil(size / stride)
    return (size - window) // stride + 1


@dataclasses.dataclass(frozen=True)
class ConvSpec:
    """A convolutional classifier of the course's lab 11 programs, in plain Python values.

    The lab 11 programs reshape the 784 pixels to a 28 x 28 x 1 image, apply
    ``tf.nn.conv2d`` (3 x 3, SAME) + ReLU + 2 x 2 max pooling twice (32 and
    64 filters), flatten and end with a dense layer. ``build_model(spec)``
    builds, in order (i: conv block, j: dense layer of the head, 1-based)::

        inputs -> image (reshape, if flat_input)
        [random_flip] -> [random_shift]      (training only)
        conv_i -> [conv_batch_norm_i] -> conv_activation_i -> [pool_i] -> [conv_dropout_i]
        (with convs_per_block = n > 1, block i repeats conv_i_j -> [conv_batch_norm_i_j]
        -> conv_activation_i_j for j = 1..n before its pooling and dropout)
        flatten
        dense_j -> [batch_norm_j] -> activation_j -> [dropout_j]
        logits -> [probabilities]

    A convolution with ``f`` filters of ``k x k`` on ``c`` channels has
    ``k * k * c * f`` weights plus ``f`` biases (none under batch norm: the
    mean subtraction removes a bias, and BN's beta takes its place).

    Args:
        input_shape: ``(height, width, channels)`` of an image. Defaults to
            ``(28, 28, 1)``.
        flat_input: the model takes rows of ``height * width * channels``
            pixels (what ``tfcourse.data.load(flatten=True)`` and the course's
            ``input_data`` give) and reshapes them to the image, as the
            programs' ``tf.reshape(X, [-1, 28, 28, 1])``. Defaults to True.
        filters: filters of each conv block, 1 to 3 blocks, e.g. ``(32, 64)``.
        convs_per_block: convolutions in each block before its pooling, 1 to
            3, all with the block's filters (the first with the block's stride,
            the others stride 1): 2 is the VGG nets' conv-conv-pool, which sees
            a 5 x 5 neighbourhood with two 3 x 3 kernels (18 weights per
            channel pair, not 25) and one more nonlinearity. Defaults to 1, as
            the lab 11 programs.
        kernel_size: side of the square kernels, one for every block or one
            per block. Defaults to 3.
        strides: stride of each convolution, one or one per block. Defaults to 1.
        padding: ``"same"`` (TF's SAME: output side ceil(input / stride), the
            programs' choice) or ``"valid"``, for the convolutions and the
            pooling. Defaults to ``"same"``.
        pool: 2 x 2 max pooling (stride 2) after each block's activation:
            True, False, or one per block. Defaults to True.
        pool_size: side and stride of the pooling window. Defaults to 2.
        random_flip: data augmentation: during training, each image is mirrored
            left-right with probability 1/2 (``keras.layers.RandomFlip``); a
            coat or a shoe mirrored is still a coat or a shoe. Not applied at
            inference. Defaults to False.
        random_shift: data augmentation: during training, each image is
            shifted by up to this fraction of its height and width in each
            direction, drawn uniformly and rounded to whole pixels (nearest
            neighbour: no blur), with zeros (the background) shifted in
            (``keras.layers.RandomTranslation``); 0.1 of 28 pixels is up to 3
            pixels. In [0, 0.5). Not applied at inference. Defaults to 0.0.
        batch_norm: ``tfcourse.layers.BatchNormalization`` between each
            convolution (or dense layer) and its activation. Defaults to False.
        batch_norm_inference, batch_norm_momentum, batch_norm_epsilon: as in
            :class:`MLPSpec`.
        conv_dropout_rate: fraction dropped after each conv block, in [0, 1).
            Defaults to None (no dropout).
        dense_sizes: units of the head's hidden dense layers, e.g. ``(128,)``;
            ``()`` goes straight to the logits, as the lab 11 programs do.
        dropout_rate: fraction dropped after each hidden dense layer, in [0, 1).
        num_classes: output units. >= 1.
        activation: one of :data:`CONV_ACTIVATIONS` (the course's activations
            but Maxout); ``"prelu"`` learns one slope per channel after a
            convolution (shared over height and width) and one per unit after
            a dense layer.
        kernel_initializer, bias_initializer: as in :class:`MLPSpec`, with one
            entry per weight layer given as a sequence (conv blocks, hidden
            dense layers, then logits).
        output_activation: ``None`` (logits), ``"softmax"`` or ``"sigmoid"``.
        weight_decay: seed 002's lambda on every conv and dense kernel (see
            :class:`MLPSpec`). Defaults to ``0.0``.
        name: the model's name.

    Example:

    >>> spec = ConvSpec(filters=(32, 64), dense_sizes=(128,), batch_norm=True)
    >>> spec.output_shapes
    ((14, 14, 32), (7, 7, 64))
    """

    input_shape: tuple = (28, 28, 1)
    flat_input: bool = True
    filters: tuple = (32, 64)
    convs_per_block: int = 1
    kernel_size: Any = 3
    strides: Any = 1
    padding: str = "same"
    pool: Any = True
    pool_size: int = 2
    random_flip: bool = False
    random_shift: float = 0.0
    batch_norm: bool = False
    batch_norm_inference: str = "moving"
    batch_norm_momentum: float = 0.99
    batch_norm_epsilon: float = 1e-3
    conv_dropout_rate: float | None = None
    dense_sizes: tuple = ()
    dropout_rate: float | None = None
    num_classes: int = 10
    activation: str = "relu"
    kernel_initializer: Any = "glorot_uniform"
    bias_initializer: Any = "zeros"
    output_activation: str | None = None
    weight_decay: float = 0.0
    name: str = "cnn"

    def __post_init__(self):
        set_ = object.__setattr__.__get__(self)
        if not isinstance(self.input_shape, (list, tuple)) or len(self.input_shape) != 3:
            raise ValueError(f"`input_shape` must be (height, width, channels). "
                             f"Received: input_shape={self.input_shape!r}")
        set_("input_shape", tuple(check_int(f"input_shape[{i}]", side, low=1)
                                  for i, side in enumerate(self.input_shape)))
        set_("flat_input", check_bool("flat_input", self.flat_input))
        if not isinstance(self.filters, (list, tuple)):
            check_choice("type(filters)", type(self.filters).__name__, ["tuple", "list"])
        check_int("len(filters)", len(self.filters), low=1, high=MAX_CONV_BLOCKS,
                  hint="a ConvSpec has 1 to 3 conv blocks (the lab 11 programs have 2 and 3)")
        set_("filters", tuple(check_int(f"filters[{i}]", count, low=1)
                              for i, count in enumerate(self.filters)))
        blocks = len(self.filters)
        set_("convs_per_block", check_int("convs_per_block", self.convs_per_block, low=1,
                                          high=MAX_CONV_BLOCKS))
        set_("kernel_size", _per_block("kernel_size", self.kernel_size, blocks,
                                       lambda name, value: check_int(name, value, low=1)))
        set_("strides", _per_block("strides", self.strides, blocks,
                                   lambda name, value: check_int(name, value, low=1)))
        check_choice("padding", self.padding, PADDINGS)
        set_("pool", _per_block("pool", self.pool, blocks, check_bool))
        set_("pool_size", check_int("pool_size", self.pool_size, low=1))
        set_("random_flip", check_bool("random_flip", self.random_flip))
        set_("random_shift", check_range("random_shift", self.random_shift, 0.0, 0.5,
                                         high_open=True))
        set_("batch_norm", check_bool("batch_norm", self.batch_norm))
        check_choice("batch_norm_inference", self.batch_norm_inference, ("moving", "population"))
        set_("batch_norm_momentum", check_range("batch_norm_momentum", self.batch_norm_momentum,
                                                0.0, 1.0, high_open=True))
        set_("batch_norm_epsilon", check_range("batch_norm_epsilon", self.batch_norm_epsilon, 0.0))
        for field in ("conv_dropout_rate", "dropout_rate"):
            if getattr(self, field) is not None:
                set_(field, check_range(field, getattr(self, field), 0.0, 1.0, high_open=True))
        if not isinstance(self.dense_sizes, (list, tuple)):
            check_choice("type(dense_sizes)", type(self.dense_sizes).__name__, ["tuple", "list"])
        set_("dense_sizes", tuple(check_int(f"dense_sizes[{i}]", units, low=1)
                                  for i, units in enumerate(self.dense_sizes)))
        set_("num_classes", check_int("num_classes", self.num_classes, low=1))
        check_choice("activation", self.activation, CONV_ACTIVATIONS)
        for field in ("kernel_initializer", "bias_initializer"):
            value = _as_tuple(getattr(self, field))
            if isinstance(value, tuple):
                check_int(f"len({field})", len(value), low=self.num_weight_layers,
                          high=self.num_weight_layers,
                          hint="give one initializer, or one per weight layer "
                               "(convolutions, hidden dense layers, then logits)")
            set_(field, value)
        if self.output_activation is not None:
            check_choice("output_activation", self.output_activation, ("softmax", "sigmoid"))
        set_("weight_decay", check_range("weight_decay", self.weight_decay, 0.0))
        self.output_shapes  # noqa: B018  (refuses blocks that leave no pixel)

    @property
    def num_convolutions(self) -> int:
        """Conv layers: ``convs_per_block`` per block."""
        return len(self.filters) * self.convs_per_block

    @property
    def num_weight_layers(self) -> int:
        """Conv layers, hidden dense layers and the logits layer."""
        return self.num_convolutions + len(self.dense_sizes) + 1

    @property
    def has_dropout(self) -> bool:
        """Dropout after the hidden dense layers."""
        return bool(self.dropout_rate)

    @property
    def output_shapes(self) -> tuple:
        """``(height, width, filters)`` after each conv block (pooling included)."""
        height, width, _ = self.input_shape
        shapes = []
        for i, filters in enumerate(self.filters):
            k = self.kernel_size[i]
            for j in range(self.convs_per_block):
                stride = self.strides[i] if j == 0 else 1
                height = _conv_output(height, k, stride, self.padding)
                width = _conv_output(width, k, stride, self.padding)
            if self.pool[i]:
                height = _conv_output(height, self.pool_size, self.pool_size, self.padding)
                width = _conv_output(width, self.pool_size, self.pool_size, self.padding)
            if height < 1 or width < 1:
                repeated = ("" if self.convs_per_block == 1
                            else f", convs_per_block={self.convs_per_block}")
                raise ValueError(
                    f"Conv block {i + 1} of {len(self.filters)} leaves no pixels: a "
                    f"{self.input_shape[0]}x{self.input_shape[1]} image shrinks to "
                    f"{max(height, 0)}x{max(width, 0)} with kernel_size={self.kernel_size}, "
                    f"strides={self.strides}, pool={self.pool}, padding={self.padding!r}"
                    f"{repeated}. "
                    f"Use fewer blocks, padding='same' or smaller strides")
            shapes.append((height, width, filters))
        return tuple(shapes)

    @property
    def num_parameters(self) -> int:
        """The model's ``count_params()``, computed from the sizes without building it.

        Each convolution: ``k * k * c * f`` weights, plus ``f`` biases without
        batch norm, or ``6 f + 1`` BN values with it (as in :class:`MLPSpec`),
        plus ``f`` PReLU slopes; ``c`` is the block's input channels for its
        first convolution and ``f`` for the others. The head counts as in
        :attr:`MLPSpec.num_parameters` on the ``height * width * filters``
        features of the last block.
        """
        total, channels = 0, self.input_shape[2]
        for i, filters in enumerate(self.filters):
            for _ in range(self.convs_per_block):
                total += self.kernel_size[i] ** 2 * channels * filters
                total += (6 * filters + 1) if self.batch_norm else filters
                total += filters if self.activation == "prelu" else 0
                channels = filters
        fan_in = math.prod(self.output_shapes[-1])
        for units in self.dense_sizes:
            total += (fan_in + 1) * units
            total += (6 * units + 1) if self.batch_norm else 0
            total += units if self.activation == "prelu" else 0
            fan_in = units
        return total + (fan_in + 1) * self.num_classes

    def replace(self, **changes) -> ConvSpec:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


def _initializer(value, index, seed, offset):
    """The initializer of weight layer ``index``, with its own seed.

    One shared seeded initializer would give every layer of the same shape
    identical weights, so each layer gets seed + index (strings take the
    builder's ``seed``; objects keep theirs, shifted by the index).
    """
    if isinstance(value, tuple):
        value = value[index]
    layer_seed = None if seed is None else seed + offset + index
    if isinstance(value, str):
        return course_initializers.get(value, seed=layer_seed)
    initializer = course_initializers.get(value)
    config = initializer.get_config()
    if "seed" in config:
        own = config["seed"]
        new_seed = own + index if isinstance(own, int) else layer_seed
        if new_seed is not None:
            initializer = type(initializer).from_config({**config, "seed": new_seed})
    return initializer


def _batch_norm_layer(spec, name):
    return BatchNormalization(momentum=spec.batch_norm_momentum, epsilon=spec.batch_norm_epsilon,
                              inference=spec.batch_norm_inference, name=name)


def _dropout_layer(rate, keep_prob, seed, name):
    if keep_prob is not None:
        return Dropout(keep_prob=keep_prob, seed=seed, name=name)
    return Dropout(rate=rate, seed=seed, name=name)


def build_model(spec: MLPSpec | ConvSpec, seed: int | None = None) -> keras.Model:
    """Build the (uncompiled) Keras model that ``spec`` describes.

    For an ``MLPSpec``, per hidden layer i (1-based), in order::

        dense_i -> [batch_norm_i if before] -> activation_i -> [batch_norm_i if after]
                -> [dropout_i]
        (maxout_i -> [batch_norm_i] -> [dropout_i] for activation="maxout")

    then ``logits`` (Dense(num_classes)) and, if ``output_activation`` is set,
    ``probabilities``. For a ``ConvSpec``, the layers of
    :class:`ConvSpec`'s docstring (``image``, ``conv_1``, ..., ``flatten``,
    the dense head as above, ``logits``).

    The parameter memory is estimated from the spec first
    (:attr:`MLPSpec.num_parameters`, :attr:`ConvSpec.num_parameters`,
    :func:`tfcourse.faults.check_memory`); a model whose weights and
    gradients would not fit in the available memory raises ``MemoryError``
    before anything is allocated.

    Args:
        spec: an ``MLPSpec`` or a ``ConvSpec``.
        seed: base seed of the initializers given by name (weight layer k,
            counted from 0 in order, uses seed + k for kernels, seed + 1000 + k
            for biases), of dropout (seed + 2000 + i after dense layer i,
            seed + 3000 + i after conv block i) and of a ConvSpec's random
            flip and shift (seed + 4000, seed + 4001). ``None`` leaves them
            unseeded.

    Example:

    >>> model = build_model(preset("mlp", kernel_initializer="he", batch_norm=True), seed=0)
    >>> model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    """
    if not isinstance(spec, (MLPSpec, ConvSpec)):
        check_choice("type(spec)", type(spec).__name__, ["MLPSpec", "ConvSpec"])
    if seed is not None:
        seed = check_int("seed", seed, low=0)
    from tfcourse.faults import check_memory  # noqa: PLC0415

    # Before any weight exists: a model whose weights and gradients alone do not
    # fit is refused here, not by the allocator. The optimizer's slots are
    # counted when training starts (tfcourse.faults.check_training_data).
    check_memory(spec.num_parameters, optimizer_slots=0)
    # lambda/2 ||W||^2 has the gradient lambda W: seed 002's W <- W - lr (dL/dW + lambda W).
    regularizer = WeightDecay(spec.weight_decay) if spec.weight_decay else None
    if isinstance(spec, ConvSpec):
        inputs, x = _conv_blocks(spec, seed, regularizer)
        first_dense = spec.num_convolutions
        hidden_sizes = spec.dense_sizes
    else:
        inputs = keras.Input((spec.input_size,), name="inputs")
        x, first_dense, hidden_sizes = inputs, 0, spec.hidden_sizes
    for i, units in enumerate(hidden_sizes, start=1):
        kernel_init = _initializer(spec.kernel_initializer, first_dense + i - 1, seed, 0)
        bias_init = _initializer(spec.bias_initializer, first_dense + i - 1, seed, 1000)
        batch_norm = _batch_norm_layer(spec, f"batch_norm_{i}") if spec.batch_norm else None
        position = getattr(spec, "batch_norm_position", "before")
        if spec.activation == "maxout":
            x = Maxout(units, spec.num_pieces, kernel_initializer=kernel_init,
                       bias_initializer=bias_init, kernel_regularizer=regularizer,
                       name=f"maxout_{i}")(x)
            if batch_norm is not None:
                x = batch_norm(x)
        else:
            x = keras.layers.Dense(units, kernel_initializer=kernel_init,
                                   bias_initializer=bias_init, kernel_regularizer=regularizer,
                                   name=f"dense_{i}")(x)
            if batch_norm is not None and position == "before":
                x = batch_norm(x)
            x = activation_layer(spec.activation, layer_name=f"activation_{i}")(x)
            if batch_norm is not None and position == "after":
                x = batch_norm(x)
        if spec.has_dropout:
            dropout_seed = None if seed is None else seed + 2000 + i
            x = _dropout_layer(spec.dropout_rate, getattr(spec, "keep_prob", None),
                               dropout_seed, f"dropout_{i}")(x)
    last = spec.num_weight_layers - 1
    x = keras.layers.Dense(
        spec.num_classes,
        kernel_initializer=_initializer(spec.kernel_initializer, last, seed, 0),
        bias_initializer=_initializer(spec.bias_initializer, last, seed, 1000),
        kernel_regularizer=regularizer, name="logits")(x)
    if spec.output_activation is not None:
        x = activation_layer(spec.output_activation, layer_name="probabilities")(x)
    return keras.Model(inputs, x, name=spec.name)


def _conv_blocks(spec: ConvSpec, seed, regularizer):
    """The input and the conv blocks of ``spec``, flattened: ``(inputs, x)``."""
    if spec.flat_input:
        inputs = keras.Input((math.prod(spec.input_shape),), name="inputs")
        # the lab 11 programs' X_img = tf.reshape(X, [-1, 28, 28, 1])
        x = keras.layers.Reshape(spec.input_shape, name="image")(inputs)
    else:
        inputs = x = keras.Input(spec.input_shape, name="inputs")
    if spec.random_flip:
        x = keras.layers.RandomFlip("horizontal", seed=None if seed is None else seed + 4000,
                                    name="random_flip")(x)
    if spec.random_shift:
        x = keras.layers.RandomTranslation(
            spec.random_shift, spec.random_shift, fill_mode="constant", fill_value=0.0,
            interpolation="nearest",
            seed=None if seed is None else seed + 4001, name="random_shift")(x)
    per_block = spec.convs_per_block
    for i, filters in enumerate(spec.filters, start=1):
        for j in range(1, per_block + 1):
            suffix = f"{i}" if per_block == 1 else f"{i}_{j}"
            layer_index = (i - 1) * per_block + j - 1
            # Under batch norm the convolution has no bias: BN subtracts the mean of
            # each channel, bias included, and its beta is the bias that remains.
            x = keras.layers.Conv2D(
                filters, spec.kernel_size[i - 1], strides=spec.strides[i - 1] if j == 1 else 1,
                padding=spec.padding, use_bias=not spec.batch_norm,
                kernel_initializer=_initializer(spec.kernel_initializer, layer_index, seed, 0),
                bias_initializer=_initializer(spec.bias_initializer, layer_index, seed, 1000),
                kernel_regularizer=regularizer, name=f"conv_{suffix}")(x)
            if spec.batch_norm:
                x = _batch_norm_layer(spec, f"conv_batch_norm_{suffix}")(x)
            if spec.activation == "prelu":
                # one slope per channel, shared over height and width (He et al., 2015)
                x = keras.layers.PReLU(shared_axes=(1, 2), name=f"conv_activation_{suffix}")(x)
            else:
                x = activation_layer(spec.activation, layer_name=f"conv_activation_{suffix}")(x)
        if spec.pool[i - 1]:
            x = keras.layers.MaxPooling2D(spec.pool_size, padding=spec.padding,
                                          name=f"pool_{i}")(x)
        if spec.conv_dropout_rate:
            dropout_seed = None if seed is None else seed + 3000 + i
            x = Dropout(rate=spec.conv_dropout_rate, seed=dropout_seed,
                        name=f"conv_dropout_{i}")(x)
    return inputs, keras.layers.Flatten(name="flatten")(x)


#: The course's networks, as their TF1 programs build them.
PRESETS = {
    # Lecture 10 lab, softmax classifier (90% on MNIST; seed 001), tf.random_normal W and b.
    "softmax": MLPSpec(hidden_sizes=(), kernel_initializer="random_normal",
                       bias_initializer="random_normal", name="softmax_regression"),
    # Seed 004's 784-256-256-10 ReLU MLP, tf.random_normal weights and biases.
    "mlp": MLPSpec(hidden_sizes=(256, 256), activation="relu", kernel_initializer="random_normal",
                   bias_initializer="random_normal", name="mlp_256_256"),
    # The lab 10 program behind seed 001's "Deep NN with dropout 98%" (the sizes, the
    # initializers and keep_prob 0.7 are the program's; seed 001 states only the result).
    "deep": MLPSpec(hidden_sizes=(512, 512, 512, 512), activation="relu",
                    kernel_initializer="xavier_tf1", bias_initializer="random_normal",
                    keep_prob=0.7, name="deep_512x4_dropout"),
    # Seed 004's homework, "bigger and deeper": 784-512-512-10, tf.random_normal W and b.
    "homework": MLPSpec(hidden_sizes=(512, 512), activation="relu",
                        kernel_initializer="random_normal", bias_initializer="random_normal",
                        name="homework_512_512"),
}


def preset(name: str, **changes) -> MLPSpec:
    """The named course network (``PRESETS``), with optional field changes.

    >>> preset("deep", keep_prob=None, dropout_rate=0.5).hidden_sizes
    (512, 512, 512, 512)
    """
    check_choice("preset", name, PRESETS)
    return PRESETS[name].replace(**changes) if changes else PRESETS[name]
