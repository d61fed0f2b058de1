"""Triple collocation against pytesmo 0.18.1 and against the known truth of synthetic products."""

import numpy as np
import pandas as pd
import pytest
import pytesmo.metrics as pm
import xarray as xr

from workbench.data.products import ProductSpec, idealised_truth, product_errors, synthetic_products
from workbench.intercompare import collocation as C


@pytest.fixture(scope="module")
def three():
    rng = np.random.default_rng(3)
    t = rng.gamma(2.0, 1.5, 4000)
    return {
        k: xr.DataArray(a + b * t + rng.normal(scale=s, size=t.size), dims="time", name=k, attrs={"units": "mm d-1"})
        for k, a, b, s in (("x", 0.0, 1.0, 0.3), ("y", 0.5, 0.8, 0.5), ("z", -0.2, 1.3, 0.7))
    }


def test_matches_pytesmo_tcol_metrics_and_ecol(three):
    x, y, z = three["x"], three["y"], three["z"]
    tc = C.triple_collocation(x, y, z)
    snr, err_std, beta = pm.tcol_metrics(x.values, y.values, z.values)
    np.testing.assert_allclose(tc.snr.values, snr, rtol=1e-10)
    np.testing.assert_allclose(tc.err_std_scaled.values, err_std, rtol=1e-10)
    np.testing.assert_allclose(tc.beta.values, beta, rtol=1e-10)
    e = pm.ecol(pd.DataFrame({k: v.values for k, v in three.items()}))
    np.testing.assert_allclose(tc.err_var.values, [e[f"err_{k}"] for k in "xyz"], rtol=1e-10)
    np.testing.assert_allclose(tc.sig_var.values, [e[f"sig_{k}"] for k in "xyz"], rtol=1e-10)
    # extended TC: rho^2 is the squared correlation with the truth, SNR its transform
    np.testing.assert_allclose(tc.snr.values, -10 * np.log10(1 / tc.rho2.values - 1), rtol=1e-10)


def test_known_error_variances_and_truth_correlation(three):
    tc = C.triple_collocation(three["x"], three["y"], three["z"])
    np.testing.assert_allclose(tc.err_var.values, [0.09, 0.25, 0.49], rtol=0.12)  # n = 4000


def test_common_mask_is_used(three):
    x = three["x"].copy()
    x[:100] = np.nan
    tc = C.triple_collocation(x, three["y"], three["z"])
    assert int(tc.n) == 3900
    ref = pm.tcol_metrics(x.values[100:], three["y"].values[100:], three["z"].values[100:])
    np.testing.assert_allclose(tc.snr.values, ref[0], rtol=1e-10)
    assert np.isnan(C.triple_collocation(x, three["y"], three["z"], skipna=False).err_var).all()


@pytest.fixture(scope="module")
def synthetic():
    truth = idealised_truth(lat=(40, 46), lon=(0, 6), chunks={"lat": 3, "lon": 3})
    specs = (
        ProductSpec("a", offset=0.4, noise_std=0.3),
        ProductSpec("b", scale=0.8, noise_std=0.45),
        ProductSpec("c", noise_std=0.6),
        ProductSpec("d", noise_std=0.4, error_correlation=0.5),
        ProductSpec("e", noise_std=0.4, error_correlation=0.5),
    )
    return truth, synthetic_products(truth, specs, seed=1)


def test_tc_recovers_known_error_variance_on_maps(synthetic):
    truth, prods = synthetic
    tc = C.tc_all_triplets(prods)
    assert tc.err_var.dims[:2] == ("triplet", "product") and tc.sizes["triplet"] == 10
    assert tc.err_var.chunks is not None  # stays lazy
    known = product_errors(prods, truth).var("time")
    est = tc.err_var.sel(triplet="a|b|c").sel(product=["a", "b", "c"]).mean(["lat", "lon"]).values
    np.testing.assert_allclose(est, known[["a", "b", "c"]].to_array().mean(["lat", "lon"]).values, rtol=0.05)
    np.testing.assert_allclose(est, [0.09, 0.2025, 0.36], rtol=0.05)
    # a triplet with two correlated-error products underestimates their error variance: the assumption check shows why
    bad = float(tc.err_var.sel(triplet="a|d|e", product="d").mean())
    assert bad < 0.6 * 0.16
    corr = C.error_cross_correlation(prods, truth).mean(["lat", "lon"])
    np.testing.assert_allclose(corr.sel(product="d", product_j="e"), 0.5, atol=0.05)
    np.testing.assert_allclose(corr.sel(product="a", product_j="b"), 0.0, atol=0.05)


def test_summary_and_errors(synthetic):
    _, prods = synthetic
    s = C.tc_summary(C.tc_all_triplets(prods[["a", "b", "c", "d"]]))
    assert int(s.n_triplets.sel(product="a")) == 3
    with pytest.raises(ValueError, match="at least three products"):
        C.tc_all_triplets(prods[["a", "b"]])
    shifted = prods.b.assign_coords(lat=prods.lat + 0.5)
    with pytest.raises(ValueError, match="product 'b' is on a different lat grid"):
        C.tc_all_triplets({"a": prods.a, "b": shifted, "c": prods.c})
