"""Activation statistics per layer on a fixed probe batch (seeds 000 and 002).

The course shows two pictures of activations going wrong. Seed 000 explains
the vanishing gradient of sigmoid layers: once a unit's input is far from 0,
its output sits near 0 or 1 and its derivative s(1 - s) is almost 0 (the
unit is *saturated*); a ReLU whose input is negative for every example never
passes a gradient again (a *dead* ReLU). Seed 000's batch-normalization
section cites Ioffe & Szegedy (2015), whose Figure 1 plots the input of a
sigmoid over training as its 15th, 50th and 85th percentiles: without batch
normalization the distribution drifts (internal covariate shift).

This callback records both pictures on the same probe batch each time, so
the numbers move only because the weights do.
"""

from __future__ import annotations

from typing import Sequence

import keras
import numpy as np
import tensorflow as tf

from tfcourse._validation import check_number, check_range
from tfcourse.monitoring._base import StepCallback, probe_arrays

__all__ = ["ActivationStatistics"]

# Output range of the bounded activations whose saturation is reported.
_BOUNDS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


# Layers that are only an activation: their input is the pre-activation.
_ACTIVATION_LAYERS = {
    "LeakyReLU": "leaky_relu", "ELU": "elu", "PReLU": "prelu", "Softmax": "softmax",
}


def is_activation_layer(layer) -> bool:
    """True for layers that only apply an activation (``Activation``, ``ReLU``, ``ELU``...)."""
    return isinstance(layer, (keras.layers.Activation, keras.layers.ReLU)) or (
        type(layer).__name__ in _ACTIVATION_LAYERS and layer.__module__.startswith("keras.")
    )


def activation_kind(layer) -> str | None:
    """``"sigmoid"``, ``"tanh"``, ``"relu"``, another activation's name, or ``None``.

    ``None`` means the layer applies no activation (or a linear one).
    """
    if isinstance(layer, keras.layers.ReLU):
        plain = not layer.negative_slope and layer.threshold == 0 and layer.max_value is None
        return "relu" if plain else "relu_variant"
    if is_activation_layer(layer) and not isinstance(layer, keras.layers.Activation):
        return _ACTIVATION_LAYERS[type(layer).__name__]
    function = getattr(layer, "activation", None)
    if function is None:
        return None
    name = getattr(function, "__name__", type(function).__name__)
    return None if name == "linear" else name


class ActivationStatistics(StepCallback):
    """Logs per-layer activation percentiles and saturated/dead fractions.

    Every ``every_n_steps`` optimizer steps (and at the start and end of
    training) the probe batch runs through the model in inference mode
    (``training=False``, so dropout is off and batch normalization uses its
    moving statistics; the callback never changes the model). For each
    monitored layer it writes, into ``<log_dir>/train``:

    - ``activations/<layer>/p15``, ``p50``, ``p85``: percentiles of all the
      layer's output values on the probe batch (``numpy.percentile``, linear
      interpolation);
    - ``preactivations/<layer>/p15`` ...: the same for the input of the
      layer's nonlinearity (the batch-norm paper's Figure 1), for layers with
      a built-in activation (``Dense(activation="sigmoid")``: x @ W + b) and
      for ``Activation`` layers (their input);
    - ``activations/<layer>/saturated_fraction`` for sigmoid and tanh: the
      fraction of output values within ``saturation_margin`` of an asymptote
      (sigmoid: y < m or y > 1 - m; tanh: y < -1 + m or y > 1 - m), where the
      derivative is below about 2m;
    - ``activations/<layer>/dead_fraction`` for ReLU: the fraction of units
      (output positions, every axis but the batch) that are 0 for every
      example of the probe batch.

    Args:
        log_dir: the run folder (``logs/<experiment>/<run>``); summaries go
            to its ``train`` subfolder.
        probe: a fixed batch, ``x`` or ``(x, y)`` (only ``x`` is used).
            Keep it small (a few hundred examples).
        every_n_steps: write each time the step count crosses a multiple of
            this, an int >= 1. Defaults to `100`.
        layers: names of the layers to monitor. Defaults to every layer with
            a nonlinear activation (``Dense``/``Conv`` with ``activation=``,
            and the activation layers ``Activation``, ``ReLU``,
            ``LeakyReLU``, ``ELU``, ``PReLU``, ``Softmax`` that
            ``tfcourse.models`` builds).
        percentiles: the percentiles to log, each in [0, 100]. Defaults to
            `(15, 50, 85)`, the batch-norm paper's.
        saturation_margin: in (0, 0.5). Defaults to `0.01`.

    Works with Sequential and functional models (it reads each layer's
    symbolic input and output). Tags use layer names: give layers explicit
    names (or call ``keras.backend.clear_session()`` between models) so that
    runs built in one process share tags and their curves overlay.

    Example:
        >>> callback = ActivationStatistics("logs/lab10/sigmoid", probe=x_test[:256])
        >>> model.fit(x, y, callbacks=[callback])  # doctest: +SKIP

    References:
        Ioffe & Szegedy, 2015, Figure 1 (arXiv:1502.03167); seeds 000 and 002.
    """

    def __init__(
        self,
        log_dir,
        probe,
        every_n_steps: int = 100,
        layers: Sequence[str] | None = None,
        percentiles: Sequence[float] = (15, 50, 85),
        saturation_margin: float = 0.01,
    ):
        super().__init__(log_dir, every_n_steps)
        self.probe_x, _ = probe_arrays(probe, "ActivationStatistics", need_targets=False)
        self.layer_names = None if layers is None else [str(name) for name in layers]
        self.percentiles = tuple(
            check_range("percentiles", check_number("percentiles", q), 0.0, 100.0)
            for q in percentiles
        )
        if not self.percentiles:
            raise ValueError("`percentiles` must list at least one value. Received: percentiles=()")
        self.saturation_margin = check_range(
            "saturation_margin", saturation_margin, 0.0, 0.5, low_open=True, high_open=True
        )
        self._probe_model = None
        self._probe_model_owner = None
        self._entries = []

    def _monitored_layers(self, model) -> list:
        candidates = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        if self.layer_names is None:
            return [layer for layer in candidates if activation_kind(layer) is not None]
        by_name = {layer.name: layer for layer in candidates}
        missing = [name for name in self.layer_names if name not in by_name]
        if missing:
            raise ValueError(
                f"`layers` names layers the model does not have: {missing}. "
                f"The model's layers are {sorted(by_name)}. Received: layers={self.layer_names!r}"
            )
        return [by_name[name] for name in self.layer_names]

    def _build_probe_model(self, model) -> None:
        try:
            inputs = model.inputs
            if len(inputs) == 1:  # keeps Keras from warning about the input structure
                inputs = inputs[0]
            layers = self._monitored_layers(model)
            outputs, entries = [], []
            for layer in layers:
                kind = activation_kind(layer)
                entry = {"name": layer.name, "kind": kind, "output": len(outputs), "twin": None}
                outputs.append(layer.output)
                if is_activation_layer(layer):
                    entry["preactivation"] = len(outputs)
                    outputs.append(layer.input)
                elif kind is not None and hasattr(layer, "activation"):
                    entry["preactivation"] = len(outputs)
                    entry["twin"] = _linear_twin(layer)
                    outputs.append(layer.input)
                entries.append(entry)
        except (AttributeError, ValueError) as error:
            if isinstance(error, ValueError) and "`layers` names" in str(error):
                raise
            raise ValueError(
                "ActivationStatistics needs a Sequential or functional model whose layers "
                f"each have one input and one output; could not read {type(model).__name__}'s "
                f"layer outputs ({error})"
            ) from error
        if not entries:
            raise ValueError(
                "ActivationStatistics found no layer with a nonlinear activation to monitor; "
                "pass `layers=[...]` to name layers explicitly. Received: layers=None"
            )
        self._probe_model = keras.Model(inputs, outputs)
        self._probe_model_owner = model
        self._entries = entries

    def compute(self) -> dict[str, float]:
        """Run the probe batch and return ``{tag: value}`` for the current weights."""
        if self._probe_model is None or self._probe_model_owner is not self.model:
            self._build_probe_model(self.model)
        values = self._probe_model(self.probe_x, training=False)
        if not isinstance(values, (list, tuple)):
            values = [values]
        values = [keras.ops.convert_to_numpy(value) for value in values]
        result = {}
        for entry in self._entries:
            name, kind = entry["name"], entry["kind"]
            output = values[entry["output"]]
            result.update(self._percentiles(f"activations/{name}", output))
            if "preactivation" in entry:
                layer_input = values[entry["preactivation"]]
                twin = entry["twin"]
                if twin is not None:
                    layer = self.model.get_layer(name)
                    for twin_weight, weight in zip(twin.weights, layer.weights):
                        twin_weight.assign(weight)
                    layer_input = keras.ops.convert_to_numpy(twin(layer_input, training=False))
                result.update(self._percentiles(f"preactivations/{name}", layer_input))
            if kind in _BOUNDS:
                low, high = _BOUNDS[kind]
                margin = self.saturation_margin
                saturated = (output < low + margin) | (output > high - margin)
                result[f"activations/{name}/saturated_fraction"] = float(np.mean(saturated))
            elif kind == "relu":
                dead_units = np.all(output.reshape(output.shape[0], -1) == 0, axis=0)
                result[f"activations/{name}/dead_fraction"] = float(np.mean(dead_units))
        return result

    def _percentiles(self, prefix: str, values: np.ndarray) -> dict[str, float]:
        found = np.percentile(values.astype(np.float64).ravel(), self.percentiles)
        return {f"{prefix}/p{q:g}": float(v) for q, v in zip(self.percentiles, found)}

    def write(self, step: int) -> None:
        for tag, value in self.compute().items():
            tf.summary.scalar(tag, value, step=step)


def _linear_twin(layer):
    """A copy of ``layer`` without its activation, to compute x @ W + b.

    The twin gets the layer's current weights before each use, so the
    pre-activation is computed by the layer's own code rather than re-derived
    here; the layer itself is never modified.
    """
    config = dict(layer.get_config())
    config["activation"] = "linear"
    twin = type(layer).from_config(config)
    twin.build(layer.input.shape)
    if len(twin.weights) != len(layer.weights):
        raise ValueError(
            f"cannot compute the pre-activation of layer {layer.name!r}: its linear copy has "
            f"{len(twin.weights)} weights, the layer {len(layer.weights)}"
        )
    return twin
