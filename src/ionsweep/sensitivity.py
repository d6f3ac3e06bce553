"""Global sensitivity and uncertainty of model outputs: Sobol, Morris, Monte Carlo.

Python entry points take a function of named sample arrays and each input's range or
distribution; SALib does the sampling and the analysis, ionsweep evaluates every sample in
one batched (``jax.jit``-compiled) call:

* :func:`sobol` — first- and total-order Sobol indices with bootstrap confidence intervals;
* :func:`morris` — Morris elementary-effects screening (μ*, σ);
* :func:`propagate` — the Monte Carlo distribution of an output (quantiles, histogram,
  probability of exceeding a threshold).

Distributions (in the units of each input): :func:`uniform`, :func:`normal`,
:func:`lognormal`, :func:`triangular`, :func:`relative` (a relative uncertainty, e.g. a
concentration known to ± 5 % or an activity coefficient to ± 2 %) and :func:`choice`
(a categorical input such as the activity model).

:func:`run_sensitivity` runs a TOML sensitivity spec over any sweep model (the command
``ionsweep sensitivity SPEC``, see ``sweeps/activity_error_sobol.toml``) and returns a
Dataset along ``output`` and ``parameter``, stored like a sweep result. A sensitivity spec
names a model exactly as a sweep spec does, gives some of its inputs distributions instead
of axes, fixes the rest, and asks for one or more analyses::

    [model]                       # as in a sweep spec
    name = "activity_error_ghk"
    ions = ["K+", "Na+", "Ca2+", "Cl-"]
    balance = "Cl-"
    fill = "Na+"

    [inputs]                      # distributions, in the units of each input
    I_in = { uniform = [0.01, 0.5] }               # M
    I_out = { triangular = [0.01, 0.15, 0.5] }     # low, mode, high
    celsius = { normal = [37, 1] }                 # °C (the model receives K); or T in K
    K_out = { relative = 0.05, value = 5.0 }       # normal, sd 5 % of 5 mM
    K_in = { lognormal = [4.0, 0.05] }             # median, sd of ln x
    gamma_factor_out = { relative = 0.02 }         # γ outside ± 2 % around its default, 1
    activity_model = { choices = ["davies", "pitzer"], weights = [3, 1] }

    [fixed]                       # every other input (model defaults apply)
    Ca_in = 1.0
    Ca_out = 1.0

    [outputs]
    variables = ["dE_K"]

    [sobol]                       # any of [sobol], [morris], [uncertainty]
    n = 1024                      # base sample N (power of two): N·(D + 2) evaluations
    [morris]
    n = 64                        # trajectories: N·(D + 1) evaluations
    [uncertainty]
    n = 100000                    # Monte Carlo samples (choice weights apply here only)
    thresholds = [5.0]            # P(|output| > 5)

    [run]
    dtype = "float32"             # the default, as for sweeps; "float64" on request

Examples
--------
>>> import jax.numpy as jnp
>>> from ionsweep import sensitivity
>>> def ishigami(x, a=7.0, b=0.1):
...     return (jnp.sin(x["x1"]) + a * jnp.sin(x["x2"]) ** 2
...             + b * x["x3"] ** 4 * jnp.sin(x["x1"]))
>>> pi = 3.141592653589793
>>> ds = sensitivity.sobol(ishigami, {k: (-pi, pi) for k in ("x1", "x2", "x3")}, n=4096)
>>> [round(float(s), 1) for s in ds.S1]          # exact: 0.314, 0.442, 0
[0.3, 0.4, 0.0]
"""

from ionsweep.analysis._distributions import (
    Distribution,
    choice,
    lognormal,
    normal,
    relative,
    triangular,
    uniform,
)
from ionsweep.analysis._sensitivity import morris, sobol
from ionsweep.analysis._sensitivity_run import format_results, run_sensitivity, write_results
from ionsweep.analysis._sensitivity_spec import (
    SensitivityPlan,
    load_sensitivity_spec,
    parse_sensitivity_spec,
)
from ionsweep.analysis._uncertainty import propagate

__all__ = [
    "Distribution",
    "SensitivityPlan",
    "choice",
    "format_results",
    "load_sensitivity_spec",
    "lognormal",
    "morris",
    "normal",
    "parse_sensitivity_spec",
    "propagate",
    "relative",
    "run_sensitivity",
    "sobol",
    "triangular",
    "uniform",
    "write_results",
]
