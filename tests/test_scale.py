"""Long sequences: memory linear in T, no T x D array, results still right."""

import subprocess
import sys

import numpy as np
from helpers import assert_grads_close

import bptt_book as bb

PEAK = """
import sys
import numpy as np
import bptt_book as bb
T, D, H = int(sys.argv[1]), 500, 10
p = bb.init_params(D, H, seed=0)
rng = np.random.default_rng(0)
x, y = rng.integers(0, D, T), rng.integers(0, D, T)
bb.bptt(p, x[:3], y[:3])  # one-time start-up (a compiled backend loads here), not measured
def high_water_kib():  # VmHWM: this process's peak, reset at exec (ru_maxrss is not)
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
before = high_water_kib()
g = bb.bptt(p, x, y)
assert all(np.isfinite(a).all() for a in g) and np.isfinite(bb.loss(p, x, y))
print((high_water_kib() - before) * 1024)
"""


def extra_peak_bytes(T):
    """How far a fresh process's peak memory rises while computing one gradient."""
    done = subprocess.run([sys.executable, "-c", PEAK, str(T)], capture_output=True,
                          text=True, check=True, timeout=300)
    return int(done.stdout)


def test_a_100000_step_sequence_runs_with_memory_linear_in_T():
    T, D, H = 100_000, 500, 10
    extra = extra_peak_bytes(T)
    # What a linear-in-T implementation needs: a dozen T x H arrays (states, f', G, deltas,
    # S_prev, ...; 8 MB each here) and a fixed chunk of logits.  Keeping the T x D outputs
    # would add 400 MB, so this bound fails for any implementation that materialises them.
    from bptt_book.model import CHUNK

    bound = 12 * T * H * 8 + 4 * CHUNK * D * 8 + 16e6
    assert T * H * 8 < extra < bound < T * D * 8, (extra, bound)  # the states at least


def test_chunked_output_layer_matches_the_loop_reference():
    """More steps than one chunk of logits: the chunks must add up exactly."""
    from bptt_book.model import CHUNK
    from bptt_book.reference import bptt_loop

    D, H, T = 30, 4, 2 * CHUNK + 17
    p = bb.init_params(D, H, seed=1)
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, D, T), rng.integers(0, D, T)
    assert_grads_close(bb.bptt(p, x, y), bptt_loop(*p, x, y, T))
    assert_grads_close(bb.bptt(p, x, y, truncate=3), bptt_loop(*p, x, y, 3))
    _, o = bb.forward(p, x)
    assert abs(bb.loss(p, x, y) + np.log(o[np.arange(T), y]).sum()) < 1e-9 * T
