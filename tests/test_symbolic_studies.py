"""Tests of the symbolic ET studies (towers, baselines, skill, sensitivities), plots and widget."""

from __future__ import annotations

from pathlib import Path

import holoviews as hv
import numpy as np
import pandas as pd
import pytest

from workbench import physics
from workbench.symbolic import parse_equation
from workbench.symbolic.front import make_equation
from workbench.symbolic.studies import baselines, leave_site_out, pm_reference, sensitivities, skill, tower_table

REAL = Path(__file__).parents[1] / ".." / "shared" / "data" / "real"


@pytest.fixture(scope="module")
def virtual():
    return tower_table("virtual", n_sites=3, years=1, seed=1)


def test_virtual_tower_table_units_and_bookkeeping(virtual):
    assert virtual.attrs["source"] == "virtual towers"
    assert virtual.attrs["units"]["rn"] == "MJ m-2 d-1" and virtual.attrs["units"]["et"] == "mm d-1"
    assert sorted(virtual["site"].unique()) == ["VL-01", "VL-02", "VL-03"]
    assert set(virtual.attrs["dropped"]) == {"VL-01", "VL-02", "VL-03"}
    assert virtual[["rn", "tmean", "vpd", "wind", "et"]].notna().all().all()
    np.testing.assert_allclose(virtual["delta"], physics.slope_saturation_vapour_pressure(virtual["tmean"].to_numpy()))
    assert set(virtual["season"]) == {"DJF", "MAM", "JJA", "SON"}
    jan = virtual[pd.DatetimeIndex(virtual["time"]).month == 1]
    assert (jan["season"] == "DJF").all()


@pytest.mark.skipif(not (REAL / "fluxnet2015_subset_dd").is_dir(), reason="no ../shared/data/real/fluxnet2015_subset_dd")
def test_fluxnet_tower_table_matches_the_raw_csv():
    table = tower_table("fluxnet", sites=["DE-Hai"], years=1, min_quality=0.0)
    raw = pd.read_csv(next((REAL / "fluxnet2015_subset_dd").glob("FLX_DE-Hai_*.csv")), na_values=[-9999])
    raw["time"] = pd.to_datetime(raw["TIMESTAMP"].astype(str), format="%Y%m%d")
    merged = table.merge(raw, on="time")
    assert len(merged) == len(table) > 300
    np.testing.assert_allclose(merged["rn"], merged["NETRAD"] * 0.0864, rtol=1e-12)  # W m-2 -> MJ m-2 d-1
    np.testing.assert_allclose(merged["vpd"], merged["VPD_F"] / 10, rtol=1e-12)  # hPa -> kPa
    np.testing.assert_allclose(merged["ra"], merged["SW_IN_POT"] * 0.0864, rtol=1e-12)
    assert table.attrs["source"] == "FLUXNET2015 SUBSET DD"
    assert table.attrs["dropped"]["DE-Hai"]["missing_values"] == 366 - len(table)
    assert np.isnan(baselines(table)["hargreaves_samani"]).all()
    assert "no tmax/tmin" in baselines(table).attrs["notes"]["hargreaves_samani"]


def test_baselines_are_the_physics_formulas(virtual):
    b = baselines(virtual)
    row = virtual.iloc[100]
    # the FAO-56 choices (shared with physics.reference_et): es from tmax/tmin, the site's G
    es = physics.mean_saturation_vapour_pressure(row["tmax"], row["tmin"])
    assert b["fao56_pm"].iloc[100] == pytest.approx(physics.fao56_penman_monteith(
        row["rn"], row["tmean"], row["wind"], es, es - row["vpd"], g=row["g"], pressure=row["pressure"]))
    assert b["priestley_taylor"].iloc[100] == pytest.approx(
        physics.priestley_taylor(row["rn"], row["tmean"], g=row["g"], pressure=row["pressure"]))
    assert b["hargreaves_samani"].iloc[100] == pytest.approx(
        physics.hargreaves_samani(row["tmean"], row["tmax"], row["tmin"], row["ra"]))


def test_skill_matches_numpy_reference():
    pred = pd.DataFrame({"site": ["A"] * 4 + ["B"] * 4, "method": "m", "split": "test",
                         "obs": [1.0, 2, 3, 4, 2, 2, 3, 5], "sim": [1.5, 2, 2, 5, 2, 3, 3, 4]})
    s = skill(pred).set_index("site")
    o, m = pred["obs"].to_numpy()[:4], pred["sim"].to_numpy()[:4]
    assert s.loc["A", "rmse"] == pytest.approx(np.sqrt(np.mean((m - o) ** 2)))
    assert s.loc["A", "bias"] == pytest.approx(np.mean(m - o))
    r = np.corrcoef(o, m)[0, 1]
    kge = 1 - np.sqrt((r - 1) ** 2 + (m.std() / o.std() - 1) ** 2 + (m.mean() / o.mean() - 1) ** 2)
    assert s.loc["A", "kge"] == pytest.approx(kge)
    assert list(s["n"]) == [4, 4]


def test_sensitivities_exact_and_numerical_agree(virtual):
    names = ["rn", "tmean", "vpd", "wind"]
    eq = make_equation(parse_equation("0.2 * rn + 0.5 * vpd * wind + 0.01 * tmean ^ 2", names), names, 0.0)
    exact = sensitivities(eq, virtual)
    numeric = sensitivities(lambda X: eq(X), virtual, names, label="numeric")
    np.testing.assert_allclose(exact["derivative"], numeric["derivative"], rtol=1e-6, atol=1e-8)
    dt = exact[exact["variable"] == "tmean"]
    np.testing.assert_allclose(dt["derivative"], 0.02 * dt["value"], rtol=1e-12)
    # FAO-56 PM responds positively to rn and vpd
    pm = sensitivities(pm_reference(), virtual, wrt=["rn", "vpd"], label="PM").groupby("variable")["derivative"].median()
    assert list(pm.index) == ["rn", "vpd"] and pm["rn"] > 0 and pm["vpd"] > 0
    # d PM / d rn = 0.408 delta / (delta + gamma (1 + 0.34 u)) (FAO-56 Eq. 6)
    row = virtual.iloc[[10]]
    d = sensitivities(pm_reference(), row, wrt=["rn"])["derivative"].iloc[0]
    delta, gamma, u = row["delta"].iloc[0], row["gamma"].iloc[0], row["wind"].iloc[0]
    assert d == pytest.approx(0.408 * delta / (delta + gamma * (1 + 0.34 * u)), rel=1e-6)


def test_leave_site_out_compares_all_methods(virtual):
    pred, sr = leave_site_out(virtual, ["rn", "vpd", "wind", "tmean"], test_sites=["VL-03"],
                              search={"backend": "pyoperon", "niterations": 10, "population_size": 100}, max_train_rows=500)
    assert set(pred["method"]) == {"symbolic", "black_box", "fao56_pm", "priestley_taylor", "hargreaves_samani"}
    test = pred[(pred["split"] == "test") & (pred["method"] == "symbolic")]
    assert set(test["site"]) == {"VL-03"}
    np.testing.assert_allclose(test["sim"], sr.predict(virtual[virtual["site"] == "VL-03"][sr.feature_names_in_]))
    scores = skill(pred)
    assert set(scores["method"]) == set(pred["method"]) and (scores["rmse"] > 0).all()
    with pytest.raises(ValueError, match="not columns of the table"):
        leave_site_out(virtual, ["nope"], test_sites=["VL-03"])
    with pytest.raises(ValueError, match="not in the table"):
        leave_site_out(virtual, ["rn"], test_sites=["XX-00"])


def test_plots_return_holoviews_objects_with_labels():
    from workbench.symbolic import ParetoFront
    from workbench.viz.symbolic import equation_table, plot_pareto_front, plot_recovery, plot_skill

    names = ["rn", "vpd"]
    units = {"rn": "MJ m-2 d-1", "vpd": "kPa"}
    front = ParetoFront([make_equation(parse_equation(t, names), names, l, units, "mm d-1")
                         for t, l in [("0.3 * rn", 1.0), ("rn * vpd + vpd", 0.5)]])
    plot = plot_pareto_front(front)
    assert isinstance(plot, hv.Overlay)
    assert hv.render(plot).xaxis.axis_label == "complexity [nodes]"
    md = equation_table(front).data
    assert "| 3 | 1 |" in md and "✗" in md and "$0.3 rn$" in md
    rec = pd.DataFrame({"law": "pt", "backend": "pyoperon", "noise": [0.01, 0.01], "recovered": [True, False]})
    bars = plot_recovery(rec)
    assert list(bars.data["recovery rate"]) == [0.5]
    with pytest.raises(ValueError, match="metric 'nse'"):
        plot_skill(pd.DataFrame({"site": ["A"], "method": ["m"], "rmse": [1.0]}), "nse")


def test_widget_runs_the_search_it_shows():
    from workbench.widgets.symbolic import SymbolicSearchExplorer

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.uniform(1, 2, 100), "b": rng.uniform(1, 2, 100), "c": rng.uniform(1, 2, 100)})
    y = 2.0 * X["a"] * X["b"]
    ui = SymbolicSearchExplorer(X, y, inputs=["a", "b"], niterations=10, backend="pyoperon", max_complexity=10)
    ui.seed.value = 3
    s = ui.settings()
    assert s["inputs"] == ["a", "b"] and s["search"]["seed"] == 3 and s["search"]["backend"] == "pyoperon"
    sr = ui.run()
    assert list(sr.feature_names_in_) == ["a", "b"]
    assert sr.front_.select("accuracy").loss < 1e-10
    assert "generations" in ui.status.value
