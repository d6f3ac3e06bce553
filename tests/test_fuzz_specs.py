"""Property-based fuzzing of sweep and sensitivity specs through the command line.

Each example takes a small valid spec and damages it: a value replaced by a hostile one
(booleans, text, NaN, infinities, huge or fractional numbers, empty or nested containers),
a key removed, an unknown key added. Whatever comes out, ``ionsweep`` either runs it
(exit 0, a complete store) or refuses it with exit status 2 and one line that names the spec
file and the field — never a traceback — and a refused spec leaves no file behind.
"""

import copy
import math
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ionsweep.cli import main
from ionsweep.store import open_results
from ionsweep.sweep._api import spec_to_toml

SWEEP = {
    "model": {"name": "nernst"},
    "axes": {"c_out": {"linspace": [1.0, 20.0, 4]}, "celsius": [20.0, 37.0]},
    "fixed": {"c_in": 140.0, "ion": "K+"},
    "outputs": {"grad": ["c_out"], "variables": ["E"]},
    "run": {"dtype": "float32", "memory": "1MB", "chunks": {"c_out": 2}},
}

SENSITIVITY = {
    "model": {"name": "nernst"},
    "inputs": {"c_out": {"uniform": [2.0, 10.0]}, "celsius": {"normal": [37.0, 1.0]}},
    "fixed": {"c_in": 140.0, "ion": "K+"},
    "outputs": {"variables": ["E"]},
    "sobol": {"n": 8, "seed": 0, "conf_level": 0.95},
    "uncertainty": {"n": 16, "quantiles": [0.05, 0.5], "thresholds": [1.0]},
}

HOSTILE = st.sampled_from(
    [
        True,
        False,
        "x",
        "",
        -1,
        0,
        1.5,
        -300.0,
        10**12,
        2**62,
        1e308,
        -1e308,
        math.nan,
        math.inf,
        [],
        [True, 5.0],
        ["K+", "K+"],
        ["E", "E"],
        [1.0, "a"],
        {},
        {"linspace": [1, 2, 0]},
        {"logspace": [0, 400, 3]},
        {"uniform": [5.0, 1.0]},
        {"choices": []},
        "K+",
        "Xx+",
        "float16",
        "1e400GB",
    ]
)

#: What a one-line refusal names: the section, a field of it, or the TOML syntax.
FIELD = re.compile(
    r"\[(model|axes|fixed|outputs|run|reduce|inputs|sobol|uncertainty)\]|not valid TOML|spec: "
)


def _paths(spec):
    """(table, key) pairs that can be replaced or removed, nested one level."""
    out = []
    for table, value in spec.items():
        if isinstance(value, dict):
            out += [(table, key) for key in value]
            out += [
                ((table, key), sub) for key, v in value.items() if isinstance(v, dict) for sub in v
            ]
    return out


@st.composite
def damaged(draw, base):
    spec = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["replace", "replace", "remove", "add"]))
        paths = _paths(spec)
        if not paths:
            break
        where, key = draw(st.sampled_from(paths))
        table = spec[where] if isinstance(where, str) else spec[where[0]][where[1]]
        if action == "replace":
            table[key] = draw(HOSTILE)
        elif action == "remove":
            table.pop(key)
        else:
            table[draw(st.sampled_from(["bogus", "c_in", "T", "chunks", "over"]))] = draw(HOSTILE)
    return spec


def _check(command, spec_dict, capsys):
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        spec = d / "fuzz.toml"
        spec.write_text(spec_to_toml(spec_dict))
        out = d / "out.zarr"
        capsys.readouterr()
        rc = main([command, str(spec), "--out", str(out), "--quiet"])
        captured = capsys.readouterr()
        err = captured.err.strip().splitlines()
        if rc == 0:
            assert open_results(out).attrs["ionsweep_complete"] is True
            return
        assert rc == 2, (rc, captured.err)
        assert len(err) == 1, captured.err
        assert "fuzz.toml" in err[0] and FIELD.search(err[0]), err[0]
        assert sorted(p.name for p in d.iterdir()) == ["fuzz.toml"], err[0]


FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.filterwarnings("ignore::ionsweep.sweep.PlanWarning")
@FUZZ
@given(spec=damaged(SWEEP))
def test_damaged_sweep_specs_run_or_exit_2_naming_file_and_field(spec, capsys):
    _check("run", spec, capsys)


@pytest.mark.filterwarnings("ignore::ionsweep.sweep.PlanWarning")
@FUZZ
@given(spec=damaged(SENSITIVITY))
def test_damaged_sensitivity_specs_run_or_exit_2_naming_file_and_field(spec, capsys):
    _check("sensitivity", spec, capsys)
