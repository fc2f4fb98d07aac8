"""The numbers the book's prose quotes, each computed, never typed.

A page writes ``{num}`name``` (in a figure's reST caption, ``:num:`name```) where it quotes a
number; the book's Sphinx extension ``docs/_ext/quoted_numbers.py`` puts the value of
``NUMBERS[name]`` there when the book is built, formatted as the entry says.  The values
come from the same functions as the figures (a figure's ``*_data()`` with the settings of
``conf/*.toml``, computed once per process by ``figures._settings.default_data`` and kept on
disk, shared with the drawing), from the
settings themselves, or from the package's functions.  When the code or a setting changes a
number, the prose changes with it; ``tests/test_prose_numbers.py`` fails on a number typed
into the prose instead.

>>> from bptt_book.figures import quoted
>>> quoted.text("tutorial.D"), quoted.text("tutorial.n_params")
('8000', '1,610,000')
>>> quoted.text("float64.log_max")
'709.78'
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any, NamedTuple

import numpy as np

from .. import config

_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
          "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
          "seventeen", "eighteen", "nineteen", "twenty")
_ORDINALS = ("zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh",
             "eighth", "ninth", "tenth", "eleventh", "twelfth")


class Number(NamedTuple):
    """One quoted number: how to compute it, how to write it, and what it is."""

    compute: Callable[[], Any]
    style: str
    about: str


#: name -> :class:`Number`; filled by :func:`number` below, page by page.
NUMBERS: dict[str, Number] = {}


def number(name: str, style: str, about: str) -> Callable[[Callable[[], Any]], Callable]:
    """Register the function below as the number ``name``, written in ``style``:

    - a format specification of Python (``"d"``, ``",d"``, ``".3g"``, ``".2f"``);
    - ``"sci.N"``: N significant digits as :math:`a \\times 10^{b}` (typeset as math);
    - ``"%.N"``: a share as a percentage with N decimals (``0.0062`` -> ``0.62 %``);
    - ``"word"`` / ``"ordinal"``: a small whole number as a word (``seven``, ``ninth``);
    - ``"list:F"``: a list, each item in format F, joined as ``2, 4 and 8``.
    """
    def register(compute: Callable[[], Any]) -> Callable[[], Any]:
        if name in NUMBERS:
            raise ValueError(f"the number {name!r} is registered twice")
        NUMBERS[name] = Number(compute, style, about)
        return compute
    return register


@cache
def value(name: str) -> Any:
    """The value of the number ``name``, computed once per process."""
    try:
        entry = NUMBERS[name]
    except KeyError:
        raise KeyError(f"no quoted number {name!r}; known: {sorted(NUMBERS)}") from None
    return entry.compute()


def _sci(v: float, digits: int) -> tuple[str, int]:
    mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
    return mantissa, int(exponent)


def _plain(v: Any, style: str) -> str:
    if style == "word":
        return _WORDS[_whole(v)]
    if style == "ordinal":
        return _ORDINALS[_whole(v)]
    if style.startswith("%."):
        return f"{100 * float(v):.{int(style[2:])}f} %"
    if style.startswith("list:"):
        items = [_plain(item, style[5:]) for item in v]
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    return format(v, style)


def _whole(v: Any) -> int:
    if int(v) != v or not 0 <= int(v) < len(_WORDS):
        raise ValueError(f"{v!r} cannot be written as a word")
    return int(v)


def latex(name: str) -> str | None:
    """The number ``name`` as LaTeX when its style is typeset as math (``sci.N``), else None."""
    style = NUMBERS[name].style if name in NUMBERS else ""
    if not style.startswith("sci."):
        return None
    mantissa, exponent = _sci(float(value(name)), int(style[4:]))
    return rf"{mantissa} \times 10^{{{exponent}}}"


def text(name: str) -> str:
    """The number ``name`` as the prose writes it (``sci.N`` as ``a×10^b`` in plain text)."""
    style = NUMBERS[name].style if name in NUMBERS else ""
    v = value(name)
    if style.startswith("sci."):
        mantissa, exponent = _sci(float(v), int(style[4:]))
        return f"{mantissa}×10^{exponent}"
    return _plain(v, style)


# --------------------------------------------------------------------------- the numbers
# Grouped by the page that quotes them.  Settings are read from conf/*.toml; results from
# the figures' data (default_data) or from the package.


def _model(name: str) -> Any:
    return config.model(name)


@number("tutorial.D", "d", "the tutorial's vocabulary size D (conf/models.toml)")
def _tutorial_D() -> int:
    return _model("tutorial")["word_dim"]


@number("tutorial.H", "d", "the tutorial's hidden size H (conf/models.toml)")
def _tutorial_H() -> int:
    return _model("tutorial")["hidden_dim"]


@number("tutorial.K", "d", "the tutorial's truncation length (conf/models.toml)")
def _tutorial_K() -> int:
    return _model("tutorial")["bptt_truncate"]


@number("tutorial.n_params", ",d", "2HD + H^2, the weights of the tutorial's model")
def _tutorial_n_params() -> int:
    D, H = _tutorial_D(), _tutorial_H()
    return 2 * H * D + H * H


@number("tutorial.log_D", ".3f", "log D, the loss per word of a uniform guess")
def _tutorial_log_D() -> float:
    return float(np.log(_tutorial_D()))


@number("float64.log_max", ".2f", "ln of the largest double: exp overflows above it")
def _float64_log_max() -> float:
    return float(np.log(np.finfo(np.float64).max))


@number("tutorial.W_share", "%.2",
        "the share of the tutorial's weights that W holds, H^2/(2HD + H^2)")
def _tutorial_W_share() -> float:
    return _tutorial_H() ** 2 / _tutorial_n_params()


# -- chapter 1: the figures' settings and results


def _figure(name: str) -> Any:
    from ._settings import default_data

    return default_data(name)


@number("hidden_states.length", "d", "the length of the sentence of fig-hidden-states")
def _hidden_states_length() -> int:
    return int(len(_figure("hidden_states").x))


@number("hidden_states.sigmoid_floor_step", "d",
        "the first step from which the sigmoid's distance of fig-hidden-states stops falling "
        "(it is at rounding level, below 1e-15)")
def _sigmoid_floor_step() -> int:
    distance = _figure("hidden_states").distance["sigmoid"]
    return int(np.argmax(distance < 1e-15))


def _untrained() -> tuple[np.ndarray, np.ndarray]:
    d = _figure("untrained_loss")
    return d.word_dims, d.per_word - np.log(d.word_dims)


@number("untrained.D_min", "d", "the smallest vocabulary of fig-untrained-loss")
def _untrained_D_min() -> int:
    return int(_untrained()[0].min())


@number("untrained.D_max", "d", "the largest vocabulary of fig-untrained-loss")
def _untrained_D_max() -> int:
    return int(_untrained()[0].max())


@number("untrained.max_gap", ".4f", "the largest gap loss per word - log D of fig-untrained-loss")
def _untrained_max_gap() -> float:
    return float(np.abs(_untrained()[1]).max())


@number("untrained.max_gap_D", "d", "the vocabulary size with the largest gap")
def _untrained_max_gap_D() -> int:
    dims, gaps = _untrained()
    return int(dims[np.abs(gaps).argmax()])


@cache
def _spread() -> tuple[float, float]:
    """The smallest and largest entry of D * yhat over the batch of fig-untrained-loss at the
    vocabulary with the largest gap (the batch drawn as untrained_loss_data draws it)."""
    import bptt_book as bb

    from ._settings import pick

    settings = pick("figures", "untrained_loss")
    D = _untrained_max_gap_D()
    p = bb.init_params(D, settings["hidden_dim"], seed=settings["seed"])
    rng = np.random.default_rng(settings["seed"])
    x = rng.integers(0, D, (settings["sentences"], settings["length"]))
    _, yhat = bb.forward(p, x)
    return float((D * yhat).min()), float((D * yhat).max())


@number("untrained.spread_low", ".2f", "the smallest entry of D yhat_t at that vocabulary")
def _spread_low() -> float:
    return _spread()[0]


@number("untrained.spread_high", ".2f", "the largest entry of D yhat_t at that vocabulary")
def _spread_high() -> float:
    return _spread()[1]


# -- chapter 2


@number("gradient_check.D", "d", "the gradient-check model's vocabulary (conf/models.toml)")
def _gradient_check_D() -> int:
    return _model("gradient_check")["word_dim"]


@number("gradient_check.H", "d", "the gradient-check model's hidden size (conf/models.toml)")
def _gradient_check_H() -> int:
    return _model("gradient_check")["hidden_dim"]


@cache
def _worked_contributions() -> tuple[np.ndarray, np.ndarray]:
    """Chapter 2's worked example: the sizes of the contributions of steps k = 3, 2, 1, 0 to
    dE_3/dW and dE_3/dU, |delta_k s_(k-1)^T| and |delta_k x_k^T| = |delta_k|, with
    delta_k = diag(1 - s_k^2) (ds_3/ds_k)^T V^T (yhat_3 - y_3)."""
    import bptt_book as bb

    m = _model("worked_example")
    p = bb.init_params(m["word_dim"], m["hidden_dim"], seed=m["seed"])
    x, y = m["x"], m["y"]
    s, yhat = bb.forward(p, x)
    e = yhat[3] - np.eye(m["word_dim"])[y[3]]
    s_prev = np.vstack([np.zeros(m["hidden_dim"]), s[:-1]])
    deltas = [(1 - s[k] ** 2) * (bb.jacobian(p, x, 3, k).T @ (p.V.T @ e)) for k in (3, 2, 1, 0)]
    c_U = np.array([np.linalg.norm(d) for d in deltas])
    c_W = c_U * np.linalg.norm(s_prev[[3, 2, 1, 0]], axis=1)
    return c_W, c_U


def _worked_ratios() -> np.ndarray:
    c_W, c_U = _worked_contributions()
    ratios = list(c_W[:2] / c_W[1:3]) + list(c_U[:3] / c_U[1:4])  # W at step 0 is zero
    return np.array(ratios)


@number("worked.shrink_min", ".1f", "the smallest factor by which one more step back shrinks "
        "a contribution to dE_3/dW or dE_3/dU in chapter 2's worked example")
def _shrink_min() -> float:
    return float(_worked_ratios().min())


@number("worked.shrink_max", ".1f", "the largest such factor")
def _shrink_max() -> float:
    return float(_worked_ratios().max())


@number("truncation.length", "d", "the sentence length T of fig-bptt-truncation")
def _truncation_length() -> int:
    return int(_figure("truncation_error").length)


@number("truncation.last_K", "d", "T - 1: from this truncation length on, nothing is cut")
def _truncation_last_K() -> int:
    return _truncation_length() - 1


def _truncation_W_error(K: int) -> float:
    d = _figure("truncation_error")
    return float(d.error[list(d.K).index(K), 2])


@number("truncation.error_W_K4", "%.1", "the relative error of dW truncated at K = 4 "
        "(fig-bptt-truncation)")
def _error_W_K4() -> float:
    return _truncation_W_error(4)


@number("truncation.error_W_K8", "%.1", "the same at K = 8")
def _error_W_K8() -> float:
    return _truncation_W_error(8)


# -- chapters 7 to 9: the experiments' settings (conf/experiments.toml, at the book's size and in
# full), and the agreement task's vocabulary


def _experiment(name: str, size: str) -> dict:
    from .. import experiments

    return experiments.settings(name, size)


def _register_experiment_settings() -> None:
    """``NAME.SIZE.KEY`` for the settings chapters 7 to 9 quote."""
    keys: dict[str, tuple[str, Callable[[dict], Any]]] = {
        "runs": ("d", lambda s: s["runs"]),
        "epochs": ("d", lambda s: s["epochs"]),
        "test_size": ("d", lambda s: s["test_size"]),
        "success": (".2f", lambda s: s["success"]),
        "success_percent": (".0%", lambda s: s["success"]),
        "lengths": ("list:d", lambda s: s["lengths"]),
        "min_length": ("d", lambda s: min(s["lengths"])),
        "max_length": ("d", lambda s: max(s["lengths"])),
        "n_lengths": ("word", lambda s: len(s["lengths"])),
        "batches": ("d", lambda s: s["train_size"] // s["batch_size"]),
        "train_size": ("d", lambda s: s["train_size"]),
        "hidden_dim": ("d", lambda s: s["hidden_dim"]),
    }
    for name in ("recall_length", "truncation", "remedies", "agreement", "truncation_schemes",
                 "gated_length", "gated_reach"):
        for size in ("book", "full"):
            for key, (style, read) in keys.items():
                def compute(name: str = name, size: str = size,
                            read: Callable[[dict], Any] = read) -> Any:
                    return read(_experiment(name, size))
                number(f"{name}.{size}.{key}", style,
                       f"{key} of experiment {name} at the {size} size "
                       "(conf/experiments.toml)")(compute)


_register_experiment_settings()


@number("agreement.full.extra_lengths", "list:d",
        "the clause lengths the full-size agreement run tries beyond the book's")
def _agreement_extra_lengths() -> list[int]:
    full, book = _experiment("agreement", "full"), _experiment("agreement", "book")
    return [L for L in full["lengths"] if L not in book["lengths"]]


@number("agreement.word_dim", "d", "the vocabulary of the agreement task")
def _agreement_word_dim() -> int:
    from ..tasks import Agreement

    return Agreement(length=_experiment("agreement", "book")["lengths"][0]).word_dim


# -- chapter 4


@number("printer.lines", "d", "the lines of code of NumPyCodePrinter (without blank lines, "
        "comments and docstrings), to the nearest ten")
def _printer_lines() -> int:
    import ast
    import inspect
    import textwrap

    from ..derivation.printer import NumPyCodePrinter

    source = textwrap.dedent(inspect.getsource(NumPyCodePrinter))
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if (isinstance(node, ast.ClassDef | ast.FunctionDef) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)):
            docstrings.update(range(body[0].lineno, (body[0].end_lineno or 0) + 1))
    code = [line for number, line in enumerate(source.splitlines(), start=1)
            if line.strip() and not line.strip().startswith("#") and number not in docstrings]
    return int(round(len(code), -1))


@number("gradient_check.n_params", "d", "the weights of the gradient-check model, 2HD + H^2")
def _gradient_check_n_params() -> int:
    D, H = _gradient_check_D(), _gradient_check_H()
    return 2 * H * D + H * H


@number("gradient_check.unused_words", "d", "the words the gradient-check sentence leaves out")
def _gradient_check_unused() -> int:
    return _gradient_check_D() - len(set(_model("gradient_check")["x"]))


@number("float64.digits", ".0f", "the significant decimal digits of a double, -log10(eps)")
def _float64_digits() -> float:
    return float(-np.log10(np.finfo(np.float64).eps))


@number("model.chunk", "d", "the block of steps the output layer is computed in "
        "(bptt_book.model.CHUNK)")
def _model_chunk() -> int:
    from ..model import CHUNK

    return CHUNK


def _best_step(name: str) -> float:
    d = _figure("gradcheck_step")
    return float(d.h[np.argmin(d.error[name])])


for _name in "UVW":
    number(f"gradcheck.best_h.{_name}", "sci.1",
           f"the step h with the smallest error of {_name} on the grid of fig-gradcheck-step")(
        partial(_best_step, _name))


@number("gradcheck.best_h_over_estimate", "d",
        "the largest best step of fig-gradcheck-step over the estimate (eps/2)^(1/3), "
        "to two significant digits")
def _best_over_estimate() -> int:
    estimate = (np.finfo(np.float64).eps / 2) ** (1 / 3)
    worst = max(_best_step(name) for name in "UVW") / estimate
    return int(float(f"{worst:.2g}"))


#: The steps of the float32 gradient check (from large to small).
FLOAT32_STEPS = (0.3, 0.1, 0.03, 0.01, 3e-3, 1e-3)


@cache
def _float32_check() -> dict[str, np.ndarray]:
    """Chapter 4's exercise in float32: the largest relative error of the centred difference
    for U (the columns the sentence uses), V and W of the gradient-check model, with the loss
    evaluated in float32, at each step of :data:`FLOAT32_STEPS`; against the exact float64
    gradient."""
    import bptt_book as bb

    m = _model("gradient_check")
    p = bb.init_params(m["word_dim"], m["hidden_dim"], seed=m["seed"])
    x, y = m["x"], m["y"]
    exact = tuple(bb.bptt(p, x, y))
    p32 = [a.astype(np.float32) for a in p]
    used = sorted(set(x))
    errors: dict[str, list[float]] = {}
    for k, name in enumerate("UVW"):
        entries = (np.arange(p32[k].size) if name != "U" else
                   np.ravel_multi_index(np.ix_(range(p32[k].shape[0]), used), p32[k].shape).ravel())
        errors[name] = []
        for h in FLOAT32_STEPS:
            worst = 0.0
            for i in entries:
                pair = []
                for sign in (1, -1):
                    q = [a.copy() for a in p32]
                    q[k].ravel()[i] += np.float32(sign * h)
                    pair.append(bb.loss(bb.Params(*q), x, y))
                numeric = (pair[0] - pair[1]) / (2 * h)
                a = float(exact[k].ravel()[i])
                if a or numeric:
                    worst = max(worst, abs(a - numeric) / (abs(a) + abs(numeric)))
            errors[name].append(worst)
    return {name: np.array(e) for name, e in errors.items()}


@number("gradcheck32.best_worst_error", "sci.1", "float32: the smallest, over the steps, of the "
        "largest relative error over U, V and W")
def _float32_best_worst() -> float:
    errors = np.vstack(list(_float32_check().values()))
    return float(errors.max(axis=0).min())


def _float32_best_step(name: str) -> float:
    return FLOAT32_STEPS[int(np.argmin(_float32_check()[name]))]


for _name in "UVW":
    number(f"gradcheck32.best_h.{_name}", "g",
           f"float32: the step with the smallest largest error of {_name}")(
        partial(_float32_best_step, _name))


# -- chapter 5


@number("sigmoid.threshold", "g", "1/gamma for the sigmoid: its threshold on sigma_max(W)")
def _sigmoid_threshold() -> float:
    from ..generated.activations import GAMMA

    return 1 / GAMMA["sigmoid"]


def _vanishing(table: str) -> Any:
    return config.load("vanishing")[table]


@number("jacobian_norms.length", "d", "the sentence length of [jacobian_norms]")
def _jacobian_norms_length() -> int:
    return _vanishing("jacobian_norms")["length"]


@number("contributions.length", "d", "the sentence length of [contributions]")
def _contributions_length() -> int:
    return _vanishing("contributions")["length"]


@number("powers.nonnormal_size", "d", "the size of the non-normal W of fig-powers")
def _nonnormal_size() -> int:
    return _vanishing("powers")["nonnormal_size"]


def _tutorial_power_ratios() -> np.ndarray:
    d = _figure("powers")
    label = next(iter(d.norms))  # the model's W
    return d.norms[label] / d.rho[label] ** d.distance


@number("powers.ratio_min", ".1f", "the smallest ||W^d|| / rho^d of the tutorial's W in fig-powers")
def _ratio_min() -> float:
    return float(_tutorial_power_ratios().min())


@number("powers.ratio_max", ".1f", "the largest ||W^d|| / rho^d of the tutorial's W in fig-powers")
def _ratio_max() -> float:
    return float(_tutorial_power_ratios().max())


def _default(function: Callable[..., Any], name: str) -> Any:
    """The default of the keyword argument ``name`` of a figure's data ``function``: its own
    default, not ``inspect.signature``'s, which Sphinx's autodoc
    (``autodoc_preserve_defaults``) replaces, for a documented function, by source text."""
    return (function.__kwdefaults__ or {})[name]


def _heatmap_default(name: str) -> Any:
    from . import jacobian_heatmap_data

    return _default(jacobian_heatmap_data, name)


@number("heatmap.length", "d", "the sentence length of fig-jacobian-heatmap")
def _heatmap_length() -> int:
    return _heatmap_default("length")


@number("heatmap.scale", "g", "the scale of the right panel of fig-jacobian-heatmap, "
        "sigma_max(W) in units of 1/gamma")
def _heatmap_scale() -> float:
    return _heatmap_default("scales")[1]


def _heatmap_far(panel: int) -> float:
    table = _figure("jacobian_heatmap").norms[panel]
    return float(table[-1, 0])  # from the last output back to step 0


@number("heatmap.tutorial_far", "sci.1", "fig-jacobian-heatmap, the tutorial's W: "
        "||ds_t/ds_0|| for the last output t")
def _heatmap_tutorial_far() -> float:
    return _heatmap_far(0)


@number("heatmap.above_far", ".3g", "fig-jacobian-heatmap, the right panel: "
        "||ds_t/ds_0|| for the last output t")
def _heatmap_above_far() -> float:
    return _heatmap_far(1)


@number("init.sigma_limit", ".3f", "2/sqrt(3): the large-H limit of sigma_max of the tutorial's W")
def _sigma_limit() -> float:
    from .dynamics import SIGMA_LIMIT

    return float(SIGMA_LIMIT)


@number("init.rho_limit", ".3f", "1/sqrt(3): the large-H limit of rho of the tutorial's W")
def _rho_limit() -> float:
    from .dynamics import RHO_LIMIT

    return float(RHO_LIMIT)


@number("init.seeds", "d", "the draws per hidden size of fig-init-spectra")
def _init_seeds() -> int:
    return int(_figure("init_spectra").sigma.shape[1])


@number("init.hidden_dims", "list:d", "the hidden sizes of fig-init-spectra")
def _init_hidden_dims() -> list[int]:
    return list(_figure("init_spectra").hidden_dims)


@number("init.first_H_all_above", "d", "the smallest hidden size of fig-init-spectra from "
        "which on every draw has sigma_max > 1 > rho")
def _first_H_all_above() -> int:
    d = _figure("init_spectra")
    ok = [bool((s > 1).all() and (r < 1).all()) for s, r in zip(d.sigma, d.rho, strict=True)]
    for i, H in enumerate(d.hidden_dims):
        if all(ok[i:]):
            return int(H)
    raise ValueError("no hidden size of fig-init-spectra has sigma_max > 1 > rho in every draw")


# -- chapter 6


def _growth() -> Any:
    return _figure("gradient_growth")


@number("growth.longest", "d", "the longest sentence of fig-gradient-growth")
def _growth_longest() -> int:
    return int(max(_growth().lengths))


@number("growth.second_longest", "d", "the second longest sentence of fig-gradient-growth")
def _growth_second_longest() -> int:
    return int(sorted(_growth().lengths)[-2])


@number("growth.second", "d", "the second shortest sentence of fig-gradient-growth")
def _growth_second() -> int:
    return int(sorted(_growth().lengths)[1])


@number("growth.ratio", "sci.2", "at the largest scale of fig-gradient-growth, the norm per "
        "word of the longest sentence over that of the second shortest")
def _growth_ratio() -> float:
    d = _growth()
    per_word = d.norm_per_word[max(d.norm_per_word)]
    lengths = list(d.lengths)
    return float(per_word[lengths.index(_growth_longest())]
                 / per_word[lengths.index(_growth_second())])


@number("growth.tanh_longest_at_2", "sci.2", "tanh at 2/gamma: the norm per word of the "
        "longest sentence of fig-gradient-growth")
def _growth_tanh_at_2() -> float:
    d = _growth()
    return float(d.norm_per_word[2.0][list(d.lengths).index(_growth_longest())])


def _clipping_setting(key: str) -> Any:
    return _vanishing("clipping")[key]


for _key, _style in (("learning_rate", "g"), ("length", "d"), ("word_dim", "d"),
                     ("hidden_dim", "d"), ("scale", "g"), ("steps", "d")):
    number(f"clipping.{_key}", _style, f"{_key} of [clipping] in conf/vanishing.toml")(
        partial(_clipping_setting, _key))


@number("clipping.pattern", "word", "the length of the repeated pattern of [clipping]")
def _clipping_pattern() -> int:
    return _clipping_setting("pattern")


@number("clipping.words", "d", "the words of the repeated sentence, length + 1")
def _clipping_words() -> int:
    return _clipping_setting("length") + 1


@number("clipping.uniform_loss", ".1f", "T log D: the loss of a uniform guess on the sentence")
def _uniform_loss() -> float:
    return float(_clipping_setting("length") * np.log(_clipping_setting("word_dim")))


def _clipping_runs() -> Any:
    return _figure("clipping").runs


@number("clipping.plain_steps_above_start", "d", "the losses of the plain run of "
        "fig-clipping above its first")
def _plain_above() -> int:
    loss = np.array(_clipping_runs()["plain SGD"].loss)
    return int((loss > loss[0]).sum())


@number("clipping.losses", "d", "the losses recorded in each run of fig-clipping")
def _clipping_losses() -> int:
    return len(_clipping_runs()["plain SGD"].loss)


@number("clipping.plain_final", ".0f", "the final loss of the plain run of fig-clipping")
def _plain_final() -> float:
    return float(_clipping_runs()["plain SGD"].loss[-1])


@number("clipping.clipped_final", ".2f", "the final loss of the clipped run of fig-clipping")
def _clipped_final() -> float:
    return float(_clipping_runs()["clipped"].loss[-1])


def _lyapunov() -> Any:
    return _figure("lyapunov")


def _exponent(activation: str, scale: float) -> float:
    d = _lyapunov()
    return float(d.exponent[activation][d.scales.index(scale)])


def _cliff_default(name: str) -> Any:
    from . import cliff_data

    return _default(cliff_data, name)


def _cliff() -> Any:
    return _figure("cliff")


def _cliff_loss(where: str) -> float:
    from . import cliff_step

    d = _cliff()
    return float(cliff_step(d, getattr(d, where))[0])


@number("cliff.length", "d", "the sentence length of fig-cliff")
def _cliff_length() -> int:
    return _cliff_default("length")


@number("cliff.switch", "d", "fig-cliff: the steps for which the unit must hold its state up")
def _cliff_switch() -> int:
    return _cliff_default("switch")


@number("cliff.start", ".5g", "fig-cliff: the weight w on the wall where the slope is steepest")
def _cliff_start() -> float:
    return float(_cliff().start)


@number("cliff.slope", "sci.3", "fig-cliff: dE/dw at the start of the steps")
def _cliff_slope() -> float:
    from . import cliff_step

    d = _cliff()
    return float(cliff_step(d, d.start)[1])


@number("cliff.learning_rate", "g", "fig-cliff: the learning rate of both steps")
def _cliff_learning_rate() -> float:
    return float(_cliff().learning_rate)


@number("cliff.threshold", "g", "fig-cliff: the clipping threshold of the clipped step")
def _cliff_threshold() -> float:
    return float(_cliff().threshold)


@number("cliff.longest", "g", "fig-cliff: the longest clipped step, learning rate times threshold")
def _cliff_longest() -> float:
    d = _cliff()
    return float(d.learning_rate * d.threshold)


@number("cliff.plain", ".3g", "fig-cliff: where the plain step lands")
def _cliff_plain() -> float:
    return float(_cliff().plain)


@number("cliff.plain_move", ".3g", "fig-cliff: how far the plain step moves w")
def _cliff_plain_move() -> float:
    d = _cliff()
    return float(d.plain - d.start)


@number("cliff.start_loss", ".3g", "fig-cliff: the loss at the start of the steps")
def _cliff_start_loss() -> float:
    return _cliff_loss("start")


@number("cliff.plain_loss", ".3g", "fig-cliff: the loss where the plain step lands")
def _cliff_plain_loss() -> float:
    return _cliff_loss("plain")


@number("cliff.clipped_loss", ".3g", "fig-cliff: the loss where the clipped step lands")
def _cliff_clipped_loss() -> float:
    return _cliff_loss("clipped")


@number("lyapunov.tanh_at_2", ".3f", "the largest Lyapunov exponent of fig-lyapunov, tanh, 2/gamma")
def _tanh_at_2() -> float:
    return _exponent("tanh", 2.0)


@number("lyapunov.sigmoid_at_2", ".3f",
        "the largest Lyapunov exponent of fig-lyapunov, sigmoid, 2/gamma")
def _sigmoid_at_2() -> float:
    return _exponent("sigmoid", 2.0)


@number("lyapunov.first_length", "d", "the shortest prefix of the growth fit of fig-lyapunov")
def _lyapunov_first() -> int:
    return min(_vanishing("lyapunov")["growth_lengths"])


@number("lyapunov.last_length", "d", "the longest prefix of the growth fit of fig-lyapunov")
def _lyapunov_last() -> int:
    return max(_vanishing("lyapunov")["growth_lengths"])


def _overflow() -> Any:
    return _figure("overflow")


def _first_nonfinite(scale: float, dtype: str) -> int:
    return _overflow().first_nonfinite[(scale, dtype)]


def _predicted_overflow(dtype: str) -> int:
    return int(float(f"{np.log(float(np.finfo(dtype).max)) / _tanh_at_2():.2g}"))


for _scale in (1.5, 2.0):
    for _dtype in ("float16", "float32", "float64"):
        number(f"overflow.first.{_scale:g}.{_dtype}", "d",
               f"the first length of fig-overflow whose {_dtype} gradient at {_scale:g}/gamma "
               "holds inf or nan")(partial(_first_nonfinite, _scale, _dtype))
for _dtype in ("float16", "float32", "float64"):
    number(f"overflow.predicted.{_dtype}", "d",
           f"log(largest {_dtype}) / the Lyapunov exponent at 2/gamma, to two digits")(
        partial(_predicted_overflow, _dtype))


@number("overflow.smaller_scale", "g", "the smaller scale of fig-overflow")
def _overflow_smaller() -> float:
    return min(_vanishing("overflow")["scales"])


@number("overflow.word_dim", "d", "the vocabulary of fig-overflow's sentence")
def _overflow_word_dim() -> int:
    return _vanishing("overflow")["word_dim"]


@number("overflow.norm_at_2", "sci.2", "the norm of the exact gradient of the longest sentence "
        "of fig-gradient-growth at 2/gamma")
def _norm_at_2() -> float:
    return float(_growth().norm_per_word[2.0][-1] * _growth_longest())


def _frozen() -> Any:
    return _figure("frozen")


@number("frozen.first_loss", ".2f", "fig-frozen: the loss per word before the first step")
def _frozen_first() -> float:
    return float(_frozen().loss[0])


@number("frozen.last_loss", ".3f", "fig-frozen: the loss per word after the last step")
def _frozen_last() -> float:
    return float(_frozen().loss[-1])


@number("frozen.other_last_loss", ".2f", "fig-frozen: the loss per word on another sentence "
        "after the last step")
def _frozen_other_last() -> float:
    return float(_frozen().other_loss[-1])


@number("frozen.log_D", ".2f", "log D of the model of fig-frozen")
def _frozen_log_D() -> float:
    return float(_frozen().log_D)


@number("frozen.first_norm", "sci.2", "fig-frozen: the norm of the first gradient")
def _frozen_first_norm() -> float:
    d = _frozen()
    return float(np.sqrt(sum(v[0] ** 2 for v in d.grad_norm.values())))


@number("frozen.steps", "d", "the SGD steps of fig-frozen")
def _frozen_steps() -> int:
    return _vanishing("frozen")["steps"]


@number("frozen.learning_rate", "g", "the learning rate of fig-frozen")
def _frozen_lr() -> float:
    return _vanishing("frozen")["learning_rate"]


@number("frozen.length", "d", "the sentence length of fig-frozen")
def _frozen_length() -> int:
    return _vanishing("frozen")["length"]


@number("latching.steps", "d", "the steps a bit is held in fig-latching")
def _latching_steps() -> int:
    return _vanishing("latching")["steps"]


@number("latching.runs", "d", "the runs per point of fig-latching")
def _latching_runs() -> int:
    return _vanishing("latching")["runs"]


# -- chapter 7


@number("windows.T", "d", "the sentence length of fig-truncation-windows")
def _windows_T() -> int:
    return int(_figure("truncation_windows").T)


@number("windows.K", "d", "the truncation length of fig-truncation-windows")
def _windows_K() -> int:
    return int(_figure("truncation_windows").K)


@number("scheme_bias.length", "d", "the sentence length of fig-scheme-bias")
def _scheme_bias_length() -> int:
    return int(_figure("scheme_bias").length)


@number("scheme_bias.draws", "d", "the random draws averaged in fig-scheme-bias")
def _scheme_bias_draws() -> int:
    return int(_figure("scheme_bias").draws)


def _costs_default(name: str) -> Any:
    from . import gradient_costs_data

    return _default(gradient_costs_data, name)


for _key, _about in (("word_dim", "the vocabulary"),
                     ("H_fixed", "the hidden size of the left panels"),
                     ("T_fixed", "the sequence length of the right panels")):
    number(f"gradient_costs.{_key}", "d", f"fig-gradient-costs: {_about}")(
        partial(_costs_default, _key))


@number("scheme_bias.floor", "sci.1", "the smallest error fig-scheme-bias draws")
def _scheme_bias_floor() -> float:
    from .other_ways import BIAS_FLOOR

    return BIAS_FLOOR


def _truncation_schemes(size: str) -> dict:
    return _experiment("truncation_schemes", size)


for _size in ("book", "full"):
    number(f"truncation_schemes.{_size}.length", "d",
           f"the dependency length L of experiment truncation_schemes at the {_size} size")(
        partial(lambda size: _truncation_schemes(size)["lengths"][0], _size))
    number(f"truncation_schemes.{_size}.truncations", "list:d",
           f"the truncation lengths K of experiment truncation_schemes at the {_size} size")(
        partial(lambda size: _truncation_schemes(size)["truncations"], _size))


# -- chapter 9


@number("gated_reach.forget_biases", "list:g",
        "the forget-gate biases of the LSTMs of experiment gated_reach")
def _forget_biases() -> list[float]:
    methods = _experiment("gated_reach", "full")["methods"].values()
    return [m["gate_bias"] for m in methods if m.get("gate") == "f"]


@cache
def _gated_result(name: str, size: str) -> Any:
    """The result of a chapter 9 experiment: at the book's size the same cached run as its
    figure, at the full size the run recorded from the command line
    (:func:`bptt_book.experiments.recorded`)."""
    from .. import experiments

    if size == "full":
        return experiments.recorded(name)
    return experiments.run(name, size=size, cache=True)


def _successes_per_length(size: str, method: str) -> list[int]:
    data = _gated_result("gated_length", size).data
    (m,) = (m for m in data["methods"] if m["name"] == method)
    return [sum(r["success"] for r in c["runs"]) for c in m["cells"]]


def _reach_methods(size: str) -> list[dict]:
    return _gated_result("gated_reach", size).data["methods"]


def _median_share(size: str, method: str, epoch: int) -> float:
    from ..experiments.reach import runs

    (m,) = (m for m in _reach_methods(size) if m["name"] == method)
    return float(np.median([r["reach"][epoch] for r in runs(m)]))


def _reach_successes(size: str) -> list[int]:
    from ..experiments.reach import runs

    return [sum(r["success"] for r in runs(m)) for m in _reach_methods(size)]


def _register_gated_results() -> None:
    """``gated_length.SIZE.successes.CELL``: the successful runs at each length;
    ``gated_reach.SIZE.successes``: those of each network; ``gated_reach.SIZE.start.NAME``
    and ``gated_reach.SIZE.first.NAME``: the median share of the gradient at the first token
    before training and after the first epoch."""
    for size in ("book", "full"):
        for cell in ("rnn", "gru", "lstm"):
            number(f"gated_length.{size}.successes.{cell}", "list:d",
                   f"the successful runs of the {cell} at each length of experiment "
                   f"gated_length at the {size} size")(
                partial(_successes_per_length, size, cell))
        number(f"gated_reach.{size}.successes", "list:d",
               f"the successful runs of each network of experiment gated_reach at the {size} "
               "size")(partial(_reach_successes, size))
        for method in ("rnn", "gru", "lstm0", "lstm1", "lstm3"):
            for when, epoch in (("start", 0), ("first", 1)):
                number(f"gated_reach.{size}.{when}.{method}", "sci.2",
                       f"the median share of the answer's gradient at the first token of "
                       f"{method} {'before training' if epoch == 0 else 'after one epoch'}, "
                       f"experiment gated_reach at the {size} size")(
                    partial(_median_share, size, method, epoch))


_register_gated_results()


@number("gated_reach.floor", "sci.1", "the smallest share fig-gated-reach draws")
def _reach_floor() -> float:
    from ..experiments.reach import FLOOR

    return FLOOR
