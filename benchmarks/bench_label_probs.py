"""Benchmark of mixlab.marginal.label_probs: one vectorized call vs the per-draw loop it replaced.

Run from the repository root::

    .venv/bin/python benchmarks/bench_label_probs.py              # three sizes
    .venv/bin/python benchmarks/bench_label_probs.py --repeat 3   # best of 3 runs per timing

For each (draws, n, K) it builds the explicit-label Gaussian mixture of ``mixlab.models.latent_gmm``,
sums the labels out with ``marginalize_labels`` and times, on the same synthetic posterior:

- ``label_probs`` (the conditional's Categorical probabilities as a log-softmax, vectorized over the
  draws with ``vectorize_graph`` and evaluated in one call);
- the baseline, kept below as it was in mixlab.marginal before: ``Model.compile_logp`` of the
  conditional, called once per draw and label value in a Python loop.

The script prints end-to-end times (building the conditional model, compiling and evaluating, as a
user's call does), the times of the evaluation step alone (the compiled function(s) applied to all
draws: the part that grows with the number of draws), their ratios (baseline / new) and the largest
difference between the results. The first size also pays cold compile caches. Times are printed, never asserted: the machine is shared.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import xarray as xr

from mixlab.marginal import _conditional_logp, label_probs, marginalize_labels
from mixlab.models import latent_gmm


def loop_compile(model, var_name="z"):
    """The replaced route, part 1: the conditional's point log-density, compiled once."""
    from pymc.model.transform.conditioning import remove_value_transforms
    from pymc_extras.marginal import conditional

    cond = remove_value_transforms(conditional(model, var_name))
    label = cond[var_name]
    n_states = int(label.owner.op.dist_params(label.owner)[0].shape[-1].eval())
    logp_fn = cond.compile_logp(vars=[label], sum=False)
    inputs = [v.name for v in cond.value_vars if v.name != var_name]
    point0 = cond.initial_point()
    shapes = {name: np.shape(value) for name, value in point0.items()}
    return logp_fn, inputs, shapes, n_states


def loop_evaluate(compiled, posterior, var_name="z"):
    """The replaced route, part 2: a Python loop over draws and label values."""
    logp_fn, inputs, shapes, n_states = compiled
    label_shape = shapes[var_name]
    values = {v: posterior[v].transpose("chain", "draw", ...).values.reshape(-1, *shapes[v])
              for v in inputs}
    n_samples = values[inputs[0]].shape[0]
    out = np.empty((n_samples, *label_shape, n_states))
    for s in range(n_samples):
        point = {v: values[v][s] for v in inputs}
        for k in range(n_states):
            point[var_name] = np.full(label_shape, k, dtype=np.int64)
            out[s, ..., k] = logp_fn(point)[0]
    shape = (posterior.sizes["chain"], posterior.sizes["draw"], *label_shape, n_states)
    return np.exp(out.reshape(shape))


def loop_label_probs(model, posterior, var_name="z"):
    """The replaced route end to end."""
    return loop_evaluate(loop_compile(model, var_name), posterior, var_name)


def vectorized_evaluate(compiled, posterior):
    """The new route's evaluation step alone: one call over all draws."""
    fn, inputs, shapes, _ = compiled
    values = [posterior[v].transpose("chain", "draw", ...).values.reshape(-1, *shapes[v]) for v in inputs]
    return np.exp(fn(*values))


def synthetic(draws, n, k, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.linspace(-3.0 * k, 3.0 * k, k)
    y = rng.normal(centres[rng.integers(k, size=n)], 1.0)
    shape = (2, draws // 2, k)
    posterior = xr.Dataset({
        "w": (("chain", "draw", "component"), rng.dirichlet(np.ones(k), size=shape[:2])),
        "mu": (("chain", "draw", "component"), np.sort(centres + 0.1 * rng.normal(size=shape), -1)),
        "sigma": (("chain", "draw", "component"), rng.gamma(20.0, 0.05, size=shape)),
    })
    return y, posterior


def best_of(fn, repeat):
    best, result = np.inf, None
    for _ in range(repeat):
        tic = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - tic)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--sizes", default="200x50x2,1000x200x3,2000x300x4",
                        help="comma-separated draws x n x K")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print("end to end (building the conditional, compiling, evaluating) and evaluation alone (the"
          " compiled function(s) on all draws); ratio = loop / new")
    print(f"{'draws':>6} {'n':>5} {'K':>3} {'loop (s)':>9} {'new (s)':>8} {'ratio':>7}"
          f" {'loop eval':>10} {'new eval':>9} {'ratio':>8} {'max |diff|':>11}")
    for size in args.sizes.split(","):
        draws, n, k = (int(v) for v in size.split("x"))
        y, posterior = synthetic(draws, n, k)
        model = marginalize_labels(latent_gmm(y, k), "z")
        t_loop, p_loop = best_of(lambda: loop_label_probs(model, posterior), args.repeat)  # noqa: B023
        t_new, p_new = best_of(lambda: label_probs(model, posterior), args.repeat)  # noqa: B023
        old_fn, new_fn = loop_compile(model), _conditional_logp(model, "z")
        e_loop, _ = best_of(lambda: loop_evaluate(old_fn, posterior), args.repeat)  # noqa: B023
        e_new, p_eval = best_of(lambda: vectorized_evaluate(new_fn, posterior), args.repeat)  # noqa: B023
        diff = max(float(np.max(np.abs(p_loop - p_new.values))),
                   float(np.max(np.abs(p_loop - p_eval.reshape(p_loop.shape)))))
        print(f"{draws:>6} {n:>5} {k:>3} {t_loop:>9.2f} {t_new:>8.2f} {t_loop / t_new:>6.1f}x"
              f" {e_loop:>10.3f} {e_new:>9.3f} {e_loop / e_new:>7.1f}x {diff:>11.1e}")

if __name__ == "__main__":
    main()
