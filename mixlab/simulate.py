"""Data from mixtures whose true parameters are known, for checking that a model recovers them."""

from __future__ import annotations

from mixlab._validate import (
    check_array,
    check_int,
    check_positive,
    check_rng,
    check_simplex,
)

__all__ = ["simulate_gmm", "simulate_mixture_regression"]


def _check_components(weights, named):
    """Validate the weights and every per-component parameter; all must have the same length K."""
    w = check_simplex(check_array(weights, "weights", ndim=1), "weights")
    out = []
    for name, (values, positive) in named.items():
        arr = check_positive(values, name) if positive else check_array(values, name)
        if arr.ndim != 1:
            raise ValueError(f"{name} must be 1-dimensional (one value per component), got shape {arr.shape}")
        if arr.size != w.size:
            raise ValueError(
                f"{name} has {arr.size} value(s) but weights has {w.size}; "
                "pass one value per component"
            )
        out.append(arr)
    return w, out


def simulate_gmm(weights, means, sigmas, n, rng=None):
    """Draw ``n`` observations from a univariate Gaussian mixture and return them with their labels.

    Each observation first draws its component label ``z_i ~ Categorical(weights)`` and then its value
    ``y_i ~ Normal(means[z_i], sigmas[z_i])``: the generative story of a finite mixture.

    Parameters
    ----------
    weights : array_like, shape (K,)
        Mixture weights: non-negative and summing to 1.
    means : array_like, shape (K,)
        Component means.
    sigmas : array_like, shape (K,)
        Component standard deviations, all positive.
    n : int
        Number of observations, at least 1.
    rng : numpy.random.Generator or int, optional
        Random generator or seed; ``None`` draws fresh entropy (not reproducible).

    Returns
    -------
    y : numpy.ndarray, shape (n,)
        The observations.
    z : numpy.ndarray of int, shape (n,)
        The component each observation came from, in ``0..K-1``.

    Raises
    ------
    ValueError
        If the weights do not sum to 1, a scale is not positive, the lengths differ or ``n < 1``.

    Examples
    --------
    >>> from mixlab.simulate import simulate_gmm
    >>> y, z = simulate_gmm([0.3, 0.7], [-2.0, 2.0], [0.5, 1.0], n=1000, rng=1)
    >>> y.shape, z.shape
    ((1000,), (1000,))
    >>> round(float((z == 1).mean()), 1)
    0.7
    >>> simulate_gmm([0.5, 0.6], [0.0, 1.0], [1.0, 1.0], n=10)
    Traceback (most recent call last):
    ...
    ValueError: weights must sum to 1 (got 1.1); pass normalized weights, e.g. w / w.sum()
    """
    w, (mu, sd) = _check_components(weights, {"means": (means, False), "sigmas": (sigmas, True)})
    n = check_int(n, "n", minimum=1)
    rng = check_rng(rng)
    z = rng.choice(w.size, size=n, p=w / w.sum())
    y = rng.normal(mu[z], sd[z])
    return y, z


def simulate_mixture_regression(weights, intercepts, slopes, sigmas, n, rng=None, x_range=(0.0, 10.0)):
    """Draw ``n`` points from a mixture of ``K`` regression lines.

    ``x_i`` is uniform on ``x_range``; the point's line is ``z_i ~ Categorical(weights)`` and
    ``y_i ~ Normal(intercepts[z_i] + slopes[z_i] * x_i, sigmas[z_i])``.

    Parameters
    ----------
    weights : array_like, shape (K,)
        Share of points on each line: non-negative, summing to 1.
    intercepts, slopes : array_like, shape (K,)
        Intercept and slope of each line.
    sigmas : array_like, shape (K,)
        Residual standard deviation of each line, all positive.
    n : int
        Number of points, at least 1.
    rng : numpy.random.Generator or int, optional
        Random generator or seed.
    x_range : tuple of float, default (0, 10)
        Interval ``(low, high)`` from which the covariate is drawn uniformly; ``low < high``.

    Returns
    -------
    x : numpy.ndarray, shape (n,)
        The covariate.
    y : numpy.ndarray, shape (n,)
        The responses.
    z : numpy.ndarray of int, shape (n,)
        The line each point came from.

    Raises
    ------
    ValueError
        If the weights are not a probability vector, a scale is not positive, the lengths differ,
        ``n < 1`` or ``x_range`` is not an increasing pair.

    Examples
    --------
    >>> from mixlab.simulate import simulate_mixture_regression
    >>> x, y, z = simulate_mixture_regression([0.5, 0.5], [0.0, 5.0], [1.0, -0.5], [0.3, 0.3],
    ...                                       n=200, rng=3)
    >>> x.shape, y.shape, sorted(set(z.tolist()))
    ((200,), (200,), [0, 1])
    >>> simulate_mixture_regression([1.0], [0.0], [1.0, 2.0], [1.0], n=5)
    Traceback (most recent call last):
    ...
    ValueError: slopes has 2 value(s) but weights has 1; pass one value per component
    """
    w, (a, b, sd) = _check_components(
        weights,
        {"intercepts": (intercepts, False), "slopes": (slopes, False), "sigmas": (sigmas, True)},
    )
    n = check_int(n, "n", minimum=1)
    bounds = check_array(x_range, "x_range", ndim=1, shape=(2,))
    if not bounds[0] < bounds[1]:
        raise ValueError(f"x_range must be (low, high) with low < high, got {tuple(bounds.tolist())}")
    rng = check_rng(rng)
    x = rng.uniform(bounds[0], bounds[1], size=n)
    z = rng.choice(w.size, size=n, p=w / w.sum())
    y = rng.normal(a[z] + b[z] * x, sd[z])
    return x, y, z
