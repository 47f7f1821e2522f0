"""L-BFGS over a batch of independent problems: each row of `x` is one problem with its own
curvature history, step length and stopping test; every function evaluation is one batched
call over the problems still running (the probes of every layer and subsample share one
tensor program).

    x, iters = lbfgs(fun, x0, tol=1e-4)
    # fun(x_sub: (b, D), idx: (b,) problem indices) -> (f: (b,), grad: (b, D))

Two-loop recursion (Nocedal & Wright, Algorithm 7.4) with a backtracking Armijo line search
(quadratic interpolation, re-evaluating only the problems whose step was refused); a problem
stops when its largest gradient entry is at most `tol` (scipy's `gtol`, the test
scikit-learn's `lbfgs` solver uses), when its line search fails, or at `max_iter`. Pairs
without positive curvature are skipped, so every direction is a descent direction.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Fun = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
ARMIJO = 1e-4


def _direction(g: torch.Tensor, S: list, Y: list, rho: list) -> torch.Tensor:
    """-H g by the two-loop recursion over the stored (s, y, 1/s'y) pairs."""
    q = g.clone()
    alphas = []
    for s, y, r in zip(reversed(S), reversed(Y), reversed(rho)):
        a = r * (s * q).sum(1)
        q -= a[:, None] * y
        alphas.append(a)
    if S:
        sy, yy = (S[-1] * Y[-1]).sum(1), (Y[-1] * Y[-1]).sum(1)
        gamma = torch.where(rho[-1] > 0, sy / yy.clamp_min(1e-30), torch.ones_like(sy))
    else:  # first step: length 1 in the max norm of the gradient
        gamma = 1.0 / g.abs().amax(1).clamp_min(1e-30)
    d = gamma[:, None] * q
    for (s, y, r), a in zip(zip(S, Y, rho), reversed(alphas)):
        b = r * (y * d).sum(1)
        d += (a - b)[:, None] * s
    return -d


def lbfgs(
    fun: Fun,
    x0: torch.Tensor,
    max_iter: int = 300,
    tol: float = 1e-4,
    history: int = 10,
    max_tries: int = 30,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Minimise B problems at once from `x0` (B, D); returns (x, iterations per problem)."""
    B = x0.shape[0]
    everyone = torch.arange(B)
    x = x0.clone()
    f, g = fun(x, everyone)
    iters = torch.zeros(B, dtype=torch.long)
    done = g.abs().amax(1) <= tol
    S: list[torch.Tensor] = []
    Y: list[torch.Tensor] = []
    rho: list[torch.Tensor] = []
    for _ in range(max_iter):
        if bool(done.all()):
            break
        d = _direction(g, S, Y, rho)
        gd = (g * d).sum(1)
        uphill = gd >= 0
        if bool(uphill.any()):  # safeguard: plain gradient step
            d[uphill] = -g[uphill]
            gd = torch.where(uphill, -(g * g).sum(1), gd)
        t = torch.ones(B, dtype=x.dtype)
        x_new, f_new, g_new = x.clone(), f.clone(), g.clone()
        pending = (~done).nonzero().squeeze(1)
        accepted = done.clone()
        for _ in range(max_tries):
            x_new[pending] = x[pending] + t[pending, None] * d[pending]
            f_new[pending], g_new[pending] = fun(x_new[pending], pending)
            ok = (f_new[pending] <= f[pending] + ARMIJO * t[pending] * gd[pending]) & (
                torch.isfinite(f_new[pending])
            )
            accepted[pending[ok]] = True
            pending = pending[~ok]
            if len(pending) == 0:
                break
            # the minimiser of the quadratic through f, f'(0) = gd and f(t), kept in
            # [t/10, t/2]
            tp, rise = t[pending], f_new[pending] - f[pending] - gd[pending] * t[pending]
            guess = -gd[pending] * tp * tp / (2 * rise.clamp_min(1e-30))
            guess = torch.where(torch.isfinite(guess), guess, tp / 2)
            t[pending] = torch.minimum(torch.maximum(guess, tp / 10), tp / 2)
        move = (accepted & ~done)[:, None]
        s_k = torch.where(move, x_new - x, torch.zeros_like(x))
        y_k = torch.where(move, g_new - g, torch.zeros_like(g))
        x = torch.where(move, x_new, x)
        f = torch.where(move[:, 0], f_new, f)
        g = torch.where(move, g_new, g)
        iters += move[:, 0].long()
        sy = (s_k * y_k).sum(1)
        S.append(s_k)
        Y.append(y_k)
        rho.append(torch.where(sy > 1e-10, 1.0 / sy.clamp_min(1e-10), torch.zeros_like(sy)))
        if len(S) > history:
            S.pop(0), Y.pop(0), rho.pop(0)
        done = done | ~accepted | (g.abs().amax(1) <= tol)
    return x, iters
