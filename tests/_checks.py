"""Statistical checks that several test modules share."""

import numpy as np

# Per-assert false-alarm budget of a recovery check: |t_24| > 5.5 has probability about 1e-5.
RECOVERY_SDS = 5.5


def check_recovered(key, draws, true, max_sd):
    """The truth lies within 5.5 posterior sds of the posterior mean, and the posterior is concentrated
    (sd below ``max_sd``), so the first check cannot pass vacuously.

    ``draws`` has the draws on its first axis (chain * draw, ...). Why 5.5 sds: with the tests' sample
    sizes the posterior is close to normal and centred within about one sd of the truth (the data's own
    sampling error); the Monte Carlo error of the mean from a few hundred draws is about a tenth of an
    sd. But the posterior sd is estimated from the same data: a cluster of ~25 points whose spread is
    small by chance gets a narrow posterior too, so the standardised error behaves like Student's t with
    ~24 degrees of freedom, not a normal (seen: 4.3 sds under one seed shift, with that cluster's sample
    sd 0.52 against a true 0.8). P(|t_24| > 5.5) is about 1e-5, the per-assert false-alarm budget. A
    label or likelihood bug misses by whole units, far beyond 5.5 x ``max_sd``. ``max_sd`` is set at
    roughly twice the sd expected from n and the true scales (e.g. sigma / sqrt(n_k) for a mean), so a
    model that ignores the data (posterior = prior, sd ~ range of y) fails it.
    """
    draws = np.asarray(draws)
    mean, sd = draws.mean(axis=0), draws.std(axis=0)
    assert np.all(sd < max_sd), (key, sd)
    assert np.all(np.abs(mean - np.asarray(true)) < RECOVERY_SDS * sd), (key, mean, true, sd)
