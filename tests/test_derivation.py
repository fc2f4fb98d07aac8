"""The SymPy derivation: every one-step result, the exact proof, and the generator."""

import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

from bptt_book.derivation import generate, onestep, recurrence, unrolled
from bptt_book.derivation import symbols as sym
from bptt_book.derivation.activations import NAMES, activation
from bptt_book.derivation.activations import s as act_s
from bptt_book.derivation.activations import z as act_z
from bptt_book.derivation.cells import BUILT_IN


@pytest.mark.parametrize("name", NAMES)
def test_activation_derivative_matches_numeric_derivative(name):
    act = activation(name)
    f = sp.lambdify(act_z, act.f_numeric.rewrite(sp.log), "numpy")
    fprime = sp.lambdify(act_s, act.fprime_s, "numpy")
    z = np.array([-3.0, -0.7, 0.2, 1.5, 4.0])
    h = 1e-6
    numeric = (f(z + h) - f(z - h)) / (2 * h)
    np.testing.assert_allclose(fprime(f(z)), numeric, rtol=1e-8, atol=1e-10)


def test_activation_derivatives_in_terms_of_the_output():
    s = act_s
    assert sp.expand(activation("tanh").fprime_s - (1 - s**2)) == 0
    assert sp.expand(activation("sigmoid").fprime_s - s * (1 - s)) == 0
    assert activation("relu").fprime_s == sp.Heaviside(s, 0)


def test_stable_sigmoid_equals_the_logistic_function():
    act = activation("sigmoid")
    for value in (-30, -1, 0, sp.Rational(1, 3), 7):
        assert sp.simplify((act.f - act.f_proof).subs(act_z, value).rewrite(sp.exp)) == 0
        assert sp.simplify((act.f - act.f_numeric.rewrite(sp.log)).subs(act_z, value)) == 0


@pytest.mark.parametrize("K", [2, 3, 5])
def test_softmax_cross_entropy_gradient_is_yhat_minus_y(K):
    result = onestep.softmax_cross_entropy(K)
    for j, component in enumerate(result.components):
        assert component == sp.Symbol(f"yhat{j}", positive=True) - sp.Symbol(f"y{j}", real=True)
    assert result.vector == sym.yhat_t - sym.y_t


def test_softmax_cross_entropy_gradient_numerically():
    rng = np.random.default_rng(0)
    o, y = rng.normal(size=5), np.eye(5)[2]

    def E(logits):
        return -np.log(np.exp(logits[2]) / np.exp(logits).sum())

    h = 1e-6
    numeric = [(E(o + h * e) - E(o - h * e)) / (2 * h) for e in np.eye(5)]
    yhat = np.exp(o) / np.exp(o).sum()
    np.testing.assert_allclose(yhat - y, numeric, rtol=1e-7, atol=1e-9)


def test_step_jacobian_is_the_transpose_of_the_books_jacobian():
    """SymPy's W.T*diag(f') (denominator layout) is the transpose of diag(f') W."""
    J = onestep.step_jacobians()
    assert J.ds_dsprev == sym.W.T * sp.DiagMatrix(sym.fprime_t)
    rng = np.random.default_rng(1)
    H = 4
    W, u, s_prev = rng.normal(size=(H, H)), rng.normal(size=H), rng.normal(size=H)
    z = u + W @ s_prev
    book = np.diag(1 - np.tanh(z) ** 2) @ W  # rows index s_t
    h = 1e-6
    numeric = np.column_stack(
        [(np.tanh(u + W @ (s_prev + h * e)) - np.tanh(u + W @ (s_prev - h * e))) / (2 * h)
         for e in np.eye(H)]
    )
    np.testing.assert_allclose(book, numeric, rtol=1e-7, atol=1e-9)
    explicit = J.ds_dsprev.xreplace(
        {sym.W: sp.ImmutableMatrix(W), sym.fprime_t: sp.ImmutableMatrix(1 - np.tanh(z) ** 2)}
    ).as_explicit()
    np.testing.assert_allclose(np.array(explicit, dtype=float), book.T, rtol=1e-12)


def test_recurrence_is_composed_from_the_one_step_jacobians():
    r = recurrence.delta_recurrence()
    assert r.delta == sp.DiagMatrix(sym.fprime_t) * (sym.g_t + sym.W.T * sym.delta_next)
    assert r.g == sym.V.T * (sym.yhat_t - sym.y_t)
    assert r.delta_own == sp.DiagMatrix(sym.fprime_t) * sym.g_t
    assert r.delta_back == sp.DiagMatrix(sym.fprime_t) * sym.W.T * sym.delta_next


def test_time_stacked_gradients_are_sums_of_outer_products():
    g = onestep.parameter_gradients()
    assert (g.Do, g.dV, g.G, g.dW, g.dU) == (
        sym.P - sym.Y, sym.Do.T * sym.S, sym.Do * sym.V, sym.Delta.T * sym.S_prev,
        sym.Delta.T * sym.X,
    )
    rng = np.random.default_rng(2)
    Delta, S_prev = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    outer_sum = sum(np.outer(Delta[t], S_prev[t]) for t in range(6))
    np.testing.assert_allclose(Delta.T @ S_prev, outer_sum, rtol=1e-12)


@pytest.mark.parametrize("name", unrolled.PROVABLE)
@pytest.mark.parametrize(
    ("H", "D", "x", "y"),
    [(2, 3, [0, 2, 0], [1, 0, 2]), (3, 4, [1, 3, 1], [3, 0, 2])],
)
def test_recurrence_equals_the_unrolled_derivative_exactly(H, D, x, y, name):
    assert unrolled.prove(H, D, x, y, name) == {"U": True, "V": True, "W": True}


def test_the_proof_catches_a_wrong_recurrence():
    wrong = sp.DiagMatrix(sym.fprime_t) * (sym.g_t + sym.W * sym.delta_next)  # W, not W.T
    result = unrolled.prove(2, 3, [0, 2, 0], [1, 0, 2], "tanh", delta=wrong)
    assert result["V"] is True  # V's gradient does not involve the recurrence
    assert result["W"] is False and result["U"] is False


def test_relu_is_not_claimed_provable():
    with pytest.raises(ValueError, match="relu"):
        unrolled.prove(2, 3, [0], [1], "relu")


def test_committed_generated_module_is_current():
    assert generate.check(), "run `python -m bptt_book generate` and commit the result"


def test_generate_check_command_fails_on_a_stale_file(tmp_path):
    generate.write(tmp_path)
    assert generate.check(tmp_path)
    stale = tmp_path / "rnn.py"
    stale.write_text(stale.read_text().replace("fprime(tape.s)", "1 - tape.s"))
    assert generate.differences(tmp_path) == [stale]
    (tmp_path / "gru.py").unlink()
    assert generate.differences(tmp_path) == [tmp_path / "rnn.py", tmp_path / "gru.py"]
    done = subprocess.run([sys.executable, "-m", "bptt_book", "generate", "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("cell", list(BUILT_IN.values()), ids=list(BUILT_IN))
def test_every_printed_line_names_its_sympy_source(cell):
    """Each line of the cell's equations and each coefficient of its backward step appears,
    as the SymPy expression it was printed from, in a comment of the generated module."""
    from bptt_book.derivation.adjoint import derive as derive_adjoint

    source = generate.sources()[f"{cell.name}.py"]
    for target, expr in cell.program:
        assert f"# {target} = {expr}\n" in source, (target, expr)
    for i, c in enumerate(derive_adjoint(cell).coefficients):
        assert f"# c{i} = {c}\n" in source, c
    layers = generate.sources()["layers.py"]
    for comment in ("# Do = P - Y", "# dV = (S.T*Do).T", "# G = Do*V", "# dW = dB.T*S_prev",
                    "# dU = dA.T*X", "# dbU = dA.T*1", "# dbW = dB.T*1"):
        assert comment in layers, comment


# ------------------------------------------------------------------ the book's printed forms


def test_printed_equations_read_as_the_prose_does():
    """The derived equations write yhat - y (never -y + yhat), a sigmoid's slope s(1 - s), and
    the step function by the printer's name; nothing is replaced by hand afterwards."""
    import re

    from bptt_book.derivation.equations import EQUATIONS, equation
    from bptt_book.derivation.printer import STEP_FUNCTION

    printed = {name: equation(name) for name in EQUATIONS}
    for name in ("softmax_ce", "g", "dE_ds", "dV_step"):
        assert r"\hat{y}_t - y_{t}" in printed[name], (name, printed[name])
    assert not any(re.search(r"- y_\{t\} \+ \\hat", tex) for tex in printed.values())
    assert printed["sigmoid_prime"].endswith(r"= s \left(1 - s\right)")
    assert printed["relu_prime"].count(STEP_FUNCTION) == 2
    assert not any(r"\theta" in tex for tex in printed.values())


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_gate_slopes_print_as_a_factor_beside_its_complement(cell):
    """Wherever a product of the backward step or the Jacobian holds a gate's value x and its
    complement 1 - x (a sigmoid's slope), the printer writes them side by side."""
    from bptt_book.derivation.adjoint import derive as derive_adjoint
    from bptt_book.derivation.printer import CellLatexPrinter, cell_latex_names

    description = BUILT_IN[cell]
    names = cell_latex_names(description)
    printer = CellLatexPrinter(names)
    pairs = 0
    for c in derive_adjoint(description).coefficients:
        for product in sp.preorder_traversal(c):
            if not isinstance(product, sp.Mul):
                continue
            for x in product.args:
                if x.is_Symbol and (1 - x) in product.args:
                    pairs += 1
                    tex = printer.doprint(product)
                    assert rf"{names[x]} \odot \left(1 - {names[x]}\right)" in tex, tex
    assert pairs >= 2


def test_the_forms_keep_the_value():
    from bptt_book.derivation.forms import paired_factors, positive_first

    r, n, z = sp.symbols("r n z")
    factors = [r, 1 - n**2, 1 - r, z, 1 - z]
    assert sp.Mul(*paired_factors(factors)) == sp.Mul(*factors)
    assert paired_factors(factors) == [r, 1 - r, 1 - n**2, z, 1 - z]
    terms = [-z, r, -n, sp.Integer(1)]
    assert positive_first(terms) == [r, 1, -z, -n]


def test_relu_slope_at_zero_is_the_one_pytorch_uses():
    """Chapter 3: the book takes relu'(0) = 0, as PyTorch does."""
    torch = pytest.importorskip("torch")
    from bptt_book.generated.activations import ACTIVATIONS

    z = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    torch.relu(z).sum().backward()
    assert z.grad.tolist() == [0.0, 0.0, 0.0]
    f, fprime = ACTIVATIONS["relu"]
    assert fprime(f(np.zeros(3))).tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("H", [2, 3])
def test_the_unrolled_loss_grows_about_H_fold_per_step(H):
    """Chapter 3 and unrolled.py: each time step multiplies the size of the unrolled loss (its
    operation count) by a factor between H and H + 1, approaching H."""
    rnn = BUILT_IN["rnn"]
    counts = [sp.count_ops(unrolled.cell_unrolled(rnn, H, 3, [0, 1, 2, 0, 1][:T], [1] * T,
                                                  "tanh")[2]) for T in (2, 3, 4, 5)]
    ratios = [b / a for a, b in zip(counts, counts[1:], strict=False)]
    assert all(H < r < H + 1 for r in ratios), ratios
    assert ratios == sorted(ratios, reverse=True)  # falling towards H
