"""Safeguarded, vectorized Newton–bisection root finding with implicit-function gradients.

Internal. Every element of the batch is an independent scalar equation ``f(x) = 0`` with
``f`` increasing in ``x`` on a bracket ``[lo, hi]``. The iteration is Newton's method,
falling back to bisection whenever the Newton step leaves the bracket or fails to halve
the previous step (the classic ``rtsafe`` safeguard), so it converges for any monotone
``f`` with a sign change. It is a bounded ``lax.while_loop`` over the whole batch: it
stops as soon as every element has converged, or after ``max_iter`` iterations, which is
enough for bisection alone to reach machine precision from the initial bracket.

Gradients never go through the iterations: :func:`implicit_root` defines the JVP by the
implicit-function theorem, ``dx = -(∂f/∂θ · dθ) / (∂f/∂x)``, so ``jax.grad``,
``jax.jvp`` and ``jax.vmap`` all work and cost one extra function evaluation.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax import lax

__all__ = ["implicit_root"]


def _rtsafe(f, args, lo, hi, x0, max_iter):
    dtype = x0.dtype
    eps = jnp.finfo(dtype).eps
    tol = 8 * eps
    f_lo = f(lo, *args)
    f_hi = f(hi, *args)
    bracketed = (f_lo <= 0) & (f_hi >= 0)
    x = jnp.where(jnp.isfinite(x0), jnp.clip(x0, lo, hi), 0.5 * (lo + hi))
    done = ~bracketed

    def fx_and_slope(x):
        return jax.jvp(lambda y: f(y, *args), (x,), (jnp.ones_like(x),))

    def cond(state):
        i, _, _, _, _, done = state
        return (i < max_iter) & ~jnp.all(done)

    def body(state):
        i, x, lo, hi, dx_old, done = state
        fx, dfx = fx_and_slope(x)
        lo = jnp.where(fx < 0, x, lo)
        hi = jnp.where(fx > 0, x, hi)
        newton = x - fx / jnp.where(dfx != 0, dfx, 1)
        step_ok = (
            (dfx > 0)
            & jnp.isfinite(newton)
            & (newton >= lo)
            & (newton <= hi)
            & (jnp.abs(newton - x) <= 0.5 * jnp.abs(dx_old))
        )
        x_new = jnp.where(step_ok, newton, 0.5 * (lo + hi))
        dx = x_new - x
        converged = (fx == 0) | (jnp.abs(dx) <= tol * (1 + jnp.abs(x)))
        x_new = jnp.where(done | (fx == 0), x, x_new)
        dx_old = jnp.where(done, dx_old, dx)
        return i + 1, x_new, lo, hi, dx_old, done | converged

    state = (jnp.asarray(0), x, lo, hi, hi - lo, done)
    _, x, *_ = lax.while_loop(cond, body, state)
    return jnp.where(bracketed, x, jnp.nan)


def _newton(f, args, lo, hi, x0, steps):
    """``steps`` plain Newton steps from ``x0`` (no loop-carried convergence test).

    Returns the iterate and whether it converged: the last step was small enough that the
    quadratic convergence of Newton's method puts the iterate within the tolerance, the
    slope positive and the iterate inside ``[lo, hi]``. Cheap when the start is good
    (the callers start from an exact special-case solution), and never trusted otherwise.
    """
    tol = 8 * jnp.finfo(x0.dtype).eps
    x = jnp.clip(jnp.where(jnp.isfinite(x0), x0, 0), lo, hi)
    step = jnp.full_like(x, jnp.inf)
    dfx = jnp.ones_like(x)
    for _ in range(steps):
        fx, dfx = jax.jvp(lambda y: f(y, *args), (x,), (jnp.ones_like(x),))
        step = fx / jnp.where(dfx != 0, dfx, 1)
        x = x - step
    # Newton converges quadratically: the error after a step is about (f''/2f')·step². For
    # the callers' sums of exponentials |f''/f'| is at most the largest |z| (≤ 3), so a last
    # step below √tol / 4 leaves an error below ~tol: accept it without a confirming step.
    small = jnp.abs(step) <= 0.25 * jnp.sqrt(tol) * (1 + jnp.abs(x))
    ok = small & (dfx > 0) & (x >= lo) & (x <= hi)
    return x, ok


def implicit_root(f: Callable, max_iter: int = 100, newton_steps: int | tuple = 0) -> Callable:
    """Build ``root(lo, hi, x0, active, *args)`` solving ``f(x, *args) = 0`` elementwise.

    ``f(x, *args)`` must be elementwise in ``x`` (same shape out as in) and increasing in
    ``x``. ``lo``, ``hi`` and ``x0`` have the batch shape. The result is NaN where
    ``[lo, hi]`` does not bracket a root. The returned function has an implicit-function
    JVP with respect to ``args``; ``lo``, ``hi`` and ``x0`` carry no derivative.

    With ``newton_steps > 0``, that many unguarded Newton steps from ``x0`` come first; the
    safeguarded solve then runs (``lax.cond``) only if some point did not converge, and its
    results replace only those points. Good starting points make the fast path the rule.
    A tuple ``(n1, n2, …)`` runs the stages in turn, each only if an earlier one left an
    unconverged point, so easy batches pay for ``n1`` steps only.
    ``active`` (bool, batch shape) marks the points whose result matters: inactive points
    never trigger the fallback (their values are the caller's to discard).
    """

    stages = tuple(newton_steps) if isinstance(newton_steps, tuple | list) else (newton_steps,)
    stages = tuple(n for n in stages if n)

    def solve(lo, hi, x0, active, *args):
        if not stages:
            return _rtsafe(f, args, lo, hi, x0, max_iter)

        def stage(k, x_start):
            # Newton stage k; if some active point is still unconverged, the next stage (or,
            # after the last, the safeguarded solve) runs — skipped entirely when none is.
            x, ok = _newton(f, args, lo, hi, x_start, stages[k])
            ok |= ~active
            if k + 1 < len(stages):

                def more(_):
                    return jnp.where(ok, x, stage(k + 1, x))
            else:

                def more(_):
                    return jnp.where(ok, x, _rtsafe(f, args, lo, hi, x0, max_iter))

            return lax.cond(jnp.all(ok), lambda _: x, more, None)

        return stage(0, x0)

    @jax.custom_jvp
    def root(lo, hi, x0, active, *args):
        return solve(lo, hi, x0, active, *args)

    @root.defjvp
    def _root_jvp(primals, tangents):
        lo, hi, x0, active, *args = primals
        _, _, _, _, *dargs = tangents
        x = root(lo, hi, x0, active, *args)
        _, df_dtheta = jax.jvp(lambda *a: f(x, *a), tuple(args), tuple(dargs))
        _, df_dx = jax.jvp(lambda y: f(y, *args), (x,), (jnp.ones_like(x),))
        df_dx = jnp.where(df_dx != 0, df_dx, 1)
        return x, -df_dtheta / df_dx

    return root
