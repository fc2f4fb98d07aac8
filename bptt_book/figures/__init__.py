"""The book's figures and diagrams, each a function that returns a matplotlib Figure.

A figure with numbers behind it has two functions: ``NAME_data(...)`` computes the numbers
from the package (with the settings of ``conf/*.toml`` unless keywords override them) and
returns them as a named tuple, and ``NAME(data=None)`` draws them (computing them first when
none are given).  A chapter that quotes a number and draws it can so use the same results.
The diagrams take their few sizes as keywords.

matplotlib is imported inside the drawing functions only: ``import bptt_book`` and
``import bptt_book.figures`` never import it.  In the book each figure is one call:

.. code-block:: rst

   .. plot::
      :filename-prefix: ch01-hidden-states

      from bptt_book import figures

      figures.hidden_states()

Figures in the chapters (the label each has there):

- chapter 1: :func:`hidden_states` (``fig-hidden-states``), :func:`untrained_loss`
  (``fig-untrained-loss``);
- chapter 2: :func:`unrolled` (``fig-bptt-unrolled``), :func:`truncation_error`
  (``fig-bptt-truncation``);
- chapter 4: :func:`gradcheck_step` (``fig-gradcheck-step``);
- chapter 5: :func:`activations` (``fig-activations``), :func:`jacobian_norms`
  (``fig-jacobian-norms``), :func:`contributions` (``fig-contributions``);
- chapter 5: :func:`powers` (``fig-powers``), :func:`init_spectra` (``fig-init-spectra``),
  :func:`relu_tanh` (``fig-relu-tanh``);
- chapter 6: :func:`gradient_growth` (``fig-gradient-growth``), :func:`clipping`
  (``fig-clipping``), :func:`overflow` (``fig-overflow``), :func:`frozen` (``fig-frozen``),
  :func:`lyapunov` (``fig-lyapunov``), :func:`latching` (``fig-latching``);
- chapter 7: :func:`truncation_windows` (``fig-truncation-windows``), :func:`scheme_bias`
  (``fig-scheme-bias``), :func:`gradient_costs` (``fig-gradient-costs``).

The numbers the chapters quote from these results: :mod:`bptt_book.figures.quoted`.

Diagrams for the chapters to place (each docstring says where it is meant to go):
:func:`folded_unrolled`, :func:`operator_graph`, :func:`backward_step`,
:func:`walks_vs_sweep`, :func:`eigenvalues`,
:func:`jacobian_heatmap`, :func:`cliff`.

The interactive explorer's results: :mod:`bptt_book.figures.explorer`.
"""

from .diagrams import (
    Walks,
    backward_step,
    folded_unrolled,
    operator_graph,
    unrolled,
    walks_data,
    walks_vs_sweep,
)
from .dynamics import (
    Frozen,
    InitSpectra,
    Latching,
    Lyapunov,
    Overflow,
    Powers,
    ReluTanh,
    frozen,
    frozen_data,
    init_spectra,
    init_spectra_data,
    latching,
    latching_data,
    lyapunov,
    lyapunov_data,
    overflow,
    overflow_data,
    powers,
    powers_data,
    relu_tanh,
    relu_tanh_data,
)
from .exploding import (
    Cliff,
    Clipping,
    GradientGrowth,
    cliff,
    cliff_data,
    cliff_step,
    clipping,
    clipping_data,
    gradient_growth,
    gradient_growth_data,
)
from .gradcheck import GradcheckStep, gradcheck_step, gradcheck_step_data
from .jacobians import (
    Activation,
    Activations,
    Contributions,
    Eigenvalues,
    JacobianHeatmap,
    JacobianNorms,
    activations,
    activations_data,
    contributions,
    contributions_data,
    eigenvalues,
    eigenvalues_data,
    jacobian_heatmap,
    jacobian_heatmap_data,
    jacobian_norms,
    jacobian_norms_data,
)
from .other_ways import (
    GradientCosts,
    SchemeBias,
    gradient_costs,
    gradient_costs_data,
    scheme_bias,
    scheme_bias_data,
)
from .states import (
    HiddenStates,
    UntrainedLoss,
    hidden_states,
    hidden_states_data,
    untrained_loss,
    untrained_loss_data,
)
from .truncation import (
    SCHEMES,
    TruncationError,
    TruncationWindows,
    truncation_error,
    truncation_error_data,
    truncation_window,
    truncation_windows,
    truncation_windows_data,
)

__all__ = [
    "Frozen", "InitSpectra", "Latching", "Lyapunov", "Overflow", "Powers", "ReluTanh",
    "frozen", "frozen_data", "init_spectra", "init_spectra_data", "latching", "latching_data",
    "lyapunov", "lyapunov_data", "overflow", "overflow_data", "powers", "powers_data",
    "relu_tanh", "relu_tanh_data",
    "SCHEMES", "Activation", "GradientCosts", "SchemeBias", "gradient_costs",
    "gradient_costs_data", "scheme_bias", "scheme_bias_data", "Activations", "Cliff",
    "Clipping", "Contributions", "Eigenvalues",
    "GradcheckStep", "GradientGrowth", "HiddenStates", "JacobianHeatmap", "JacobianNorms",
    "TruncationError", "TruncationWindows", "UntrainedLoss", "Walks", "activations",
    "activations_data", "backward_step", "cliff", "cliff_data", "cliff_step", "clipping",
    "clipping_data", "contributions", "contributions_data", "eigenvalues", "eigenvalues_data",
    "folded_unrolled", "gradcheck_step", "gradcheck_step_data", "gradient_growth",
    "gradient_growth_data", "hidden_states", "hidden_states_data", "jacobian_heatmap",
    "jacobian_heatmap_data", "jacobian_norms", "jacobian_norms_data", "operator_graph",
    "truncation_error", "truncation_error_data", "truncation_window", "truncation_windows",
    "truncation_windows_data", "unrolled", "untrained_loss", "untrained_loss_data",
    "walks_data", "walks_vs_sweep",
]
