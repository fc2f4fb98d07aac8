"""Install PyTorch, the tests' independent reference for the gated cells and the truncation
schemes (``torch.nn.GRU``/``nn.LSTM`` on the same weights), into the running environment,
from the CPU wheel this machine keeps on disk, and never from an index: PyPI's default Linux
build of torch pulls several GB of CUDA libraries.

Run by tox before the tests (``commands_pre``).  Without the file it says so in one line and
does nothing: the tests that need PyTorch then skip, and say why.
"""

import glob
import importlib.util
import shutil
import subprocess
import sys

#: The wheel's version: the one the tests were written against.
VERSION = "2.13.0"
#: Where the machine keeps it (``PIP_FIND_LINKS``).
FOLDER = "/opt/wheels"


def main() -> int:
    if importlib.util.find_spec("torch") is not None:
        print("PyTorch is installed: the tests compare against it")
        return 0
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    found = sorted(glob.glob(f"{FOLDER}/torch-{VERSION}+cpu-{tag}-{tag}-*.whl"))
    if not found:
        print(f"no PyTorch {VERSION} CPU wheel in {FOLDER}: the tests against PyTorch skip")
        return 0
    if importlib.util.find_spec("pip") is not None:
        command = [sys.executable, "-m", "pip", "install", "--quiet", found[-1]]
    elif shutil.which("uv"):
        command = ["uv", "pip", "install", "--quiet", "--python", sys.executable, found[-1]]
    else:
        print("neither pip nor uv to install PyTorch with: the tests against PyTorch skip")
        return 0
    if subprocess.run(command).returncode != 0:
        print(f"could not install {found[-1]}: the tests against PyTorch skip")
        return 0
    print(f"installed {found[-1]}: the tests compare against PyTorch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
