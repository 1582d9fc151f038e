"""Threshold selection for reject options: pure functions on held-out scores.

Shared by :class:`~sk_mcdropout.RejectOptionClassifier` and
:class:`~sk_mcdropout.RejectOptionRegressor`. Every function works on
per-row arrays of held-out rows: a loss in [0, 1] (or any non-negative loss
for the empirical rules), a primary uncertainty, a secondary uncertainty that
breaks its ties, and weights.

Rows are ranked by the pair (primary, secondary), lexicographically. A rule
"accept a row when its pair is at most (t, s)" realises exactly the points at
the ends of groups of rows with equal pairs, so only rows that tie in both
scores are accepted or rejected together.

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

# A coverage given as a decimal (0.9) must be reached by 9 accepted rows out
# of 10 even though 9 / 10 is not exactly 0.9 in every float computation.
_COVERAGE_RTOL = 1e-9
# With ties, the accepted fraction may exceed the target; more than this
# (absolute) is worth a warning.
_COVERAGE_SLACK = 0.01


def ranking_groups(primary, secondary):
    """Order rows by (primary, secondary); return the order and group ends.

    ``ends`` are positions, in the sorted order, of the last row of each group
    of rows with equal (primary, secondary).
    """
    order = np.lexsort((secondary, primary))
    p, s = primary[order], secondary[order]
    changes = (p[1:] != p[:-1]) | (s[1:] != s[:-1])
    ends = np.r_[np.flatnonzero(changes), p.size - 1]
    return order, ends


def selective_curve(losses, primary, secondary, weights):
    """Cumulative accepted weight, loss and count at the end of each group.

    Returns
    -------
    accepted : ndarray
        Accepted weight at each candidate threshold, increasing.
    loss : ndarray
        Accepted weighted loss.
    count : ndarray
        Number of accepted rows (unweighted), used by the bounds.
    loss_count : ndarray
        Unweighted sum of the losses of the accepted rows.
    thresholds : ndarray of shape (n_candidates, 2)
        The (primary, secondary) pair of each candidate.
    """
    order, ends = ranking_groups(primary, secondary)
    w = weights[order]
    lo = losses[order]
    accepted = np.cumsum(w)[ends]
    loss = np.cumsum(w * lo)[ends]
    count = (ends + 1).astype(np.float64)
    loss_count = np.cumsum(lo)[ends]
    # A group of zero-weight rows accepts nothing: no candidate.
    keep = np.diff(accepted, prepend=0.0) > 0
    thresholds = np.column_stack([primary[order][ends], secondary[order][ends]])
    return (
        accepted[keep],
        loss[keep],
        count[keep],
        loss_count[keep],
        thresholds[keep],
    )


def clopper_pearson_upper(k, n, delta):
    """Exact one-sided upper confidence bound on a binomial proportion.

    With probability at least ``1 - delta``, the true proportion is at most
    the bound, given ``k`` successes in ``n`` trials.
    """
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        bound = beta.ppf(1.0 - delta, k + 1.0, n - k)
    return np.where(k >= n, 1.0, bound)


def _hb_pvalue(mean_loss, n, risk):
    """Hoeffding-Bentkus p-value of "mean loss > ``risk``", for a [0, 1] loss.

    Vectorised over ``mean_loss`` and ``n``; ``risk`` < 1.
    """
    mean_loss = np.asarray(mean_loss, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    a = np.minimum(mean_loss, risk)
    # Kullback-Leibler divergence between Bernoulli(a) and Bernoulli(risk).
    h = xlogy(a, a / risk) + xlogy(1 - a, (1 - a) / (1 - risk))
    hoeffding = np.exp(-n * h)
    bentkus = math.e * binom.cdf(np.ceil(n * mean_loss - 1e-9), n, risk)
    return np.minimum(np.minimum(hoeffding, bentkus), 1.0)


def hoeffding_bentkus_upper(loss_sum, n, delta):
    """Upper confidence bound on the mean of a [0, 1] loss (Bates et al.)."""
    mean_loss = loss_sum / n
    lo, hi = mean_loss, 1.0
    if mean_loss >= 1 or _hb_pvalue(mean_loss, n, 1 - 1e-12) > delta:
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


def sequence_start(max_risk, delta, n_rows):
    """Fewest accepted rows at which fixed-sequence testing starts.

    The larger of the fewest rows that could be certified at all, with no
    loss (``(1 - max_risk) ** n <= delta``), and a tenth of the calibration
    rows. Both are known before the calibration losses are seen, as
    fixed-sequence testing requires. The tenth keeps a few unlucky rows at a
    tiny coverage, where every bound is wide, from ending the search when
    the risk is flat in the coverage (as for interval misses of a calibrated
    regressor); a reject option that automates less than a tenth of the
    rows is rarely what is wanted.
    """
    if max_risk >= 1:
        return 1
    n_min = math.ceil(math.log(delta) / math.log1p(-max_risk) - 1e-9)
    return max(1, n_min, math.ceil(n_rows / 10))


def certify_sgr(count, loss_count, max_risk, delta, binary):
    """SGR's binary search with a union bound over the tests made.

    Geifman and El-Yaniv (2017): ``ceil(log2(m + 1))`` candidates are tested,
    each at level ``delta / ceil(log2(m + 1))``.
    """
    m = count.size
    n_tests = max(1, math.ceil(math.log2(m + 1)))
    level = delta / n_tests
    lo, hi = -1, m
    best_bound = np.nan
    while hi - lo > 1:
        mid = (lo + hi) // 2
        bound = upper_bound(loss_count[mid], count[mid], level, binary)
        if bound <= max_risk:
            lo, best_bound = mid, bound
        else:
            hi = mid
    return (None, np.nan) if lo < 0 else (lo, best_bound)


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
    stacklevel=4,
):
    """Choose the rejection threshold on held-out rows.

    Exactly one of ``coverage`` and ``max_risk`` is set; ``confidence`` only
    with ``max_risk``. ``method`` is the multiple-testing correction of the
    certified search: ``"fixed_sequence"`` (Learn-then-Test) or ``"sgr"``.

    Returns
    -------
    result : dict
        ``threshold`` (primary), ``tiebreak`` (secondary), ``coverage`` and
        ``risk`` reached on the held-out rows, and ``bound`` (the certified
        upper bound, nan without ``confidence``).
    """
    accepted, loss, count, loss_count, thresholds = selective_curve(
        losses, primary, secondary, weights
    )
    cov = accepted / accepted[-1]
    risk = loss / accepted
    bound = np.nan
    if max_risk is None:
        idx = int(np.flatnonzero(cov >= coverage * (1 - _COVERAGE_RTOL))[0])
        # One row more than the target is rounding, not ties.
        granularity = weights.max() / accepted[-1]
        if cov[idx] > coverage + _COVERAGE_SLACK + granularity:
            warnings.warn(
                f"coverage={coverage} cannot be met on the held-out rows: "
                f"{int(count[idx] - (count[idx - 1] if idx else 0))} rows have "
                "exactly the same uncertainty (in the measure and in the "
                "score that breaks its ties), so they are accepted or rejected "
                f"together; {cov[idx]:.4f} of the rows are accepted.",
                UserWarning,
                stacklevel=stacklevel,
            )
    elif confidence is None:
        ok = np.flatnonzero(risk <= max_risk)
        idx = int(ok[-1]) if ok.size else None
        if idx is None:
            warnings.warn(
                f"No coverage reaches a selective risk of at most "
                f"max_risk={max_risk} on the held-out rows (the most certain "
                f"rows already have {risk[0]:.3g}); every row will be rejected.",
                UserWarning,
                stacklevel=stacklevel,
            )
    else:
        delta = 1.0 - confidence
        certify = certify_sgr if method == "sgr" else certify_fixed_sequence
        idx, bound = certify(count, loss_count, max_risk, delta, binary)
        if idx is None:
            n_min = sequence_start(max_risk, delta, 1) if max_risk > 0 else None
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
                f"{int(count[-1])} held-out rows{need}; every row will be "
                "rejected. Use more calibration rows, a larger max_risk or a "
                "lower confidence.",
                UserWarning,
                stacklevel=stacklevel,
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
    last = idx == cov.size - 1
    return dict(
        threshold=np.inf if last else float(thresholds[idx, 0]),
        tiebreak=np.inf if last else float(thresholds[idx, 1]),
        coverage=float(cov[idx]),
        risk=float(risk[idx]),
        bound=float(bound),
    )


def above_threshold(primary, secondary, threshold, tiebreak):
    """Rows whose (primary, secondary) pair is above (threshold, tiebreak)."""
    return (primary > threshold) | ((primary == threshold) & (secondary > tiebreak))
