"""Loading models that hold tfcourse components.

Keras finds a custom class by its registered name (``"tfcourse>Adam"``) only
once the module that defines it has been imported. :func:`load_model` imports
every tfcourse component module first, so a model saved with tfcourse
optimizers, initializers, layers or schedules loads in a fresh process with no
``custom_objects`` and with Keras' ``safe_mode`` on.
"""

from __future__ import annotations

import importlib
import os
import zipfile

from tfcourse._validation import TfcourseError

# Modules whose import registers Keras-serializable classes.
COMPONENT_MODULES = (
    "tfcourse.initializers",
    "tfcourse.layers",
    "tfcourse.optimizers",
    "tfcourse.schedules",
)


class ModelFileError(TfcourseError, ValueError):
    """A saved model file is missing, truncated or not a Keras archive."""


def register_components() -> None:
    """Import every module that registers tfcourse classes with Keras."""
    for name in COMPONENT_MODULES:
        importlib.import_module(name)


def load_model(path: str | os.PathLike, *, compile: bool = True, safe_mode: bool = True):
    """``keras.saving.load_model`` with the tfcourse classes registered.

    A missing, truncated or foreign file raises :class:`ModelFileError`
    naming the file and what is wrong, instead of an error from deep inside
    ``zipfile``.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ModelFileError(f"Cannot load the model {path}: the file does not exist")
    if path.endswith(".keras"):
        if not zipfile.is_zipfile(path):
            raise ModelFileError(
                f"Cannot load the model {path}: it is not a .keras archive (a zip file); "
                "it may be truncated or a file of another format"
            )
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                broken = archive.testzip()
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise ModelFileError(f"Cannot load the model {path}: {error}") from None
        if broken is not None:
            raise ModelFileError(f"Cannot load the model {path}: its member {broken} is corrupt")
        if "config.json" not in names:
            raise ModelFileError(
                f"Cannot load the model {path}: the archive has no config.json, so it was not "
                "written by keras.Model.save"
            )
    register_components()
    import keras  # noqa: PLC0415

    return keras.saving.load_model(path, compile=compile, safe_mode=safe_mode)
