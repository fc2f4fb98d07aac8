"""pytest settings for the book's pages.

``pytest --doctest-glob='*.md' docs`` runs every ``>>>`` example on the pages; each page imports
what it uses, so no shared namespace is set up here. ``conf.py`` is Sphinx's configuration and
``_ext/`` holds Sphinx extensions (they import Sphinx, which the tests do not install): neither is
a module to import or test; ``_vendor/`` holds third-party files.
"""

collect_ignore = ["conf.py", "_ext", "_vendor"]
