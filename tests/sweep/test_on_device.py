"""What stays on the device during a run: the axis values (a chunk is sent as a few
integers), the accumulated statistics (read by the host only at flushes), and the step size
read from the kernel's own trace."""

import jax
import numpy as np
import pytest

from ionsweep.store import open_results
from ionsweep.sweep import _accumulate, _executor, _feeds, _kernel, parse_spec, run
from ionsweep.sweep._launch import Launcher, cell_plan
from ionsweep.sweep._reduce import Accumulator

NERNST = """
[model]
name = "nernst"
[axes]
c_out = {{ linspace = [{lo}, {hi}, {n}] }}
celsius = [20.0, 37.0]
[fixed]
c_in = 10.0
ion = "K+"
[outputs]
variables = ["E"]
[run]
chunks = {{ c_out = {chunk}, celsius = 1 }}
{extra}
"""

REDUCE = """
[reduce]
over = ["c_out"]
stats = ["min", "max", "mean", "std", "argmax"]
count = ["E > 0"]
"""


def test_a_chunk_is_sent_to_the_device_as_a_few_integers(tmp_path, monkeypatch):
    plan = parse_spec(NERNST.format(lo=2, hi=200, n=64, chunk=8, extra=""))
    launch = Launcher(plan, jax.devices()[:1])
    sent = []
    put = jax.device_put

    def spy(x, *args, **kwargs):
        sent.append(sum(np.asarray(leaf).nbytes for leaf in jax.tree.leaves(x)))
        return put(x, *args, **kwargs)

    monkeypatch.setattr(jax, "device_put", spy)
    results = [jax.device_get(launch([index])) for index in np.ndindex(*plan.chunk_grid)]
    assert len(sent) == plan.n_chunks == 16
    assert max(sent) == 4 * len(plan.dims) * 4  # `where`: 4 rows of int32 per dim
    # The same values as a kernel fed each chunk's slices from the host (what a plan too
    # large to keep on the device does).
    monkeypatch.setattr(_feeds, "RESIDENT_SHARE", 10**12)
    sliced = Launcher(plan, jax.devices()[:1])
    assert not sliced.resident
    for index, resident in zip(np.ndindex(*plan.chunk_grid), results, strict=True):
        (a, va), (b, vb) = resident, jax.device_get(sliced([index]))
        np.testing.assert_array_equal(a["E"], b["E"])
        np.testing.assert_array_equal(va, vb)


def test_accumulated_statistics_are_read_by_the_host_only_at_flushes(tmp_path, monkeypatch):
    # 256 chunks of 16 points along c_out for each of 2 temperatures (512 chunks) merge on
    # the device in float32, read by the host every 200 chunks and at the end: 3 reads (and
    # a 4th merge: the saved partial state, read back to write the statistics).
    # E ≈ 61.5 mV with a spread of 0.08 mV, so rounding that grew with the number of merges
    # would show (uncompensated float32 merges are off by 4.5 ulp of the mean here); the
    # compensated state keeps the mean within 2 ulp of the float64 mean of the very float32
    # values it merged.
    monkeypatch.setattr(_accumulate, "flush_every", lambda plan: 200)
    reads = {"merge": 0, "merge_state": 0}
    for name in reads:
        real = getattr(Accumulator, name)

        def counted(self, *args, _real=real, _name=name):
            reads[_name] += 1
            return _real(self, *args)

        monkeypatch.setattr(Accumulator, name, counted)
    grid = {"lo": 100, "hi": 101, "n": 4096, "chunk": 16}
    plan = parse_spec(NERNST.format(**grid, extra=REDUCE))
    assert _executor.mode(plan) == "reduce-accumulate" and plan.n_chunks == 512
    run(plan, tmp_path / "r.zarr", progress=False)
    assert reads == {"merge": 0, "merge_state": 3 + 1}
    whole = NERNST.format(**{**grid, "chunk": 4096}, extra="")  # the same values, stored
    run(parse_spec(whole), tmp_path / "s.zarr", progress=False)
    values = open_results(tmp_path / "s.zarr").E.values.astype(np.float64)  # (c_out, T)
    red = open_results(tmp_path / "r.zarr")
    eps = np.finfo(np.float32).eps
    mean = values.mean(axis=0)
    np.testing.assert_allclose(red.E_mean.values, mean, rtol=2 * eps, atol=0)
    np.testing.assert_allclose(red.E_std.values, values.std(axis=0), rtol=1e-4)
    np.testing.assert_array_equal(red.E_max.values, values.max(axis=0).astype(np.float32))
    np.testing.assert_array_equal(red.E_count.values, [4096, 4096])


PITZER = """
[model]
name = "activity_error"
ions = ["K+", "Na+", "Ca2+", "Cl-"]
balance = "Cl-"
report = ["K+"]
models = ["pitzer"]
[axes]
{axes}
[fixed]
activity_model = "pitzer"
K_in = 140.0
Ca_in = 0.0001
celsius = 37.0
{fixed}
[outputs]
variables = ["dE_K"]
[reduce]
over = {over}
stats = ["mean"]
"""


@pytest.mark.parametrize(
    ("axes", "fixed", "over", "per_point"),
    [
        # Each side's composition varies along one reduced axis: Pitzer runs on 64 values
        # per side and cell, its per-point work is the final combination only.
        (
            "Na_in = { geomspace = [10, 300, 64] }\nNa_out = { geomspace = [10, 300, 64] }\n"
            "K_out = { linspace = [2, 20, 256] }",
            "Ca_out = 2.0",
            '["Na_in", "Na_out"]',
            False,
        ),
        # The outside composition varies along the kept axis and both reduced ones: Pitzer
        # runs at every point, and a smaller step shrinks its working set.
        (
            "K_out = { linspace = [2, 20, 256] }\nNa_out = { geomspace = [10, 300, 64] }\n"
            "Ca_out = { geomspace = [0.5, 5, 64] }",
            "Na_in = 12.0",
            '["Na_out", "Ca_out"]',
            True,
        ),
    ],
)
def test_the_step_follows_the_per_point_work_in_the_kernels_trace(axes, fixed, over, per_point):
    plan = parse_spec(PITZER.format(axes=axes, fixed=fixed, over=over))
    largest = _kernel.cells_per_step(plan)  # the memory budget's step, whatever the model
    assert largest == 256  # 2²⁰ points per step / 4,096-point reduced block
    per = Launcher(plan, jax.devices("cpu")[:1]).kernel.cells_per_step  # traced, not compiled
    if per_point:
        assert per <= largest // 8  # ≤ 2¹⁷ points: a thousand and more operations per point
    else:
        assert per == largest


def test_a_reduced_block_of_16384_points_or_more_is_a_step_of_one_cell():
    plan = parse_spec(
        NERNST.format(lo=2, hi=200, n=2**14, chunk=2**14, extra=REDUCE)
        .replace("celsius = [20.0, 37.0]", "celsius = { linspace = [5, 40, 64] }")
        .replace("celsius = 1", "celsius = 64")
    )
    assert plan.chunks == (2**14, 64)
    assert _kernel.cells_per_step(plan) == 1
    assert cell_plan(plan).chunks == (2**14, 1)  # 64 cells in all: a call for each
    many = parse_spec(
        NERNST.format(lo=2, hi=200, n=2**14, chunk=2**14, extra=REDUCE)
        .replace("celsius = [20.0, 37.0]", "celsius = { linspace = [5, 40, 1024] }")
        .replace("celsius = 1", "celsius = 64")
    )
    assert _kernel.cells_per_step(many) == 1
    assert cell_plan(many) is None  # 1,024 cells: the program loops over them

    def two_cells(n, chunk):  # chunks of 2 kept cells (celsius) and one reduced block
        spec = NERNST.format(lo=2, hi=200, n=n, chunk=chunk, extra=REDUCE)
        return parse_spec(spec.replace("celsius = 1", "celsius = 2"))

    assert cell_plan(two_cells(2**16 - 1, 2**16 - 1)).chunks == (2**16 - 1, 1)
    assert cell_plan(two_cells(2**16, 2**16)) is None  # a 2¹⁶-point block: the loop again

    def accumulated(n_blocks):  # the reduced axis split into blocks of 2¹⁴: 64 calls each
        spec = NERNST.format(lo=2, hi=200, n=2**14 * n_blocks, chunk=2**14, extra=REDUCE)
        spec = spec.replace("celsius = [20.0, 37.0]", "celsius = { linspace = [5, 40, 64] }")
        return parse_spec(spec.replace("celsius = 1", "celsius = 64"))

    assert cell_plan(accumulated(8)).chunks == (2**14, 1)  # 8 x 64 = 512 calls
    assert cell_plan(accumulated(9)) is None  # 576 calls, though only 64 kept cells


@pytest.mark.parametrize(
    ("n", "chunk", "mode"), [(2**14, 2**14, "reduce-direct"), (2**15, 2**14, "reduce-accumulate")]
)
def test_a_chunk_of_one_cell_steps_runs_one_call_per_cell(tmp_path, monkeypatch, n, chunk, mode):
    """Each kept cell's reduced block (2¹⁴ points) is a step of its own: the kernel is
    compiled for one cell and called once per cell of each chunk, edge chunks included, and
    the statistics are those of the values (a NumPy float64 reference), and those of the
    kernel that loops over the cells inside one program."""
    spec = (
        NERNST.format(lo=2, hi=200, n=n, chunk=chunk, extra=REDUCE)
        .replace("celsius = [20.0, 37.0]", "celsius = [5.0, 15.0, 25.0, 37.0, 40.0]")
        .replace("celsius = 1", "celsius = 2")
    )
    plan = parse_spec(spec)
    assert _executor.mode(plan) == mode and plan.chunks == (chunk, 2)
    launch = Launcher(plan, jax.devices()[:1])
    assert launch.cell.chunks == (chunk, 1) and len(launch.cells) == 2
    calls = []
    kernel = launch.kernel
    monkeypatch.setattr(launch, "kernel", lambda *a: calls.append(1) or kernel(*a))
    monkeypatch.setattr(_executor, "Launcher", lambda plan, devices: launch)
    run(plan, tmp_path / "cells.zarr", progress=False)
    assert len(calls) == plan.n_chunks * 2  # 2 cells per chunk (the edge chunk's 2nd: padding)
    got = open_results(tmp_path / "cells.zarr").load()

    # Reference: E = (RT/F) ln(c_out/c_in), CODATA 2018 constants, float64.
    c_out = np.linspace(2, 200, n, dtype=np.float32).astype(np.float64)
    T = np.array([5.0, 15.0, 25.0, 37.0, 40.0]) + 273.15
    E = 8.314462618 * T[None, :] / 96485.33212 * 1e3 * np.log(c_out[:, None] / 10.0)
    np.testing.assert_allclose(got.E_min, E.min(0), rtol=1e-6)
    np.testing.assert_allclose(got.E_max, E.max(0), rtol=1e-6)
    np.testing.assert_allclose(got.E_mean, E.mean(0), atol=2e-3)
    np.testing.assert_allclose(got.E_std, E.std(0), rtol=1e-5)
    np.testing.assert_array_equal(got.E_argmax_c_out, c_out[np.argmax(E, 0)])  # where, mM
    np.testing.assert_array_equal(got.count_E_0, (E > 0).sum(0))
    np.testing.assert_array_equal(got.E_count, n)

    # The kernel that loops over a chunk's cells (as for smaller blocks) gives the same.
    monkeypatch.undo()
    monkeypatch.setattr("ionsweep.sweep._launch.cell_plan", lambda plan: None)
    _kernel._CACHE.clear()
    run(plan, tmp_path / "loop.zarr", progress=False)
    loop = open_results(tmp_path / "loop.zarr").load()
    for v in got.data_vars:
        np.testing.assert_array_equal(got[v], loop[v], err_msg=v)


@pytest.mark.parametrize("size", [2**24 - 1, 2**24 + 1])
def test_a_count_is_exact_on_either_side_of_the_float32_limit(size):
    """A block's count of valid points is summed in float32 below 2²⁴ points (exact: every
    partial sum is an integer under 2²⁴) and in int32 from there (a float32 sum of 2²⁴ + 1
    ones rounds to 2²⁴)."""
    from ionsweep.sweep._partials import FLOAT_COUNT_LIMIT, _count

    assert FLOAT_COUNT_LIMIT == 2**24
    mask = np.ones((2, size), bool)
    mask[1, ::3] = False
    got = np.asarray(_count(jax.numpy.asarray(mask)))
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, [size, size - len(range(0, size, 3))])


def test_a_chunk_of_many_small_cells_holds_no_per_cell_constants():
    """Where a step holds many small cells (here 65,536 cells of 2 points), the program
    computes each step's cell indices itself: gathering every cell's inputs beforehand
    would put a constant per cell into the program (millions in a large chunk), which XLA
    then compiles and copies on every call."""
    plan = parse_spec(
        """
[model]
name = "nernst"
[axes]
c_out = { linspace = [2, 200, 256] }
c_in = { linspace = [5, 50, 256] }
celsius = [20.0, 37.0]
[fixed]
ion = "K+"
[outputs]
variables = ["E"]
[reduce]
over = ["celsius"]
stats = ["min", "max", "mean", "std", "argmin"]
"""
    )
    launch = Launcher(plan, jax.devices()[:1])
    assert launch.kernel.cells_per_step == 256 * 256  # the chunk's cells, one step
    feeds, fixed, where = launch.inputs([(0,) * len(plan.dims)])
    text = launch.kernel.lower(feeds, fixed, launch._where(where)).as_text()
    assert len(text) < 100_000  # 65,536 int32 indices alone would print as 256 kB or more
