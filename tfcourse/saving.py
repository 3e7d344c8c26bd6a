"""Loading models that hold tfcourse components.

Keras finds a custom class by its registered name (``"tfcourse>Adam"``) only
once the module that defines it has been imported. :func:`load_model` imports
every tfcourse component module first, so a model saved with tfcourse
optimizers, initializers, layers, schedules, losses or lab models loads in a
fresh process with no ``custom_objects`` and with Keras' ``safe_mode`` on.

``keras.saving.load_model`` works too after a bare ``import tfcourse``:
:func:`install_registry_fallback` (run by ``import tfcourse``, without
importing Keras) makes Keras' registry lookup import the component modules
the first time it meets a ``tfcourse>`` name it does not know yet. It
changes nothing for other names, and costs ``import tfcourse`` no Keras import.
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

REGISTRY_MODULE = "keras.src.saving.object_registration"
"""Keras' module of ``get_registered_object``, the lookup every deserialization calls."""

PACKAGE_PREFIX = "tfcourse>"


class ModelFileError(TfcourseError, ValueError):
    """A saved model file is missing, truncated or not a Keras archive."""


def register_components() -> None:
    """Import every module that registers tfcourse classes with Keras."""
    for name in COMPONENT_MODULES:
        importlib.import_module(name)


def _add_fallback(registry) -> None:
    """Wrap ``registry.get_registered_object``: a ``tfcourse>`` miss registers, then looks again."""
    original = getattr(registry, "get_registered_object", None)
    if original is None or getattr(original, "tfcourse_fallback", False):
        return

    @functools.wraps(original)
    def get_registered_object(name, custom_objects=None, module_objects=None):
        found = original(name, custom_objects, module_objects)
        if found is None and isinstance(name, str) and name.startswith(PACKAGE_PREFIX):
            register_components()
            found = original(name, custom_objects, module_objects)
        return found

    get_registered_object.tfcourse_fallback = True
    registry.get_registered_object = get_registered_object


class _ThenAddFallback(importlib.abc.Loader):
    """Keras' own loader for the registry module, then :func:`_add_fallback`."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        _add_fallback(module)

    def __getattr__(self, name):  # get_source, get_filename... for tracebacks and inspect
        return getattr(self.loader, name)


class _RegistryImportHook(importlib.abc.MetaPathFinder):
    """Finds Keras' registry module as usual, with a loader that adds the fallback after it."""

    def find_spec(self, fullname, path, target=None):
        if fullname != REGISTRY_MODULE:
            return None
        sys.meta_path.remove(self)  # once: the module is imported once per process
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _ThenAddFallback(spec.loader)
        return spec


def install_registry_fallback() -> None:
    """Let ``keras.saving.load_model`` find tfcourse classes without importing them first.

    Keras' registry module is patched now if Keras is loaded, else right after
    Keras loads it (no Keras import here). Called by ``import tfcourse``.
    """
    registry = sys.modules.get(REGISTRY_MODULE)
    if registry is not None:
        _add_fallback(registry)
    elif not any(isinstance(finder, _RegistryImportHook) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RegistryImportHook())


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
