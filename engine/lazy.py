"""Lazy package attributes (PEP 562): a name is imported from its module on first use.

``engine.runtime`` and ``engine.interchange`` use it so that importing the package
does not import torch or onnx.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, where: Mapping[str, str],
                    namespace: dict) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package``: ``where[name]`` is the submodule
    that defines ``name``; a value, once imported, is kept in ``namespace``."""

    def __getattr__(name: str):  # noqa: N807 (PEP 562)
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__():  # noqa: N807 (PEP 562)
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__
