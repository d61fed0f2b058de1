"""Coupled leaf/canopy flux model: FvCB photosynthesis, Medlyn stomata and a leaf energy balance.

A "big-leaf" canopy of the kind CLM and CoLM evaluate for every patch and time
step. For each point the model

1. partitions incoming shortwave into absorbed shortwave and PAR (Beer's law),
2. computes C3 photosynthesis with the Farquhar-von Caemmerer-Berry model and
   Bernacchi/CLM temperature responses of Vcmax, Jmax, Rd, Kc, Ko and Gamma*,
3. couples it to Medlyn stomatal conductance through the intercellular CO2
   (``ci / ca = g1 / (g1 + sqrt(D))``, Medlyn et al. 2011, eq. 13),
4. solves the leaf energy balance for leaf temperature with Newton iterations:

   .. math::

       R_{abs} = 2 \\epsilon f_c \\sigma T_l^4 + H(T_l) + \\lambda E(T_l)

   and reports the residual of that balance and the iterations used.

Everything in the solver is written against an array namespace, so the same
code runs on NumPy arrays (``canopy_fluxes``) and on PyTorch tensors on CPU or
CUDA (``canopy_fluxes`` with tensors, or :func:`compiled_canopy_solver` for a
fixed-iteration kernel fused with ``torch.compile``).

Model assumptions (stated once, used everywhere)
-------------------------------------------------
* Big leaf: every leaf sees the canopy-mean absorbed PAR ``apar / lai``;
  canopy fluxes are leaf fluxes times ``lai``. No sun/shade split.
* Leaves are hypostomatous (stomata on one side) and exchange heat from both
  sides; leaf boundary-layer conductances follow Campbell & Norman (1998)
  eqs. 7.30/7.33 with the 2 m wind speed and a leaf width of 5 cm.
* The ground below emits as a black body at air temperature; sky longwave from
  Brutsaert (1975).
* Soil water stress ``water_stress`` (0..1) scales Vcmax (as CLM5 does) and the
  minimum (cuticular/night) conductance ``g0``, so with ``water_stress = 0``
  stomata are shut and there is no transpiration.
* ``g0`` acts in parallel to the photosynthesis-driven term and does not move
  ci; CO2 drawdown across the leaf boundary layer is neglected (cs = ca).

References
----------
Farquhar, G. D., von Caemmerer, S. and Berry, J. A. (1980) Planta 149, 78-90.
Bernacchi, C. J. et al. (2001) Plant Cell Environ. 24, 253-259.
Medlyn, B. E. et al. (2011) Global Change Biol. 17, 2134-2144.
Campbell, G. S. and Norman, J. M. (1998) An Introduction to Environmental Biophysics, 2nd ed., Springer.
Brutsaert, W. (1975) Water Resour. Res. 11, 742-744.
Lawrence, D. M. et al. (2019) The Community Land Model version 5 (CLM5) technical note, ch. 9.
"""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace

import numpy as np
import xarray as xr

from ..units import require_units
from .psychrometrics import latent_heat_vaporisation, saturation_vapour_pressure, slope_saturation_vapour_pressure

__all__ = [
    "CANOPY_INPUTS",
    "CANOPY_OUTPUTS",
    "CANOPY_PARAMETERS",
    "canopy_fluxes",
    "absorbed_radiation",
    "emitted_longwave",
    "compiled_canopy_solver",
]

#: Inputs of :func:`canopy_fluxes`: name -> (units, long_name). Order matters for tensors.
CANOPY_INPUTS: dict[str, tuple[str, str]] = {
    "rs": ("W m-2", "incoming shortwave radiation"),
    "tmean": ("degC", "air temperature"),
    "vpd": ("kPa", "vapour pressure deficit of the air"),
    "co2": ("umol mol-1", "atmospheric CO2 mole fraction"),
    "wind": ("m s-1", "wind speed at 2 m"),
    "pressure": ("kPa", "air pressure"),
    "lai": ("m2 m-2", "leaf area index"),
    "vcmax25": ("umol m-2 s-1", "maximum carboxylation rate at 25 degC"),
    "water_stress": ("1", "soil water stress factor (1 = unstressed, 0 = stomata shut)"),
}

#: Outputs of :func:`canopy_fluxes`: name -> (units, long_name).
CANOPY_OUTPUTS: dict[str, tuple[str, str]] = {
    "an": ("umol m-2 s-1", "canopy net CO2 assimilation"),
    "gs": ("mol m-2 s-1", "canopy stomatal conductance to water vapour"),
    "tleaf": ("degC", "leaf temperature"),
    "le": ("W m-2", "latent heat flux"),
    "h": ("W m-2", "sensible heat flux"),
    "residual": ("W m-2", "leaf energy-balance residual (absorbed - emitted - H - LE)"),
}

#: Default model parameters (keyword arguments of :func:`canopy_fluxes`).
CANOPY_PARAMETERS: dict[str, float] = {
    "g1": 4.0,  # Medlyn slope [kPa^0.5] (C3 grass/crop ~4, Lin et al. 2015)
    "g0": 0.01,  # minimum conductance [mol m-2 s-1 per leaf area]
}

# Physical constants and fixed vegetation properties (SI unless stated).
_SIGMA = 5.670374419e-8  # Stefan-Boltzmann [W m-2 K-4]
_R = 8.314  # gas constant [J mol-1 K-1]
_TK = 273.15
_T25 = 298.15
_CP_MOL = 29.3  # molar heat capacity of air [J mol-1 K-1]
_EPS_LEAF = 0.97  # leaf emissivity
_K_SW = 0.5  # extinction coefficient for shortwave/PAR (spherical leaves)
_K_LW = 0.8  # extinction coefficient for diffuse longwave
_ALBEDO_LEAF = 0.15  # shortwave reflectance of the canopy
_PAR_FRACTION = 0.5  # PAR share of shortwave
_PAR_UMOL_PER_J = 4.57  # quanta per joule of PAR [umol J-1]
_PAR_ABSORPTANCE = 0.85
_LEAF_WIDTH = 0.05  # [m]
_O2 = 209.0  # [mmol mol-1]
_THETA_J = 0.7  # curvature of the light response of J
_PHI_PSII = 0.85 * 0.5  # quantum yield of electron transport [mol e- mol-1 photon]
_JMAX_RATIO = 1.67  # Jmax25 / Vcmax25 (Medlyn et al. 2002)
_RD_RATIO = 0.015  # Rd25 / Vcmax25 (Collatz et al. 1991)
# Bernacchi et al. (2001) / CLM5 temperature responses: (value at 25 degC, Ha [J mol-1]).
_KC25, _KC_HA = 404.9, 79430.0  # [umol mol-1]
_KO25, _KO_HA = 278.4, 36380.0  # [mmol mol-1]
_GSTAR25, _GSTAR_HA = 42.75, 37830.0  # [umol mol-1]
# Peaked Arrhenius (CLM5 Table 9.x): (Ha, Hd, dS).
_VCMAX_T = (65330.0, 149250.0, 485.0)
_JMAX_T = (43540.0, 152040.0, 495.0)
_RD_T = (46390.0, 150650.0, 490.0)
_D_MIN = 0.05  # floor on leaf-to-air VPD inside sqrt() [kPa]


def _namespace(*arrays):
    """Return the array namespace (``numpy`` or ``torch``) of the inputs."""
    for a in arrays:
        if type(a).__module__.startswith("torch"):
            import torch

            return SimpleNamespace(
                exp=torch.exp, sqrt=torch.sqrt, where=torch.where, clip=torch.clamp,
                minimum=torch.minimum, abs=torch.abs, is_torch=True,
            )
    return SimpleNamespace(
        exp=np.exp, sqrt=np.sqrt, where=np.where, clip=np.clip, minimum=np.minimum,
        abs=np.abs, is_torch=False,
    )


def _arrhenius(tk, ha, xp):
    return xp.exp(ha * (tk - _T25) / (_T25 * _R * tk))


def _peaked(tk, params, xp):
    ha, hd, ds = params
    top = 1.0 + math.exp((_T25 * ds - hd) / (_R * _T25))
    return _arrhenius(tk, ha, xp) * top / (1.0 + xp.exp((ds * tk - hd) / (_R * tk)))


def _cover(lai, k, xp):
    return 1.0 - xp.exp(-k * lai)


def absorbed_radiation(rs, tmean, vpd, lai):
    """Radiation absorbed by the canopy: shortwave plus longwave from sky and ground.

    .. math::

        R_{abs} = (1-\\rho)(1-e^{-k_s L}) R_s + \\epsilon f_c (\\epsilon_a \\sigma T_a^4 + \\sigma T_a^4),
        \\quad f_c = 1 - e^{-k_l L}

    Works on NumPy arrays and torch tensors alike.

    Parameters
    ----------
    rs : array-like
        Incoming shortwave radiation [W m-2].
    tmean : array-like
        Air temperature [degC].
    vpd : array-like
        Vapour pressure deficit [kPa].
    lai : array-like
        Leaf area index [m2 m-2].

    Returns
    -------
    array-like
        Absorbed radiation per ground area [W m-2].

    References
    ----------
    Brutsaert (1975) for the clear-sky emissivity ``1.24 (e_a / T_a)^{1/7}`` (e_a in hPa).

    Examples
    --------
    >>> round(float(absorbed_radiation(0.0, 20.0, 1.0, 0.0)), 6)
    0.0
    """
    xp = _namespace(rs, tmean, vpd, lai)
    tk = tmean + _TK
    ea = xp.clip(saturation_vapour_pressure.kernel(tmean) - vpd, 1e-3, None)
    eps_sky = 1.24 * (10.0 * ea / tk) ** (1.0 / 7.0)
    lw_in = (eps_sky + 1.0) * _SIGMA * tk**4
    sw = (1.0 - _ALBEDO_LEAF) * _cover(lai, _K_SW, xp) * rs
    return sw + _EPS_LEAF * _cover(lai, _K_LW, xp) * lw_in


def emitted_longwave(tleaf, lai):
    """Longwave emitted by both sides of the canopy [W m-2]: :math:`2 \\epsilon f_c \\sigma T_l^4`.

    Parameters
    ----------
    tleaf : array-like
        Leaf temperature [degC].
    lai : array-like
        Leaf area index [m2 m-2].

    Examples
    --------
    >>> round(float(emitted_longwave(20.0, 100.0)), 1)  # closed canopy at 20 degC
    812.4
    """
    xp = _namespace(tleaf, lai)
    return 2.0 * _EPS_LEAF * _cover(lai, _K_LW, xp) * _SIGMA * (tleaf + _TK) ** 4


def _fluxes_at(tl, f, xp):
    """All fluxes at leaf temperature ``tl`` [degC]; ``f`` holds the fixed per-point terms."""
    tk = tl + _TK
    # Photosynthesis (per leaf area) at leaf temperature.
    vcmax = f.vcmax25 * _peaked(tk, _VCMAX_T, xp)
    jmax = f.jmax25 * _peaked(tk, _JMAX_T, xp)
    rd = f.rd25 * _peaked(tk, _RD_T, xp)
    kc = _KC25 * _arrhenius(tk, _KC_HA, xp)
    ko = _KO25 * _arrhenius(tk, _KO_HA, xp)
    gstar = _GSTAR25 * _arrhenius(tk, _GSTAR_HA, xp)
    i2 = _PHI_PSII * f.apar_leaf
    s = i2 + jmax
    j = (s - xp.sqrt(xp.clip(s * s - 4.0 * _THETA_J * i2 * jmax, 0.0, None))) / (2.0 * _THETA_J)
    es_leaf = saturation_vapour_pressure.kernel(tl)
    d_leaf = xp.clip(es_leaf - f.ea, _D_MIN, None)
    ci = f.co2 * f.g1 / (f.g1 + xp.sqrt(d_leaf))  # Medlyn optimal ci/ca
    wc = vcmax * (ci - gstar) / (ci + kc * (1.0 + _O2 / ko))
    wj = j * (ci - gstar) / (4.0 * ci + 8.0 * gstar)
    an_leaf = xp.minimum(wc, wj) - rd
    gs_leaf = f.beta * f.g0 + 1.6 * (1.0 + f.g1 / xp.sqrt(d_leaf)) * xp.clip(an_leaf, 0.0, None) / f.co2
    gv = gs_leaf * f.gva / (gs_leaf + f.gva)
    lam = latent_heat_vaporisation.kernel(tl) * 1e6 * 0.018015  # [J mol-1]
    le = f.lai * lam * gv * (es_leaf - f.ea) / f.pressure
    h = f.lai * 2.0 * _CP_MOL * f.gha * (tl - f.tmean)
    emit = 2.0 * _EPS_LEAF * f.fc_lw * _SIGMA * tk**4
    residual = f.rabs - emit - h - le
    # Derivative of the residual with gs held fixed (Penman-style linearisation).
    slope = slope_saturation_vapour_pressure.kernel(tl)
    dres = -(8.0 * _EPS_LEAF * f.fc_lw * _SIGMA * tk**3 + 2.0 * _CP_MOL * f.gha * f.lai
             + f.lai * lam * gv * slope / f.pressure)
    return SimpleNamespace(an=an_leaf * f.lai, gs=gs_leaf * f.lai, le=le, h=h,
                           residual=residual, dres=dres)


def _prepare(rs, tmean, vpd, co2, wind, pressure, lai, vcmax25, water_stress, g1, g0, xp):
    lai_safe = xp.clip(lai, 1e-3, None)
    u = xp.clip(wind, 0.1, None)
    fsw = _cover(lai, _K_SW, xp)
    apar = _PAR_ABSORPTANCE * _PAR_FRACTION * _PAR_UMOL_PER_J * fsw * rs
    beta = xp.clip(water_stress, 0.0, 1.0)
    return SimpleNamespace(
        rabs=absorbed_radiation(rs, tmean, vpd, lai),
        fc_lw=_cover(lai, _K_LW, xp),
        apar_leaf=apar / lai_safe,
        lai=lai,
        tmean=tmean,
        ea=xp.clip(saturation_vapour_pressure.kernel(tmean) - vpd, 1e-3, None),
        co2=co2,
        pressure=pressure,
        vcmax25=beta * vcmax25,
        jmax25=_JMAX_RATIO * vcmax25,
        rd25=_RD_RATIO * vcmax25,
        beta=beta,
        g1=g1 + 0.0 * rs,
        g0=g0 + 0.0 * rs,
        gha=1.4 * 0.135 * xp.sqrt(u / _LEAF_WIDTH),
        gva=1.4 * 0.147 * xp.sqrt(u / _LEAF_WIDTH),
    )


def _solve(inputs, *, g1, g0, tol, max_iter, fixed):
    """Newton iterations on leaf temperature. Returns (fluxes, tleaf, n_iter).

    With ``fixed=False`` each NumPy iteration works only on the points not yet
    converged (gathered by index; torch uses masked updates), so the cost follows the hardest points
    instead of the whole batch; ``fixed=True`` runs ``max_iter`` steps on every
    point with no data-dependent control flow (for ``torch.compile``).
    """
    xp = _namespace(*inputs)
    f = _prepare(*inputs, g1, g0, xp)
    tl = f.tmean + 0.0 * f.rabs
    n_iter = 0 * tl
    if fixed:
        for _ in range(max_iter):
            fl = _fluxes_at(tl, f, xp)
            tl = tl + xp.clip(-fl.residual / fl.dres, -5.0, 5.0)
        return _fluxes_at(tl, f, xp), tl, n_iter + max_iter
    if xp.is_torch:  # masked updates: boolean gathers are slower than recomputing in torch
        for _ in range(max_iter):
            fl = _fluxes_at(tl, f, xp)
            active = xp.abs(fl.residual) > tol
            if not bool(active.any()):
                break
            tl = xp.where(active, tl + xp.clip(-fl.residual / fl.dres, -5.0, 5.0), tl)
            n_iter = n_iter + active
        return _fluxes_at(tl, f, xp), tl, n_iter
    fields = {k: v for k, v in vars(f).items()}
    shape = tl.shape
    tl, n_iter = tl.reshape(-1), n_iter.reshape(-1)
    sub = {k: (v.reshape(-1) if hasattr(v, "reshape") else v) for k, v in fields.items()}
    idx = None
    for _ in range(max_iter):
        t_now = tl if idx is None else tl[idx]
        fl = _fluxes_at(t_now, SimpleNamespace(**sub), xp)
        active = xp.abs(fl.residual) > tol
        if not bool(active.any()):
            break
        step = xp.clip(-fl.residual[active] / fl.dres[active], -5.0, 5.0)
        new_idx = xp.where(active)[0] if idx is None else idx[active]
        tl[new_idx] = tl[new_idx] + step
        n_iter[new_idx] = n_iter[new_idx] + 1
        sub = {k: (v[active] if hasattr(v, "shape") and v.shape[:1] == active.shape else v)
               for k, v in sub.items()}
        idx = new_idx
    tl, n_iter = tl.reshape(shape), n_iter.reshape(shape)
    return _fluxes_at(tl, f, xp), tl, n_iter


def _kernel(rs, tmean, vpd, co2, wind, pressure, lai, vcmax25, water_stress, *, g1, g0, tol, max_iter,
            fixed_iter=None):
    inputs = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in
                                   (rs, tmean, vpd, co2, wind, pressure, lai, vcmax25, water_stress)))
    fixed = fixed_iter is not None
    fl, tl, n_iter = _solve(inputs, g1=g1, g0=g0, tol=tol, max_iter=fixed_iter if fixed else max_iter,
                            fixed=fixed)
    return fl.an, fl.gs, tl, fl.le, fl.h, fl.residual, n_iter


def canopy_fluxes(rs, tmean, vpd, co2, wind, pressure, lai, vcmax25, water_stress=1.0, *,
                  g1=CANOPY_PARAMETERS["g1"], g0=CANOPY_PARAMETERS["g0"], tol=1e-3,
                  max_iter=60, fixed_iter=None, warn=True):
    """Canopy photosynthesis, stomatal conductance, leaf temperature and heat fluxes.

    Solves the coupled FvCB-Medlyn-energy-balance model (see the module
    docstring) by Newton iteration on leaf temperature until the energy-balance
    residual is below ``tol`` at every point.

    .. math::

        A_n = \\min(W_c, W_j) - R_d,\\quad
        g_s = \\beta g_0 + 1.6\\,(1 + g_1/\\sqrt{D_l})\\,\\max(A_n, 0)/c_a,\\quad
        c_i = c_a\\,g_1/(g_1+\\sqrt{D_l})

    Parameters
    ----------
    rs : array-like
        Incoming shortwave radiation [W m-2].
    tmean : array-like
        Air temperature [degC].
    vpd : array-like
        Vapour pressure deficit of the air [kPa].
    co2 : array-like
        Atmospheric CO2 [umol mol-1].
    wind : array-like
        Wind speed at 2 m [m s-1].
    pressure : array-like
        Air pressure [kPa].
    lai : array-like
        Leaf area index [m2 m-2].
    vcmax25 : array-like
        Leaf maximum carboxylation rate at 25 degC [umol m-2 s-1].
    water_stress : array-like, default 1.0
        Soil water stress factor [1], 1 = unstressed, 0 = stomata shut.
    g1 : float or array-like, default 4.0
        Medlyn stomatal slope [kPa^0.5] (an array broadcasts like the inputs).
    g0 : float, default 0.01
        Minimum stomatal conductance per leaf area [mol m-2 s-1].
    tol : float, default 1e-3
        Tolerance on the absolute energy-balance residual [W m-2].
    max_iter : int, default 60
        Newton iterations at most; points not converged by then are reported
        with a warning (never silently).
    fixed_iter : int, optional
        Run exactly this many Newton steps on every point, with no convergence
        test (for timing the solver as a function of its iterations).
    warn : bool, default True
        Warn when points did not converge.

    Returns
    -------
    dict or xarray.Dataset
        ``an`` [umol m-2 s-1], ``gs`` [mol m-2 s-1], ``tleaf`` [degC], ``le``
        [W m-2], ``h`` [W m-2], ``residual`` [W m-2] and ``n_iter`` (Newton
        iterations used per point). NumPy (or torch) input gives a dict of
        arrays (tensors); any DataArray input gives a Dataset with CF attributes
        (units converted from the inputs' attributes).

    References
    ----------
    Farquhar et al. (1980); Bernacchi et al. (2001); Medlyn et al. (2011) eq. 13;
    Campbell & Norman (1998) eqs. 7.30, 7.33, 12.1; CLM5 technical note ch. 9.

    Examples
    --------
    >>> out = canopy_fluxes(600.0, 25.0, 1.5, 400.0, 2.0, 101.3, 3.0, 60.0)
    >>> round(float(out["le"]), 1), round(float(out["an"]), 2), float(abs(out["residual"])) < 1e-3
    (339.9, 33.77, True)
    """
    args = dict(rs=rs, tmean=tmean, vpd=vpd, co2=co2, wind=wind, pressure=pressure, lai=lai,
                vcmax25=vcmax25, water_stress=water_stress)
    opts = dict(g1=g1, g0=g0, tol=tol, max_iter=max_iter)
    if fixed_iter is not None:
        opts["fixed_iter"] = int(fixed_iter)
        warn = False
    if _namespace(*args.values()).is_torch:
        import torch

        ref = next(a for a in args.values() if isinstance(a, torch.Tensor))
        tensors = torch.broadcast_tensors(*(torch.as_tensor(a, dtype=ref.dtype, device=ref.device)
                                            for a in args.values()))
        fixed = opts.pop("fixed_iter", None)
        if fixed is not None:
            opts["max_iter"] = fixed
        fl, tl, n_iter = _solve(tensors, fixed=fixed is not None, **opts)
        out = dict(an=fl.an, gs=fl.gs, tleaf=tl, le=fl.le, h=fl.h, residual=fl.residual, n_iter=n_iter)
        _warn_unconverged(out, tol, max_iter, warn)
        return out
    if any(isinstance(a, xr.DataArray) for a in args.values()):
        conv = {k: require_units(v, CANOPY_INPUTS[k][0], name=k) for k, v in args.items()}
        names = [*CANOPY_OUTPUTS, "n_iter"]
        results = xr.apply_ufunc(_kernel, *conv.values(), kwargs=opts, output_core_dims=[[]] * len(names),
                                 dask="parallelized", output_dtypes=[float] * len(names))
        ds = xr.Dataset(dict(zip(names, results)))
        for k, (units, long_name) in CANOPY_OUTPUTS.items():
            ds[k].attrs = {"units": units, "long_name": long_name}
        ds["n_iter"].attrs = {"units": "1", "long_name": "Newton iterations used"}
        ds.attrs.update({k: v for k, v in opts.items() if np.isscalar(v)})
        if ds.chunks == {} or not ds.chunks:
            _warn_unconverged({k: ds[k].values for k in ds}, tol, max_iter, warn)
        return ds
    names = [*CANOPY_OUTPUTS, "n_iter"]
    _check_vpd(args["vpd"], args["tmean"], warn)
    out = dict(zip(names, _kernel(*args.values(), **opts)))
    _warn_unconverged(out, tol, max_iter, warn)
    return out


def _check_vpd(vpd, tmean, warn):
    over = np.asarray(vpd) >= saturation_vapour_pressure(np.asarray(tmean, dtype=float))
    if warn and np.any(over):
        warnings.warn(f"canopy_fluxes: vpd exceeds the saturation vapour pressure at tmean at {int(np.sum(over))} "
                      "point(s); the air's vapour pressure is floored at 1e-3 kPa there", RuntimeWarning,
                      stacklevel=3)


def _warn_unconverged(out, tol, max_iter, warn):
    bad = int((abs(out["residual"]) > tol).sum())
    if bad and warn:
        warnings.warn(f"canopy_fluxes: {bad} point(s) did not reach |residual| <= {tol} W m-2 in "
                      f"{max_iter} iterations; see the 'residual' output", RuntimeWarning, stacklevel=3)


def compiled_canopy_solver(n_iter=25, *, g1=CANOPY_PARAMETERS["g1"], g0=CANOPY_PARAMETERS["g0"],
                           compile=True):
    """A torch function running exactly ``n_iter`` Newton steps, fused with ``torch.compile``.

    The physics in its best form for GPUs: no data-dependent stopping, so the
    whole solve compiles to a few fused kernels. Use it to time the solver
    against a surrogate on the same device and batch.

    Parameters
    ----------
    n_iter : int, default 25
        Newton iterations (fixed).
    g1, g0 : float
        Stomatal parameters, as in :func:`canopy_fluxes`.
    compile : bool, default True
        Wrap with ``torch.compile``; if compilation fails at the first call
        the eager function is used from then on, with a warning.

    Returns
    -------
    callable
        ``solver(x)`` with ``x`` a tensor of shape (n, 9) whose columns follow
        :data:`CANOPY_INPUTS`; returns a tensor (n, 6) in :data:`CANOPY_OUTPUTS` order.
    """
    import torch

    def solver(x):
        cols = [x[:, i] for i in range(x.shape[1])]
        fl, tl, _ = _solve(cols, g1=g1, g0=g0, tol=0.0, max_iter=n_iter, fixed=True)
        return torch.stack([fl.an, fl.gs, tl, fl.le, fl.h, fl.residual], dim=1)

    if not compile:
        return solver
    compiled = torch.compile(solver, dynamic=False)
    state = {"fn": compiled}

    def run(x):
        # torch.compile fails lazily (at the first call) when no compiler tool chain is usable.
        try:
            return state["fn"](x)
        except Exception as err:  # pragma: no cover - depends on the local compiler tool chain
            if state["fn"] is solver:
                raise
            warnings.warn(f"torch.compile failed ({type(err).__name__}: {err}); using the eager solver",
                          RuntimeWarning, stacklevel=2)
            state["fn"] = solver
            return solver(x)

    return run
