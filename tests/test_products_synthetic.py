"""Synthetic products: each documented error structure is present with its stated size."""

import numpy as np
import pytest
import xarray as xr

from workbench.data.products import DEFAULT_PRODUCTS, ProductSpec, idealised_truth, product_errors, synthetic_products
from workbench.intercompare import metrics as M
from workbench.units import UnitError


@pytest.fixture(scope="module")
def truth():
    return idealised_truth(lat=(40, 48), lon=(0, 8), start="2020-01-01", end="2021-12-31")


def test_error_structures_have_stated_sizes(truth):
    specs = (
        ProductSpec("biased", offset=0.5, scale=0.9, noise_std=0.2),
        ProductSpec("lagged", phase_shift=30, noise_std=0.0),
        ProductSpec("drifting", drift=0.2, noise_std=0.0),
        ProductSpec("gappy", gap_fraction=0.25, noise_std=0.0),
        ProductSpec("coarse", coarsen=4, noise_std=0.0),
    )
    p = synthetic_products(truth, specs, seed=3)
    err = product_errors(p[["biased"]], truth).biased
    np.testing.assert_allclose(float(err.mean()), 0.0, atol=0.01)
    np.testing.assert_allclose(float(err.std()), 0.2, rtol=0.02)
    np.testing.assert_allclose(float(M.phase_shift(truth, p.lagged).mean()), 30.0, atol=1.5)
    slope = M.trend(p.drifting - truth).slope
    np.testing.assert_allclose(slope.values, 0.2, rtol=1e-3)
    frac = float(p.gappy.isnull().mean())
    np.testing.assert_allclose(frac, 0.25, atol=0.01)
    assert float(p.gappy.notnull().sum()) + float(p.gappy.isnull().sum()) == p.gappy.size  # gaps are NaN, not filled
    xr.testing.assert_allclose(p.gappy.where(p.gappy.notnull(), truth), truth)
    block = p.coarse.isel(time=100, lat=slice(0, 4), lon=slice(0, 4)).values
    np.testing.assert_allclose(block, block[0, 0], rtol=1e-6)  # one native cell = 4 x 4 truth cells
    np.testing.assert_allclose(block[0, 0], truth.isel(time=100, lat=slice(0, 4), lon=slice(0, 4)).mean(), rtol=1e-5)
    assert p.biased.attrs["units"] == "mm d-1" and p.biased.attrs["offset"] == 0.5


def test_correlated_errors_and_determinism(truth):
    specs = (ProductSpec("a", noise_std=0.5, error_correlation=0.64), ProductSpec("b", noise_std=0.5, error_correlation=0.64))
    p = synthetic_products(truth, specs, seed=0)
    e = product_errors(p, truth)
    r = float(M.pearson_r(e.a, e.b))
    np.testing.assert_allclose(r, 0.64, atol=0.02)
    again = synthetic_products(truth, specs, seed=0)
    xr.testing.assert_identical(p, again)
    assert not np.allclose(synthetic_products(truth, specs, seed=1).a, p.a)


def test_lazy_products_match_in_memory_for_one_chunk(truth):
    lazy_truth = truth.chunk({"lat": -1, "lon": -1})
    lazy = synthetic_products(lazy_truth)
    assert all(v.chunks is not None for v in lazy.data_vars.values())
    xr.testing.assert_allclose(lazy.compute(), synthetic_products(truth), rtol=1e-6)
    assert list(lazy.data_vars) == [s.name for s in DEFAULT_PRODUCTS]


def test_bad_input(truth):
    with pytest.raises(TypeError, match="DataArray"):
        synthetic_products(truth.values)
    with pytest.raises(UnitError, match="truth"):
        synthetic_products(truth.assign_attrs(units="W m-2").rename("truth"))
    with pytest.raises(ValueError, match="unique"):
        synthetic_products(truth, (ProductSpec("a"), ProductSpec("a")))
    with pytest.raises(ValueError, match="gap_fraction"):
        ProductSpec("a", gap_fraction=1.2)
    with pytest.raises(ValueError, match="missing"):
        synthetic_products(truth.isel(lat=0))
