"""The compiled target's two shared kernels: HAND-WRITTEN, the same for every cell.

The cells' kernels are printed from the derivation (``bptt_book/generated/numba_<cell>.py``).
These two are not cell code and come from no derivation; they are the compiled versions of
steps the NumPy path also writes by hand or leaves to NumPy (:mod:`bptt_book.model`,
:mod:`bptt_book.generated.layers`):

- :func:`softmax_minus_onehot`: ``yhat_t - y_t`` for a block of logits, in place, given
  the row maxima (NumPy takes those: its maximum vectorises, a compiled one does not), in
  one pass per row that exponentiates, sums, scales and subtracts 1 at the label while the
  row is in cache;
- :func:`scatter_rows`: ``dU^T[x_t] += dA_t`` for every step, the one-hot product
  ``dA^T X`` as a row scatter into a (D, kH) array (contiguous rows, unlike ``np.add.at``).

This module imports Numba; the package imports it only when the compiled backend runs.
"""

from numba import njit

from .vmath import exp_neg_

__all__ = ["scatter_rows", "softmax_minus_onehot"]


@njit(cache=True, error_model="numpy", fastmath={"contract", "reassoc"})
def softmax_minus_onehot(logits, top, y):
    """``logits[n] <- softmax(logits[n]) - onehot(y[n])`` for every row n, in place, with
    ``top[n]`` the row's maximum (``reassoc`` lets the row sum vectorise)."""
    N, D = logits.shape
    one = logits.dtype.type(1)
    for n in range(N):
        row = logits[n]
        m = top[n]
        total = logits.dtype.type(0)
        for k in range(D):
            e = exp_neg_(row[k] - m)
            row[k] = e
            total += e
        scale = one / total
        for k in range(D):
            row[k] *= scale
        row[y[n]] -= one


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def scatter_rows(dUT, xT, dA):
    """``dUT[xT[t, m]] += dA[t, m]`` for every step t and sequence m (time-major)."""
    T, B, K = dA.shape
    for t in range(T):
        for m in range(B):
            row = dUT[xT[t, m]]
            d = dA[t, m]
            for k in range(K):
                row[k] += d[k]
