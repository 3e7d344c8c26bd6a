"""Lazy attributes for package ``__init__`` modules.

A package lists what it exports and from which module; the module is
imported on first access, so importing the package stays cheap (no
TensorFlow until something that needs it is used).
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Iterable, Mapping


def lazy_attributes(
    package: str, exports: Mapping[str, str], submodules: Iterable[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``.

    Args:
        package: the package's ``__name__``.
        exports: public name -> module that defines it.
        submodules: names of ``package.<name>`` modules loaded on access.
    """
    submodules = tuple(submodules)

    def __getattr__(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
        elif name in submodules:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        vars(importlib.import_module(package))[name] = value
        return value

    def __dir__() -> list[str]:
        loaded = vars(importlib.import_module(package))
        return sorted(set(loaded) | set(exports) | set(submodules))

    return __getattr__, __dir__
