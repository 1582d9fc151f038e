"""Bounds and multiple-testing corrections behind the reject options."""

import math

import numpy as np
import pytest
from scipy.stats import binom

from sk_mcdropout.reject._threshold import (
    certify_fixed_sequence,
    certify_sgr,
    clopper_pearson_upper,
    hoeffding_bentkus_upper,
    select_threshold,
)


def test_clopper_pearson_closed_forms():
    # No error in n rows: (1 - bound) ** n = delta.
    assert clopper_pearson_upper(0, 100, 0.05) == pytest.approx(1 - 0.05 ** (1 / 100))
    # The bound is where the binomial tail of k errors has probability delta.
    bound = clopper_pearson_upper(7, 200, 0.1)
    assert binom.cdf(7, 200, bound) == pytest.approx(0.1)
    assert clopper_pearson_upper(5, 5, 0.1) == 1.0


def test_hoeffding_bentkus_is_valid_and_wider_than_exact():
    for k, n in [(0, 100), (10, 500), (40, 400)]:
        hb = hoeffding_bentkus_upper(k, n, 0.1)
        assert clopper_pearson_upper(k, n, 0.1) <= hb <= 1
        assert hb > k / n


def test_sgr_spends_delta_over_its_tests():
    rng = np.random.RandomState(0)
    count = np.arange(1.0, 1001.0)
    loss_count = np.cumsum(rng.uniform(size=1000) < np.linspace(0, 0.1, 1000))
    idx, bound = certify_sgr(count, loss_count, 0.05, 0.1, True)
    level = 0.1 / math.ceil(math.log2(1001))
    assert bound == pytest.approx(
        clopper_pearson_upper(loss_count[idx], idx + 1, level)
    )
    assert bound <= 0.05
    # Fixed-sequence testing spends all of delta on each test: larger coverage.
    idx_fs, bound_fs = certify_fixed_sequence(count, loss_count, 0.05, 0.1, True)
    assert idx_fs > idx
    assert bound_fs <= 0.05


def test_select_threshold_breaks_ties_with_the_secondary_score():
    primary = np.zeros(10)
    secondary = np.arange(10.0)[::-1]
    result = select_threshold(
        np.zeros(10), primary, secondary, np.ones(10), coverage=0.3
    )
    assert result["coverage"] == pytest.approx(0.3)
    assert (result["threshold"], result["tiebreak"]) == (0.0, 2.0)
