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
from hypothesis import HealthCheck, given, settings, strategies as st

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
            assert open_results(out).attrs["ionsweep_complete"] == 1
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


# --- hostile names, nesting, sizes and bytes, parsed in-process ---------------------------
#
# The parser alone (no run): each example either gives a plan or a SpecError whose message
# is one line naming the file and a field; any other exception (a RecursionError, a
# MemoryError, an overflow, a store that cannot be laid out) fails the test.

#: Names a spec may give an axis, a zip axis or a user model's output: identifiers, names
#: the store already uses, markup, control characters, non-ASCII letters, empty text.
NAMES = st.one_of(
    st.sampled_from(
        ["valid", "E", "dE_dc_out", "c_out", "ion", "ion_code", "T", "celsius", "E_min",
         "count_E_0", "x<svg/onload=alert(1)>", "<img src=x onerror=alert(1)>", "a b", "",
         "1x", "x.y", "x/y", "\u00e9", "x\x1b[31m", "x\ny", "\u0661", "pair", "_"]
    ),
    st.text(min_size=0, max_size=12),
)  # fmt: skip

#: Counts and steps: ordinary, at the limits, and far beyond them (2⁶³, 10³⁰, 1e300).
SIZES = st.sampled_from(
    [1, 2, 3, 10**7, 10**7 + 1, 2**21, 2**31, 2**62, 2**63 - 1, 10**12, 10**18, 1.5, 0, -1,
     1e300, 1e-300, math.inf, math.nan]
)  # fmt: skip


def _parse_or_refuse(text_or_dict, kind="sweep"):
    """A plan, or a SpecError naming a field in one line; anything else fails."""
    from ionsweep.analysis._sensitivity_spec import parse_sensitivity_spec
    from ionsweep.sweep import SpecError, parse_spec

    parse = parse_spec if kind == "sweep" else parse_sensitivity_spec
    try:
        return parse(text_or_dict, source="fuzz.toml")
    except SpecError as exc:
        message = str(exc)
        assert message.startswith("fuzz.toml: ") and FIELD.search(message), message
        assert exc.source == "fuzz.toml" and (exc.field or "not valid TOML" in message), message
        assert "\n" not in message.rstrip() or "not valid TOML" in message, message
        return None


@st.composite
def named(draw):
    """A spec whose zip axis, plain axis or user-model-free outputs carry a drawn name."""
    name = draw(NAMES)
    where = draw(st.sampled_from(["zip", "axis", "grad", "count", "histogram"]))
    spec = copy.deepcopy(SWEEP)
    spec["run"].pop("chunks")
    if where == "zip":
        spec["axes"][name] = {"c_in": [140.0, 150.0], "gamma_in": [0.9, 1.0]}
        spec["fixed"].pop("c_in")
    elif where == "axis":
        spec["axes"][name] = [1.0, 2.0]
    elif where == "grad":
        spec["outputs"]["grad"] = [name]
    elif where == "count":
        spec["reduce"] = {"over": ["c_out"], "count": [f"{name} > 0"]}
    else:
        spec["reduce"] = {"over": ["c_out"], "histogram": {name: {"bins": 4, "range": [0, 1]}}}
    return spec


@st.composite
def nested(draw):
    """TOML with an axis value nested 1 … 5,000 arrays or inline tables deep."""
    depth = draw(st.one_of(st.integers(1, 40), st.integers(40, 5000)))
    opening, closing = draw(st.sampled_from([("[", "]"), ("{ a = ", " }")]))
    value = opening * depth + "1.0" + closing * depth
    return spec_to_toml({k: v for k, v in SWEEP.items() if k != "axes"}) + (
        f"\n[axes]\ncelsius = [20.0]\nc_out = {value}\n"
    )


@st.composite
def sized(draw):
    """A spec whose axis counts, steps, histogram bins or chunks are drawn from SIZES."""
    spec = copy.deepcopy(SWEEP)
    n = draw(SIZES)
    where = draw(st.sampled_from(["linspace", "logspace", "geomspace", "arange", "bins",
                                  "chunks", "grid"]))  # fmt: skip
    if where in ("linspace", "logspace", "geomspace"):
        spec["axes"]["c_out"] = {where: [1.0, 2.0, n]}
    elif where == "arange":
        spec["axes"]["c_out"] = {"arange": [1.0, 20.0, 1.0 / n if n else 0.0]}
    elif where == "bins":
        spec["reduce"] = {"over": ["c_out"], "histogram": {"E": {"bins": n, "range": [-1, 1]}}}
    elif where == "chunks":
        spec["run"]["chunks"] = {"c_out": n}
    else:  # three axes of n points each, kept whole in one chunk, reduced
        if not isinstance(n, int) or n > 2**22:
            n = 2**21  # 2⁶³ points
        spec["axes"] = {k: {"linspace": [1.0, 2.0, n]} for k in ("c_out", "c_in", "gamma_out")}
        spec["fixed"] = {"ion": "K+"}
        spec["run"]["chunks"] = {k: n for k in spec["axes"]}
        spec["reduce"] = {"over": list(spec["axes"])}
    return spec


FAST = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.mark.filterwarnings("ignore::ionsweep.sweep.PlanWarning")
@FAST
@given(spec=named())
def test_hostile_names_give_a_plan_with_identifier_names_or_one_line_naming_the_field(spec):
    plan = _parse_or_refuse(spec)
    if plan is not None:
        from ionsweep.sweep._store_layout import store_layout

        variables, coords = store_layout(plan)
        names = [v[0] for v in variables] + [c[0] for c in coords] + list(plan.dims)
        assert all(n.isascii() and n.isidentifier() for n in names), names
        stored = [v[0] for v in variables] + [c[0] for c in coords]
        assert len(stored) == len(set(stored)), stored


@FAST
@given(text=nested())
def test_deep_nesting_gives_a_plan_or_one_line_naming_the_field(text):
    _parse_or_refuse(text)


@pytest.mark.filterwarnings("ignore::ionsweep.sweep.PlanWarning")
@FAST
@given(spec=sized())
def test_huge_sizes_are_refused_without_allocating(spec):
    from ionsweep.sweep._plan import MAX_AXIS_LENGTH, MAX_CHUNK_POINTS, MAX_POINTS

    plan = _parse_or_refuse(spec)
    if plan is not None:
        assert max(plan.shape) <= MAX_AXIS_LENGTH and plan.n_points <= MAX_POINTS
        assert math.prod(plan.chunks) <= MAX_CHUNK_POINTS
        assert (
            all(bins <= 100_000 for _, bins, _, _ in plan.reduce.histograms)
            if plan.reduce
            else True
        )


@FAST
@given(data=st.binary(max_size=300), prefix=st.sampled_from([b"", b"[model]\nname = 'nernst'\n"]))
def test_binary_spec_files_give_one_line_naming_the_file(data, prefix):
    from ionsweep.analysis._sensitivity_spec import load_sensitivity_spec
    from ionsweep.sweep import SpecError, load_spec

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "fuzz.toml"
        path.write_bytes(prefix + data)
        for load in (load_spec, load_sensitivity_spec):
            with pytest.raises(SpecError) as err:  # no valid spec is made of random bytes
                load(path)
            message = str(err.value)
            assert message.startswith(f"{path}: ") and FIELD.search(message), message
