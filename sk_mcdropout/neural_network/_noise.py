"""Out-of-sample noise calibration for MCDropoutRegressor (numpy and scipy only)."""

import numpy as np
from scipy.optimize import minimize_scalar

# Below this share of the predictive variance, the calibrated noise is taken
# for a collapse of the fit rather than for a measurement.
MIN_NOISE_SHARE = 1e-3


def calibration_split(n_rows, fraction, seed):
    """Indices of the rows to fit the weights on and of the held-out rows.

    ``ceil(fraction * n_rows)`` rows, at least one, are held out; at least one
    row is left to fit on. The split is a function of ``(n_rows, fraction,
    seed)`` only.
    """
    if n_rows < 2:
        raise ValueError(
            "calibration_fraction holds out rows to estimate the noise on, "
            f"which needs at least 2 training rows; got n_samples = {n_rows}. "
            "Pass calibration_fraction=None to estimate it on the training rows."
        )
    n_cal = min(max(int(np.ceil(fraction * n_rows)), 1), n_rows - 1)
    order = np.random.default_rng(seed).permutation(n_rows)
    return np.sort(order[n_cal:]), np.sort(order[:n_cal])


def fit_noise_scale(sq_residual, model_var, base_var, sample_weight=None):
    """Maximum-likelihood ``c`` per output in ``variance = model_var + c * base_var``.

    Parameters
    ----------
    sq_residual, model_var, base_var : ndarray of shape (n_rows, n_outputs)
        Squared residuals of the predictive mean, variance of the Monte Carlo
        passes, and the noise variance to be scaled (ones for a homoscedastic
        noise, whose variance is then ``c``).
    sample_weight : ndarray of shape (n_rows,), default=None
        Row weights of the Gaussian log-likelihood.

    Returns
    -------
    c : ndarray of shape (n_outputs,)
        The scale, in ``[1e-12 * max ratio, max ratio]`` where the ratio is
        ``sq_residual / base_var``: beyond the largest ratio the likelihood
        only decreases.
    """
    weights = np.ones(len(sq_residual)) if sample_weight is None else sample_weight
    weights = np.asarray(weights, dtype=np.float64) / np.sum(weights)
    scales = []
    for r2, m, b in zip(sq_residual.T, model_var.T, base_var.T, strict=True):
        upper = max(float(np.max(r2 / b)), 1e-12)

        def nll(log_c, r2=r2, m=m, b=b):
            var = m + np.exp(log_c) * b
            return float(np.sum(weights * (np.log(var) + r2 / var)))

        # With a pass variance in the sum the likelihood need not be unimodal
        # in c: a coarse grid finds the best basin, a bounded Brent search
        # refines it. Both are deterministic.
        grid = np.linspace(np.log(upper) - np.log(1e12), np.log(upper), 121)
        best = int(np.argmin([nll(t) for t in grid]))
        bounds = (grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)])
        result = minimize_scalar(nll, bounds=bounds, method="bounded")
        scales.append(np.exp(min(result.x, grid[best], key=nll)))
    return np.asarray(scales)


def noise_share(model_var, base_var, scale, sample_weight=None):
    """Share of the predictive variance that is noise, per output.

    ``scale * base_var`` over ``model_var + scale * base_var``, each averaged
    over the rows (weighted).
    """
    noise = np.average(scale * base_var, axis=0, weights=sample_weight)
    model = np.average(model_var, axis=0, weights=sample_weight)
    return noise / (noise + model)
