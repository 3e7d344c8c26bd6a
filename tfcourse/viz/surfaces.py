"""The 2-D loss surfaces of seed 004's optimizer pictures.

Seed 004 (AI School week 2) shows "Optimization algorithms at long valley",
"at Beale's function" and "at saddle point" (Alec Radford's animations);
Rosenbrock's banana valley is the other standard test. Each surface is a
polynomial written with + - * ** only, so the same function evaluates a NumPy
grid for the contour plot and TensorFlow tensors for the gradients.

=============  =================================  ==============  ============  ======
surface        f(x, y)                            minimum         start         steps
=============  =================================  ==============  ============  ======
beale          (1.5 - x + xy)^2 + (2.25 - x +     (3, 0.5), f=0   (1, 1.5)      500
               xy^2)^2 + (2.625 - x + xy^3)^2
rosenbrock     (1 - x)^2 + 100 (y - x^2)^2        (1, 1), f=0     (-1.2, 1)     1000
long_valley    x^2 / 20 + y^2                     (0, 0), f=0     (-7, 2)       100
saddle         x^2 - y^2                          none (saddle    (-1, 0.001)   200
                                                  at (0, 0))
=============  =================================  ==============  ============  ======

long_valley is the elongated bowl of Saito, "Deep Learning from Scratch"
(section 6.1, f = x^2/20 + y^2 from (-7, 2)), the book behind many Korean
courses; Rosenbrock starts from its classic (-1.2, 1).

Learning rates are per optimizer (``learning_rates``): one rate cannot suit
GD (stable on Beale only below ~0.02) and Adadelta (whose "rate" multiplies
an already unit-free step, 1.0 in its paper) at once. They are the course
convention's values chosen so each path is readable, not tuned to win.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from tfcourse._validation import check_choice

__all__ = ["SURFACES", "Surface", "get_surface"]


@dataclasses.dataclass(frozen=True)
class Surface:
    """A 2-D test function with the settings of its picture.

    Attributes:
        name: the key in ``SURFACES``.
        title: the plot title.
        formula: f(x, y) as text.
        function: f(x, y) for NumPy arrays or tensors.
        minimum: the global minimum (x, y), or ``None`` (saddle).
        start: where every optimizer starts.
        xlim, ylim: the plotted region; a path that leaves the region
            ``bound_factor`` times wider is stopped.
        steps: the number of updates plotted.
        learning_rates: optimizer name -> learning rate (course convention).
        exit_word: how the legend names leaving the region: ``"diverged"``,
            or ``"escaped"`` on the saddle, where leaving is the point.
        log_levels: draw contour levels on a log scale (steep surfaces).
    """

    name: str
    title: str
    formula: str
    function: Callable
    minimum: tuple[float, float] | None
    start: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    steps: int
    learning_rates: dict
    exit_word: str = "diverged"
    log_levels: bool = True
    bound_factor: float = 3.0

    def __call__(self, x, y):
        return self.function(x, y)

    def grid(self, num: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(X, Y, Z)`` over the plotted region, for a contour plot."""
        x = np.linspace(*self.xlim, num)
        y = np.linspace(*self.ylim, num)
        grid_x, grid_y = np.meshgrid(x, y)
        return grid_x, grid_y, self.function(grid_x, grid_y)

    def in_bounds(self, point) -> bool:
        """False once ``point`` is non-finite or far outside the plotted region."""
        point = np.asarray(point, dtype=np.float64)
        if not np.all(np.isfinite(point)):
            return False
        for value, (low, high) in zip(point, (self.xlim, self.ylim)):
            center, half = (low + high) / 2, (high - low) / 2
            if abs(value - center) > self.bound_factor * half:
                return False
        return True


def _beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _long_valley(x, y):
    return x**2 / 20 + y**2


def _saddle(x, y):
    return x**2 - y**2


SURFACES = {
    "beale": Surface(
        "beale", "Beale's function", "(1.5-x+xy)^2 + (2.25-x+xy^2)^2 + (2.625-x+xy^3)^2",
        _beale, (3.0, 0.5), (1.0, 1.5), (-0.5, 4.5), (-1.5, 2.0), 500,
        {"gradient_descent": 0.01, "momentum": 0.01, "nesterov": 0.001, "adagrad": 0.5,
         "rmsprop": 0.01, "adadelta": 1.0, "adam": 0.1, "nadam": 0.1, "adamw": 0.1},
    ),
    "rosenbrock": Surface(
        "rosenbrock", "Rosenbrock's function", "(1-x)^2 + 100 (y-x^2)^2",
        _rosenbrock, (1.0, 1.0), (-1.2, 1.0), (-2.0, 2.0), (-1.0, 3.0), 1000,
        {"gradient_descent": 0.001, "momentum": 0.01, "nesterov": 0.001, "adagrad": 0.5,
         "rmsprop": 0.003, "adadelta": 1.0, "adam": 0.1, "nadam": 0.03, "adamw": 0.03},
    ),
    "long_valley": Surface(
        "long_valley", "Long valley", "x^2/20 + y^2",
        _long_valley, (0.0, 0.0), (-7.0, 2.0), (-10.0, 10.0), (-5.0, 5.0), 100,
        {"gradient_descent": 0.95, "momentum": 1.0, "nesterov": 0.1, "adagrad": 1.5,
         "rmsprop": 0.1, "adadelta": 1.0, "adam": 0.3, "nadam": 0.3, "adamw": 0.3},
        log_levels=False,
    ),
    "saddle": Surface(
        "saddle", "Saddle point", "x^2 - y^2",
        _saddle, None, (-1.0, 0.001), (-1.5, 1.5), (-1.5, 1.5), 200,
        {"gradient_descent": 0.03, "momentum": 0.3, "nesterov": 0.03, "adagrad": 0.1,
         "rmsprop": 0.03, "adadelta": 1.0, "adam": 0.03, "nadam": 0.03, "adamw": 0.03},
        exit_word="escaped", log_levels=False, bound_factor=1.0,
    ),
}
"""Surface name -> :class:`Surface`."""


def get_surface(name: str) -> Surface:
    """The surface called ``name`` (a key of ``SURFACES``)."""
    return SURFACES[check_choice("surface", name, SURFACES)]
