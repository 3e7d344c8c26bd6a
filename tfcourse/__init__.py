"""tfcourse: a TensorFlow 1 deep-learning course on Keras 3 / TensorFlow 2.

The package brings the course's TF1 programs back to life (``tfcourse.compat``),
puts their modern Keras counterparts beside them, and offers the course's
algorithms as Keras components: optimizers, initializers, layers, schedules.

Importing ``tfcourse`` is cheap: TensorFlow and Keras are imported only when a
submodule that needs them is first used (``tfcourse.optimizers``,
``tfcourse.data.load`` ...).
"""

from __future__ import annotations

from tfcourse._lazy import lazy_attributes

__version__ = "0.1.0"

# Public submodules, loaded on first attribute access.
_SUBMODULES = (
    "compat",
    "data",
    "ensembles",
    "initializers",
    "labs",
    "layers",
    "losses",
    "models",
    "monitoring",
    "optimizers",
    "schedules",
    "scratch",
    "training",
    "tuning",
    "viz",
)

# Public functions that live in a submodule: name -> module.
_FUNCTIONS = {
    "ewa": "tfcourse.averages",
    "load_model": "tfcourse.saving",
    "set_seed": "tfcourse.seeding",
}

__all__ = ["__version__", *_SUBMODULES, *_FUNCTIONS]


__getattr__, __dir__ = lazy_attributes(__name__, _FUNCTIONS, _SUBMODULES)

# keras.saving.load_model finds tfcourse's classes after `import tfcourse` (no Keras import here)
from tfcourse.saving import install_load_hook  # noqa: E402

install_load_hook()
del install_load_hook
