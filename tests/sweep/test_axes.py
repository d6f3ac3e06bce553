"""Generated axes (linspace, logspace, geomspace, arange) kept as their parameters: any slice
of values is bit for bit NumPy's, nothing is listed, and stores hold the same coordinates."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zarr

from ionsweep.store import _zarr as zstore
from ionsweep.sweep import SpecError, parse_spec, run
from ionsweep.sweep._axes import Generated
from ionsweep.sweep._feeds import chunk_inputs


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


# (start, stop, n): ordinary, decreasing, one value, two values, a step that underflows to 0
# (NumPy's other branch), ends of very different size, a long axis read at its end.
LINEAR = [
    (1.0, 10.0, 7),
    (5.0, -5.0, 11),
    (3.5, 3.5, 1),
    (-2.0, 2.0, 2),
    (0.0, 5e-324, 4),
    (1e-300, 1e300, 9),
    (-0.1, 0.7, 1_000_003),
]


@pytest.mark.parametrize(("start", "stop", "n"), LINEAR)
@pytest.mark.parametrize("kind", ["linspace", "logspace"])
def test_values_are_numpys_bit_for_bit_for_any_slice(kind, start, stop, n):
    if kind == "logspace":
        start, stop = (max(-300.0, min(300.0, v)) for v in (start, stop))
    ref = getattr(np, kind)(start, stop, n)
    g = Generated(kind, start, stop, n)
    assert len(g) == n
    for i0, i1 in [(0, n), (0, 1), (n - 1, n), (n // 3, n), (n // 2, n // 2 + 5), (n, n)]:
        assert _bits(g.values(i0, i1)) == _bits(ref[i0:i1]), (i0, i1)
    idx = np.asarray([n - 1, 0, n // 2, -1])
    assert _bits(np.take(g, idx)) == _bits(ref[idx])
    assert _bits(np.asarray(g)) == _bits(ref)
    assert (g.first, g.last) == (ref[0], ref[-1])
    assert (g.min(), g.max()) == (ref.min(), ref.max())


@pytest.mark.parametrize(
    ("start", "stop", "n"), [(100.0, 150.0, 3), (1e-3, 1e3, 1001), (7.0, 7.0, 1), (50.0, 0.5, 9)]
)
def test_geomspace_is_numpys_with_its_exact_ends(start, stop, n):
    ref = np.geomspace(start, stop, n)
    g = Generated("geomspace", start, stop, n)
    assert _bits(np.asarray(g)) == _bits(ref)
    assert _bits(g.values(n - 1, n)) == _bits(ref[n - 1 :])


@pytest.mark.parametrize(
    ("start", "stop", "step"),
    [(10.5, 40.0, 7.3), (0.0, 1.0, 0.1), (-3.0, 1e6, 0.37), (1e16, 1e16 + 64, 3.0)],
)
def test_arange_is_numpys_fill(start, stop, step):
    ref = np.arange(start, stop, step)
    g = Generated("arange", start, stop, math.ceil((stop - start) / step), step=step)
    assert len(g) == len(ref)
    assert _bits(np.asarray(g)) == _bits(ref)
    n = len(ref)
    assert _bits(g.values(n - 2, n)) == _bits(ref[n - 2 :])
    assert _bits(g.values(1, 2)) == _bits(ref[1:2])


SPEC = """
[model]
name = "nernst"
[axes]
c_out = {axis}
[fixed]
c_in = 140
ion = "K+"
"""


def test_a_spec_keeps_generators_as_parameters_and_lists_stay_lists():
    plan = parse_spec(SPEC.format(axis="{ linspace = [1, 10, 1000000000000] }"))
    (axis,) = plan.axes
    assert isinstance(axis.coord, Generated) and isinstance(axis.feeds["c_out"], Generated)
    assert plan.shape == (10**12,)
    listed = parse_spec(SPEC.format(axis="[1.0, 2.5]")).axes[0]
    assert type(listed.coord) is np.ndarray and listed.coord.tolist() == [1.0, 2.5]


@pytest.mark.parametrize(
    ("generated", "listed"),
    [
        ("{ linspace = [5, -5, 11] }", "[5, 4, 3, 2, 1, 0, -1, -2, -3, -4, -5]"),
        ("{ linspace = [-3, 3, 7] }", "[-3, -2, -1, 0, 1, 2, 3]"),
        ("{ arange = [-2, 3, 1] }", "[-2, -1, 0, 1, 2]"),
    ],
)
def test_a_generated_axis_is_refused_naming_the_value_its_list_would_name(generated, listed):
    # The values checked without listing them: the message names the first refused value,
    # as it does for the same values written out.
    messages = []
    for axis in (generated, listed):
        with pytest.raises(SpecError) as exc:
            parse_spec(SPEC.format(axis=axis))
        messages.append(str(exc.value))
    assert messages[0] == messages[1]
    assert "got 0 mM" in messages[0] or "got -" in messages[0]


def test_temperature_bounds_and_duplicates_of_generated_axes_are_refused():
    text = SPEC.format(axis="[1.0]") + "[axes.celsius]\nlinspace = [20, -300, 10]\n"
    with pytest.raises(SpecError, match=r"\[axes\] celsius.*above absolute zero.*got -300 °C"):
        parse_spec(text)
    with pytest.raises(SpecError, match="must be distinct"):
        parse_spec(SPEC.format(axis="{ linspace = [1, 1, 3] }"))
    with pytest.raises(SpecError, match="must be distinct"):  # steps below float64's spacing
        parse_spec(SPEC.format(axis="{ linspace = [1, 1.0000000000000002, 5] }"))
    with pytest.raises(SpecError, match="whose steps are this fine holds at most 10,000,000"):
        parse_spec(SPEC.format(axis="{ linspace = [1, 1.000001, 100000000000] }"))


def test_chunk_feeds_are_the_slices_of_the_listed_values():
    plan = parse_spec(
        SPEC.format(axis="{ logspace = [0, 2, 1001] }").replace(
            'ion = "K+"', 'ion = "K+"\n[run]\nchunks = { c_out = 300 }\ndtype = "float64"'
        )
    )
    ref = np.logspace(0, 2, 1001)
    for k in range(4):
        feeds, _ = chunk_inputs(plan, (k,), np.float64)
        part = ref[300 * k : 300 * (k + 1)]
        pad = np.concatenate([part, np.repeat(part[-1:], 300 - len(part))])
        assert _bits(feeds[0]["c_out"]) == _bits(pad)


def test_a_long_coordinate_is_written_region_by_region_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(zstore, "COORD_ONE_CHUNK", 1000)
    monkeypatch.setattr(zstore, "COORD_CHUNK", 256)
    group = zarr.open_group(tmp_path / "s.zarr", mode="w")
    made = []
    g = Generated("linspace", 1.0, 10.0, 1001)

    def never(self, *args, **kwargs):
        raise AssertionError("a generated coordinate was listed whole")

    monkeypatch.setattr(Generated, "__array__", never)
    real = Generated.values
    monkeypatch.setattr(
        Generated, "values", lambda self, i0=0, i1=None: made.append((i0, i1)) or real(self, i0, i1)
    )
    zstore.write_coord(group, "x", ["x"], g, {"units": "mM"})
    zstore.write_coord(group, "y", ["y"], Generated("logspace", 0.0, 1.0, 1000), {})
    assert group["x"].chunks == (256,) and group["y"].chunks == (1000,)
    assert made == [(0, 256), (256, 512), (512, 768), (768, 1001), (0, 1000)]
    assert _bits(group["x"][...]) == _bits(np.linspace(1.0, 10.0, 1001))
    assert _bits(group["y"][...]) == _bits(np.logspace(0.0, 1.0, 1000))


BIG = """
[model]
name = "nernst"
[axes]
c_out = { linspace = [1, 10, 1000000000] }
c_in = { logspace = [0, 2, 1000000000] }
[fixed]
ion = "K+"
"""


def test_dry_run_of_two_axes_of_a_billion_values_stays_small(tmp_path):
    # A memory bound, not a timing assert: listed, these axes took 24 GB and more.
    # The peak is read in a fresh parent, whose only child is the dry run (RUSAGE_CHILDREN
    # of this process would hold every earlier test's subprocesses too).
    (tmp_path / "big.toml").write_text(BIG)
    exe = str(Path(sys.executable).with_name("ionsweep"))
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        f"r = subprocess.run([{exe!r}, 'run', 'big.toml', '--dry-run', '--out', 'big.zarr'],"
        " capture_output=True, text=True)\n"
        "sys.stdout.write(r.stdout + r.stderr)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(f'exit {r.returncode} peak_mb {peak:.1f} wall_s {time.perf_counter() - t:.2f}')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    *text, last = out.stdout.strip().splitlines()
    _, code, _, peak_mb, _, wall = last.split()
    shown = "\n".join(text)
    assert int(code) == 0, out.stdout + out.stderr
    assert "1,000,000,000,000,000,000 points" in shown
    assert "c_out: 1,000,000,000 values, 1 … 10 (linspace)" in shown
    assert "c_in: 1,000,000,000 values, 1 … 100 (logspace)" in shown
    assert float(peak_mb) <= 300, (peak_mb, wall)  # KiB on Linux, shown in MiB
    assert not (tmp_path / "big.zarr").exists()


def test_distinct_values_are_known_without_listing_them():
    # Steps wide against float64's spacing are distinct; steps below it cannot be told
    # apart without listing (None), as 1 + k·1e-16 rounds several k to one value.
    assert Generated("logspace", -300.0, 300.0, 10**9).distinct() is True
    assert Generated("geomspace", 1e-3, 1e3, 10**12).distinct() is True
    assert Generated("linspace", 1.0, 10.0, 10**13).distinct() is True
    assert Generated("linspace", 1.0, 2.0, 10**16).distinct() is None
    assert Generated("logspace", -320.0, 0.0, 10).distinct() is None  # subnormal values
    assert np.unique(np.asarray(Generated("linspace", 1.0, 1.0 + 4e-16, 5))).size < 5


def test_a_plan_shown_by_a_dry_run_but_too_big_to_run_is_refused_by_run(tmp_path):
    """``plan_only`` shows a plan of more chunks than a run handles; handed to ``run`` it is
    refused before a chunk list (or a store) exists."""
    plan = parse_spec(BIG, plan_only=True)
    with pytest.raises(ValueError, match="chunks, more than one run handles"):
        run(plan, tmp_path / "big.zarr")
    assert not (tmp_path / "big.zarr").exists()
