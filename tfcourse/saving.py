"""Loading models that hold tfcourse components.

Keras finds a custom class by its registered name (``"tfcourse>Adam"``) only
once the module that defines it has been imported. :func:`load_model` imports
every tfcourse component module first, so a model saved with tfcourse
optimizers, initializers, layers, schedules, losses or lab models loads in a
fresh process with no ``custom_objects`` and with Keras' ``safe_mode`` on.

``keras.saving.load_model`` works too after a bare ``import tfcourse``:
:func:`install_load_hook` (run by ``import tfcourse``) makes Keras'
``load_model`` import the component modules before it reads a file. It
imports no Keras itself: when Keras is not loaded yet, it waits for Keras'
``saving_api`` module to be imported and wraps its ``load_model`` there, so
``keras.saving.load_model`` and ``keras.models.load_model`` are the wrapped
one; when Keras is loaded already, it registers the components at once.
(Keras looks a class up by its registered name in several places, some of
them straight in its registry dict, so registering before the load is the
one hook that covers them all.)
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.util
import os
import sys
import zipfile

from tfcourse._validation import TfcourseError

# Modules whose import registers Keras-serializable classes.
COMPONENT_MODULES = (
    "tfcourse.initializers",
    "tfcourse.labs.keras_tier",
    "tfcourse.layers",
    "tfcourse.losses",
    "tfcourse.models",
    "tfcourse.optimizers",
    "tfcourse.schedules",
)

LOADER_MODULE = "keras.src.saving.saving_api"
"""Keras' module of ``load_model`` (``keras.saving.load_model`` is bound from it)."""




class ModelFileError(TfcourseError, ValueError):
    """A saved model file is missing, truncated or not a Keras archive."""


def register_components() -> None:
    """Import every module that registers tfcourse classes with Keras."""
    for name in COMPONENT_MODULES:
        importlib.import_module(name)


def _wrap_load_model(saving_api) -> None:
    """Make ``saving_api.load_model`` call :func:`register_components` first."""
    original = getattr(saving_api, "load_model", None)
    if original is None or getattr(original, "registers_tfcourse", False):
        return

    @functools.wraps(original)
    def load_model(*args, **kwargs):
        register_components()
        return original(*args, **kwargs)

    load_model.registers_tfcourse = True
    saving_api.load_model = load_model


class _ThenWrap(importlib.abc.Loader):
    """Keras' own loader for its ``saving_api`` module, then :func:`_wrap_load_model`."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        _wrap_load_model(module)

    def __getattr__(self, name):  # get_source, get_filename... for tracebacks and inspect
        return getattr(self.loader, name)


class _LoaderImportHook(importlib.abc.MetaPathFinder):
    """Finds Keras' ``saving_api`` as usual, with a loader that wraps ``load_model`` after it."""

    def find_spec(self, fullname, path, target=None):
        if fullname != LOADER_MODULE:
            return None
        sys.meta_path.remove(self)  # once: the module is imported once per process
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _ThenWrap(spec.loader)
        return spec


def install_load_hook() -> None:
    """Let ``keras.saving.load_model`` find tfcourse classes without importing them first.

    See the module docstring. Called by ``import tfcourse``; imports no Keras.
    """
    if LOADER_MODULE in sys.modules:
        register_components()
    elif not any(isinstance(finder, _LoaderImportHook) for finder in sys.meta_path):
        sys.meta_path.insert(0, _LoaderImportHook())


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
