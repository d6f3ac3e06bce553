"""Errors in tiers at the library's entry: a spec's problems are SpecErrors naming the field
where they are found (and the spec's source), contradicting arguments are ValueErrors, and
only what is on disk is a StoreError."""

import ast
from pathlib import Path

import jax
import pytest

from ionsweep.sensitivity import parse_sensitivity_spec
from ionsweep.store import StoreError
from ionsweep.sweep import SpecError, check_store, load_spec, parse_spec, run

SRC = Path(__file__).resolve().parents[2] / "src" / "ionsweep"

SWEEP = """
[model]
name = "nernst"
[axes]
c_out = [2.5, 5.0]
[fixed]
c_in = 140.0
z = 1
"""

SENSITIVITY = """
[model]
name = "nernst"
[inputs]
c_out = { uniform = [3.0, 6.0] }
[fixed]
c_in = 140.0
z = 1
[uncertainty]
n = 16
"""


@pytest.mark.parametrize(
    ("tail", "field", "message"),
    [
        ("[outputs]\ngrad = ['z']", "[outputs] grad", "'z' is categorical/discrete"),
        ("[outputs]\nelasticity = ['q']", "[outputs] elasticity", "'q' is not an input"),
        ("[run]\nmemory = true", "[run] memory", "a size is a number"),
        ("[run]\nchunks = { c_out = 0 }", "[run] chunks c_out", "must be a positive integer"),
        ("[reduce]\nover = ['T']", "[reduce] over", "'T' is not an axis"),
    ],
)
def test_a_spec_error_names_its_field_and_source(tail, field, message):
    with pytest.raises(SpecError) as err:
        parse_spec(SWEEP + tail, source="mine.toml")
    exc = err.value
    assert (exc.field, exc.source) == (field, "mine.toml")
    assert exc.message.startswith(message), exc.message
    assert str(exc) == f"mine.toml: {field}: {exc.message}"


def test_a_spec_error_deep_in_an_axis_names_the_axis():
    with pytest.raises(SpecError) as err:
        parse_spec(SWEEP.replace("[2.5, 5.0]", "{ linspace = [1, 10, 0.5] }"), source="a.toml")
    assert err.value.field == "[axes] c_out" and err.value.source == "a.toml"
    assert "num must be a positive integer" in err.value.message


def test_a_file_that_cannot_be_read_is_named_as_the_source(tmp_path):
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe[model]")
    with pytest.raises(SpecError) as err:
        load_spec(tmp_path / "bin.toml")
    assert err.value.source == str(tmp_path / "bin.toml") and err.value.field is None
    assert str(err.value).startswith(f"{tmp_path / 'bin.toml'}: not valid TOML: not UTF-8")


def test_each_kind_of_spec_refused_by_the_other_parser_says_what_runs_it():
    with pytest.raises(SpecError) as err:
        parse_spec(SENSITIVITY, source="s.toml")
    assert err.value.field == "[inputs]"
    assert "a sensitivity spec" in err.value.message and "`ionsweep sensitivity`" in str(err.value)
    with pytest.raises(SpecError) as err:
        parse_sensitivity_spec(SWEEP + "[uncertainty]\nn = 16\n", source="w.toml")
    assert err.value.field == "[axes]" and err.value.source == "w.toml"
    assert "a sweep spec" in err.value.message and "`ionsweep run`" in str(err.value)
    assert parse_sensitivity_spec(SENSITIVITY).inputs[0].input == "c_out"  # each its own kind


@pytest.mark.parametrize(
    ("flags", "msg"),
    [
        ({"resume": True, "overwrite": True}, "choose `resume=True` or `overwrite=True`"),
        ({"repair": True}, "`repair=True` recomputes damaged chunks"),
        ({"resume": True, "repair": True, "shard": (0, 2)}, "`repair=True` runs in one process"),
        ({"overwrite": True, "shard": (0, 2)}, "would let one shard delete"),
    ],
)
def test_contradicting_flags_are_value_errors_before_the_disk_is_looked_at(tmp_path, flags, msg):
    plan = parse_spec(SWEEP)
    out = tmp_path / "missing" / "out.zarr"  # no store, not even its directory
    with pytest.raises(ValueError, match=msg) as err:
        check_store(plan, out, **flags)
    assert not isinstance(err.value, StoreError | SpecError)
    with pytest.raises(ValueError, match=msg):
        run(plan, out, **flags)
    assert not out.parent.exists()


def test_what_is_on_disk_is_a_store_error(tmp_path):
    plan = parse_spec(SWEEP)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not an ionsweep store") as err:
        check_store(plan, tmp_path / "other", overwrite=True)
    assert isinstance(err.value, OSError)


@pytest.mark.skipif(
    any(d.platform == "gpu" for d in jax.devices()), reason="this machine has a GPU"
)
def test_a_device_that_is_not_there_is_a_bad_argument(tmp_path):
    plan = parse_spec(SWEEP + '[run]\ndevice = "gpu"\n')
    with pytest.raises(ValueError, match="`device` gpu: no such device available") as err:
        run(plan, tmp_path / "out.zarr")
    assert not isinstance(err.value, StoreError)
    assert not (tmp_path / "out.zarr").exists()


def test_no_function_takes_a_fail_callback():
    """Spec problems are raised where they are found, never reported through a callback."""
    found = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                args = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                if any(a.arg == "fail" for a in args):
                    found.append(f"{path.relative_to(SRC)}:{getattr(node, 'name', 'lambda')}")
    assert found == []
