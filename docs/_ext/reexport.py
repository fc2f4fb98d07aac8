"""Cross-references to re-exported names.

autodoc documents ``bptt_book.loss`` under its defining module, ``bptt_book.model.loss``. This
extension lets the pages and the docstrings write the short public name anyway: a Python
reference to ``PACKAGE.X`` that has no target is retried with the name of the module that
defines ``X``. ``PACKAGE`` is the configuration value ``reexport_package``.
"""

from __future__ import annotations

import importlib


def canonical_name(target: str, package: str) -> str | None:
    """``module.qualname`` of the object ``target`` names, if it is defined inside ``package``."""
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        module = getattr(obj, "__module__", None)
        qualname = getattr(obj, "__qualname__", None)
        if module and qualname and module.startswith(package):
            return f"{module}.{qualname}"
        return None
    return None


def resolve_reexport(app, env, node, contnode):
    package = app.config.reexport_package
    target = node.get("reftarget", "")
    if not package or node.get("refdomain") != "py" or not target.startswith(f"{package}."):
        return None
    canonical = canonical_name(target, package)
    if canonical is None or canonical == target:
        return None
    retry = node.deepcopy()
    retry["reftarget"] = canonical
    return env.get_domain("py").resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], canonical, retry, contnode
    )


def setup(app):
    app.add_config_value("reexport_package", "", "env", types=frozenset({str}))
    app.connect("missing-reference", resolve_reexport)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
