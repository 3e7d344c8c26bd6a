"""The course's pictures: numbers first, drawings second (seeds 000, 002, 003, 004).

Functions in :mod:`~tfcourse.viz.trajectories` and :mod:`~tfcourse.viz.curves`
return the numbers behind each picture (optimizer paths on 2-D surfaces,
activation curves and derivatives, activation histograms through deep nets,
learning-rate decay, exponentially weighted averages); the ``plot_*``
functions in :mod:`~tfcourse.viz.figures` draw them into PNG files with
matplotlib (imported lazily, Agg backend). ``tfcourse plot`` runs both.
"""

from tfcourse.viz.curves import (
    COURSE_ACTIVATIONS,
    DECAY_RULES,
    INITIALIZATIONS,
    LayerStatistics,
    activation_curves,
    decay_curves,
    ewa_curves,
    initialization_experiment,
    temperature_series,
)
from tfcourse.viz.figures import (
    plot_activation_curves,
    plot_backprop_twins,
    plot_decay_curves,
    plot_ewa,
    plot_initialization,
    plot_optimizer_paths,
)
from tfcourse.viz.surfaces import SURFACES, Surface, get_surface
from tfcourse.viz.trajectories import OptimizerPath, optimizer_path, optimizer_paths

__all__ = [
    "COURSE_ACTIVATIONS",
    "DECAY_RULES",
    "INITIALIZATIONS",
    "SURFACES",
    "LayerStatistics",
    "OptimizerPath",
    "Surface",
    "activation_curves",
    "decay_curves",
    "ewa_curves",
    "get_surface",
    "initialization_experiment",
    "optimizer_path",
    "optimizer_paths",
    "plot_activation_curves",
    "plot_backprop_twins",
    "plot_decay_curves",
    "plot_ewa",
    "plot_initialization",
    "plot_optimizer_paths",
    "temperature_series",
]
