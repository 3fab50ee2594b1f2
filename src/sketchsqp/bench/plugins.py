"""Plugins: user modules that register extra methods or problem families before a benchmark.

A plugin is a module name (``mypkg.bench_methods``) or a path to a ``.py`` file.  Importing it
is all that happens; it registers what it offers with :func:`sketchsqp.register_method` and
:func:`sketchsqp.bench.suites.register_family`.  The runner imports the plugins in its own process
(to resolve names) and again in every worker process (which starts without them).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Iterable


def load_plugin(plugin: str) -> ModuleType:
    """Import one plugin (a module name or a ``.py`` path); importing twice returns the same module."""
    if plugin.endswith(".py"):
        path = Path(plugin).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"plugin file {plugin} does not exist")
        # A name derived from the full path, so two plugin files called alike do not collide.
        digest = hashlib.sha256(str(path).encode()).hexdigest()[:10]
        module_name = f"sketchsqp_plugin_{path.stem}_{digest}"
        if module_name in sys.modules:
            return sys.modules[module_name]
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
        return module
    return importlib.import_module(plugin)


def load_plugins(plugins: Iterable[str]) -> None:
    for plugin in plugins:
        load_plugin(plugin)


def absolute_plugin_paths(plugins: Iterable[str]) -> tuple[str, ...]:
    """Plugins with file paths made absolute (workers may start in another directory)."""
    return tuple(str(Path(p).resolve()) if p.endswith(".py") else p for p in plugins)
