"""TensorBoard monitoring for the course's pictures (seeds 000, 002, 003, 004).

Callbacks, each usable alone in ``model.fit(callbacks=[...])``:

- :class:`ActivationStatistics`: per-layer 15/50/85th percentiles of
  activations and pre-activations, saturated sigmoid/tanh and dead ReLU
  fractions, on a fixed probe batch;
- :class:`GradientNorms`: per-layer gradient norms on the probe batch
  (the vanishing gradient), optional weight/gradient histograms;
- :class:`LearningRateLogger`: the learning rate of every update (schedules
  included) and the optimizer's convention;
- :class:`HParamsLogger` with :func:`write_hparams_config`: the HParams
  dashboard.

:func:`run_dir` and :func:`run_callbacks` give the log layout
``logs/<experiment>/<run>/{train,validation}`` and the set of callbacks the
``tfcourse`` commands use; :func:`remove_events` and :func:`truncate_events`
keep a re-run or resumed run's curves free of zig-zags; :func:`serve` starts
TensorBoard on loopback (``tfcourse board``); :func:`write_image` puts a PNG
into a run.

Tags a run writes with :func:`run_callbacks` (``<layer>`` is the layer name,
``<run>`` the folder ``logs/<experiment>/<run>``):

==========================================  ======================  ===================
tag                                         where                   kind
==========================================  ======================  ===================
epoch_loss, epoch_<metric>,                 <run>/train,            scalar (Keras'
epoch_learning_rate                         <run>/validation        TensorBoard)
optimizer/learning_rate                     <run>/train             scalar, every step
optimizer/class, optimizer/convention       <run>/train             text, per fit
activations/<layer>/p15, p50, p85           <run>/train             scalar, every N
preactivations/<layer>/p15, p50, p85        <run>/train             scalar, every N
activations/<layer>/saturated_fraction      <run>/train             scalar (sigmoid, tanh)
activations/<layer>/dead_fraction           <run>/train             scalar (ReLU)
gradient_norm/<layer>, gradient_norm/global <run>/train             scalar, every N
weights/<layer>/<variable>,                 <run>/train             histogram (only with
gradients/<layer>/<variable>                                        histograms=True)
_hparams_/session_start_info                <run>                   hparams (HParamsLogger)
_hparams_/experiment                        logs/<experiment>       hparams_config
<figure> (e.g. optimizers_beale)            logs/plots              image (tfcourse plot
                                                                    --logdir logs)
==========================================  ======================  ===================
"""

from tfcourse.monitoring.activation_statistics import ActivationStatistics
from tfcourse.monitoring.events import event_files, remove_events, truncate_events
from tfcourse.monitoring.gradient_norms import GradientNorms
from tfcourse.monitoring.hparams import (
    DEFAULT_METRICS,
    HParamsLogger,
    write_hparams,
    write_hparams_config,
)
from tfcourse.monitoring.images import write_image
from tfcourse.monitoring.layout import run_callbacks, run_dir
from tfcourse.monitoring.learning_rate import LearningRateLogger, describe_optimizer
from tfcourse.monitoring.server import PortInUseError, check_port_free, serve

__all__ = [
    "DEFAULT_METRICS",
    "ActivationStatistics",
    "GradientNorms",
    "HParamsLogger",
    "LearningRateLogger",
    "PortInUseError",
    "check_port_free",
    "describe_optimizer",
    "event_files",
    "remove_events",
    "run_callbacks",
    "run_dir",
    "serve",
    "truncate_events",
    "write_hparams",
    "write_hparams_config",
    "write_image",
]
