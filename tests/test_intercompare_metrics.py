"""Metrics: hand-computed values, xskillscore cross-checks, dask laziness and bad input."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import xskillscore as xs

from workbench.intercompare import metrics as M
from workbench.units import UnitError

OBS = xr.DataArray([1.0, 2.0, 3.0, 4.0], dims="time", attrs={"units": "mm d-1"})
SIM = xr.DataArray([1.5, 2.5, 2.5, 4.5], dims="time", attrs={"units": "mm d-1"})


def test_hand_computed_values():
    # differences d = [.5, .5, -.5, .5]; obs mean 2.5 var 1.25; sim mean 2.75 var 1.1875; cov 1.125
    ds = M.compute_metrics(OBS, SIM)
    r = 1.125 / np.sqrt(1.25 * 1.1875)
    alpha = np.sqrt(1.1875 / 1.25)
    expected = {
        "bias": 0.25,
        "relative_bias": 0.1,
        "rmse": 0.5,
        "ubrmse": np.sqrt(0.1875),
        "mae": 0.5,
        "pearson_r": r,
        "r2": r**2,
        "nse": 0.8,
        "kge_r": r,
        "kge_alpha": alpha,
        "kge_beta": 1.1,
        "kge": 1 - np.sqrt((r - 1) ** 2 + (alpha - 1) ** 2 + 0.1**2),
        "std_ratio": alpha,
        "crmsd": np.sqrt(0.1875 / 1.25),
        "n": 4,
    }
    for name, value in expected.items():
        np.testing.assert_allclose(float(ds[name]), value, rtol=1e-12, err_msg=name)
    assert ds.rmse.attrs["units"] == "mm d-1" and ds.kge.attrs["units"] == "1"
    # Taylor identity
    t = M.taylor_statistics(OBS, SIM)
    np.testing.assert_allclose(float(t.crmsd) ** 2, float(t.std_ratio) ** 2 + 1 - 2 * float(t.std_ratio * t.pearson_r))


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(1)
    shape = (60, 4, 5)
    dims = ("time", "lat", "lon")
    obs = xr.DataArray(rng.gamma(3.0, 1.0, shape), dims=dims, attrs={"units": "mm d-1"})
    sim = 0.8 * obs + 0.4 + rng.normal(0, 0.6, shape)
    sim.attrs["units"] = "mm d-1"
    obs[3, 1, 2] = np.nan
    sim[7, 0, 0] = np.nan
    lat_w = xr.DataArray(np.cos(np.deg2rad([10.0, 25.0, 40.0, 55.0])), dims="lat")
    return obs, sim, lat_w


@pytest.mark.parametrize("skipna", [False, True])
@pytest.mark.parametrize("dim", ["time", ["time", "lat"], None])
@pytest.mark.parametrize("weighted", [False, True])
def test_against_xskillscore(pair, skipna, dim, weighted):
    obs, sim, lat_w = pair
    dims = ["time", "lat", "lon"] if dim is None else [dim] if isinstance(dim, str) else dim
    w = None
    if weighted:
        w = lat_w.broadcast_like(obs).transpose(*obs.dims)
        w_xs = w.isel({d: 0 for d in obs.dims if d not in dims}, drop=True)
    else:
        w_xs = None
    ours = M.compute_metrics(obs, sim, dim=dim, weights=w, skipna=skipna)
    kw = dict(dim=dim, weights=w_xs, skipna=skipna)
    xr.testing.assert_allclose(ours.rmse, xs.rmse(obs, sim, **kw).rename("rmse"), rtol=1e-10)
    xr.testing.assert_allclose(ours.mae, xs.mae(obs, sim, **kw).rename("mae"), rtol=1e-10)
    xr.testing.assert_allclose(ours.bias, -xs.me(obs, sim, **kw).rename("bias"), rtol=1e-10)
    xr.testing.assert_allclose(ours.pearson_r, xs.pearson_r(obs, sim, **kw).rename("pearson_r"), rtol=1e-10)
    if not weighted:  # xskillscore's r2 ignores weights in the denominator's mean
        xr.testing.assert_allclose(ours.nse, xs.r2(obs, sim, **kw).rename("nse"), rtol=1e-10)
    if skipna:
        assert np.isfinite(ours.rmse).all()
    elif dim == "time":
        assert np.isnan(ours.rmse.values[1, 2]) and np.isnan(ours.rmse.values[0, 0])
        assert np.isfinite(ours.rmse.values[3, 3])


def test_single_metric_matches_dispatcher(pair):
    obs, sim, _ = pair
    ds = M.compute_metrics(obs, sim, dim="time", skipna=True)
    for name in ["bias", "relative_bias", "rmse", "ubrmse", "mae", "pearson_r", "r2", "nse", "kge"]:
        xr.testing.assert_allclose(getattr(M, name)(obs, sim, dim="time", skipna=True), ds[name])


def test_dask_stays_lazy_and_matches(pair):
    obs, sim, _ = pair
    lazy = M.compute_metrics(obs.chunk({"lat": 2}), sim.chunk({"lat": 2}), dim="time", skipna=True)
    assert lazy.kge.chunks is not None
    xr.testing.assert_allclose(lazy.compute(), M.compute_metrics(obs, sim, dim="time", skipna=True))


def test_units_are_converted():
    sim_ms = (SIM / 86400.0).assign_attrs(units="kg m-2 s-1")
    with pytest.raises(UnitError):
        M.rmse(OBS, SIM.assign_attrs(units="W m-2"))
    # kg m-2 s-1 of water is mm s-1; pint cannot know water density, so this is a unit error too
    with pytest.raises(UnitError):
        M.rmse(OBS, sim_ms)
    sim_mm_h = (SIM / 24.0).assign_attrs(units="mm h-1")
    np.testing.assert_allclose(float(M.rmse(OBS, sim_mm_h)), 0.5)


def test_bad_input_messages():
    other_grid = SIM.assign_coords(time=[5, 6, 7, 8])
    with pytest.raises(ValueError, match="not on the same grid"):
        M.rmse(OBS.assign_coords(time=[1, 2, 3, 4]), other_grid)
    with pytest.raises(ValueError, match="unknown metric"):
        M.compute_metrics(OBS, SIM, ["rmse", "rsme"])
    with pytest.raises(TypeError, match="DataArray"):
        M.rmse(OBS.values, SIM)
    with pytest.raises(ValueError, match="dim 'lat'"):
        M.rmse(OBS, SIM, dim="lat")
    with pytest.raises(UnitError, match="no 'units'"):
        M.rmse(OBS, SIM.drop_attrs())


def test_trend_and_seasonal_cycle_recover_known_values():
    t = pd.date_range("2001-01-01", "2004-12-31", freq="D")
    doy = t.dayofyear.values
    years = (t - t[0]).days.values / 365.25
    signal = 2.0 + 1.5 * np.cos(2 * np.pi * (doy - 1 - 180.0) / 365.25) + 0.3 * years
    da = xr.DataArray(signal, dims="time", coords={"time": t}, attrs={"units": "mm d-1"})
    tr = M.trend(da)
    np.testing.assert_allclose(float(tr.slope), 0.3, rtol=0.05)  # the harmonic leaks a little into the slope
    np.testing.assert_allclose(float(M.trend(da.copy(data=2.0 + 0.3 * years)).slope), 0.3, rtol=1e-10)
    assert float(tr.pvalue) < 1e-10 and tr.slope.attrs["units"] == "mm d-1 yr-1"
    sc = M.seasonal_cycle(da)
    np.testing.assert_allclose(float(sc.amplitude), 1.5, rtol=0.01)
    np.testing.assert_allclose(float(sc.phase), 181.0, atol=1.0)
    shifted = da.copy(data=np.roll(da.values, 20))
    np.testing.assert_allclose(float(M.phase_shift(da, shifted)), 20.0, atol=1.0)
    # no trend in pure noise: p-value not significant
    noise = da.copy(data=np.random.default_rng(0).normal(size=t.size))
    assert float(M.trend(noise).pvalue) > 0.05
    annual = xr.DataArray(
        np.repeat([1.0, 2.0, 3.0, 4.0], 365)[: t.size].tolist() + [4.0] * (t.size - 1460),
        dims="time",
        coords={"time": t},
        attrs={"units": "mm d-1"},
    )
    np.testing.assert_allclose(float(M.interannual_variability(annual)), np.std([1, 2, 3, 4], ddof=1), rtol=0.01)


@pytest.mark.parametrize("dim", ["time", ["time", "lat"], None])
def test_dask_matches_numpy_for_any_dims_and_chunks(pair, dim):
    obs, sim, lat_w = pair
    w = lat_w.broadcast_like(obs).transpose(*obs.dims)
    eager = M.compute_metrics(obs, sim, dim=dim, weights=w, skipna=True)
    lazy = M.compute_metrics(obs.chunk({"lat": 2, "lon": 2}), sim.chunk({"lat": 3, "lon": 5}), dim=dim, weights=w.chunk({"lat": 1}), skipna=True)
    xr.testing.assert_allclose(lazy.compute(), eager)


@pytest.mark.parametrize("skipna", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_spearman_against_xskillscore_and_scipy(pair, skipna, weighted):
    from scipy.stats import spearmanr

    obs, sim, lat_w = pair
    obs = obs.copy()
    obs[:3] = obs[:3].round(0)  # ties share their mean rank
    w = lat_w.broadcast_like(obs).transpose(*obs.dims) if weighted else None
    ours = M.spearman_r(obs, sim, dim="time", weights=w, skipna=skipna)
    w_xs = w.isel(lat=0, lon=0, drop=True) if weighted else None
    ref = xs.spearman_r(obs, sim, dim="time", weights=w_xs, skipna=skipna)
    # xskillscore 0.0.29 with a current scipy ranks NaN as NaN even with skipna=True
    # (cells holding a gap come out missing), so compare it on the complete cells
    complete = (obs.notnull() & sim.notnull()).all("time")
    xr.testing.assert_allclose(ours.where(complete), ref.where(complete).rename("spearman_r"), rtol=1e-10)
    assert ours.attrs["units"] == "1"
    assert bool(ours.where(~complete).isnull().all()) != skipna  # gaps: skipped, or propagated
    if not weighted:  # every cell, gaps included, against scipy on the common mask
        for i in range(obs.sizes["lat"]):
            for j in range(obs.sizes["lon"]):
                o, s = obs.isel(lat=i, lon=j).values, sim.isel(lat=i, lon=j).values
                ok = np.isfinite(o) & np.isfinite(s)
                if skipna or ok.all():
                    np.testing.assert_allclose(float(ours.isel(lat=i, lon=j)), spearmanr(o[ok], s[ok]).statistic, rtol=1e-10)
    # on request only, and through compute_metrics / compare like any other metric
    assert "spearman_r" in M.available_metrics() and "spearman_r" not in M.compute_metrics(obs, sim, dim="time")
    both = M.compute_metrics(obs, sim, ["rmse", "spearman_r"], dim="time", weights=w, skipna=skipna)
    xr.testing.assert_allclose(both.spearman_r, ours)
