"""Threshold selection for reject options: pure functions on held-out scores.

Shared by :class:`~sk_mcdropout.RejectOptionClassifier` and
:class:`~sk_mcdropout.RejectOptionRegressor`. Each rule reads the
risk-coverage curve of the held-out rows (per-row losses in [0, 1], or any
non-negative loss for the empirical rules; a primary uncertainty and a
secondary one that breaks its ties; weights), the one curve of
:func:`sk_mcdropout.metrics._selective.selective_curve`, and returns a point
of it: :func:`coverage_rule`, :func:`risk_rule` and :func:`certified_rule`.

Guarantees (``confidence``): the selective risk of a candidate threshold is
bounded by an exact binomial (Clopper-Pearson) upper bound for a 0/1 loss, or
by the Hoeffding-Bentkus bound of Bates et al. (2021) for a loss in [0, 1]
(e.g. cost-weighted errors), conditionally on the number of accepted rows.
The thresholds tried are corrected for by Learn-then-Test's fixed-sequence
testing (Angelopoulos et al., 2021): candidates are tested in order of
increasing coverage, each at level ``delta``, from a start fixed in advance
(:func:`sequence_start`), and the search stops at the first one that cannot
be certified. SGR's binary search (Geifman and El-Yaniv, 2017) needs a union
bound over its ``ceil(log2(m + 1))`` tests, i.e. each at ``delta / 11`` for
2,000 candidates, which widens every bound. Fixed-sequence testing loses
only when the risk just after its start is close to ``max_risk`` (an early
failure ends the search), which is not how a useful uncertainty ranking
behaves: on ISLR Default with 2,000 calibration rows, the coverage it
certified at ``max_risk=0.01``, ``confidence=0.9`` was 95% of the oracle's
against 89% for SGR (``benchmarks/bench_guaranteed_risk.py``). Both are
kept here so that the benchmark can compare them.
"""

import math
import warnings

import numpy as np
from scipy.special import xlogy
from scipy.stats import beta, binom

from ..metrics._selective import index_at_coverage, index_at_risk, selective_curve

# With ties, the accepted fraction may exceed the target; more than this
# (absolute) is worth a warning.
_COVERAGE_SLACK = 0.01


def clopper_pearson_upper(k, n, delta):
    """Exact one-sided upper confidence bound on a binomial proportion.

    With probability at least ``1 - delta``, the true proportion is at most
    the bound, given ``k`` successes in ``n`` trials.
    """
    k, n = np.asarray(k), np.asarray(n)
    # beta.ppf is undefined for k = n (no failure); that case is 1 below.
    with np.errstate(invalid="ignore", divide="ignore"):
        bound = beta.ppf(1.0 - delta, k + 1.0, n - k)
    return np.where(k >= n, 1.0, bound)


def _hb_pvalue(mean_loss, n, risk):
    """Hoeffding-Bentkus p-value of "mean loss > ``risk``", for a [0, 1] loss.

    Vectorised over ``mean_loss`` and ``n``; ``risk`` < 1. The Hoeffding
    term is at most 1, so the p-value is too.
    """
    a = np.minimum(mean_loss, risk)
    # Kullback-Leibler divergence between Bernoulli(a) and Bernoulli(risk).
    h = xlogy(a, a / risk) + xlogy(1 - a, (1 - a) / (1 - risk))
    hoeffding = np.exp(-n * h)
    bentkus = math.e * binom.cdf(np.ceil(n * mean_loss - 1e-9), n, risk)
    return np.minimum(hoeffding, bentkus)


def hoeffding_bentkus_upper(loss_sum, n, delta):
    """Upper confidence bound on the mean of a [0, 1] loss (Bates et al.)."""
    mean_loss = loss_sum / n
    lo, hi = mean_loss, 1.0
    # Nothing below 1 can be certified (a mean loss of 1 included).
    if _hb_pvalue(mean_loss, n, 1 - 1e-12) > delta:
        return 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if _hb_pvalue(mean_loss, n, mid) <= delta:
            hi = mid
        else:
            lo = mid
    return hi


def upper_bound(loss_sum, n, delta, binary):
    """Exact (binary loss) or Hoeffding-Bentkus upper bound on the risk."""
    if binary:
        return float(clopper_pearson_upper(loss_sum, n, delta))
    return hoeffding_bentkus_upper(float(loss_sum), float(n), delta)


def certify_fixed_sequence(count, loss_count, max_risk, delta, binary):
    """Learn-then-Test fixed-sequence testing over increasing coverage.

    The sequence starts at the first candidate with at least
    :func:`sequence_start` accepted rows and stops at the first failure.

    Returns
    -------
    index : int or None
        Candidate of largest certified coverage, None if none is certified.
    bound : float
        Its upper bound on the risk (nan when None).
    """
    if max_risk <= 0:
        return None, np.nan
    n_start = sequence_start(max_risk, delta, count[-1])
    candidates = np.flatnonzero(count >= n_start)
    # All tests at once: the same result as testing one by one.
    if binary:
        bounds = clopper_pearson_upper(loss_count[candidates], count[candidates], delta)
        passed = bounds <= max_risk
    elif max_risk >= 1:
        passed = np.ones(candidates.size, dtype=bool)
    else:
        mean_loss = loss_count[candidates] / count[candidates]
        passed = _hb_pvalue(mean_loss, count[candidates], max_risk) <= delta
    failed = np.flatnonzero(~passed)
    n_passed = failed[0] if failed.size else candidates.size
    if n_passed == 0:
        return None, np.nan
    best = int(candidates[n_passed - 1])
    if binary:
        best_bound = float(bounds[n_passed - 1])
    else:
        # The p-value at max_risk passed, so the bound is at most max_risk
        # (up to the bisection's resolution).
        best_bound = min(
            upper_bound(loss_count[best], count[best], delta, False), max_risk
        )
    return best, best_bound


def rows_needed(max_risk, delta):
    """Fewest accepted rows that can be certified at all: with no loss.

    The smallest ``n`` with ``(1 - max_risk) ** n <= delta``, for
    ``0 < max_risk < 1`` and ``0 < delta < 1`` (at least 1).
    """
    return math.ceil(math.log(delta) / math.log1p(-max_risk) - 1e-9)


def sequence_start(max_risk, delta, n_rows):
    """Fewest accepted rows at which fixed-sequence testing starts.

    The larger of the fewest rows that could be certified at all
    (:func:`rows_needed`) and a tenth of the calibration rows. Both are known
    before the calibration losses are seen, as fixed-sequence testing
    requires. The tenth keeps a few unlucky rows at a tiny coverage, where
    every bound is wide, from ending the search when the risk is flat in the
    coverage (as for interval misses of a calibrated regressor); a reject
    option that automates less than a tenth of the rows is rarely what is
    wanted.
    """
    if max_risk >= 1:
        return 1
    return max(rows_needed(max_risk, delta), math.ceil(n_rows / 10))


def certify_sgr(count, loss_count, max_risk, delta, binary):
    """SGR's binary search with a union bound over the tests made.

    Geifman and El-Yaniv (2017): ``ceil(log2(m + 1))`` candidates are tested,
    each at level ``delta / ceil(log2(m + 1))``.
    """
    m = count.size
    n_tests = max(1, math.ceil(math.log2(m + 1)))
    level = delta / n_tests
    lo, hi = -1, m
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if upper_bound(loss_count[mid], count[mid], level, binary) <= max_risk:
            lo = mid
        else:
            hi = mid
    if lo < 0:
        return None, np.nan
    return lo, upper_bound(loss_count[lo], count[lo], level, binary)


def coverage_rule(curve, coverage, granularity, *, stacklevel):
    """The first point whose coverage reaches ``coverage``.

    Rows tied in both scores are accepted together, so the coverage reached
    may exceed the target; by more than ``_COVERAGE_SLACK`` plus
    ``granularity`` (the largest share of one row: one row more is rounding,
    not ties), a warning says so.
    """
    idx = index_at_coverage(curve.coverage, coverage)
    reached = curve.coverage[idx]
    if reached > coverage + _COVERAGE_SLACK + granularity:
        tied = int(curve.count[idx] - (curve.count[idx - 1] if idx else 0))
        warnings.warn(
            f"coverage={coverage} cannot be met on the held-out rows: "
            f"{tied} rows have exactly the same uncertainty (in the measure "
            "and in the score that breaks its ties), so they are accepted or "
            f"rejected together; {reached:.4f} of the rows are accepted.",
            stacklevel=stacklevel + 1,
        )
    return idx


def risk_rule(curve, max_risk, *, stacklevel):
    """The point of largest coverage whose selective risk is at most ``max_risk``.

    None, with a warning, when no point qualifies.
    """
    idx = index_at_risk(curve.risk, max_risk)
    if idx is None:
        warnings.warn(
            f"No coverage reaches a selective risk of at most "
            f"max_risk={max_risk} on the held-out rows (the most certain "
            f"rows already have {curve.risk[0]:.3g}); every row will be rejected.",
            stacklevel=stacklevel + 1,
        )
    return idx


def certified_rule(curve, max_risk, confidence, *, binary, method, stacklevel):
    """The point of largest coverage certified to have a risk <= ``max_risk``.

    ``method`` is the multiple-testing correction: ``"fixed_sequence"``
    (Learn-then-Test) or ``"sgr"``. Returns the index (None, with a warning,
    when nothing is certified) and its upper bound on the risk.
    """
    delta = 1.0 - confidence
    certify = certify_sgr if method == "sgr" else certify_fixed_sequence
    idx, bound = certify(curve.count, curve.loss_count, max_risk, delta, binary)
    if idx is None:
        n_min = rows_needed(max_risk, delta) if 0 < max_risk < 1 else None
        need = (
            f" (even with no error it takes at least {n_min} accepted rows)"
            if n_min
            else ""
        )
        if method != "sgr" and n_min:
            need += (
                "; fixed-sequence testing stops at its first failure, so "
                "if the risk hardly grows with the coverage, "
                "correction='sgr' may certify more"
            )
        warnings.warn(
            f"No threshold can be certified to have a selective risk of at "
            f"most max_risk={max_risk} with confidence={confidence} on "
            f"{int(curve.count[-1])} held-out rows{need}; every row will be "
            "rejected. Use more calibration rows, a larger max_risk or a "
            "lower confidence.",
            stacklevel=stacklevel + 1,
        )
    return idx, bound


def select_threshold(
    losses,
    primary,
    secondary,
    weights,
    *,
    coverage=None,
    max_risk=None,
    confidence=None,
    binary=True,
    method="fixed_sequence",
    passed=None,
    stacklevel=2,
):
    """Choose the rejection threshold on held-out rows.

    Exactly one of ``coverage`` and ``max_risk`` is set; ``confidence`` only
    with ``max_risk``. ``passed`` marks the rows the novelty guard lets
    through: the threshold is learnt on them, so a guarantee is about the
    rows both rules accept, and a coverage is a fraction of all the rows.
    ``stacklevel`` of a warning counts from the caller of this function.

    Returns
    -------
    result : dict
        ``threshold`` (primary), ``tiebreak`` (secondary), ``coverage`` and
        ``risk`` reached on the held-out rows, and ``bound`` (the certified
        upper bound, nan without ``confidence``).
    """
    curve = selective_curve(losses, primary, secondary, weights, passed)
    idx, bound = None, np.nan
    if curve.coverage.size == 0:
        pass  # no held-out row with a weight gets past the guard
    elif max_risk is None:
        granularity = weights.max() / weights.sum()
        idx = coverage_rule(curve, coverage, granularity, stacklevel=stacklevel + 1)
    elif confidence is None:
        idx = risk_rule(curve, max_risk, stacklevel=stacklevel + 1)
    else:
        idx, bound = certified_rule(
            curve,
            max_risk,
            confidence,
            binary=binary,
            method=method,
            stacklevel=stacklevel + 1,
        )
    if idx is None:
        return dict(
            threshold=-np.inf,
            tiebreak=-np.inf,
            coverage=0.0,
            risk=np.nan,
            bound=np.nan,
        )
    # Every held-out row accepted: no evidence to reject anything, so new rows
    # more uncertain than all of them are accepted too.
    last = idx == curve.coverage.size - 1
    return dict(
        threshold=np.inf if last else float(curve.threshold[idx]),
        tiebreak=np.inf if last else float(curve.tiebreak[idx]),
        coverage=float(curve.coverage[idx]),
        risk=float(curve.risk[idx]),
        bound=float(bound),
    )


def above_threshold(primary, secondary, threshold, tiebreak):
    """Rows whose (primary, secondary) pair is above (threshold, tiebreak)."""
    return (primary > threshold) | ((primary == threshold) & (secondary > tiebreak))
