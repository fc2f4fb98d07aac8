"""pytest settings for the book's pages.

``pytest --doctest-glob='*.md' docs`` runs every ``>>>`` example on the pages; each page imports
what it uses, so no shared namespace is set up here. ``conf.py`` is Sphinx's configuration and
``_ext/`` holds its extensions: modules for Sphinx, not to import or test here.
"""

collect_ignore = ["conf.py", "_ext"]
