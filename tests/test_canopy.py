"""The coupled leaf/canopy flux model: convergence, known responses and a hand-computed case."""

import numpy as np
import pytest
import torch
import xarray as xr

from workbench.physics.canopy import (CANOPY_INPUTS, absorbed_radiation, canopy_fluxes, compiled_canopy_solver,
                                      emitted_longwave)
from workbench.surrogates.sampling import sobol_samples
from workbench.units import UnitError

BASE = dict(rs=600.0, tmean=25.0, vpd=1.5, co2=400.0, wind=2.0, pressure=101.3, lai=3.0, vcmax25=60.0,
            water_stress=1.0)


@pytest.fixture(scope="module")
def sobol():
    ds = sobol_samples(4096, seed=3)
    return {k: ds[k].values for k in CANOPY_INPUTS}


def test_energy_balance_closes_to_tolerance_everywhere(sobol):
    out = canopy_fluxes(**sobol, tol=1e-3)
    assert np.abs(out["residual"]).max() <= 1e-3
    # Iteration counts are reported per point, and the solver needs a handful.
    assert out["n_iter"].max() < 60
    assert 1.0 <= np.median(out["n_iter"]) <= 10.0
    # The residual output is the balance recomputed from the other outputs.
    res = (absorbed_radiation(sobol["rs"], sobol["tmean"], sobol["vpd"], sobol["lai"])
           - emitted_longwave(out["tleaf"], sobol["lai"]) - out["h"] - out["le"])
    np.testing.assert_allclose(res, out["residual"], atol=1e-9)


def test_unconverged_points_are_reported_not_hidden(sobol):
    with pytest.warns(RuntimeWarning, match="did not reach"):
        out = canopy_fluxes(**sobol, max_iter=1)
    assert np.abs(out["residual"]).max() > 1e-3


def test_assimilation_saturates_with_light():
    rs = np.array([0.0, 100.0, 200.0, 800.0, 1000.0])
    an = canopy_fluxes(**{**BASE, "rs": rs})["an"]
    assert an[0] < 0  # dark respiration at night
    assert np.all(np.diff(an[:3]) > 5.0)  # steep initial light response
    # Light-use efficiency at high light is under a fifth of that at low light.
    assert (an[4] - an[3]) / 200.0 < 0.2 * (an[1] - an[0]) / 100.0


def test_conductance_falls_with_vpd():
    vpd = np.linspace(0.5, 3.0, 8)  # below es(25 degC) = 3.17 kPa
    gs = canopy_fluxes(**{**BASE, "vpd": vpd})["gs"]
    assert np.all(np.diff(gs) < 0)
    assert gs[-1] < 0.6 * gs[0]


def test_no_transpiration_when_stomata_are_shut():
    out = canopy_fluxes(**{**BASE, "water_stress": np.array([0.0, 0.5, 1.0])})
    assert out["gs"][0] == 0.0 and out["le"][0] == 0.0
    assert 0.0 < out["le"][1] < out["le"][2]
    # All absorbed energy then leaves as longwave and sensible heat: the leaf is warmer than the air.
    assert out["tleaf"][0] > BASE["tmean"] and out["h"][0] > 0


def test_hand_computed_case():
    """FvCB with Bernacchi (2001) constants and the Medlyn ci/ca, evaluated by hand at the solved leaf temperature."""
    out = canopy_fluxes(**BASE)
    tl = float(out["tleaf"])
    tk, r = tl + 273.15, 8.314

    def arr(ha):
        return np.exp(ha * (tk - 298.15) / (298.15 * r * tk))

    def peaked(ha, hd, ds):
        return arr(ha) * (1 + np.exp((298.15 * ds - hd) / (r * 298.15))) / (1 + np.exp((ds * tk - hd) / (r * tk)))

    es = lambda t: 0.6108 * np.exp(17.27 * t / (t + 237.3))  # noqa: E731  (FAO-56 eq. 11)
    ea = es(25.0) - 1.5
    d = es(tl) - ea
    ci = 400.0 * 4.0 / (4.0 + np.sqrt(d))
    vcmax = 60.0 * peaked(65330, 149250, 485)
    jmax = 1.67 * 60.0 * peaked(43540, 152040, 495)
    rd = 0.015 * 60.0 * peaked(46390, 150650, 490)
    kc, ko, gstar = 404.9 * arr(79430), 278.4 * arr(36380), 42.75 * arr(37830)
    lai = 3.0
    apar = 0.85 * 0.5 * 4.57 * (1 - np.exp(-0.5 * lai)) * 600.0 / lai
    i2 = 0.425 * apar
    j = ((i2 + jmax) - np.sqrt((i2 + jmax) ** 2 - 4 * 0.7 * i2 * jmax)) / (2 * 0.7)
    wc = vcmax * (ci - gstar) / (ci + kc * (1 + 209.0 / ko))
    wj = j * (ci - gstar) / (4 * ci + 8 * gstar)
    an = lai * (min(wc, wj) - rd)
    gs = lai * (0.01 + 1.6 * (1 + 4.0 / np.sqrt(d)) * an / lai / 400.0)
    h = lai * 2 * 29.3 * 1.4 * 0.135 * np.sqrt(2.0 / 0.05) * (tl - 25.0)
    np.testing.assert_allclose(float(out["an"]), an, rtol=1e-10)
    np.testing.assert_allclose(float(out["gs"]), gs, rtol=1e-10)
    np.testing.assert_allclose(float(out["h"]), h, rtol=1e-10)
    # Regression values of this case (documented in the docstring example).
    np.testing.assert_allclose([float(out["le"]), float(out["an"])], [339.93, 33.767], atol=0.01)
    # Medlyn et al. (2011): ci/ca = g1 / (g1 + sqrt(D)) -> 0.8 at g1 = 4 and D = 1 kPa.
    assert 4.0 / (4.0 + np.sqrt(1.0)) == pytest.approx(0.8)


def test_torch_matches_numpy(sobol):
    ref = canopy_fluxes(**sobol)
    got = canopy_fluxes(**{k: torch.as_tensor(v, dtype=torch.float64) for k, v in sobol.items()})
    for k in ("an", "gs", "tleaf", "le", "h", "residual"):
        np.testing.assert_allclose(got[k].numpy(), ref[k], atol=1e-8, err_msg=k)


def test_fixed_iteration_solver_matches_converged(sobol):
    ref = canopy_fluxes(**sobol)
    solver = compiled_canopy_solver(25, compile=False)
    x = torch.as_tensor(np.stack([sobol[k] for k in CANOPY_INPUTS], axis=1))
    got = solver(x).numpy()
    np.testing.assert_allclose(got[:, 3], ref["le"], atol=1e-3)
    np.testing.assert_allclose(got[:, 2], ref["tleaf"], atol=1e-4)
    fixed = canopy_fluxes(**sobol, fixed_iter=25)
    np.testing.assert_allclose(fixed["le"], ref["le"], atol=1e-3)
    assert np.all(fixed["n_iter"] == 25)


def test_vpd_beyond_saturation_is_reported():
    with pytest.warns(RuntimeWarning, match="vpd exceeds"):
        canopy_fluxes(**{**BASE, "vpd": 3.5})


def test_dataarray_inputs_are_unit_converted():
    args = {k: xr.DataArray(np.atleast_1d(v), dims="x", attrs={"units": CANOPY_INPUTS[k][0]})
            for k, v in BASE.items()}
    args["tmean"] = xr.DataArray([298.15], dims="x", attrs={"units": "K"})
    args["pressure"] = xr.DataArray([1013.0], dims="x", attrs={"units": "hPa"})
    ds = canopy_fluxes(**args)
    ref = canopy_fluxes(**BASE)
    assert ds["le"].attrs["units"] == "W m-2"
    np.testing.assert_allclose(ds["le"].values[0], float(ref["le"]), rtol=1e-9)
    del args["vpd"].attrs["units"]
    with pytest.raises(UnitError, match="vpd"):
        canopy_fluxes(**args)
