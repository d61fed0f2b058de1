"""Data quality control: planted anomalies as stated, detectors on hand-made series, flags that never alter data, MDS by hand."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench import qc
from workbench.data import virtual_land, virtual_towers, virtual_towers_halfhourly


@pytest.fixture(scope="module")
def daily():
    land = virtual_land(lat=(40, 44), lon=(0, 4), start="2019-01-01", end="2020-06-30")
    return virtual_towers(land, n_sites=2, seed=3)


@pytest.fixture(scope="module")
def halfhourly(daily):
    return virtual_towers_halfhourly(daily.isel(time=slice(120, 160)), seed=1)


def _series(values, *, name="tmean", units="degC", freq="D"):
    values = np.asarray(values, float)
    return xr.Dataset({name: (("site", "time"), values[None], {"units": units})},
                      coords={"site": ["A"], "time": pd.date_range("2020-01-01", periods=values.size, freq=freq)})


# --- half-hourly towers ------------------------------------------------------------------------

def test_halfhourly_keeps_daily_means_and_night(daily, halfhourly):
    day = daily.isel(time=slice(120, 160))
    np.testing.assert_allclose(halfhourly.le_true.resample(time="1D").mean().values, day.le_true.values, rtol=1e-9, atol=1e-9)
    # the true fluxes close the energy balance with the true net radiation, whose daily mean is the day's rn
    available = (halfhourly.le_true + halfhourly.h_true + halfhourly.g).resample(time="1D").mean()
    np.testing.assert_allclose(available.values, day.rn.values, rtol=1e-5, atol=1e-3)
    night = halfhourly.sw_in_pot.values <= 0
    assert night.mean() > 0.2 and (halfhourly.rs.values[night] == 0).all()
    # night-time true LE is 5 % of the day's mean, far below the day-time peak
    le_day = np.repeat(day.le_true.values, 48, axis=1)
    np.testing.assert_allclose(halfhourly.le_true.values[night], 0.05 * le_day[night], rtol=1e-9)
    assert float(abs(halfhourly.tmean.resample(time="1D").mean() - day.tmean.values).max()) < 0.1
    again = virtual_towers_halfhourly(day, seed=1)
    xr.testing.assert_identical(again, halfhourly)


def test_halfhourly_refuses_non_daily(halfhourly):
    with pytest.raises(ValueError, match="daily and regular"):
        virtual_towers_halfhourly(halfhourly.assign(tmin=halfhourly.tmean, tmax=halfhourly.tmean, le_true=halfhourly.le))


# --- planted anomalies --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", [t for t in qc.ANOMALY_TYPES if t != "night_le"])
def test_each_type_planted_as_stated(daily, kind):
    variables = ["le", "h", "rn", "tmean"]
    bad, events = qc.plant_anomalies(daily, variables=variables, fraction=0.02, mix=kind, seed=5)
    assert len(events) > 0 and set(events["type"]) == {kind}
    spec = qc.anomalies._SPECS[kind]
    for ev in events.itertuples():
        i = list(bad.site.values).index(ev.site)
        t = bad.indexes["time"]
        sl = slice(t.get_loc(ev.start), t.get_loc(ev.end) + 1)
        new = bad[ev.variable].values[i, sl].astype(float)
        old = daily[ev.variable].values[i, sl].astype(float)
        if spec.applies_to is not None:
            assert ev.variable in spec.applies_to
        if kind == "spike":
            assert ev.steps == 1 and 3.0 - 1e-4 <= abs(new[0] - old[0]) / np.nanstd(daily[ev.variable].values[i].astype(float)) <= 6.0 + 1e-4
        else:
            assert max(2, round(spec.length_days[0])) <= ev.steps <= round(spec.length_days[1])  # never cut short to fit the budget
        if kind == "stuck":
            assert np.all(new == old[0])
        elif kind == "sign_flip":
            np.testing.assert_allclose(new, -old, rtol=1e-6)
        elif kind == "scale_error":
            units = daily[ev.variable].attrs["units"]
            expected = old + 273.15 if units == "degC" else old * 0.0864
            np.testing.assert_allclose(new, expected, rtol=1e-6)
        elif kind == "level_shift":
            assert np.ptp(new - old) < 1e-4 and abs((new - old)[0]) > 0
        elif kind == "drift":
            np.testing.assert_allclose(np.diff(new - old, 2), 0.0, atol=1e-4)
            assert abs(new[0] - old[0]) < 1e-4 < abs(new[-1] - old[-1])
        elif kind == "time_shift":
            lag = int(ev.size.split()[1])
            full = daily[ev.variable].values[i].astype(float)
            np.testing.assert_allclose(new, full[sl.start - lag:sl.stop - lag], rtol=1e-6)
        elif kind == "eb_break":
            avail = np.abs((daily.rn - daily.g).values[i, sl])
            frac = (new - old) / avail
            np.testing.assert_allclose(np.diff(frac, 2), 0.0, atol=1e-4)
            assert 0.3 <= abs(frac[-1]) <= 0.6
        # labels: only this type's code, only inside the event
        lab = bad[qc.truth_name(ev.variable)].values[i, sl]
        assert set(np.unique(lab)) <= {0, qc.ANOMALY_CODES[kind]}
    for v in variables:
        lab = bad[qc.truth_name(v)]
        assert lab.attrs["flag_meanings"].split()[qc.ANOMALY_CODES[kind]] == kind
        outside = (lab == 0).values
        changed = ~np.isclose(bad[v].values, daily[v].values)
        if kind != "stuck":
            assert not (changed & outside & (np.abs(bad[v].values - daily[v].values) > 0.5 * daily[v].std("time").values[:, None] + 1e-4)).any()


def test_night_le_only_at_night(halfhourly):
    bad, events = qc.plant_anomalies(halfhourly, variables=["le"], fraction=0.03, mix="night_le", seed=2)
    assert set(events["type"]) == {"night_le"}
    diff = bad.le.values - halfhourly.le.values
    night = halfhourly.sw_in_pot.values <= 0
    assert (diff[~night] == 0).all() and (diff[night] >= 0).all()
    raised = diff[diff > 0]
    assert raised.size and 60 <= raised.min() and raised.max() <= 150
    assert ((bad.le_truth.values == qc.ANOMALY_CODES["night_le"]) == (diff > 0)).all()


def test_planting_is_deterministic_and_follows_fraction_and_mix(daily):
    a, ea = qc.plant_anomalies(daily, fraction=0.05, seed=7)
    b, eb = qc.plant_anomalies(daily, fraction=0.05, seed=7)
    c, _ = qc.plant_anomalies(daily, fraction=0.05, seed=8)
    xr.testing.assert_identical(a, b)
    pd.testing.assert_frame_equal(ea, eb)
    assert not a.le.equals(c.le)
    steps = ea.groupby("site")["steps"].sum()
    budget = 0.05 * daily.sizes["time"] * 4
    assert ((steps >= 0.9 * budget) & (steps <= budget + 40)).all()
    assert "night_le" not in set(ea["type"])
    _, mixed = qc.plant_anomalies(daily, fraction=0.05, mix={"spike": 1, "stuck": 1}, seed=7)
    assert set(mixed["type"]) == {"spike", "stuck"}
    with pytest.raises(ValueError, match="needs sub-daily"):
        qc.plant_anomalies(daily, mix="night_le")
    with pytest.raises(ValueError, match="unknown anomaly type"):
        qc.plant_anomalies(daily, mix="gremlins")
    assert "le_truth" not in daily  # the input is untouched


# --- detectors on hand-made series ----------------------------------------------------------------

def test_rule_detectors_hand_made():
    np.testing.assert_allclose(qc.range_score(np.array([-10.0, 0.0, 50.0, 120.0]), 0.0, 100.0), [0.1, 0.0, 0.0, 0.2])
    assert qc.persistence_score(np.array([1.0, 2.0, 2.0, 2.0, 2.0, 3.0, 3.0])).tolist() == [1, 4, 4, 4, 4, 2, 2]
    rng = np.random.default_rng(4)
    x = np.cumsum(rng.standard_normal(100))
    x[30] += 12.0
    roc = qc.rate_of_change_score(x)
    assert int(np.argmax(roc)) == 30 and roc[30] > 5
    assert roc[31] < 5 and roc[29] < 5  # the steps around the jump are not themselves flagged
    night = np.array([False, True, True])
    assert qc.night_le_score(np.array([300.0, 60.0, 4.0]), night).tolist() == [0.0, 60.0, 4.0]


def test_mad_spike_hand_computed():
    # x = 0 except a spike of 10 at i = 5: d_5 = 20, d_4 = d_6 = -10, other d = 0, so Md = 0 and MAD = 0;
    # add small alternating noise so that the MAD is known: d of +-e alternation is +-4e.
    e = 0.1
    x = e * (-1.0) ** np.arange(21)
    x[5] += 10.0
    d = np.full(21, np.nan)
    d[1:-1] = (x[1:-1] - x[:-2]) - (x[2:] - x[1:-1])
    md = np.nanmedian(d)
    mad = np.nanmedian(np.abs(d - md))
    z = qc.mad_spike_score(x, block=21)
    assert z[5] == pytest.approx(abs(d[5] - md) / (mad / 0.6745))
    assert np.nanargmax(z) == 5 and z[5] > 4
    assert np.nanmax(np.delete(z, 5)) < 4  # the neighbours are not flagged


def test_energy_balance_blames_the_broken_flux():
    rng = np.random.default_rng(0)
    t = np.arange(300.0)
    rn = 150 + 60 * np.sin(t / 15)
    g = 0.1 * rn
    le = 0.5 * (rn - g) + 3 * rng.standard_normal(300)
    h = 0.35 * (rn - g) + 3 * rng.standard_normal(300)
    h[200:240] += np.linspace(0, 0.6, 40) * (rn - g)[200:240]
    zh = qc.energy_balance_score(rn, g, h, le, which="h", window=5)
    zle = qc.energy_balance_score(rn, g, h, le, which="le", window=5)
    assert zh[225:240].min() > 4 and zh[:190].max() < 4
    assert zle[225:240].max() < 4  # le's share did not move


@pytest.mark.parametrize("method", ["ecod", "iforest"])
def test_pyod_detectors_find_an_obvious_outlier(method):
    rng = np.random.default_rng(1)
    x = 10 + np.sin(np.arange(400) / 20.0) + 0.2 * rng.standard_normal(400)
    x[250] += 8.0
    s = qc.detector_scores(_series(x), "tmean", method)
    assert int(s.argmax("time").item()) == 250 and float(s[0, 250]) > 1


def test_model_residual_flags_a_level_shift():
    rng = np.random.default_rng(2)
    n = 365
    rs = 150 + 100 * np.sin(np.arange(n) / 58.0) + 20 * rng.standard_normal(n)
    le = 0.4 * rs + 3 * rng.standard_normal(n)
    le[200:230] += 40.0
    ds = _series(le, name="le", units="W m-2").assign(rs=(("site", "time"), rs[None], {"units": "W m-2"}))
    s = qc.detector_scores(ds, "le", "model").values[0]
    assert np.mean(s[205:225] > 4) > 0.9
    assert np.mean(s[:180] > 4) < 0.05



@pytest.mark.parametrize("refit, most_false_alarms", [(False, 1.0), (True, 0.01)])
def test_model_refit_keeps_a_fault_out_of_the_model(refit, most_false_alarms):
    # A temperature read in K for 20 days: a model trained on it predicts K on clean days of like
    # weather too (false alarms far from the fault) unless it is refitted without the steps it missed.
    rng = np.random.default_rng(2)
    n = 365
    rs = 150 + 100 * np.sin(np.arange(n) / 58.0) + 20 * rng.standard_normal(n)
    tmean = 10 + 0.05 * rs + 2 * rng.standard_normal(n)
    tmean[150:170] += 273.15
    ds = _series(tmean).assign(rs=(("site", "time"), rs[None], {"units": "W m-2"}))
    s = qc.model_residual_score(ds, "tmean", refit=refit)[0]
    clean = np.r_[0:140, 180:n]
    assert np.all(s[150:170] > 4)
    false_alarms = np.mean(s[clean] > 4)
    assert false_alarms <= most_false_alarms
    if not refit:
        assert false_alarms > 0.1  # the failure the refit removes is real on this series

# --- flags: CF variables, never altering the data ---------------------------------------------------

def test_flags_are_cf_and_never_alter_the_data(daily):
    bad, _ = qc.plant_anomalies(daily, variables=["le", "tmean"], fraction=0.03, mix="spike", seed=1)
    before = bad.copy(deep=True)
    flags = qc.screen(bad, ["le", "tmean"], detectors=["range", "persistence", "mad_spike"])
    out = qc.attach_flags(bad, flags)
    xr.testing.assert_identical(bad, before)  # the input, values and attributes, is unchanged
    for v in ("le", "tmean"):
        np.testing.assert_array_equal(out[v].values, before[v].values)
        q = out[qc.qc_name(v)]
        assert q.attrs["flag_meanings"].split() == ["range", "persistence", "mad_spike"]
        assert len(q.attrs["flag_masks"]) == 3 and q.dtype == np.int32
        assert set(out[f"{v}_suspect"].attrs["flag_meanings"].split()) == {"good", "suspect"}
        assert qc.qc_name(v) in out[v].attrs["ancillary_variables"].split()
        assert ((q & qc.flag_bits()["mad_spike"]) > 0).sum() > 0
    table = qc.explain(flags, bad, ["le", "tmean"])
    assert table.loc["spike", "mad_spike"] > 0.5 and table.loc["clean", "ensemble"] < 0.02


def test_ensemble_rule_and_thresholds():
    bits = qc.flag_bits()
    mask = xr.DataArray(np.array([0, bits["ecod"], bits["ecod"] | bits["iforest"], bits["model"], bits["persistence"]]))
    assert qc.suspect(mask).values.tolist() == [False, False, False, True, True]  # PyOD does not vote in the ensemble
    assert qc.suspect(mask, rule={"any": ("model",), "all": ("ecod", "iforest")}).values.tolist() == [False, False, True, True, False]
    assert qc.suspect(mask, rule={"any": ("persistence",)}).values.tolist() == [False, False, False, False, True]
    with pytest.raises(ValueError, match="unknown detector"):
        qc.flags_from_scores(xr.Dataset({"le_range_score": ("time", [0.0])}), "le", thresholds={"magic": 1.0})


def test_scores_by_type_hand_counted():
    truth = xr.Dataset({"le_truth": ("time", np.array([0, 0, 0, 1, 1, 3, 3, 3, 0, 0]))})
    flag = {"le": xr.DataArray(np.array([1, 0, 0, 1, 0, 1, 1, 1, 0, 0], bool), dims="time")}
    table = qc.score_by_type(flag, truth, ["le"])
    assert table.loc["spike", ["tp", "fp"]].tolist() == [1, 1]
    assert table.loc["spike", "recall"] == 0.5 and table.loc["drift", "recall"] == 1.0
    assert table.loc["drift", "precision"] == 0.75 and table.loc["all", "f1"] == pytest.approx(2 * 0.8 * 0.8 / 1.6)


def test_screen_lazy_equals_screen(daily):
    bad, _ = qc.plant_anomalies(daily, variables=["le"], fraction=0.03, mix="spike", seed=1)
    dets = ["range", "persistence", "mad_spike", "rate_of_change"]
    lazy = qc.screen_lazy(bad, ["le"], dets)
    assert lazy.le_qc.chunks is not None
    eager = qc.screen(bad, ["le"], dets)
    np.testing.assert_array_equal(lazy.le_qc.values, eager.le_qc.values)
    np.testing.assert_array_equal(lazy.le_suspect.values, eager.le_suspect.values)
    assert lazy.le_qc.attrs["flag_meanings"] == eager.le_qc.attrs["flag_meanings"]


# --- gap-filling -----------------------------------------------------------------------------------

def test_mds_hand_computed():
    n = 96  # two days of half-hours
    i = np.arange(n)
    y = (i**2).astype(float)
    rs = np.zeros(n)
    rs[[10, 20, 30, 40]] = [300.0, 310.0, 330.0, 290.0]
    rs[70] = np.nan
    vpd = np.ones(n)
    vpd[40] = 2.0
    ds = xr.Dataset({"le": ("time", y, {"units": "W m-2"}), "rs": ("time", rs), "vpd": ("time", vpd), "tmean": ("time", np.full(n, 15.0))},
                    coords={"time": pd.date_range("2020-06-01", periods=n, freq="30min")})
    gaps = np.zeros(n, bool)
    gaps[[10, 50, 70]] = True
    out = qc.mds_gapfill(ds, "le", gaps=gaps)
    # gap 10 (Rg 300, tolerance 50): rows 20 (310) and 30 (330); row 40 (290) fails the VPD test -> (20^2 + 30^2) / 2
    assert float(out.le_filled[10]) == pytest.approx((400 + 900) / 2)
    # gap 50 (Rg 0, tolerance max(min(50, 0), 20) = 20): every measured row with Rg < 20, i.e. all but 10, 20, 30, 40, 50, 70
    assert float(out.le_filled[50]) == pytest.approx((sum(k * k for k in range(n)) - (100 + 400 + 900 + 1600 + 2500 + 4900)) / 90)
    # gap 70 has no radiation: the look-up tables skip it, the mean diurnal course of the same day (+-2 steps) fills it
    assert float(out.le_filled[70]) == pytest.approx((68**2 + 69**2 + 71**2 + 72**2) / 4)
    assert out.le_fmethod.values[[10, 50, 70]].tolist() == [1, 1, 3]
    assert out.le_fqc.values[[10, 50, 70]].tolist() == [1, 1, 1]
    assert (out.le_fqc.values[~gaps] == 0).all()
    np.testing.assert_array_equal(out.le_filled.values[~gaps], y[~gaps])
    np.testing.assert_array_equal(ds.le.values, y)  # the data are not modified


def test_learned_filler_and_scoring_runs(halfhourly):
    table = qc.score_gapfill(halfhourly.isel(site=[0]), "le", gap_days=(1, 3), count=2)
    assert list(table.index) == [1, 3]
    assert np.isfinite(table[["rmse_mds", "rmse_learned"]].to_numpy()).all()
    assert (table["rmse_learned"] < 3 * table["rmse_mds"]).all()


# --- bad input --------------------------------------------------------------------------------------

def test_bad_time_axes_and_units():
    ds = _series(np.arange(10.0))
    dup = ds.isel(time=[0, 1, 1, 2, 3, 4])
    with pytest.raises(ValueError, match="duplicated"):
        qc.detector_scores(dup, "tmean", "range")
    mixed = ds.isel(time=[0, 1, 2, 4, 5, 6])
    with pytest.raises(ValueError, match="mixed time steps"):
        qc.plant_anomalies(mixed, variables=["tmean"])
    back = ds.isel(time=[0, 2, 1, 3])
    with pytest.raises(ValueError, match="not increasing"):
        qc.mds_gapfill(back.isel(site=0).assign(rs=back.tmean.isel(site=0), vpd=back.tmean.isel(site=0)), "tmean")
    no_units = ds.copy()
    no_units["tmean"].attrs = {}
    with pytest.raises(ValueError, match="'tmean' has no 'units'"):
        qc.detector_scores(no_units, "tmean", "persistence")
    empty = ds.copy()
    empty["tmean"] = empty.tmean * np.nan
    empty["tmean"].attrs = {"units": "degC"}
    with pytest.raises(ValueError, match="'tmean' is entirely missing"):
        qc.screen(empty, "tmean", detectors=["range"])
    with pytest.raises(ValueError, match="'le' is not in the data"):
        qc.screen(ds, "le", detectors=["range"])


def test_oneflux_agreement_hand_counted():
    ours = xr.DataArray([1, 0, 1, 0, 0, 0, 0, 0])
    oneflux = xr.DataArray([0.1, 0.2, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0])
    r = qc.oneflux_agreement(ours, oneflux)
    assert r["flagged_if_poor"] == 0.5 and r["flagged_if_good"] == pytest.approx(1 / 6)
    assert r["agreement"] == 0.75
    pa, pb = 0.25, 0.25
    assert r["kappa"] == pytest.approx((0.75 - (pa * pb + (1 - pa) * (1 - pb))) / (1 - (pa * pb + (1 - pa) * (1 - pb))))
