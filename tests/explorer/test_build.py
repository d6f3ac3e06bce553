"""The pure functions that turn a Dataset into what the explorer shows (no browser)."""

import io
import math

import numpy as np
import pytest
import xarray as xr

import ionsweep
from ionsweep.explorer._build import (
    Selection,
    default_axes,
    fixed_coords,
    is_log_spaced,
    quantities,
    slice_csv,
    slice_netcdf,
    store_kind,
    take_slice,
)
from ionsweep.explorer._columns import (
    bar_columns,
    contour_lines,
    edges,
    heatmap_columns,
    heatmap_image,
    is_uniform,
    line_columns,
)
from ionsweep.explorer._store import check_store
from ionsweep.store import StoreError

R, F = 8.314462618, 96485.33212  # CODATA 2018, J/(mol K) and C/mol


def nernst_mv(c_out, c_in, z, celsius, gamma_out=1.0):
    """Independent scalar Nernst potential, mV (gamma_in = 1 as in the quickstart spec)."""
    return 1e3 * R * (celsius + 273.15) / (z * F) * math.log(gamma_out * c_out / c_in)


def test_heatmap_slice_is_the_nernst_potential_at_the_slider_positions(quickstart_store):
    ds = ionsweep.open_results(quickstart_store)
    assert store_kind(ds) == "sweep"
    assert default_axes(ds, "E") == ("c_out", "celsius")  # the two longest numeric dims
    sel = Selection("E", "c_out", "celsius", index={"ion": 3, "gamma_out": 2})  # Ca2+, 0.75
    da = take_slice(ds, sel)
    assert da.dims == ("celsius", "c_out") and da.shape == (8, 71)
    assert "ion = Ca2+" in fixed_coords(da) and "gamma_out = 0.75" in fixed_coords(da)
    assert "c_in = 0.0001 mM" in fixed_coords(da)  # the zip-axis member at that ion
    cols = heatmap_columns(da, ds, "c_out", "celsius")
    k = 5 * 71 + 40  # celsius index 5, c_out index 40
    c_out, celsius = 10 ** (-1 + 3.5 * 40 / 70), 5 + 35 * 5 / 7
    assert cols["x"][k] == pytest.approx(c_out, rel=1e-6)
    assert cols["y"][k] == pytest.approx(celsius)
    assert cols["value"][k] == pytest.approx(nernst_mv(c_out, 1e-4, 2, celsius, 0.75), abs=2e-3)
    # log-spaced c_out: cell edges are geometric midpoints
    assert cols["right"][40] == pytest.approx(math.sqrt(c_out * 10 ** (-1 + 3.5 * 41 / 70)))
    assert cols["bottom"][k] == pytest.approx(celsius - 2.5) and cols["top"][k] == celsius + 2.5


def test_heatmap_image_spans_the_cell_edges(quickstart_store):
    ds = ionsweep.open_results(quickstart_store)
    da = take_slice(ds, Selection("E", "c_out", "celsius", index={"ion": 0}))
    img = heatmap_image(da, ds, "c_out", "celsius")
    half = 10 ** (3.5 / 70 / 2)  # half a log step of c_out
    assert img["x"][0] == pytest.approx(0.1 / half)
    assert img["x"][0] + img["dw"][0] == pytest.approx(10**2.5 * half)
    assert img["y"][0] == pytest.approx(2.5) and img["dh"][0] == pytest.approx(40.0)
    np.testing.assert_array_equal(img["image"][0], da.values)
    assert is_uniform(ds.c_out.values) and not is_uniform(ds.gamma_out.values)


def test_line_slice_and_valid_mask(quickstart_store):
    ds = ionsweep.open_results(quickstart_store)
    da = take_slice(ds, Selection("E", "c_out", index={"ion": 0, "celsius": 7, "gamma_out": 0}))
    cols = line_columns(da, ds, "c_out")
    expect = [nernst_mv(c, 140.0, 1, 40.0) for c in np.logspace(-1, 2.5, 71)]
    np.testing.assert_allclose(cols["value"], expect, atol=2e-3)
    masked = ds.copy()
    valid = masked["valid"].load().copy()
    valid[0, :10, 7, 0] = 0
    masked["valid"] = valid
    da = take_slice(masked, Selection("E", "c_out", index={"ion": 0, "celsius": 7}))
    assert np.isnan(da.values[:10]).all() and np.isfinite(da.values[10:]).all()
    raw = take_slice(
        masked, Selection("E", "c_out", index={"ion": 0, "celsius": 7}, mask_valid=False)
    )
    assert np.isfinite(raw.values).all()
    assert da.attrs["units"] == "mV"


def test_log_spacing_and_edges():
    assert is_log_spaced(np.logspace(-3, 0, 20))
    assert not is_log_spaced(np.linspace(1, 100, 20))
    assert not is_log_spaced([1.0, 2.0, 4.0])  # geometric but spans less than a decade
    assert not is_log_spaced(["a", "b", "c"]) and not is_log_spaced([-1.0, -10.0, -100.0])
    np.testing.assert_allclose(
        edges([1.0, 10.0, 100.0], log=True), [10**-0.5, 10**0.5, 10**1.5, 10**2.5]
    )
    np.testing.assert_allclose(edges([0.0, 1.0, 3.0], log=False), [-0.5, 0.5, 2.0, 4.0])


def test_contour_follows_the_level_on_linear_and_log_axes():
    x = np.logspace(0, 3, 31)
    y = np.linspace(0.0, 1.0, 5)
    # |value| = 20 log10(x): the line |value| = 30 is x = 10**1.5 at every y
    field = np.tile(20 * np.log10(x), (5, 1))
    ds = xr.Dataset({"v": (("y", "x"), field)}, coords={"x": x, "y": y})
    lines = contour_lines(ds.v, ds, "x", "y", 30.0)
    assert len(lines["xs"]) == 1
    np.testing.assert_allclose(lines["xs"][0], 10**1.5, rtol=1e-9)
    np.testing.assert_allclose(sorted(lines["ys"][0]), y)
    # linear axes, signed values: |x - 5| = 2 at x = 3 and x = 7
    xl = np.linspace(0.0, 10.0, 11)
    ds = xr.Dataset({"v": (("y", "x"), np.tile(xl - 5, (5, 1)))}, coords={"x": xl, "y": y})
    got = sorted(float(np.mean(a)) for a in contour_lines(ds.v, ds, "x", "y", 2.0)["xs"])
    np.testing.assert_allclose(got, [3.0, 7.0])


def test_reduce_store_offers_statistics(reduce_store):
    ds = ionsweep.open_results(reduce_store)
    assert store_kind(ds) == "reduce"
    q = quantities(ds)
    assert list(q["V_rev"]) == ["min", "max", "mean", "std", "histogram", "count"]
    assert q["V_rev"]["histogram"] == "V_rev_hist"
    assert default_axes(ds, "V_rev_hist") == ("V_rev_bin", None)
    # independent check: the stored mean over P_Na equals the mean of GHK voltages
    da = take_slice(ds, Selection("V_rev_mean", "K_out", index={"celsius": 0}))
    T, pna = 293.15, np.logspace(-3, 0, 6)
    k_out = 2.0
    num = k_out + pna * 145.0 + 0.1 * 7.0
    den = 140.0 + pna * 12.0 + 0.1 * 120.0
    expect = np.mean(1e3 * R * T / F * np.log(num / den))
    assert float(da.values[0]) == pytest.approx(expect, abs=1e-3)


def test_sensitivity_bars_carry_confidence_intervals(sensitivity_ds):
    ds = sensitivity_ds
    assert store_kind(ds) == "sensitivity"
    assert list(quantities(ds)) == ["ST", "histogram"]  # ST_conf goes with ST
    assert default_axes(ds, "ST") == ("parameter", None)
    sel = Selection("ST", "parameter", index={"output": 1})
    cols = bar_columns(
        take_slice(ds, sel),
        ds,
        "parameter",
        take_slice(ds, Selection("ST_conf", "parameter", index={"output": 1})),
    )
    assert cols["x"] == ["I_in", "I_out", "celsius"]
    np.testing.assert_allclose(cols["lower"], ds.ST[1] - ds.ST_conf[1])
    np.testing.assert_allclose(cols["upper"], ds.ST[1] + ds.ST_conf[1])
    # a histogram's bin dimension has no coordinate: its numeric bin_center is the axis
    cols = line_columns(
        take_slice(ds, Selection("histogram", "bin", index={"output": 0})), ds, "bin"
    )
    np.testing.assert_allclose(cols["x"], np.linspace(-4, 4, 5))


def test_exports_round_trip(quickstart_store):
    ds = ionsweep.open_results(quickstart_store)
    da = take_slice(ds, Selection("E", "c_out", "celsius", index={"ion": 1}))
    text = slice_csv(da)
    header, first = text.splitlines()[:2]
    assert header.split(",") == [
        "celsius [°C]",
        "c_out [mM]",
        "ion",
        "c_in [mM]",
        "gamma_out",
        "gamma_in",  # a fixed input, stored as a scalar coordinate
        "E [mV]",
    ]
    row = first.split(",")
    assert float(row[-1]) == pytest.approx(nernst_mv(0.1, 12.0, 1, 5.0), abs=2e-3)
    back = xr.open_dataset(io.BytesIO(slice_netcdf(da, ds)), engine="scipy")
    np.testing.assert_allclose(back.E.values, da.values)
    assert back.E.attrs["units"] == "mV" and back.c_out.attrs["units"] == "mM"
    assert "Nernst" in back.attrs["title"]


def test_store_checks(tmp_path, quickstart_store):
    with pytest.raises(StoreError, match="does not exist"):
        check_store(tmp_path / "missing.zarr")
    (tmp_path / "plain").mkdir()
    with pytest.raises(StoreError, match="not an ionsweep result store"):
        check_store(tmp_path / "plain")
    xr.Dataset({"a": ("x", [1.0])}).to_zarr(tmp_path / "foreign.zarr", consolidated=False)
    with pytest.raises(StoreError, match="not an ionsweep result store"):
        check_store(tmp_path / "foreign.zarr")
    assert check_store(quickstart_store)["ionsweep_complete"] == 1


def test_csv_export_never_hands_a_spreadsheet_a_formula():
    """Labels and units come from whoever wrote the store: a cell starting with = + - @
    (OWASP's CSV-injection list) is written with a leading ' so a spreadsheet shows it as
    text; ordinary labels and negative numbers are untouched."""
    da = xr.DataArray(
        [-1.5, 2.0, 3.0],
        dims="ion",
        coords={"ion": ['=HYPERLINK("http://x")', "@SUM(A1)", "Cl-"]},
        name="=E",  # a variable name from a hand-edited store
        attrs={"units": "mV"},
    )
    da["ion"].attrs["units"] = "+cmd"
    rows = [line.split(",", 1) for line in slice_csv(da).splitlines()]
    assert rows[0] == ["ion [+cmd]", "'=E [mV]"]
    assert [r[0] for r in rows[1:]] == ['"\'=HYPERLINK(""http://x"")"', "'@SUM(A1)", "Cl-"]
    assert [float(r[1]) for r in rows[1:]] == [-1.5, 2.0, 3.0]
