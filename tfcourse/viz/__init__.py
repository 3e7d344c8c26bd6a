"""The course's pictures: numbers first, drawings second (seeds 000-004).

Functions in :mod:`~tfcourse.viz.trajectories`, :mod:`~tfcourse.viz.curves`,
:mod:`~tfcourse.viz.gradient_descent`, :mod:`~tfcourse.viz.fitting`,
:mod:`~tfcourse.viz.batch_norm` and :mod:`~tfcourse.viz.optimizer_family`
return the numbers behind each picture (optimizer paths on 2-D surfaces,
activation curves and derivatives, activation histograms through deep nets,
the symmetry of all-zero weights, learning-rate decay, exponentially weighted
averages, batch vs mini-batch vs stochastic gradient descent, under- and
overfitting, batch normalization's Figure 1, the optimizer family); the ``plot_*``
functions in :mod:`~tfcourse.viz.figures` draw them into PNG files with
matplotlib (imported lazily, Agg backend). ``tfcourse plot`` runs both.
"""

from tfcourse.viz.curves import (
    ACTIVATION_LABELS,
    COURSE_ACTIVATIONS,
    DECAY_RULES,
    INITIALIZATIONS,
    LayerStatistics,
    activation_curves,
    decay_curves,
    ewa_curves,
    initialization_experiment,
    linear_collapse,
    symmetry_experiment,
    tanh_identity,
    temperature_series,
)
from tfcourse.viz.batch_norm import BatchNormRun, batch_norm_experiment
from tfcourse.viz.figures import (
    plot_activation_curves,
    plot_backprop_twins,
    plot_batch_norm,
    plot_fitting,
    plot_gradient_descent,
    plot_optimizer_family,
    plot_symmetry,
    plot_decay_curves,
    plot_ewa,
    plot_initialization,
    plot_optimizer_paths,
)
from tfcourse.viz.fitting import FITTING_RUNS, FittingCurves, fitting_curves
from tfcourse.viz.gradient_descent import (
    GradientDescentRun,
    RegressionProblem,
    gradient_descent_runs,
    regression_problem,
)
from tfcourse.viz.optimizer_family import FAMILIES, FamilyMeasurement, family_measurements
from tfcourse.viz.surfaces import SURFACES, Surface, get_surface
from tfcourse.viz.trajectories import OptimizerPath, optimizer_path, optimizer_paths

__all__ = [
    "ACTIVATION_LABELS",
    "BatchNormRun",
    "FAMILIES",
    "FITTING_RUNS",
    "FamilyMeasurement",
    "FittingCurves",
    "GradientDescentRun",
    "RegressionProblem",
    "batch_norm_experiment",
    "family_measurements",
    "fitting_curves",
    "gradient_descent_runs",
    "plot_batch_norm",
    "plot_fitting",
    "plot_gradient_descent",
    "plot_optimizer_family",
    "plot_symmetry",
    "regression_problem",
    "symmetry_experiment",
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
    "linear_collapse",
    "optimizer_path",
    "optimizer_paths",
    "plot_activation_curves",
    "plot_backprop_twins",
    "plot_decay_curves",
    "plot_ewa",
    "plot_initialization",
    "plot_optimizer_paths",
    "tanh_identity",
    "temperature_series",
]
