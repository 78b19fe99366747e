"""The checks of :func:`mixlab.diagnostics.diagnose`, one function per row.

Each ``*_row`` function takes what its check needs (already validated) and returns one
:class:`Row`: status ``"pass"``, ``"warn"`` or ``"fail"``, or ``"skip"`` with the reason when the
input lacks what the check needs.
"""

from __future__ import annotations

from typing import NamedTuple

import arviz as az
import arviz_stats as azs
import numpy as np

from mixlab._labelled import extreme
from mixlab.diagnostics._inputs import check_flags
from mixlab.diagnostics._overlap import _pair_overlap

REF_VEHTARI = "Vehtari et al. (2021)"
REF_BETANCOURT_HMC = "Betancourt (2017), A conceptual introduction to HMC"
REF_ROUSSEAU = "Rousseau and Mengersen (2011)"
REF_MCLACHLAN = "McLachlan and Peel (2000)"
REF_SWITCHING = "Stephens (2000); Jasra et al. (2005)"
REF_OVERLAP = "McLachlan and Peel (2000); Inman and Bradley (1989)"

#: sample_stats names used by PyMC's NUTS and by nutpie for tree-depth saturation
TREEDEPTH_STATS = ("reached_max_treedepth", "maxdepth_reached")

_NO_STATS = "no sample_stats group (pass what pm.sample returned)"


class Row(NamedTuple):
    """One row of the checklist."""

    check: str
    status: str
    value: float
    threshold: str
    explanation: str
    reference: str


# --------------------------------------------------------------------------------------------
# sampling checks
# --------------------------------------------------------------------------------------------


def chains_row(n_chains):
    ok = n_chains >= 4
    return Row("chains", "pass" if ok else "warn", float(n_chains), ">= 4",
               f"{n_chains} chain(s)" + ("" if ok else
               "; R-hat and ESS are more reliable with at least 4 chains"), REF_VEHTARI)


def _convergence_skip(sub, sample_dims, n_chains):
    """Why R-hat and ESS cannot be computed, or None."""
    if not sub.data_vars:
        return "no variables to check; pass var_names=..."
    if n_chains < 2 and "chain" in sample_dims:
        return "needs at least 2 chains"
    if len(sample_dims) != 2:
        return "needs two sample dims, chains and draws; pass sample_dims=('chain', 'draw')"
    return None


def rhat_row(sub, sample_dims, n_chains, rhat_max):
    """Largest rank-normalized split R-hat over the variables of ``sub``."""
    threshold = f"< {rhat_max:g}"
    reason = _convergence_skip(sub, sample_dims, n_chains)
    if reason is not None:
        return Row("R-hat", "skip", np.nan, "", reason, REF_VEHTARI)
    with np.errstate(divide="ignore", invalid="ignore"):  # constant draws: R-hat is nan
        rhat, where = extreme(az.rhat(sub, sample_dims=list(sample_dims)), "max")
    if np.isnan(rhat):
        return Row("R-hat", "skip", rhat, threshold,
                   "no finite R-hat: every checked variable is constant; pass var_names=...",
                   REF_VEHTARI)
    ok = rhat < rhat_max
    return Row("R-hat", "pass" if ok else "fail", rhat, threshold,
               f"largest R-hat {rhat:.3f} ({where})" + ("" if ok else
               "; chains disagree: do not use these draws (label switching, multimodality or "
               "too short chains)"), REF_VEHTARI)


def ess_row(sub, sample_dims, n_chains, ess_per_chain, method):
    """Smallest bulk (``method="bulk"``) or tail ESS over the variables of ``sub``."""
    check = f"{method} ESS"
    reason = _convergence_skip(sub, sample_dims, n_chains)
    if reason is not None:
        return Row(check, "skip", np.nan, "", reason, REF_VEHTARI)
    ess_min = ess_per_chain * n_chains
    threshold = f">= {ess_min:g}"
    with np.errstate(divide="ignore", invalid="ignore"):
        ess, where = extreme(az.ess(sub, sample_dims=list(sample_dims), method=method), "min")
    if np.isnan(ess):
        return Row(check, "skip", ess, threshold,
                   "no finite ESS: every checked variable is constant; pass var_names=...",
                   REF_VEHTARI)
    ok = ess >= ess_min
    return Row(check, "pass" if ok else "warn", ess, threshold,
               f"smallest {method} ESS {ess:.0f} ({where})" + ("" if ok else
               f"; fewer than {ess_per_chain:g} per chain: draw more or reparameterize"),
               REF_VEHTARI)


def divergences_row(stats, n_draws):
    """Number of divergent transitions (sample_stats ``diverging``)."""
    if stats is None or "diverging" not in stats:
        reason = _NO_STATS if stats is None else "sample_stats has no 'diverging'"
        return Row("divergences", "skip", np.nan, "" if stats is None else "0", reason,
                   REF_BETANCOURT_HMC)
    n_div = check_flags(stats, "diverging")
    return Row("divergences", "pass" if n_div == 0 else "fail", float(n_div), "0",
               f"{n_div} divergent transition(s) in {n_draws} draws" + ("" if n_div == 0 else
               "; the sampler could not follow the posterior's geometry, often a near-empty "
               "component or a collapsing scale: check those rows, raise target_accept, or use "
               "fewer components / stronger priors"), REF_BETANCOURT_HMC)


def treedepth_row(stats):
    """Number of draws that hit the maximum tree depth."""
    depth = None if stats is None else next((s for s in TREEDEPTH_STATS if s in stats), None)
    if depth is None:
        reason = _NO_STATS if stats is None else "sample_stats has no tree-depth saturation flag"
        return Row("tree depth", "skip", np.nan, "" if stats is None else "0", reason,
                   REF_BETANCOURT_HMC)
    n_max = check_flags(stats, depth)
    return Row("tree depth", "pass" if n_max == 0 else "warn", float(n_max), "0",
               f"{n_max} draw(s) hit the maximum tree depth" + ("" if n_max == 0 else
               "; an efficiency problem (long, correlated trajectories), not a bias: "
               "reparameterize or raise max_treedepth"), REF_BETANCOURT_HMC)


def bfmi_row(stats, bfmi_min):
    """Smallest energy BFMI over the chains (arviz-stats ``bfmi``)."""
    threshold = f">= {bfmi_min:g}"
    usable = (stats is not None and "energy" in stats and "chain" in stats["energy"].dims
              and stats.sizes.get("draw", 0) > 1)
    if not usable:
        reason = _NO_STATS if stats is None else "sample_stats has no 'energy'"
        return Row("E-BFMI", "skip", np.nan, "" if stats is None else threshold, reason,
                   REF_BETANCOURT_HMC)
    energy = stats["energy"].transpose("chain", "draw")
    low = float(np.min(azs.bfmi(energy, sample_dims=["chain", "draw"]).values))
    ok = low >= bfmi_min
    return Row("E-BFMI", "pass" if ok else "warn", low, threshold,
               f"smallest E-BFMI {low:.2f}" + ("" if ok else
               "; momentum resampling explores the energy poorly (heavy tails or funnel-like "
               "geometry, e.g. scales near zero): reparameterize"), REF_BETANCOURT_HMC)


# --------------------------------------------------------------------------------------------
# mixture checks: weights, scales and overlap are judged through per-draw extremes, which do
# not depend on the labels, so a switched posterior is judged like a relabelled one
# --------------------------------------------------------------------------------------------


def empty_row(w, weights, min_weight):
    """Posterior mean of each draw's smallest weight; ``w`` is (S, K) or None."""
    threshold = f">= {min_weight:g}"
    if w is None:
        return Row("empty components", "skip", np.nan, threshold,
                   f"no weights variable '{weights}'; pass weights=...", REF_ROUSSEAU)
    smallest = float(np.min(w, axis=1).mean())
    ok = smallest >= min_weight
    return Row("empty components", "pass" if ok else "warn", smallest, threshold,
               f"the smallest weight of each draw has posterior mean {smallest:.3f}" + (
                   "" if ok else
                   "; a nearly empty component is fitted from its prior and invites divergences "
                   "and collapsing scales: consider fewer components or a sparse Dirichlet prior"),
               REF_ROUSSEAU)


def reference_scale(observed, sigma):
    """The data's sd (observed_data, when it has one variable or 'y'), else the median scale."""
    if observed is not None and len(observed.data_vars) > 0:
        name = "y" if "y" in observed.data_vars else next(iter(observed.data_vars))
        if len(observed.data_vars) == 1 or name == "y":
            sd = float(np.std(np.asarray(observed[name].values, dtype=float)))
            if np.isfinite(sd) and sd > 0:
                return sd, f"sd({name})"
    return float(np.median(sigma)), "median scale"


def scales_row(sigma, scales, observed, scale_floor):
    """5% quantile of each draw's smallest scale, relative to the data's sd."""
    if sigma is None:
        return Row("collapsing scales", "skip", np.nan, f">= {scale_floor:g} x sd",
                   f"no scales variable '{scales}'; pass scales=...", REF_MCLACHLAN)
    ref, ref_name = reference_scale(observed, sigma)
    q05 = float(np.quantile(np.min(sigma, axis=1), 0.05)) / ref
    ok = q05 >= scale_floor
    return Row("collapsing scales", "pass" if ok else "warn", q05,
               f">= {scale_floor:g} x {ref_name}",
               f"5% quantile of the smallest scale of each draw is {q05:.3g} x {ref_name}" + (
                   "" if ok else
                   "; a component is shrinking onto a few points, where the mixture likelihood "
                   "is unbounded: use a prior that keeps scales away from 0 or fewer components"),
               REF_MCLACHLAN)


def switching_row(evidence, name, switch_tol):
    """Label switching from :func:`mixlab.relabel.switching_evidence` of the means ``name``."""
    share = float(evidence["off_modal"])
    detail = ""
    if bool(np.isfinite(evidence["rhat"].values).any()):
        detail = (f" (R-hat of {name}: {float(evidence['rhat'].max()):.3f} as labelled, "
                  f"{float(evidence['rhat_sorted'].max()):.3f} after sorting each draw)")
    if bool(evidence["chains_disagree"]):
        status = "fail"
        text = ("chains order the component means differently: labels mean different components "
                "in different chains" + detail + "; summaries of single components are "
                "meaningless until you relabel (mixlab.relabel) or use label-invariant summaries")
    elif share > switch_tol:
        status = "warn"
        text = (f"{share:.1%} of draws order the means differently from the modal order"
                + detail + "; relabel before summarising single components")
    else:
        status = "pass"
        text = f"{share:.1%} of draws depart from the modal order of the means" + detail
    return Row("label switching", status, share, f"<= {switch_tol:g}", text, REF_SWITCHING)


def overlap_row(w, mu, sigma, *, missing, other, overlap_max):
    """Posterior mean of each draw's largest pairwise misclassification rate.

    ``missing`` lists the absent weights/scales variables and ``other`` names a variable that
    makes the components non-Gaussian or regressions (``nu``, ``beta``), or is None.
    """
    threshold = f"<= {overlap_max:g}"
    if missing:
        return Row("component overlap", "skip", np.nan, threshold,
                   f"no {' and no '.join(missing)}; pass weights=... / scales=...", REF_OVERLAP)
    if other is not None:
        return Row("component overlap", "skip", np.nan, threshold,
                   f"the posterior has '{other}': the overlap is computed for Gaussian "
                   "components without covariates only", REF_OVERLAP)
    worst = np.nanmax(_pair_overlap(w, mu, sigma), axis=(1, 2))
    value = float(worst.mean())
    ok = value <= overlap_max
    return Row("component overlap", "pass" if ok else "warn", value, threshold,
               f"the most overlapping pair of components of each draw would misassign {value:.1%} "
               "of its observations (posterior mean)" + ("" if ok else
               ": these components are not distinct in data space; compare fewer components "
               "(e.g. with LOO)"), REF_OVERLAP)


def mixture_skip_rows(reason, switch_tol, overlap_max):
    """The label-switching and overlap rows when there are no means or a single component."""
    return [Row("label switching", "skip", np.nan, f"<= {switch_tol:g}", reason, REF_SWITCHING),
            Row("component overlap", "skip", np.nan, f"<= {overlap_max:g}", reason, REF_OVERLAP)]
