"""pytest's collection for the whole checkout (``--doctest-modules`` imports every module of
the package): the compiled target's modules import Numba, which only the ``fast`` extra
installs, so without it their doctests are not collected (``tox -e fast`` tests them)."""

import importlib.util

collect_ignore_glob = []
if importlib.util.find_spec("numba") is None:
    collect_ignore_glob += ["bptt_book/generated/numba_*.py", "bptt_book/kernels.py",
                            "bptt_book/vmath.py"]
