"""Stores for the explorer tests: the quickstart sweep, a small reduce-mode sweep, and a
sensitivity-shaped Dataset. Built once per session (the sweeps take about a second each)."""

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

pytest.importorskip("panel", reason="the explorer needs the view extra: ionsweep[view]")

ROOT = Path(__file__).resolve().parents[2]

REDUCE_SPEC = {
    "title": "GHK reversal potential statistics (test)",
    "model": {"name": "ghk_voltage", "ions": ["K+", "Na+", "Cl-"]},
    "axes": {
        "P_Na": {"logspace": [-3, 0, 6]},
        "K_out": {"linspace": [2, 20, 4]},
        "celsius": {"linspace": [20, 40, 3]},
    },
    "fixed": {
        "P_K": 1.0,
        "P_Cl": 0.1,
        "K_in": 140.0,
        "Na_in": 12.0,
        "Na_out": 145.0,
        "Cl_in": 7.0,
        "Cl_out": 120.0,
    },
    "outputs": {"variables": ["V_rev"]},
    "reduce": {
        "over": ["P_Na"],
        "stats": ["min", "max", "mean", "std"],
        "histogram": {"V_rev": {"bins": 10, "range": [-100, 50]}},
    },
}


@pytest.fixture(scope="session")
def quickstart_store(tmp_path_factory):
    import ionsweep

    out = tmp_path_factory.mktemp("view") / "quickstart.zarr"
    ionsweep.run_sweep(str(ROOT / "sweeps" / "quickstart.toml"), store=out)
    return out


@pytest.fixture(scope="session")
def reduce_store(tmp_path_factory):
    import ionsweep

    out = tmp_path_factory.mktemp("view") / "reduce.zarr"
    ionsweep.run_sweep(REDUCE_SPEC, store=out)
    return out


@pytest.fixture
def sensitivity_ds():
    """Sobol indices with confidence half-widths, laid out as ionsweep sensitivity stores."""
    rng = np.random.default_rng(0)
    params = ["I_in", "I_out", "celsius"]
    outputs = ["dE_K", "dE_Cl"]
    st = rng.uniform(0, 1, (2, 3))
    conf = rng.uniform(0, 0.1, (2, 3))
    return xr.Dataset(
        {
            "ST": (("output", "parameter"), st, {"units": "1", "long_name": "total-order index"}),
            "ST_conf": (("output", "parameter"), conf, {"units": "1", "long_name": "CI"}),
            "histogram": (
                ("output", "bin"),
                rng.uniform(0, 1, (2, 5)),
                {"units": "1/mV", "long_name": "probability density"},
            ),
        },
        coords={
            "output": ("output", outputs, {"units": "1", "long_name": "model output"}),
            "parameter": ("parameter", params, {"units": "1", "long_name": "input"}),
            "bin_center": ("bin", np.linspace(-4, 4, 5), {"units": "mV", "long_name": "bin"}),
        },
        attrs={"ionsweep_mode": "sensitivity", "ionsweep_complete": True, "title": "t"},
    )


#: Script payloads put into a store's text (title, labels, names, units, long names): the
#: explorer must show each as the text it is. Each sets ``window.__xss`` or opens a dialog
#: if it ever runs.
XSS = {
    "title": '<img src=x onerror="window.__xss=1">',
    "ion": "<svg/onload=window.__xss=2>",  # a zip-axis label
    "units_c_in": "<script>window.__xss=3</script>",  # units of a zip-axis member
    "ion_link": "[c](javascript:window.__xss=4)",  # a markdown link as a label
    "units_E": "[c](javascript:window.__xss=5)",
    "long_E": "<img src=x onerror=alert(5)>",
    "dim": 'g<img src=x onerror="window.__xss=6">',  # a dimension (numeric: a slider)
    "units_dim": "<b>u</b>&amp;",
    "var": 'dE<svg onload="window.__xss=7">',  # a variable name
    "tex": r"$$\href{javascript:window.__xss=8}{K}$$",  # TeX in an axis label
}


@pytest.fixture(scope="session")
def xss():
    """The payloads of :func:`hostile_store`, by the place they were put."""
    return dict(XSS)


def rewrite_store(path, title=None, attrs=(), labels=(), renames=()) -> None:
    """Rewrite an ionsweep store's text the way anyone holding a copy can: the root title,
    arrays' attributes (``{name: {key: value}}``), a text coordinate's labels
    (``{name: [labels]}``) and array or dimension names (``{old: new}``), keeping the
    root's consolidated metadata in step."""
    import json

    import zarr

    path = Path(path)
    for name, values in dict(labels).items():
        zarr.open_array(str(path / name), mode="r+")[:] = np.asarray(values)
    renames = dict(renames)
    for old, new in renames.items():
        (path / old).rename(path / new)
    root = json.loads((path / "zarr.json").read_text())
    members = {}
    for old in root["consolidated_metadata"]["metadata"]:
        name = renames.get(old, old)
        doc = json.loads((path / name / "zarr.json").read_text())
        doc["attributes"].update(dict(attrs).get(name, {}))
        if doc.get("dimension_names"):
            doc["dimension_names"] = [renames.get(d, d) for d in doc["dimension_names"]]
        (path / name / "zarr.json").write_text(json.dumps(doc))
        members[name] = doc
    root["consolidated_metadata"]["metadata"] = members
    if title is not None:
        root["attributes"]["title"] = title
    (path / "zarr.json").write_text(json.dumps(root))


@pytest.fixture(scope="session")
def hostile_store(tmp_path_factory, quickstart_store):
    """The quickstart store with script payloads in its title, labels, names and units."""
    import shutil

    out = tmp_path_factory.mktemp("view") / "hostile.zarr"
    shutil.copytree(quickstart_store, out)
    rewrite_store(
        out,
        title=XSS["title"],
        attrs={
            "E": {"units": XSS["units_E"], "long_name": XSS["long_E"]},
            "c_in": {"units": XSS["units_c_in"]},
            XSS["dim"]: {"units": XSS["units_dim"], "long_name": XSS["long_E"]},
            "celsius": {"units": XSS["tex"]},
        },
        labels={"ion": [XSS["ion"], XSS["ion_link"], "Cl-", "Ca2+"]},
        renames={"gamma_out": XSS["dim"], "dE_dT": XSS["var"]},
    )
    return out


#: Ionic strengths (M) of the activity-error views: under two decades, so a log axis needs
#: 1-2-5 ticks to label both ends.
IONIC_STRENGTH = np.geomspace(0.01, 0.5, 9)
ACTIVITY_MODELS = ["debye_huckel", "extended_debye_huckel", "davies"]


def _log_gamma(model, ionic):
    """log10 of a monovalent ion's activity coefficient at 25 °C, A = 0.509 (M^-1/2):
    the Debye–Hückel limiting law, its extended form (a B = 1) and Davies' equation."""
    s = np.sqrt(ionic)
    return {
        "debye_huckel": -0.509 * s,
        "extended_debye_huckel": -0.509 * s / (1 + s),
        "davies": -0.509 * (s / (1 + s) - 0.3 * ionic),
    }[model]


def activity_views():
    """Views of every kind the explorer draws: ΔE_K = (RT/F) ln(γ_out/γ_in) [mV] at
    25 °C over I_out for three activity models with I_in = 0.1 M (one panel or one line per
    model; values of both signs), its map over (I_in, I_out) for Davies, and Sobol
    indices with confidence half-widths (bars)."""
    rt_f = 1e3 * 8.314462618 * 298.15 / 96485.33212 * np.log(10)  # mV per decade of γ
    d_e = np.stack(
        [rt_f * (_log_gamma(m, IONIC_STRENGTH) - _log_gamma(m, 0.1)) for m in ACTIVITY_MODELS]
    )
    gi, go = np.meshgrid(IONIC_STRENGTH, IONIC_STRENGTH, indexing="ij")
    d_map = rt_f * (_log_gamma("davies", go) - _log_gamma("davies", gi))
    mv = {"units": "mV", "long_name": "activity error of E_K: E(activity_model) - E(ideal)"}
    return xr.Dataset(
        {
            "dE_K": (("activity_model", "I_out"), d_e, mv),
            "dE_K_map": (("I_in", "I_out"), d_map, mv),
            "ST": (
                ("output", "parameter"),
                [[0.2, 0.9, 0.05]],
                {"units": "1", "long_name": "total-order Sobol index"},
            ),
            "ST_conf": (
                ("output", "parameter"),
                [[0.05, 0.2, 0.01]],
                {"units": "1", "long_name": "CI"},
            ),
        },
        coords={
            "activity_model": ("activity_model", np.array(ACTIVITY_MODELS, dtype=object)),
            "I_in": ("I_in", IONIC_STRENGTH, {"units": "M", "long_name": "ionic strength inside"}),
            "I_out": (
                "I_out",
                IONIC_STRENGTH,
                {"units": "M", "long_name": "ionic strength outside"},
            ),
            "output": ("output", np.array(["dE_K"], dtype=object)),
            "parameter": ("parameter", np.array(["I_in", "I_out", "celsius"], dtype=object)),
        },
        attrs={"ionsweep_mode": "sweep", "ionsweep_complete": 1, "title": "activity error views"},
    )


@pytest.fixture
def views_ds():
    """:func:`activity_views` in memory."""
    return activity_views()


@pytest.fixture(scope="session")
def views_store(tmp_path_factory, quickstart_store):
    """The quickstart store with :func:`activity_views` added as variables: one store (one
    server in the browser test) offering lines, facets, overlays, signed maps and bars."""
    import json
    import shutil
    import warnings

    out = tmp_path_factory.mktemp("view") / "views.zarr"
    shutil.copytree(quickstart_store, out)
    root = json.loads((out / "zarr.json").read_text())["attributes"]
    with warnings.catch_warnings():  # zarr's notes on text arrays and consolidated metadata
        warnings.simplefilter("ignore")
        activity_views().drop_attrs(deep=False).to_zarr(out, mode="a", consolidated=True)
    doc = json.loads((out / "zarr.json").read_text())
    doc["attributes"] = root  # appending leaves the root attributes out of step
    (out / "zarr.json").write_text(json.dumps(doc))
    return out
