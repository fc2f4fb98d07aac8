"""Makes ``docs`` a package so that pytest imports ``docs/conftest.py`` as ``docs.conftest``.

Without it, this conftest and ``tests/conftest.py`` would both be imported as ``conftest`` and
``pytest --doctest-modules`` fails with "import file mismatch".
"""
