"""Figures of mixture fits: the fitted density, co-clustering, memberships and (2-D) ellipses.

``mixlab.plots.core`` draws the univariate figures, ``mixlab.plots.ellipses`` the multivariate
ones; import them from here.
"""

from mixlab.plots._rootogram import plot_rootogram
from mixlab.plots.core import (
    HIGHLIGHT_COLOR,
    MARK_COLOR,
    component_colors,
    plot_assignment,
    plot_coclustering,
    plot_mixture_fit,
)
from mixlab.plots.ellipses import plot_ellipses

__all__ = ["HIGHLIGHT_COLOR", "MARK_COLOR", "component_colors", "plot_assignment", "plot_coclustering", "plot_ellipses",
           "plot_mixture_fit", "plot_rootogram"]
