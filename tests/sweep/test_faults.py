"""Kill a run at every point where it changes its store, then resume: the result must equal
an uninterrupted run (store mode, both reduce modes, shards).

The kills are injected (``ionsweep._faults``), not timed: each checkpoint a clean run passes
is enumerated, and the run is stopped there in turn. In-process the "kill" is an exception
that no ionsweep code catches, raised again at every later checkpoint in any thread, so
nothing after it reaches the disk; two tests at the end send a real SIGKILL at a named point.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zarr

from ionsweep import _faults
from ionsweep.store import open_results
from ionsweep.sweep import parse_spec, run

NERNST = """
[model]
name = "nernst"
[axes]
c_out = {{ linspace = [2, 20, 7] }}
celsius = [20.0, 30.0, 37.0]
[fixed]
c_in = 140.0
ion = "K+"
[outputs]
grad = ["c_out"]
[run]
chunks = {{ {chunks} }}
{extra}
"""

REDUCE = """
[reduce]
over = ["c_out"]
stats = ["min", "mean", "argmax"]
count = ["E < -60"]
histogram = { E = { bins = 4, range = [-100.0, 0.0] } }
"""


def _plan(chunks, extra=""):
    return parse_spec(NERNST.format(chunks=chunks, extra=extra), source="kill.toml")


def _arrays(path) -> dict:
    """Every array of a store with its attributes, read with zarr alone (fast)."""
    group = zarr.open_group(str(path), mode="r")
    return {name: (arr[...], dict(arr.attrs)) for name, arr in group.arrays()}


def _assert_same(ref, got):
    assert zarr.open_group(str(got), mode="r").attrs["ionsweep_complete"] == 1
    a, b = _arrays(ref), _arrays(got)
    assert sorted(a) == sorted(b)
    for name, (values, attrs) in a.items():
        np.testing.assert_array_equal(values, b[name][0], err_msg=name)
        assert attrs == b[name][1], name


def _checkpoints(plan, out, **kw) -> list[str]:
    record: list[str] = []
    _faults.arm(None, record)
    try:
        run(plan, out, **kw)
    finally:
        _faults.disarm()
    return record


def _kill_at(k, plan, out, **kw) -> str:
    """Run ``plan`` into ``out`` and "kill" it at its ``k``-th checkpoint (1-based)."""
    record: list[str] = []
    _faults.arm(k, record)
    try:
        with pytest.raises(_faults.InjectedFault):
            run(plan, out, **kw)
    finally:
        _faults.disarm()
    return record[k - 1]


def _one_of_each_kind(points) -> list[int]:
    """1-based positions of the first checkpoint of each kind, plus the last manifest entry
    and the last final write: every distinct step of the store's life, once.

    A kind is the label without its chunk index and array name ("chunk 0_1 E" and
    "chunk 1_1 dE_dc_out" are one kind: a chunk's variable written).
    """
    kinds, chosen = set(), []
    for k, label in enumerate(points, 1):
        words = label.split()
        kind = (words[0], *(w for w in words[1:] if w in {"created", "written", "saved"}))
        if words[0] in {"create", "final"}:
            kind = (*kind, words[1])
        if kind not in kinds:
            kinds.add(kind)
            chosen.append(k)
    for prefix in ("chunk-done", "final variable"):
        last = [k for k, label in enumerate(points, 1) if label.startswith(prefix)]
        chosen += last[-1:]
    return sorted(set(chosen))


def _finish(plan, out, **kw):
    """What a user does next: resume the store if it exists, else start again."""
    resume = out.exists()
    result = run(plan, out, resume=resume, **kw)
    leftovers = list(out.parent.glob(f"{out.name}.init-*"))
    assert not leftovers, "a temporary directory of a killed creation was left behind"
    return result


@pytest.mark.parametrize(
    "chunks, extra, mode",
    [
        ("c_out = 3", "", "store"),
        ("celsius = 1", REDUCE, "reduce-direct"),
        ("c_out = 3", REDUCE, "reduce-accumulate"),
    ],
)
def test_kill_at_every_checkpoint_then_resume_equals_a_clean_run(tmp_path, chunks, extra, mode):
    plan = _plan(chunks, extra)
    from ionsweep.sweep._executor import mode as run_mode

    assert run_mode(plan) == mode
    ref = tmp_path / "ref.zarr"
    points = _checkpoints(plan, ref)
    # Creation, every chunk's variables and manifest entry, final writes and completion.
    assert any(p.startswith("create") for p in points) and points[-1] == "complete"
    if mode == "reduce-accumulate":
        assert any(p.startswith("final coord E_bin") for p in points)
    chosen = _one_of_each_kind(points)
    assert len(chosen) >= 8
    for k in chosen:
        out = tmp_path / f"k{k}.zarr"
        assert _kill_at(k, plan, out) == points[k - 1]
        _finish(plan, out)
        _assert_same(ref, out)
        shutil.rmtree(out)


def test_accumulated_run_resumed_from_a_mid_run_flush_equals_a_clean_run(tmp_path, monkeypatch):
    # The device state is read every 2 chunks here and saved at every read; a run killed
    # after its second save resumes from there, and groups and flushes its remaining chunks
    # as the clean run did, so even the floating-point sums agree bit for bit.
    from ionsweep.sweep import _accumulate, _executor

    monkeypatch.setattr(_accumulate, "flush_every", lambda plan: 2)
    monkeypatch.setattr(_accumulate, "_CHECKPOINT_S", 0.0)
    plan = _plan("c_out = 1", REDUCE.replace('"min", "mean"', '"min", "mean", "std"'))
    assert _executor.mode(plan) == "reduce-accumulate" and plan.n_chunks == 7
    ref = tmp_path / "ref.zarr"
    points = _checkpoints(plan, ref)
    saves = [k for k, label in enumerate(points, 1) if label == "reduce state saved"]
    assert len(saves) == 4  # after chunks 2, 4 and 6, and at the end
    out = tmp_path / "k.zarr"
    _kill_at(saves[1], plan, out)  # just after the save that follows chunk 4
    assert _finish(plan, out)["computed_chunks"] == 3
    _assert_same(ref, out)


def test_kills_in_one_shard_then_join_equals_a_single_run(tmp_path):
    plan = _plan("c_out = 2")
    ref = tmp_path / "ref.zarr"
    run(plan, ref)
    out = tmp_path / "s.zarr"
    run(plan, tmp_path / "probe.zarr", shard=(0, 2))
    points = _checkpoints(plan, tmp_path / "probe.zarr", shard=(1, 2))
    assert points[-1] == "complete"
    for k in _one_of_each_kind(points):
        run(plan, out, shard=(0, 2))
        _kill_at(k, plan, out, shard=(1, 2))
        run(plan, out, shard=(1, 2))
        _assert_same(ref, out)
        shutil.rmtree(out)


def _cmd():
    return [str(Path(sys.executable).with_name("ionsweep"))]


@pytest.mark.parametrize(
    "point, extra",
    [("create coord", ""), ("final variable E_hist created", REDUCE)],
)
def test_real_sigkill_at_a_named_point_resumes(tmp_path, point, extra):
    chunks = "c_out = 3"
    spec = tmp_path / "s.toml"
    spec.write_text(NERNST.format(chunks=chunks, extra=extra))
    out = tmp_path / "s.zarr"
    env = dict(os.environ, IONSWEEP_FAULT_AT=point)
    r = subprocess.run([*_cmd(), "run", str(spec), "--out", str(out), "--quiet"], env=env)
    assert r.returncode == -9  # SIGKILL
    plan = parse_spec(spec.read_text(), source=str(spec))
    ref = tmp_path / "ref.zarr"
    run(plan, ref)
    if point.startswith("create"):
        assert not out.exists() and list(tmp_path.glob("s.zarr.init-*"))
    else:
        assert out.exists() and open_results(out).attrs["ionsweep_complete"] == 0
    _finish(plan, out)
    _assert_same(ref, out)


# --- Lost and corrupt chunks: info, --verify, --resume --repair --------------------------
#
# Chunks of ``c_out = 3`` over 7 values: (0, 0) holds c_out[0:3], (1, 0) c_out[3:6] and
# (2, 0) c_out[6:7], each with all three temperatures; so do the chunk files ``c/i/0``.


def _spec_file(tmp_path, chunks="c_out = 3", extra="") -> Path:
    spec = tmp_path / "s.toml"
    spec.write_text(NERNST.format(chunks=chunks, extra=extra))
    return spec


def _flip_byte(path: Path, at: int = 2) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x40
    path.write_bytes(bytes(data))


def _verify_lines(capsys, store) -> tuple[int, list[str]]:
    from ionsweep.cli import main

    capsys.readouterr()
    status = main(["info", "--verify", str(store)])
    return status, capsys.readouterr().out.splitlines()


def _done_labels(record) -> set[str]:
    return {label.split()[1] for label in record if label.startswith("chunk-done")}


def test_every_array_carries_checksums_and_every_chunk_is_written(tmp_path):
    # A chunk holding only fill values (all NaN, or valid = 0 everywhere) is written too:
    # zarr's default would skip it and a lost chunk could not be told from an empty one.
    from ionsweep.store import _zarr as zstore

    out = tmp_path / "s.zarr"
    zstore.create(out, [("x", ["i"], (4,), (2,), "float32", {})], [], {}, grid=(["i"], [4], [2]))
    group = zstore.open_group_rw(out)
    zstore.writable(group["x"])[...] = np.full(4, np.nan, np.float32)
    assert sorted(p.name for p in (out / "x" / "c").iterdir()) == ["0", "1"]
    plan = _plan("c_out = 3")
    run(plan, tmp_path / "r.zarr")
    for meta in (tmp_path / "r.zarr").glob("*/zarr.json"):
        doc = json.loads(meta.read_text())
        if doc["node_type"] == "array":
            assert doc["codecs"][-1] == {"name": "crc32c"}, meta


def test_info_calls_a_store_with_a_missing_chunk_file_incomplete(tmp_path, capsys):
    from ionsweep.cli import main

    out = tmp_path / "s.zarr"
    run(_plan("c_out = 3"), out)
    assert main(["info", str(out)]) == 0
    assert ", complete" in capsys.readouterr().out
    (out / "E" / "c" / "1" / "0").unlink()
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "INCOMPLETE" in text and ", complete" not in text
    assert "missing E chunk 1,0 (c_out[3:6], celsius[0:3])" in text


def test_info_prints_store_text_literally_never_as_terminal_escapes(tmp_path, capsys):
    """A store is data from anyone: a title or units holding a newline or an ANSI escape
    (here one that would clear the screen) print as one line each, escapes spelled out."""
    from ionsweep.cli import main

    out = tmp_path / "s.zarr"
    run(_plan("c_out = 3"), out)
    meta = out / "zarr.json"
    doc = json.loads(meta.read_text())
    doc["attributes"]["title"] = "fine\nchunks: 9/9 finished (100.0 %), complete\x1b[2J"
    doc["consolidated_metadata"]["metadata"]["E"]["attributes"]["units"] = "mV\x1b]0;pwned\x07"
    meta.write_text(json.dumps(doc))
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "\x1b" not in text and "\x07" not in text
    assert "title: fine chunks: 9/9 finished (100.0 %), complete\\x1b[2J\n" in text
    assert "[mV\\x1b]0;pwned\\x07]" in text


def test_verify_finds_lost_and_corrupt_chunks_and_repair_recomputes_exactly_them(tmp_path, capsys):
    from ionsweep.cli import main

    spec = _spec_file(tmp_path)
    ref, out = tmp_path / "ref.zarr", tmp_path / "s.zarr"
    plan = parse_spec(spec.read_text(), source=str(spec))
    run(plan, ref)
    run(plan, out)
    assert _verify_lines(capsys, out) == (
        0,
        [f"verify {out}: every chunk of every array read back intact"],
    )
    (out / "E" / "c" / "1" / "0").unlink()  # lost
    _flip_byte(out / "valid" / "c" / "2" / "0")  # a bit flipped on disk
    (out / "dE_dc_out" / "c" / "2" / "0").write_bytes(b"")  # truncated
    _flip_byte(out / "celsius" / "c" / "0")  # a coordinate
    status, lines = _verify_lines(capsys, out)
    assert status == 1
    found = sorted(line.strip().split(":")[0] for line in lines[1:-1])
    assert found == [
        "corrupt celsius chunk 0 (celsius[0",
        "corrupt dE_dc_out chunk 2,0 (c_out[6",
        "corrupt valid chunk 2,0 (c_out[6",
        "missing E chunk 1,0 (c_out[3",
    ]
    assert "corrupt valid chunk 2,0 (c_out[6:7], celsius[0:3]): Stored and computed checksum" in (
        "\n".join(lines)
    )
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert main(["run", str(spec), "--out", str(out), "--resume", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing E chunk 1,0" in err[0] and "--repair" in err[0]
    assert main(["run", str(spec), "--out", str(out), "--repair", "--quiet"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    record: list[str] = []
    _faults.arm(None, record)
    try:
        result = run(plan, out, resume=True, repair=True)
    finally:
        _faults.disarm()
    assert _done_labels(record) == {"1_0", "2_0"} and result["computed_chunks"] == 2
    assert len(result["repaired"]) == 4
    _assert_same(ref, out)
    assert _verify_lines(capsys, out)[0] == 0


def test_verify_calls_an_ionsweep_store_with_corrupt_root_metadata_damaged(tmp_path, capsys):
    from ionsweep.cli import main

    out = tmp_path / "s.zarr"
    run(_plan("c_out = 3"), out)
    (out / "zarr.json").write_text('{"zarr_format": 3, "attrib')
    status, lines = _verify_lines(capsys, out)
    assert status == 1 and len(lines) == 1 and "zarr.json: corrupt metadata" in lines[0]
    assert main(["info", "--verify", str(tmp_path)]) == 2  # no store at all: bad input


@pytest.mark.parametrize(
    "chunks, damage, recomputed",
    [
        # direct: E_mean has one chunk per temperature (c/0, c/1, c/2), as do the manifest's
        # keys (0_0, 0_1, 0_2); E_hist's chunks are (celsius, bin) = (c/k/0).
        ("celsius = 1", {"E_mean/c/1": "lose", "E_hist/c/2/0": "flip"}, {"0_1", "0_2"}),
        # accumulated: the statistics are written whole at the end, from the saved state.
        ("c_out = 3", {"E_mean/c/0": "lose", "E_hist/c/0/0": "flip", "E_bin/c/0": "flip"}, set()),
    ],
)
def test_repair_of_a_reduce_store_equals_a_clean_run(tmp_path, capsys, chunks, damage, recomputed):
    plan = _plan(chunks, REDUCE)
    ref, out = tmp_path / "ref.zarr", tmp_path / "s.zarr"
    run(plan, ref)
    run(plan, out)
    for key, how in damage.items():
        (out / key).unlink() if how == "lose" else _flip_byte(out / key, at=5)
    status, lines = _verify_lines(capsys, out)
    assert status == 1
    named = {line.split()[1] + "/c/" + line.split()[3].replace(",", "/") for line in lines[1:-1]}
    assert named == set(damage)
    record: list[str] = []
    _faults.arm(None, record)
    try:
        result = run(plan, out, resume=True, repair=True)
    finally:
        _faults.disarm()
    assert _done_labels(record) == recomputed and len(result["repaired"]) == len(damage)
    _assert_same(ref, out)
    assert _verify_lines(capsys, out)[0] == 0


def test_repair_of_an_accumulated_reduction_without_its_saved_state_is_refused(tmp_path):
    from ionsweep.store import StoreError

    plan = _plan("c_out = 3", REDUCE)
    out = tmp_path / "s.zarr"
    run(plan, out)
    (out / "E_mean" / "c" / "0").unlink()
    (out / ".ionsweep" / "partials" / "shard-0-of-1.npz").unlink()
    with pytest.raises(StoreError, match=r"partials.*whole grid.*overwrite=True"):
        run(plan, out, resume=True, repair=True)
    assert not (out / "E_mean" / "c" / "0").exists()  # nothing made up


# --- --overwrite deletes only what ionsweep wrote ------------------------------------------


def _user_subgroup(store: Path) -> str:
    """The issue's example: an xarray Dataset written as a group inside the store."""
    import warnings

    import xarray as xr

    with warnings.catch_warnings():  # zarr's notes on the manifest folders: not ours to test
        warnings.simplefilter("ignore")
        xr.Dataset({"a": ("x", np.arange(3.0))}).to_zarr(str(store), group="analysis", mode="w")
    return "analysis"


def _put(rel: str, shown: str | None = None):
    """Add a file at ``rel``; the path a refusal names (the first foreign one)."""

    def add(store: Path) -> str:
        (store / rel).parent.mkdir(parents=True, exist_ok=True)
        (store / rel).write_bytes(b"keep me")
        return shown or rel

    return add


def _link(store: Path) -> str:
    os.symlink(store / "E" / "zarr.json", store / "E" / "c" / "0" / "9")
    return "E/c/0/9"


_FOREIGN = {
    "subgroup": _user_subgroup,
    "file in a variable's folder": _put("E/notes.txt"),
    "hidden file at the root": _put(".DS_Store"),
    "file in the manifest": _put(".ionsweep/notes.txt"),
    "file among the done markers": _put(".ionsweep/done/notes"),
    "shard log no shard writes": _put(".ionsweep/shards/2-of-2.json"),
    "file among the saved reduction states": _put(".ionsweep/partials/shard-0-of-1.npz.bak"),
    "chunk key outside the grid": _put("E/c/3/0", "E/c/3"),  # 3 chunks along c_out
    "chunk key outside the grid, last axis": _put("E/c/0/1"),  # 1 chunk along celsius
    "manifest key outside the grid": _put(".ionsweep/done/0_1"),
    "chunk index spelled 00": _put("valid/c/1/00"),
    "copy beside a chunk": _put("celsius/c/0.bak"),
    "symbolic link as a chunk": _link,
}


@pytest.mark.parametrize("add", list(_FOREIGN.values()), ids=list(_FOREIGN))
def test_overwrite_refuses_a_store_holding_anything_ionsweep_did_not_write(tmp_path, capsys, add):
    from ionsweep.cli import main

    spec = _spec_file(tmp_path)
    out = tmp_path / "s.zarr"
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 0
    rel = add(out)
    before = {p: (p.is_symlink(), p.is_file() and p.read_bytes()) for p in out.rglob("*")}
    capsys.readouterr()
    assert main(["run", str(spec), "--out", str(out), "--overwrite", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{out / rel} was not written by ionsweep" in err[0], err
    after = {p: (p.is_symlink(), p.is_file() and p.read_bytes()) for p in out.rglob("*")}
    assert after == before
    assert not list(tmp_path.glob(".s.zarr.deleting-*"))


def test_overwrite_deletes_a_store_holding_only_what_ionsweep_writes(tmp_path, capsys):
    # Files a killed run leaves behind are ionsweep's own: zarr's partial writes, a root
    # metadata rewrite, a shard log, the saved state of a reduction being written.
    from ionsweep.cli import main

    spec = _spec_file(tmp_path)
    out = tmp_path / "s.zarr"
    assert main(["run", str(spec), "--out", str(out), "--quiet"]) == 0
    for rel in (
        "E/c/1/0.0123456789abcdef0123456789abcdef.partial",
        "E/zarr.0123456789abcdef0123456789abcdef.partial",
        "zarr.json.0123abcd.tmp",
        ".ionsweep/shards/1-of-2.json",
        ".ionsweep/partials/shard-1-of-2.0123abcd.tmp.npz",
        ".ionsweep/partials/dask-0123abcd-7.npz",
        ".ionsweep/finish.lock",
    ):
        (out / rel).parent.mkdir(exist_ok=True)
        (out / rel).write_bytes(b"")
    assert main(["run", str(spec), "--out", str(out), "--overwrite", "--quiet"]) == 0
    assert not (out / "zarr.json.0123abcd.tmp").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml", "s.zarr"]


def test_a_killed_creation_holding_user_files_is_not_cleaned(tmp_path):
    from ionsweep.store import _zarr as zstore

    prefix = zstore._temporary_name(tmp_path / "s.zarr").name.rsplit("-", 2)[0]
    stale = tmp_path / f"{prefix}-999999999-0123abcd"  # its process is gone
    stale.mkdir()
    (stale / "thesis.tex").write_text("mine")
    removed, kept = zstore.clean_stale(tmp_path / "s.zarr")
    assert removed == [] and kept == [stale] and (stale / "thesis.tex").exists()
