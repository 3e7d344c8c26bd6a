"""TF1's recurrent networks (``tf.nn.rnn_cell``, ``tf.contrib.rnn``, ``tf.nn.dynamic_rnn``) on TF ops.

TensorFlow 2.16+ dropped the TF1 cells with Keras 2 ("not available with
Keras 3") and ``tf.contrib.rnn`` with contrib. These classes and functions
rebuild them on ``tf.compat.v1.get_variable`` and TensorFlow ops with TF
1.15's equations, defaults and variable names, so a course program's
``tf.trainable_variables()``, Saver checkpoints and summaries are what TF1
showed (``rnn/basic_lstm_cell/kernel``, ``rnn/multi_rnn_cell/cell_0/...``,
``bidirectional_rnn/fw/...``).

A cell's kernel acts on the concatenation ``[x_t, h_{t-1}]`` (``input_dim +
units`` rows); it defaults to the variable scope's initializer (Glorot uniform
unless the program's ``tf.variable_scope(..., initializer=...)`` sets one),
biases to zeros (GRU gates: ones)::

    BasicRNNCell:   h_t = act([x_t, h_{t-1}] W + b)                       act = tanh
    BasicLSTMCell:  i, j, f, o = split([x_t, h_{t-1}] W + b, 4)           (TF1's gate order)
                    c_t = c_{t-1} * sigmoid(f + forget_bias) + sigmoid(i) * act(j)
                    h_t = act(c_t) * sigmoid(o)                           forget_bias = 1.0
    LSTMCell:       the same, with peepholes (i, f see w * c_{t-1}, o sees w * c_t),
                    c_t clipped to +-cell_clip, and h_t = (...) @ projection/kernel with num_proj
    GRUCell:        r, u = split(sigmoid([x_t, h_{t-1}] W_gates + b_gates), 2)   b_gates = 1.0
                    h_t = u * h_{t-1} + (1 - u) * act([x_t, r * h_{t-1}] W_candidate + b_candidate)

``dynamic_rnn`` unrolls a cell with a ``tf.while_loop`` over time; past an
example's ``sequence_length`` its output is 0 and its state is copied through,
so the final state is the state at its last real step. ``forget_bias`` is added
when the cell runs, not stored in the bias.

Keras 3 computes the same functions with its weights laid out differently;
:func:`keras_weights` maps TF1 weights onto ``keras.layers.LSTM`` (gate order
i, f, c, o, with ``forget_bias`` folded into the f bias), ``keras.layers.GRU``
with ``reset_after=False`` (TF1's GRUCell resets h before the candidate's
matmul) and ``keras.layers.SimpleRNN``; :func:`keras_equivalent` names the
layer and its arguments.

Every ``dynamic_rnn``, ``static_rnn``, ``bidirectional_dynamic_rnn`` and
``static_bidirectional_rnn`` call records one
:class:`~tfcourse.compat.layer_calls.LayerCall` describing the cell stack
(:func:`describe_cell`) for the porter.
"""

from __future__ import annotations

import collections
import hashlib
import numbers
import re

import numpy as np
import tensorflow as tf

from tfcourse._validation import check_bool, check_choice, check_int, check_range, reject_inapplicable
from tfcourse.compat.layer_calls import activation_name, record_layer_call

tf1 = tf.compat.v1

_ACTIVATIONS = {
    "tanh": tf.tanh, "sigmoid": tf.sigmoid, "relu": tf.nn.relu, "elu": tf.nn.elu,
    "softsign": tf.nn.softsign, "linear": tf.identity,
}


def _activation(activation):
    """TF1: ``activation or tanh``; names as Keras spells them are accepted too."""
    if not activation:
        return tf.tanh
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            check_choice("activation", activation, sorted(_ACTIVATIONS))
        return _ACTIVATIONS[activation]
    if not callable(activation):
        raise TypeError(f"`activation` must be a function such as tf.nn.relu or a name such as "
                        f"'relu'. Received: activation={activation!r}")
    return activation


def _snake_case(name: str) -> str:
    """A layer's default scope name, as TF1 derived it: ``BasicLSTMCell`` -> ``basic_lstm_cell``."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return name if not name.startswith("_") else "private" + name


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """TF1's ``tf.nn.rnn_cell.LSTMStateTuple``: an LSTM state ``(c, h)``, in that order."""

    __slots__ = ()

    @property
    def dtype(self):
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent LSTM state: c is {c.dtype.name} and h is {h.dtype.name}")
        return c.dtype


def _shape_of(batch_size, size):
    """``[batch_size] + size`` as (a shape for tf.zeros, the static TensorShape)."""
    size = tf.TensorShape([size]) if isinstance(size, numbers.Integral) else tf.TensorShape(size)
    if isinstance(batch_size, (tf.Tensor, tf.Variable)):
        static = tf.get_static_value(batch_size)
        batch = tf.reshape(tf.cast(batch_size, tf.int32), [1])
        dynamic = tf.concat([batch, tf.constant(size.as_list(), tf.int32)], 0)
        return dynamic, tf.TensorShape([None if static is None else int(static)]).concatenate(size)
    batch = int(batch_size)
    return [batch, *size.as_list()], tf.TensorShape([batch]).concatenate(size)


def _zeros(batch_size, size, dtype):
    dynamic, static = _shape_of(batch_size, size)
    zeros = tf.zeros(dynamic, dtype)
    zeros.set_shape(static)
    return zeros


def _check_floating(tensors):
    for tensor in tf.nest.flatten(tensors):
        _check_float_dtype(tensor.dtype, f" ({tensor.name})")


def _check_float_dtype(dtype, where=""):
    dtype = tf.as_dtype(dtype)
    if not (dtype.is_floating or dtype.is_complex):
        raise ValueError(
            f"An RNN cell needs floating point inputs and states (one-hot encode integer ids "
            f"with tf.one_hot, or tf.cast them). Received: a tensor of dtype {dtype.name}{where}"
        )


class RNNCell:
    """TF1's ``tf.nn.rnn_cell.RNNCell``: ``(output, new_state) = cell(inputs, state)``.

    Subclasses define ``state_size``, ``output_size``, ``build(inputs_shape)``
    (creating variables with :meth:`add_variable`) and ``call(inputs, state)``.
    Variables live in the cell's own variable scope, named after the class
    (``basic_lstm_cell``, ``basic_lstm_cell_1`` for a second cell in the same
    scope) inside the scope in force at the cell's first call (``rnn``); later
    calls reuse them, as TF1's layers did.
    """

    def __init__(self, trainable=True, name=None, dtype=None, **kwargs):
        self._reuse = kwargs.pop("_reuse", None)
        kwargs.pop("_scope", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected keyword arguments: "
                            f"{', '.join(sorted(kwargs))}")
        self.trainable = check_bool("trainable", trainable)
        self.name = name
        self._base_name = name or _snake_case(type(self).__name__)
        self.dtype = None if dtype is None else tf.as_dtype(dtype)
        self.built = False
        self._scope = None
        self._outer_scope = None
        self.variables_by_name: dict[str, tf.Variable] = {}

    @property
    def state_size(self):
        raise NotImplementedError("An RNNCell subclass defines state_size")

    @property
    def output_size(self):
        raise NotImplementedError("An RNNCell subclass defines output_size")

    @property
    def scope_name(self) -> str | None:
        """The cell's variable scope (``rnn/basic_lstm_cell``) once it has been called."""
        return None if self._scope is None else self._scope.name

    def build(self, inputs_shape):
        del inputs_shape

    def call(self, inputs, state):
        raise NotImplementedError("An RNNCell subclass defines call(inputs, state)")

    def __call__(self, inputs, state, scope=None):
        if scope is not None:
            with tf1.variable_scope(scope) as given:
                return self._call_in_scope(inputs, state, given)
        if self._outer_scope is None:
            self._outer_scope = tf1.get_variable_scope()
        with tf1.variable_scope(self._outer_scope, auxiliary_name_scope=False):
            return self._call_in_scope(inputs, state, None)

    def _call_in_scope(self, inputs, state, scope):
        if self._scope is None:
            if self._reuse:
                with tf1.variable_scope(scope if scope is not None else self._base_name) as captured:
                    self._scope = captured
            else:
                with tf1.variable_scope(scope, default_name=self._base_name) as captured:
                    self._scope = captured
        reuse = True if self.built else self._reuse
        with tf1.variable_scope(self._scope, reuse=reuse, auxiliary_name_scope=False):
            inputs = tf.nest.map_structure(tf1.convert_to_tensor, inputs)
            if not self.built:
                first = tf.nest.flatten(inputs)[0]
                if self.dtype is None:
                    self.dtype = first.dtype.base_dtype
                self.build(first.shape)
                self.built = True
            return self.call(inputs, state)

    def add_variable(self, name, shape, initializer=None, dtype=None):
        """``tf.get_variable(name, shape)`` in the cell's scope; ``None``: the scope's initializer."""
        variable = tf1.get_variable(name, shape, dtype=dtype or self.dtype, initializer=initializer,
                                    trainable=self.trainable)
        self.variables_by_name[name] = variable
        return variable

    add_weight = add_variable

    def zero_state(self, batch_size, dtype):
        """Zeros of shape ``[batch_size, s]`` for each ``s`` in ``state_size`` (same nesting)."""
        with tf1.name_scope(type(self).__name__ + "ZeroState"):
            return tf.nest.map_structure(lambda size: _zeros(batch_size, size, dtype),
                                         self.state_size)

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        if inputs is not None:
            inputs = tf1.convert_to_tensor(inputs)
            batch_size = inputs.shape[0] if inputs.shape[0] is not None else tf.shape(inputs)[0]
            dtype = inputs.dtype
        if batch_size is None or dtype is None:
            raise ValueError(f"`batch_size` and `dtype` are needed to build an initial state. "
                             f"Received: batch_size={batch_size!r}, dtype={dtype!r}")
        return self.zero_state(batch_size, dtype)

    def layer_config(self) -> dict:
        """The cell's settings as plain values (for :func:`describe_cell`)."""
        return {"type": "custom", "class_name": type(self).__name__}


LayerRNNCell = RNNCell


def _input_depth(inputs_shape, cell_name, dtype):
    _check_float_dtype(dtype)
    depth = tf.TensorShape(inputs_shape)[-1]
    if depth is None:
        raise ValueError(f"The last dimension of the inputs to {cell_name} must be known. "
                         f"Received: inputs with shape {tf.TensorShape(inputs_shape)}")
    return int(depth)


class BasicRNNCell(RNNCell):
    """TF1's ``BasicRNNCell``: ``h_t = act([x_t, h_{t-1}] @ kernel + bias)`` (Keras: SimpleRNNCell).

    Variables ``<scope>/basic_rnn_cell/kernel`` (input_dim + num_units, num_units)
    and ``.../bias`` (num_units,), zeros.
    """

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        self._num_units = check_int("num_units", num_units, 1)
        self._activation = _activation(activation)

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        depth = _input_depth(inputs_shape, type(self).__name__, self.dtype)
        self._kernel = self.add_variable("kernel", [depth + self._num_units, self._num_units])
        self._bias = self.add_variable("bias", [self._num_units], tf1.zeros_initializer())

    def call(self, inputs, state):
        _check_floating([inputs, state])
        output = self._activation(
            tf.nn.bias_add(tf.matmul(tf.concat([inputs, state], 1), self._kernel), self._bias))
        return output, output

    def layer_config(self):
        return {"type": "BasicRNNCell", "num_units": self._num_units,
                "activation": activation_name(self._activation)}


class LSTMCell(RNNCell):
    """TF1's ``LSTMCell`` (module docstring); ``BasicLSTMCell`` is it without the options.

    Variables ``<scope>/lstm_cell/kernel`` (input_dim + h_dim, 4 * num_units) with
    gate columns i, j, f, o, ``.../bias`` (4 * num_units,) zeros; with
    ``use_peepholes`` ``w_f_diag``, ``w_i_diag``, ``w_o_diag`` (num_units,); with
    ``num_proj`` ``projection/kernel`` (num_units, num_proj) and h_dim = num_proj.
    The state is ``LSTMStateTuple(c, h)`` (``state_is_tuple=False``: ``[c, h]``
    concatenated on axis 1).
    """

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None,
                 num_proj=None, proj_clip=None, num_unit_shards=None, num_proj_shards=None,
                 forget_bias=1.0, state_is_tuple=True, activation=None, reuse=None, name=None,
                 dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        for option, value in (("num_unit_shards", num_unit_shards), ("num_proj_shards", num_proj_shards)):
            reject_inapplicable(option, value, "in tfcourse.compat's LSTMCell (partitioned "
                                "variables; use a single kernel)")
        self._num_units = check_int("num_units", num_units, 1)
        self._use_peepholes = check_bool("use_peepholes", use_peepholes)
        self._cell_clip = None if cell_clip is None else check_range(
            "cell_clip", cell_clip, 0.0, low_open=True)
        self._initializer = initializer
        self._num_proj = None if num_proj is None else check_int("num_proj", num_proj, 1)
        self._proj_clip = None if proj_clip is None else check_range(
            "proj_clip", proj_clip, 0.0, low_open=True)
        self._forget_bias = check_range("forget_bias", forget_bias)
        self._state_is_tuple = check_bool("state_is_tuple", state_is_tuple)
        self._activation = _activation(activation)

    @property
    def _h_size(self):
        return self._num_proj or self._num_units

    @property
    def state_size(self):
        if self._state_is_tuple:
            return LSTMStateTuple(self._num_units, self._h_size)
        return self._num_units + self._h_size

    @property
    def output_size(self):
        return self._h_size

    def build(self, inputs_shape):
        depth = _input_depth(inputs_shape, type(self).__name__, self.dtype)
        self._kernel = self.add_variable(
            "kernel", [depth + self._h_size, 4 * self._num_units], self._initializer)
        self._bias = self.add_variable("bias", [4 * self._num_units], tf1.zeros_initializer())
        if self._use_peepholes:
            self._w_f_diag = self.add_variable("w_f_diag", [self._num_units], self._initializer)
            self._w_i_diag = self.add_variable("w_i_diag", [self._num_units], self._initializer)
            self._w_o_diag = self.add_variable("w_o_diag", [self._num_units], self._initializer)
        if self._num_proj is not None:
            self._proj_kernel = self.add_variable(
                "projection/kernel", [self._num_units, self._num_proj], self._initializer)

    def call(self, inputs, state):
        _check_floating([inputs, state])
        if self._state_is_tuple:
            c_prev, h_prev = state
        else:
            c_prev = tf.slice(state, [0, 0], [-1, self._num_units])
            h_prev = tf.slice(state, [0, self._num_units], [-1, self._h_size])
        z = tf.nn.bias_add(tf.matmul(tf.concat([inputs, h_prev], 1), self._kernel), self._bias)
        i, j, f, o = tf.split(z, 4, axis=1)
        forget_bias = tf.constant(self._forget_bias, dtype=f.dtype)
        act = self._activation
        if self._use_peepholes:
            c = (tf.sigmoid(f + forget_bias + self._w_f_diag * c_prev) * c_prev
                 + tf.sigmoid(i + self._w_i_diag * c_prev) * act(j))
        else:
            c = c_prev * tf.sigmoid(f + forget_bias) + tf.sigmoid(i) * act(j)
        if self._cell_clip is not None:
            c = tf.clip_by_value(c, -self._cell_clip, self._cell_clip)
        if self._use_peepholes:
            h = tf.sigmoid(o + self._w_o_diag * c) * act(c)
        else:
            h = act(c) * tf.sigmoid(o)
        if self._num_proj is not None:
            h = tf.matmul(h, self._proj_kernel)
            if self._proj_clip is not None:
                h = tf.clip_by_value(h, -self._proj_clip, self._proj_clip)
        new_state = LSTMStateTuple(c, h) if self._state_is_tuple else tf.concat([c, h], 1)
        return h, new_state

    def layer_config(self):
        return {"type": type(self).__name__, "num_units": self._num_units,
                "forget_bias": self._forget_bias, "activation": activation_name(self._activation),
                "use_peepholes": self._use_peepholes, "num_proj": self._num_proj,
                "cell_clip": self._cell_clip, "proj_clip": self._proj_clip,
                "state_is_tuple": self._state_is_tuple}


class BasicLSTMCell(LSTMCell):
    """TF1's ``BasicLSTMCell``: :class:`LSTMCell` without peepholes, clipping or projection.

    Variables ``<scope>/basic_lstm_cell/kernel`` and ``.../bias``.
    """

    def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None,
                 reuse=None, name=None, dtype=None, **kwargs):
        super().__init__(num_units, forget_bias=forget_bias, state_is_tuple=state_is_tuple,
                         activation=activation, reuse=reuse, name=name, dtype=dtype, **kwargs)


class GRUCell(RNNCell):
    """TF1's ``GRUCell`` (module docstring); Keras' ``GRUCell(reset_after=False)`` computes the same.

    Variables ``<scope>/gru_cell/gates/kernel`` (input_dim + num_units,
    2 * num_units) with columns r, u, ``gates/bias`` (ones), and
    ``candidate/kernel`` (input_dim + num_units, num_units), ``candidate/bias``
    (zeros); ``bias_initializer`` replaces both bias initializers.
    """

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None,
                 bias_initializer=None, name=None, dtype=None, **kwargs):
        super().__init__(_reuse=reuse, name=name, dtype=dtype, **kwargs)
        self._num_units = check_int("num_units", num_units, 1)
        self._activation = _activation(activation)
        self._kernel_initializer = kernel_initializer
        self._bias_initializer = bias_initializer

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def build(self, inputs_shape):
        depth = _input_depth(inputs_shape, type(self).__name__, self.dtype)
        rows, units = depth + self._num_units, self._num_units
        self._gate_kernel = self.add_variable("gates/kernel", [rows, 2 * units], self._kernel_initializer)
        self._gate_bias = self.add_variable(
            "gates/bias", [2 * units], self._bias_initializer or tf1.constant_initializer(1.0))
        self._candidate_kernel = self.add_variable("candidate/kernel", [rows, units],
                                                   self._kernel_initializer)
        self._candidate_bias = self.add_variable(
            "candidate/bias", [units], self._bias_initializer or tf1.zeros_initializer())

    def call(self, inputs, state):
        _check_floating([inputs, state])
        gates = tf.sigmoid(tf.nn.bias_add(
            tf.matmul(tf.concat([inputs, state], 1), self._gate_kernel), self._gate_bias))
        r, u = tf.split(gates, 2, axis=1)
        candidate = self._activation(tf.nn.bias_add(
            tf.matmul(tf.concat([inputs, r * state], 1), self._candidate_kernel), self._candidate_bias))
        h = u * state + (1 - u) * candidate
        return h, h

    def layer_config(self):
        return {"type": "GRUCell", "num_units": self._num_units,
                "activation": activation_name(self._activation)}


class MultiRNNCell(RNNCell):
    """TF1's ``MultiRNNCell``: cells stacked, cell i's output is cell i+1's input.

    Cell i's variables live in ``multi_rnn_cell/cell_<i>/<its scope>``; the state
    is the tuple of the cells' states (``state_is_tuple=False``: concatenated).
    """

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(f"`cells` must be a non-empty list of RNN cells. Received: cells={cells!r}")
        for index, cell in enumerate(cells):
            _check_cell(f"cells[{index}]", cell)
        self._cells = list(cells)
        self._state_is_tuple = check_bool("state_is_tuple", state_is_tuple)
        if not state_is_tuple and any(tf.nest.is_nested(c.state_size) for c in self._cells):
            raise ValueError(
                "MultiRNNCell(state_is_tuple=False) needs cells with a single state tensor; some "
                f"cells have tuple states. Received state sizes: {[c.state_size for c in self._cells]}"
            )

    @property
    def cells(self):
        return list(self._cells)

    @property
    def state_size(self):
        if self._state_is_tuple:
            return tuple(cell.state_size for cell in self._cells)
        return sum(cell.state_size for cell in self._cells)

    @property
    def output_size(self):
        return self._cells[-1].output_size

    def zero_state(self, batch_size, dtype):
        if not self._state_is_tuple:
            return super().zero_state(batch_size, dtype)
        with tf1.name_scope("MultiRNNCellZeroState"):
            return tuple(cell.zero_state(batch_size, dtype) for cell in self._cells)

    def call(self, inputs, state):
        position = 0
        new_states = []
        for index, cell in enumerate(self._cells):
            with tf1.variable_scope(f"cell_{index}"):
                if self._state_is_tuple:
                    if not tf.nest.is_nested(state):
                        raise ValueError(f"MultiRNNCell expects a tuple of {len(self._cells)} "
                                         f"states. Received: state={state!r}")
                    cell_state = state[index]
                else:
                    cell_state = tf.slice(state, [0, position], [-1, cell.state_size])
                    position += cell.state_size
                inputs, new_state = cell(inputs, cell_state)
                new_states.append(new_state)
        return inputs, tuple(new_states) if self._state_is_tuple else tf.concat(new_states, 1)


class _Wrapper(RNNCell):
    """A wrapper runs the wrapped cell in the caller's scope (TF1 adds no scope for it)."""

    def __init__(self, cell):
        super().__init__()
        _check_cell("cell", cell)
        self.cell = cell

    @property
    def wrapped_cell(self):
        return self.cell

    @property
    def state_size(self):
        return self.cell.state_size

    @property
    def output_size(self):
        return self.cell.output_size

    def zero_state(self, batch_size, dtype):
        with tf1.name_scope(type(self).__name__ + "ZeroState"):
            return self.cell.zero_state(batch_size, dtype)

    def __call__(self, inputs, state, scope=None):
        return self._wrapped_call(inputs, state, scope)


def _keep_prob(name, value):
    """A Python float in [0, 1] when known when the graph is built, else the tensor."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return check_range(name, value, 0.0, 1.0)
    tensor = tf1.convert_to_tensor(value)
    static = tf.get_static_value(tensor)
    return tensor if static is None else check_range(name, float(static), 0.0, 1.0)


class DropoutWrapper(_Wrapper):
    """TF1's ``DropoutWrapper``: dropout on a cell's inputs, outputs and (h part of the) state.

    Each ``*_keep_prob`` (a float in [0, 1] or a tensor such as a
    ``keep_prob`` placeholder) keeps a unit with that probability and scales it
    by 1 / keep_prob, with a new mask at every time step. State dropout never
    touches the ``c`` of an :class:`LSTMStateTuple`. A keep probability of
    exactly 1.0 adds no op. ``variational_recurrent`` (one mask per sequence)
    is not provided.
    """

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent=False, input_size=None, dtype=None, seed=None,
                 dropout_state_filter_visitor=None, **kwargs):
        super().__init__(cell)
        if variational_recurrent:
            reject_inapplicable("variational_recurrent", variational_recurrent,
                                "in tfcourse.compat's DropoutWrapper (one mask per sequence; use "
                                "keras.layers.LSTM(dropout=..., recurrent_dropout=...))")
        reject_inapplicable("dropout_state_filter_visitor", dropout_state_filter_visitor,
                            "in tfcourse.compat's DropoutWrapper (the default filter, which spares "
                            "LSTMStateTuple.c, is the one provided)")
        if kwargs:
            raise TypeError(f"DropoutWrapper got unexpected keyword arguments: {', '.join(sorted(kwargs))}")
        del input_size, dtype
        self.input_keep_prob = _keep_prob("input_keep_prob", input_keep_prob)
        self.output_keep_prob = _keep_prob("output_keep_prob", output_keep_prob)
        self.state_keep_prob = _keep_prob("state_keep_prob", state_keep_prob)
        self._seed = seed

    def _seed_for(self, salt_prefix, index):
        # TF1 derives one op seed per dropped tensor from the wrapper's seed.
        if self._seed is None:
            return None
        digest = hashlib.md5(f"{self._seed}{salt_prefix}_{index}".encode("utf-8")).hexdigest()
        return int(digest[:8], 16) & 0x7FFFFFFF

    def _dropout(self, values, salt_prefix, keep_prob):
        flat = tf.nest.flatten(values)
        dropped = [tf.nn.dropout(value, rate=1.0 - keep_prob, seed=self._seed_for(salt_prefix, index))
                   for index, value in enumerate(flat)]
        return tf.nest.pack_sequence_as(values, dropped)

    def _dropout_state(self, state):
        if isinstance(state, LSTMStateTuple):
            return LSTMStateTuple(state.c, self._dropout(state.h, "state", self.state_keep_prob))
        if isinstance(state, (tuple, list)) and not isinstance(state, LSTMStateTuple):
            return type(state)(self._dropout_state(s) for s in state)
        return self._dropout(state, "state", self.state_keep_prob)

    @staticmethod
    def _drops(keep_prob):
        return not isinstance(keep_prob, float) or keep_prob < 1.0

    def _wrapped_call(self, inputs, state, scope):
        if self._drops(self.input_keep_prob):
            inputs = self._dropout(inputs, "input", self.input_keep_prob)
        output, new_state = self.cell(inputs, state, scope=scope)
        if self._drops(self.state_keep_prob):
            new_state = self._dropout_state(new_state)
        if self._drops(self.output_keep_prob):
            output = self._dropout(output, "output", self.output_keep_prob)
        return output, new_state

    def layer_config(self):
        return {"type": "DropoutWrapper", "input_keep_prob": self.input_keep_prob,
                "output_keep_prob": self.output_keep_prob, "state_keep_prob": self.state_keep_prob}


class ResidualWrapper(_Wrapper):
    """TF1's ``ResidualWrapper``: the cell's output plus its input (same sizes)."""

    def __init__(self, cell, residual_fn=None):
        super().__init__(cell)
        reject_inapplicable("residual_fn", residual_fn,
                            "in tfcourse.compat's ResidualWrapper (outputs + inputs is provided)")

    def _wrapped_call(self, inputs, state, scope):
        output, new_state = self.cell(inputs, state, scope=scope)
        return tf.nest.map_structure(lambda x, y: x + y, inputs, output), new_state

    def layer_config(self):
        return {"type": "ResidualWrapper"}


class OutputProjectionWrapper(RNNCell):
    """TF1's ``tf.contrib.rnn.OutputProjectionWrapper``: ``activation(output @ kernel + bias)``.

    Its own scope ``output_projection_wrapper`` holds the wrapped cell's scope and
    the projection's ``kernel`` (cell output size, output_size; the scope's
    initializer) and ``bias`` (zeros). The state is the wrapped cell's.
    """

    def __init__(self, cell, output_size, activation=None, reuse=None):
        super().__init__(_reuse=reuse)
        _check_cell("cell", cell)
        self.cell = cell
        self._output_size = check_int("output_size", output_size, 1)
        self._projection_activation = activation

    @property
    def wrapped_cell(self):
        return self.cell

    @property
    def state_size(self):
        return self.cell.state_size

    @property
    def output_size(self):
        return self._output_size

    def zero_state(self, batch_size, dtype):
        with tf1.name_scope("OutputProjectionWrapperZeroState"):
            return self.cell.zero_state(batch_size, dtype)

    def call(self, inputs, state):
        output, new_state = self.cell(inputs, state)
        if "kernel" not in self.variables_by_name:
            self.add_variable("kernel", [int(output.shape[-1]), self._output_size])
            self.add_variable("bias", [self._output_size], tf1.constant_initializer(0.0))
        projected = tf.nn.bias_add(tf.matmul(output, self.variables_by_name["kernel"]),
                                   self.variables_by_name["bias"])
        if self._projection_activation:
            projected = self._projection_activation(projected)
        return projected, new_state

    def layer_config(self):
        return {"type": "OutputProjectionWrapper", "units": self._output_size,
                "activation": activation_name(self._projection_activation)}


def _check_cell(name, cell):
    if not all(hasattr(cell, attribute) for attribute in ("state_size", "output_size", "zero_state")) \
            or not callable(cell):
        raise TypeError(
            f"`{name}` must be a TF1 RNN cell (tf.nn.rnn_cell.BasicLSTMCell, LSTMCell, GRUCell, "
            f"BasicRNNCell, MultiRNNCell...). Received: {name}={cell!r} of type {type(cell).__name__}"
        )


# -- describing a cell stack for the porter ------------------------------------------------


_WRAPPERS = (DropoutWrapper, ResidualWrapper, OutputProjectionWrapper)


def describe_cell(cell) -> tuple[dict, dict]:
    """The structure and variables of a cell (stack), as a :class:`LayerCall` records them.

    Returns ``(config, variables)``. ``config["cells"]`` lists the cells from the
    input up, one dict each: ``type`` (``"BasicLSTMCell"``, ``"LSTMCell"``,
    ``"GRUCell"``, ``"BasicRNNCell"``, ``"custom"``), ``num_units``,
    ``activation`` (a name, ``"custom"`` for other functions), the LSTM settings
    (``forget_bias``, ``use_peepholes``, ``num_proj``, ``cell_clip``,
    ``proj_clip``, ``state_is_tuple``), ``input_keep_prob`` /
    ``output_keep_prob`` / ``state_keep_prob`` of a DropoutWrapper directly
    around it (1.0 without; a tensor when fed), ``wrappers`` (each wrapper
    directly around it, outermost first) and ``scope`` (its variable scope).
    ``config["multi_rnn_cell"]`` says whether a MultiRNNCell stacks them, and
    ``config["wrappers"]`` lists the wrappers around the whole stack (an
    ``OutputProjectionWrapper`` there: ``{"type", "units", "activation"}``).
    ``variables`` maps ``"cell_<i>/<TF1 name>"`` (``cell_0/kernel``,
    ``cell_1/gates/bias``) and ``"output_projection/kernel"`` (or
    ``"cell_<i>/output_projection/kernel"``) to the variables.
    """
    cells: list[dict] = []
    variables: dict = {}
    outer: list[dict] = []
    stacked = False

    def wrapper_entry(wrapper, prefix):
        for name, variable in wrapper.variables_by_name.items():
            variables[f"{prefix}output_projection/{name}"] = variable
        return wrapper.layer_config()

    def walk(node, wrappers, prefix_wrappers):
        nonlocal stacked
        if isinstance(node, _WRAPPERS):
            walk(node.cell, [*wrappers, node], prefix_wrappers)
            return
        if isinstance(node, MultiRNNCell) and not stacked:
            stacked = True
            outer.extend(wrapper_entry(w, "") for w in wrappers)
            for sub in node.cells:
                walk(sub, [], True)
            return
        index = len(cells)
        entry = node.layer_config() if not isinstance(node, MultiRNNCell) else {
            "type": "custom", "class_name": "MultiRNNCell"}
        entry.update(input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0)
        dropout = next((w for w in wrappers if isinstance(w, DropoutWrapper)), None)
        if dropout is not None:
            entry.update(input_keep_prob=dropout.input_keep_prob,
                         output_keep_prob=dropout.output_keep_prob,
                         state_keep_prob=dropout.state_keep_prob)
        entry["wrappers"] = [wrapper_entry(w, f"cell_{index}/") for w in wrappers]
        entry["scope"] = node.scope_name
        for name, variable in node.variables_by_name.items():
            variables[f"cell_{index}/{name}"] = variable
        cells.append(entry)

    walk(cell, [], False)
    return {"cells": cells, "multi_rnn_cell": stacked, "wrappers": outer}, variables


def _record(kind, cell_structure, inputs, outputs, config):
    """One LayerCall; ``cell_structure`` maps a prefix ("" or "fw/", "bw/") to a cell."""
    variables = {}
    for prefix, cell in cell_structure.items():
        cell_config, cell_variables = describe_cell(cell)
        variables.update({prefix + role: v for role, v in cell_variables.items()})
        if prefix:
            config[prefix.rstrip("/")] = cell_config
        else:
            config.update(cell_config)
    return record_layer_call(kind, inputs, outputs, variables, config)


def _flat_tensors(structure):
    return [] if structure is None else list(tf.nest.flatten(structure))


def _as_tensors(inputs, sequence_length, initial_state):
    """The arguments as tensors (a Python list of lengths becomes a constant), structure kept."""
    def convert(structure):
        return None if structure is None else tf.nest.map_structure(tf1.convert_to_tensor, structure)

    return convert(inputs), convert(sequence_length), convert(initial_state)


# -- unrolling over time ---------------------------------------------------------------------


def _transpose_batch_time(x):
    """(batch, time, ...) <-> (time, batch, ...), keeping the static shape."""
    shape = x.shape
    if shape.rank is not None and shape.rank < 2:
        return x
    transposed = tf.transpose(x, tf.concat([[1, 0], tf.range(2, tf.rank(x))], axis=0))
    if shape.rank is not None:
        transposed.set_shape(tf.TensorShape([shape[1], shape[0]]).concatenate(shape[2:]))
    return transposed


def _batch_size(flat_time_major):
    for x in flat_time_major:
        if x.shape.rank is not None and x.shape.rank < 2:
            raise ValueError(f"The inputs of an RNN need rank >= 3 (batch, time, depth). "
                             f"Received: {x.name} with shape {x.shape}")
        if x.shape.rank is not None and x.shape[1] is not None:
            return int(x.shape[1])
    return tf.shape(flat_time_major[0])[1]


def _state_dtype(dtype, state):
    if dtype is not None:
        return tf.as_dtype(dtype)
    dtypes = {tensor.dtype.base_dtype for tensor in tf.nest.flatten(state)}
    if len(dtypes) != 1:
        raise ValueError(f"`dtype` must be given when the initial state has several dtypes. "
                         f"Received: {sorted(d.name for d in dtypes)}")
    return dtypes.pop()


def _initial_state(cell, initial_state, batch_size, dtype):
    if initial_state is not None:
        return initial_state
    if not dtype:
        raise ValueError("`dtype` is required when no `initial_state` is given (the state "
                         "starts at zeros of that dtype), e.g. dtype=tf.float32. Received: dtype=None")
    return cell.zero_state(batch_size, dtype)


def _sequence_length(sequence_length):
    if sequence_length is None:
        return None
    sequence_length = tf.cast(tf1.convert_to_tensor(sequence_length), tf.int32)
    if sequence_length.shape.rank not in (None, 1):
        raise ValueError(f"`sequence_length` must be a vector of one length per example. "
                         f"Received: sequence_length with shape {sequence_length.shape}")
    return tf1.identity(sequence_length, name="sequence_length")


def _copy_through(done, zero_output, state, output, new_state):
    """Past its sequence_length an example outputs zeros and keeps its state (TF1's rule)."""
    try:
        tf.nest.assert_same_structure(state, new_state)
    except (TypeError, ValueError) as error:
        raise ValueError(f"The cell returned a state whose structure differs from the state it "
                         f"was given: {error}") from None

    def select(old, new):
        if old.shape.rank == 0:
            return new
        chosen = tf1.where(done, old, new)
        chosen.set_shape(old.shape)
        return chosen

    return (tf.nest.map_structure(select, zero_output, output),
            tf.nest.map_structure(select, state, new_state))


def _dynamic_rnn(cell, inputs, sequence_length, initial_state, dtype, parallel_iterations,
                 swap_memory, time_major, scope):
    _check_cell("cell", cell)
    time_major = check_bool("time_major", time_major)
    with tf1.variable_scope(scope or "rnn"):
        flat_input = [tf1.convert_to_tensor(x) for x in tf.nest.flatten(inputs)]
        if not time_major:
            flat_input = [_transpose_batch_time(x) for x in flat_input]
        sequence_length = _sequence_length(sequence_length)
        batch_size = _batch_size(flat_input)
        state = _initial_state(cell, initial_state, batch_size, dtype)
        if sequence_length is not None:
            expected = tf.reshape(tf.cast(batch_size, tf.int32), [1])
            check = tf1.Assert(tf.reduce_all(tf.equal(tf.shape(sequence_length), expected)),
                               ["`sequence_length` must hold one length per example; expected "
                                "shape", expected, "but saw", tf.shape(sequence_length)])
            with tf.control_dependencies([check]):
                sequence_length = tf1.identity(sequence_length, name="CheckSeqLen")
        inputs = tf.nest.pack_sequence_as(inputs, flat_input)
        outputs, final_state = _dynamic_rnn_loop(cell, inputs, state, parallel_iterations or 32,
                                                 swap_memory, sequence_length, dtype)
        if not time_major:
            outputs = tf.nest.map_structure(_transpose_batch_time, outputs)
        return outputs, final_state


def _dynamic_rnn_loop(cell, inputs, state, parallel_iterations, swap_memory, sequence_length, dtype):
    flat_input = tf.nest.flatten(inputs)
    flat_output_size = tf.nest.flatten(cell.output_size)
    time_steps = tf.shape(flat_input[0])[0]
    batch_size = _batch_size(flat_input)
    shapes = [x.shape.with_rank_at_least(3) for x in flat_input]
    const_time_steps, const_batch_size = shapes[0].as_list()[:2]
    for x, shape in zip(flat_input, shapes):
        if not shape[2:].is_fully_defined():
            raise ValueError(f"The depth of the inputs to an RNN must be known when the graph is "
                             f"built. Received: {x.name} with shape {shape}")
        if shape.as_list()[:2] != [const_time_steps, const_batch_size]:
            raise ValueError(f"All the inputs of an RNN need the same time and batch sizes. "
                             f"Received shapes {[s.as_list() for s in shapes]}")
    state_dtype = _state_dtype(dtype, state)
    zero_output = tf.nest.pack_sequence_as(
        cell.output_size, [_zeros(batch_size, size, state_dtype) for size in flat_output_size])
    if sequence_length is not None:
        max_sequence_length = tf.reduce_max(sequence_length)
    else:
        max_sequence_length = time_steps
    with tf1.name_scope("dynamic_rnn") as base_name:
        pass
    output_ta = tuple(
        tf.TensorArray(dtype=state_dtype, size=time_steps,
                       element_shape=tf.TensorShape([const_batch_size]).concatenate(
                           tf.TensorShape([size]) if isinstance(size, numbers.Integral) else size),
                       tensor_array_name=f"{base_name}output_{index}")
        for index, size in enumerate(flat_output_size))
    input_ta = tuple(
        tf.TensorArray(dtype=x.dtype, size=time_steps, element_shape=x.shape[1:],
                       tensor_array_name=f"{base_name}input_{index}").unstack(x)
        for index, x in enumerate(flat_input))

    def time_step(time, output_ta_t, state):
        input_t = [ta.read(time) for ta in input_ta]
        for x, shape in zip(input_t, shapes):
            x.set_shape(shape[1:])
        input_t = tf.nest.pack_sequence_as(inputs, input_t)
        output, new_state = cell(input_t, state)
        if sequence_length is not None:
            output, new_state = _copy_through(time >= sequence_length, zero_output, state, output,
                                              new_state)
        output_ta_t = tuple(ta.write(time, out) for ta, out in zip(output_ta_t, tf.nest.flatten(output)))
        return time + 1, output_ta_t, new_state

    # At least one step, so that the TensorArrays learn their element shapes.
    loop_bound = tf.minimum(time_steps, tf.maximum(1, max_sequence_length))
    _, final_ta, final_state = tf1.while_loop(
        lambda time, *_: time < loop_bound, time_step,
        (tf.constant(0, tf.int32, name="time"), output_ta, state),
        parallel_iterations=parallel_iterations, maximum_iterations=time_steps,
        swap_memory=swap_memory)
    final_outputs = []
    for ta, size in zip(final_ta, flat_output_size):
        stacked = ta.stack()
        size = tf.TensorShape([size]) if isinstance(size, numbers.Integral) else tf.TensorShape(size)
        stacked.set_shape(tf.TensorShape([const_time_steps, const_batch_size]).concatenate(size))
        final_outputs.append(stacked)
    return tf.nest.pack_sequence_as(cell.output_size, final_outputs), final_state


def dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None,
                parallel_iterations=None, swap_memory=False, time_major=False, scope=None):
    """TF1's ``tf.nn.dynamic_rnn``: ``cell`` unrolled over time with a ``tf.while_loop``.

    Args:
        cell: an RNN cell of this module (or a MultiRNNCell / wrapper of them).
        inputs: (batch, time, depth), or (time, batch, depth) with ``time_major``.
        sequence_length: optional int vector (batch,): past it an example's
            outputs are 0 and its state is copied through.
        initial_state: optional state; else ``cell.zero_state(batch, dtype)``.
        dtype: the state's dtype; required without ``initial_state``.
        time_major: whether inputs and outputs are time-major.
        scope: the variable scope; defaults to ``"rnn"``.

    Returns:
        ``(outputs, state)``: outputs (batch, time, cell.output_size) (time-major
        if asked) and the final state (for an LSTM an :class:`LSTMStateTuple`,
        for a MultiRNNCell a tuple with one state per cell).
    """
    inputs, sequence_length, initial_state = _as_tensors(inputs, sequence_length, initial_state)
    outputs, state = _dynamic_rnn(cell, inputs, sequence_length, initial_state, dtype,
                                  parallel_iterations, swap_memory, time_major, scope)
    _record("tf.nn.dynamic_rnn", {"": cell},
            [*_flat_tensors(inputs), *_flat_tensors(sequence_length), *_flat_tensors(initial_state)],
            [*_flat_tensors(outputs), *_flat_tensors(state)],
            {"time_major": bool(time_major), "sequence_length": sequence_length is not None,
             "initial_state": initial_state is not None,
             "dtype": None if dtype is None else tf.as_dtype(dtype).name})
    return outputs, state


def _static_rnn(cell, inputs, initial_state, dtype, sequence_length, scope):
    _check_cell("cell", cell)
    if not isinstance(inputs, (list, tuple)):
        received = (f"a tensor of shape {inputs.shape}" if hasattr(inputs, "shape")
                    else f"inputs={inputs!r}")
        raise TypeError(f"`inputs` of static_rnn must be a list of (batch, depth) tensors, one per "
                        f"time step (tf.unstack(x, axis=1)). Received: {received}")
    if not inputs:
        raise ValueError("`inputs` of static_rnn must hold at least one time step. Received: []")
    outputs = []
    with tf1.variable_scope(scope or "rnn") as varscope:
        first = tf1.convert_to_tensor(tf.nest.flatten(inputs[0])[0])
        if first.shape.rank is not None and first.shape.rank != 2:
            raise ValueError(f"Each time step of static_rnn's `inputs` must be (batch, depth). "
                             f"Received: a step with shape {first.shape}")
        batch_size = int(first.shape[0]) if first.shape[0] is not None else tf.shape(first)[0]
        state = _initial_state(cell, initial_state, batch_size, dtype)
        sequence_length = _sequence_length(sequence_length)
        if sequence_length is not None:
            state_dtype = _state_dtype(dtype, state)
            zero_output = tf.nest.map_structure(lambda size: _zeros(batch_size, size, state_dtype),
                                                cell.output_size)
        for time, step_input in enumerate(inputs):
            if time > 0:
                varscope.reuse_variables()
            output, new_state = cell(step_input, state)
            if sequence_length is not None:
                # TF1 skips the cell with a cond once every example has ended; the values are these.
                output, new_state = _copy_through(time >= sequence_length, zero_output, state,
                                                  output, new_state)
            state = new_state
            outputs.append(output)
    return outputs, state


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None, scope=None):
    """TF1's ``tf.nn.static_rnn`` / ``tf.contrib.rnn.static_rnn``: the cell applied step by step.

    ``inputs`` is a list of (batch, depth) tensors, one per time step; returns
    ``(outputs, state)`` with ``outputs`` a list of the same length. Same
    variables and ``sequence_length`` rule as :func:`dynamic_rnn`.
    """
    if isinstance(inputs, (list, tuple)):
        inputs = [tf.nest.map_structure(tf1.convert_to_tensor, x) for x in inputs]
    _, sequence_length, initial_state = _as_tensors(None, sequence_length, initial_state)
    outputs, state = _static_rnn(cell, inputs, initial_state, dtype, sequence_length, scope)
    _record("tf.nn.static_rnn", {"": cell},
            [*_flat_tensors(list(inputs)),
             *_flat_tensors(sequence_length), *_flat_tensors(initial_state)],
            [*_flat_tensors(outputs), *_flat_tensors(state)],
            {"num_steps": len(inputs), "sequence_length": sequence_length is not None,
             "initial_state": initial_state is not None,
             "dtype": None if dtype is None else tf.as_dtype(dtype).name})
    return outputs, state


def _reverse_time(x, sequence_length, time_axis, batch_axis):
    if sequence_length is None:
        return tf.reverse(x, axis=[time_axis])
    return tf.reverse_sequence(x, seq_lengths=sequence_length, seq_axis=time_axis,
                               batch_axis=batch_axis)


def bidirectional_dynamic_rnn(cell_fw, cell_bw, inputs, sequence_length=None,
                              initial_state_fw=None, initial_state_bw=None, dtype=None,
                              parallel_iterations=None, swap_memory=False, time_major=False,
                              scope=None):
    """TF1's ``tf.nn.bidirectional_dynamic_rnn``: a forward and a backward :func:`dynamic_rnn`.

    The backward cell reads each sequence reversed (its first ``sequence_length``
    steps, ``tf.reverse_sequence``) and its outputs are reversed back. Variables
    ``bidirectional_rnn/fw/<cell scope>/...`` and ``bidirectional_rnn/bw/...``.

    Returns:
        ``((output_fw, output_bw), (state_fw, state_bw))``; ``tf.concat(outputs, 2)``
        joins the outputs.
    """
    _check_cell("cell_fw", cell_fw)
    _check_cell("cell_bw", cell_bw)
    time_major = check_bool("time_major", time_major)
    inputs, sequence_length, initial_state_fw = _as_tensors(inputs, sequence_length, initial_state_fw)
    initial_state_bw = _as_tensors(None, None, initial_state_bw)[2]
    time_axis, batch_axis = (0, 1) if time_major else (1, 0)
    with tf1.variable_scope(scope or "bidirectional_rnn"):
        with tf1.variable_scope("fw") as fw_scope:
            output_fw, state_fw = _dynamic_rnn(cell_fw, inputs, sequence_length, initial_state_fw,
                                               dtype, parallel_iterations, swap_memory, time_major,
                                               fw_scope)
        with tf1.variable_scope("bw") as bw_scope:
            reversed_inputs = tf.nest.map_structure(
                lambda x: _reverse_time(x, sequence_length, time_axis, batch_axis), inputs)
            reversed_outputs, state_bw = _dynamic_rnn(
                cell_bw, reversed_inputs, sequence_length, initial_state_bw, dtype,
                parallel_iterations, swap_memory, time_major, bw_scope)
    output_bw = _reverse_time(reversed_outputs, sequence_length, time_axis, batch_axis)
    _record("tf.nn.bidirectional_dynamic_rnn", {"fw/": cell_fw, "bw/": cell_bw},
            [*_flat_tensors(inputs), *_flat_tensors(sequence_length),
             *_flat_tensors(initial_state_fw), *_flat_tensors(initial_state_bw)],
            [output_fw, output_bw, *_flat_tensors(state_fw), *_flat_tensors(state_bw)],
            {"time_major": time_major, "sequence_length": sequence_length is not None,
             "initial_state_fw": initial_state_fw is not None,
             "initial_state_bw": initial_state_bw is not None,
             "dtype": None if dtype is None else tf.as_dtype(dtype).name})
    return (output_fw, output_bw), (state_fw, state_bw)


def _reverse_steps(steps, sequence_length):
    if sequence_length is None:
        return list(reversed(steps))
    stacked = tf.stack(steps)
    return tf.unstack(tf.reverse_sequence(stacked, sequence_length, seq_axis=0, batch_axis=1))


def static_bidirectional_rnn(cell_fw, cell_bw, inputs, initial_state_fw=None,
                             initial_state_bw=None, dtype=None, sequence_length=None, scope=None):
    """TF1's ``tf.nn.static_bidirectional_rnn``: :func:`static_rnn` forward and backward.

    Returns ``(outputs, state_fw, state_bw)`` where each output step is the
    forward and backward outputs concatenated (batch, 2 * units).
    """
    _check_cell("cell_fw", cell_fw)
    _check_cell("cell_bw", cell_bw)
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise TypeError(f"`inputs` of static_bidirectional_rnn must be a non-empty list of "
                        f"(batch, depth) tensors. Received: {inputs!r}")
    inputs = [tf1.convert_to_tensor(x) for x in inputs]
    _, sequence_length, initial_state_fw = _as_tensors(None, sequence_length, initial_state_fw)
    initial_state_bw = _as_tensors(None, None, initial_state_bw)[2]
    lengths = _sequence_length(sequence_length)
    with tf1.variable_scope(scope or "bidirectional_rnn"):
        with tf1.variable_scope("fw") as fw_scope:
            output_fw, state_fw = _static_rnn(cell_fw, inputs, initial_state_fw, dtype, lengths,
                                              fw_scope)
        with tf1.variable_scope("bw") as bw_scope:
            reversed_inputs = _reverse_steps(inputs, lengths)
            reversed_outputs, state_bw = _static_rnn(cell_bw, reversed_inputs, initial_state_bw,
                                                     dtype, lengths, bw_scope)
    output_bw = _reverse_steps(reversed_outputs, lengths)
    outputs = [tf.concat([fw, bw], 1) for fw, bw in zip(output_fw, output_bw)]
    _record("tf.nn.static_bidirectional_rnn", {"fw/": cell_fw, "bw/": cell_bw},
            [*inputs, *_flat_tensors(sequence_length),
             *_flat_tensors(initial_state_fw), *_flat_tensors(initial_state_bw)],
            [*outputs, *_flat_tensors(state_fw), *_flat_tensors(state_bw)],
            {"num_steps": len(inputs), "sequence_length": sequence_length is not None,
             "initial_state_fw": initial_state_fw is not None,
             "initial_state_bw": initial_state_bw is not None,
             "dtype": None if dtype is None else tf.as_dtype(dtype).name})
    return outputs, state_fw, state_bw


# -- the same cells in Keras 3 ----------------------------------------------------------------


KERAS_LAYERS = {"BasicRNNCell": "SimpleRNN", "BasicLSTMCell": "LSTM", "LSTMCell": "LSTM",
                "GRUCell": "GRU"}

_TF1_ROLES = {
    "BasicRNNCell": ("kernel", "bias"),
    "BasicLSTMCell": ("kernel", "bias"),
    "LSTMCell": ("kernel", "bias"),
    "GRUCell": ("gates/kernel", "gates/bias", "candidate/kernel", "candidate/bias"),
}


def keras_equivalent(cell_config: dict) -> tuple[str, dict]:
    """The Keras 3 layer computing one cell of :func:`describe_cell`: ``(class name, arguments)``.

    ``BasicRNNCell`` -> ``SimpleRNN``; ``BasicLSTMCell`` / ``LSTMCell`` ->
    ``LSTM`` (recurrent activation sigmoid); ``GRUCell`` -> ``GRU`` with
    ``reset_after=False``. Weights: :func:`keras_weights`.

    Raises:
        ValueError: for what Keras' layers do not compute (peepholes, cell or
            projection clipping, a projection, an activation that is not a
            known function).
    """
    cell_type = check_choice("type", cell_config.get("type"), sorted(KERAS_LAYERS))
    if cell_type == "LSTMCell":
        for option in ("use_peepholes", "num_proj", "cell_clip", "proj_clip"):
            reject_inapplicable(option, cell_config.get(option) or None,
                                "to keras.layers.LSTM (it has no peepholes, clipping or projection)")
    activation = cell_config.get("activation", "tanh")
    if activation == "custom":
        raise ValueError("`activation` must be a known function for a Keras layer to compute the "
                         "same cell. Received: activation='custom'")
    arguments = {"units": cell_config["num_units"], "activation": activation}
    if cell_type != "BasicRNNCell":
        arguments["recurrent_activation"] = "sigmoid"
    if cell_type == "GRUCell":
        arguments["reset_after"] = False
    return KERAS_LAYERS[cell_type], arguments


def _lstm_columns(units):
    """TF1's i, j, f, o column blocks reordered into Keras' i, f, c(=j), o."""
    i, j, f, o = (np.arange(k * units, (k + 1) * units) for k in range(4))
    return np.concatenate([i, f, j, o])


def _check_roles(cell_type, weights, expected):
    given = sorted(weights)
    if given != sorted(expected):
        extra = sorted(set(given) - set(expected))
        hint = (" Peepholes and a projection have no Keras counterpart."
                if any(name.startswith(("w_", "projection")) for name in extra) else "")
        raise ValueError(f"`weights` of a {cell_type} must hold exactly {sorted(expected)}.{hint} "
                         f"Received: {given}")


def keras_weights(cell_type: str, weights, forget_bias: float = 1.0) -> list[np.ndarray]:
    """TF1 cell weights -> ``[kernel, recurrent_kernel, bias]`` of the Keras 3 layer.

    The list goes to ``set_weights`` of ``keras.layers.LSTM`` /
    ``GRU(reset_after=False)`` / ``SimpleRNN`` (or their cells), see
    :func:`keras_equivalent`. With ``d`` the input size and ``u`` the units:

    * the TF1 kernel's first ``d`` rows multiply ``x_t``: they become Keras'
      ``kernel``; the last ``u`` rows multiply ``h_{t-1}``: ``recurrent_kernel``;
    * LSTM: TF1's column blocks i, j, f, o become Keras' i, f, c, o (j is the
      candidate c), and ``forget_bias`` is added to the f bias (TF1 adds it when
      the cell runs, Keras has no such term);
    * GRU: TF1's gates kernel holds r then u (Keras' z); Keras' blocks are
      z, r, h: ``[gates[:, u:], gates[:, :u], candidate]``, biases alike.

    Args:
        cell_type: ``"BasicRNNCell"``, ``"BasicLSTMCell"``, ``"LSTMCell"`` or ``"GRUCell"``.
        weights: TF1 name -> array: ``kernel``, ``bias`` (GRU: ``gates/kernel``,
            ``gates/bias``, ``candidate/kernel``, ``candidate/bias``), e.g. the
            ``cell_<i>/`` entries of a LayerCall with the prefix removed.
        forget_bias: the LSTM's ``forget_bias``. Defaults to 1.0 (TF1's).
    """
    cell_type = check_choice("cell_type", cell_type, sorted(KERAS_LAYERS))
    _check_roles(cell_type, weights, _TF1_ROLES[cell_type])
    forget_bias = check_range("forget_bias", forget_bias)
    weights = {name: np.asarray(value) for name, value in weights.items()}
    if cell_type == "GRUCell":
        gates, candidate = weights["gates/kernel"], weights["candidate/kernel"]
        units = candidate.shape[1]
        depth = candidate.shape[0] - units
        reorder = np.concatenate([np.arange(units, 2 * units), np.arange(units)])
        kernel = np.concatenate([gates[:depth, reorder], candidate[:depth]], axis=1)
        recurrent = np.concatenate([gates[depth:, reorder], candidate[depth:]], axis=1)
        bias = np.concatenate([weights["gates/bias"][reorder], weights["candidate/bias"]])
        return [kernel, recurrent, bias]
    kernel, bias = weights["kernel"], weights["bias"]
    if cell_type == "BasicRNNCell":
        units = kernel.shape[1]
        depth = kernel.shape[0] - units
        return [kernel[:depth], kernel[depth:], bias]
    units = kernel.shape[1] // 4
    depth = kernel.shape[0] - units
    columns = _lstm_columns(units)
    bias = bias[columns].copy()
    bias[units:2 * units] += np.asarray(forget_bias, bias.dtype)
    return [kernel[:depth, columns], kernel[depth:, columns], bias]


def tf1_weights(cell_type: str, keras_layer_weights, forget_bias: float = 1.0) -> dict:
    """The inverse of :func:`keras_weights`: Keras ``[kernel, recurrent_kernel, bias]`` -> TF1 names."""
    cell_type = check_choice("cell_type", cell_type, sorted(KERAS_LAYERS))
    if len(keras_layer_weights) != 3:
        raise ValueError(f"`keras_layer_weights` must be [kernel, recurrent_kernel, bias]. "
                         f"Received: {len(keras_layer_weights)} arrays")
    kernel, recurrent, bias = (np.asarray(w) for w in keras_layer_weights)
    if bias.ndim != 1:
        raise ValueError(f"The Keras bias must be a vector (GRU: reset_after=False). Received: "
                         f"bias with shape {bias.shape}")
    stacked = np.concatenate([kernel, recurrent], axis=0)
    if cell_type == "BasicRNNCell":
        return {"kernel": stacked, "bias": bias}
    if cell_type == "GRUCell":
        units = recurrent.shape[0]
        z, r, h = (np.arange(k * units, (k + 1) * units) for k in range(3))
        gates = np.concatenate([r, z])
        return {"gates/kernel": stacked[:, gates], "gates/bias": bias[gates],
                "candidate/kernel": stacked[:, h], "candidate/bias": bias[h]}
    units = recurrent.shape[0]
    forget_bias = check_range("forget_bias", forget_bias)
    inverse = np.argsort(_lstm_columns(units))
    bias = bias.copy()
    bias[units:2 * units] -= np.asarray(forget_bias, bias.dtype)
    return {"kernel": stacked[:, inverse], "bias": bias[inverse]}
