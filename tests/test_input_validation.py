"""Hostile input to ``ionsweep run`` and ``ionsweep fit``: one line, exit 2, nothing created.

Each case is a spec, a flag or a store that once reached the catch-all (``unexpected
error``, exit 1) or failed after the store was created. Every refusal is checked the same
way: exit status 2, exactly one line on stderr, the offending field named in it, and no
file or directory created or changed. The CLI is called in process (``ionsweep.cli.main``,
the function the console script runs), so most cases cost no JAX compilation.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from ionsweep.cli import main
from ionsweep.store import decode_attrs, open_results

SPEC = """
[model]
name = "nernst"
[axes]
c_out = { linspace = [1, 20, 4] }
celsius = [20.0, 37.0]
[fixed]
c_in = 140.0
ion = "K+"
"""


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(SPEC)
    return tmp_path


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its content (None for directories)."""
    return {
        str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes())
        for p in sorted(root.rglob("*"))
    }


def _refused(capsys, work: Path, args: list[str], *needles: str) -> str:
    """Run ``ionsweep ARGS``: exit 2, one stderr line holding every needle, nothing made."""
    before = _tree(work)
    capsys.readouterr()
    rc = main(args)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert rc == 2, (rc, captured.err)
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("ionsweep "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert "unexpected error" not in lines[0]
    assert _tree(work) == before, "a refused command created or changed files"
    return lines[0]


def _spec(work: Path, text: str, name: str = "bad.toml") -> str:
    (work / name).write_text(text)
    return name


# --- spec files that are not text, or not sane TOML -----------------------------------


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"\xff\xfe[model]", b"[model]\x00name = 'x'"],
    ids=["png", "utf16-bom", "nul"],
)
def test_a_binary_spec_file_is_refused_before_the_store_exists(work, capsys, data):
    (work / "bin.toml").write_bytes(data)
    _refused(capsys, work, ["run", "bin.toml", "--out", "b.zarr"], "bin.toml", "not valid TOML")


def test_a_spec_file_larger_than_a_spec_is_refused_unread(work, capsys):
    (work / "big.toml").write_text("# " + "x" * (1 << 20) + "\n" + SPEC)
    _refused(capsys, work, ["run", "big.toml", "--out", "b.zarr"], "big.toml", "spec:", "bytes")


@pytest.mark.parametrize(
    "opening, closing", [("[", "]"), ("{ a = ", " }")], ids=["arrays", "tables"]
)
def test_deeply_nested_toml_is_refused_before_the_store_exists(work, capsys, opening, closing):
    deep = SPEC.replace(
        "celsius = [20.0, 37.0]", "celsius = " + opening * 5000 + "1" + closing * 5000
    )
    name = _spec(work, deep)
    _refused(capsys, work, ["run", name, "--out", "b.zarr"], name, "nested too deeply")


# --- values of the wrong shape; names the store already uses ---------------------------


@pytest.mark.parametrize(
    "change, field",
    [
        (('ion = "K+"', "ion = [1, 2]"), "[fixed] ion"),
        (("celsius = [20.0, 37.0]", "[axes.ion]\nion = [1, 2]\nc_in = [140.0, 150.0]"),
         "[axes] ion.ion"),
    ],
    ids=["fixed", "zip-member-named-like-its-axis"],
)  # fmt: skip
def test_a_list_of_valences_where_names_or_one_value_belong_is_refused(work, capsys, change, field):
    text = SPEC.replace(*change)
    if "[axes.ion]" in text:
        text = text.replace('c_in = 140.0\nion = "K+"', "")
    name = _spec(work, text)
    _refused(capsys, work, ["run", name, "--out", "b.zarr"], field)


ZIP = """
[model]
name = "nernst"
[axes]
c_out = {{ linspace = [1, 20, 4] }}
[axes.{name}]
c_in = [140.0, 150.0]
celsius = [20.0, 37.0]
[fixed]
ion = "K+"
{tail}
"""


@pytest.mark.parametrize(
    "name, tail",
    [
        ("valid", ""),
        ("E", ""),
        ("dE_dc_out", '[outputs]\ngrad = ["c_out"]'),
        ("E_min", '[reduce]\nover = ["c_out"]'),
        ("count_E_0", '[reduce]\nover = ["c_out"]\ncount = ["E < 0"]'),
        ("E_hist", '[reduce]\nover = ["c_out"]\nhistogram = { E = { bins = 4, range = [-1, 1] } }'),
    ],
)
def test_a_zip_axis_named_like_a_stored_variable_is_refused_before_the_store_exists(
    work, capsys, name, tail
):
    spec = _spec(work, ZIP.format(name=name, tail=tail))
    _refused(capsys, work, ["run", spec, "--out", "b.zarr"], f"[axes] {name}", "names two things")


def test_a_zip_axis_named_like_the_label_codes_of_another_axis_is_refused(work, capsys):
    text = ZIP.format(name="ion_code", tail="").replace('[fixed]\nion = "K+"', "")
    text = text.replace("[axes]\n", '[axes]\nion = ["K+", "Na+"]\n')
    _refused(capsys, work, ["run", _spec(work, text), "--out", "b.zarr"], "[axes] ion_code")


@pytest.mark.parametrize(
    "name",
    ["x<svg/onload=alert(1)>", "<img src=x onerror=alert(1)>", "a b", "1x", "\u00e9t\u00e9",
     "x\u001b[31m"],
)  # fmt: skip
def test_axis_names_that_are_not_identifiers_are_refused(work, capsys, name):
    text = ZIP.format(name=json.dumps(name), tail="")
    line = _refused(capsys, work, ["run", _spec(work, text), "--out", "b.zarr"], "[axes]")
    assert "is not a name" in line and "\x1b" not in line


# --- sizes: bounded memory, point counts in integers -----------------------------------


@pytest.mark.parametrize(
    "axis",
    [
        "{ arange = [0, 1e12, 1e-9] }",
        "{ linspace = [1, 20, 1e19] }",
        "{ logspace = [0, 1, 10000000000000000000] }",
        "{ geomspace = [1, 20, 1e30] }",
        "{ arange = [-1e308, 1e308, 1e-300] }",
    ],
)
def test_an_axis_beyond_the_length_limit_is_refused_before_its_values_exist(work, capsys, axis):
    # Generated axes are never listed: their only bound is what a store indexes (2⁶³ − 1).
    name = _spec(work, SPEC.replace("{ linspace = [1, 20, 4] }", axis))
    t = time.perf_counter()
    _refused(
        capsys, work, ["run", name, "--out", "b.zarr"], "[axes] c_out", "9,223,372,036,854,775,807"
    )
    assert time.perf_counter() - t < 5


def test_a_billion_histogram_bins_are_refused_before_the_store_exists(work, capsys):
    tail = (
        '[reduce]\nover = ["c_out"]\nhistogram = { E = { bins = 1000000000, range = [-1, 1] } }\n'
    )
    name = _spec(work, SPEC + tail)
    _refused(capsys, work, ["run", name, "--out", "b.zarr"], "[reduce] histogram E", "100,000")


def test_accumulated_statistics_beyond_the_memory_budget_are_refused(work, capsys):
    text = SPEC.replace("{ linspace = [1, 20, 4] }", "{ linspace = [1, 20, 10000] }")
    text = text.replace("celsius = [20.0, 37.0]", "gamma_out = { linspace = [0.5, 1, 1000] }")
    tail = (
        "[run]\nchunks = { c_out = 100 }\n[reduce]\nover = ['c_out']\n"
        "histogram = { E = { bins = 100000, range = [-1, 1] } }\n"
    )  # 1,000 kept cells × 100,000 bins of int64 counts: 0.75 GiB over a 1 MB budget
    name = _spec(work, text + tail)
    _refused(
        capsys,
        work,
        ["run", name, "--out", "b.zarr", "--memory", "1MB"],
        "[reduce]",
        "memory budget",
    )


GRID = """
[model]
name = "nernst"
[axes]
c_out = {{ linspace = [1, 20, {n}] }}
c_in = {{ linspace = [100, 150, {n}] }}
gamma_out = {{ linspace = [0.5, 1, {n}] }}
[fixed]
ion = "K+"
[run]
chunks = {{ c_out = {n}, c_in = {n}, gamma_out = {n} }}
[reduce]
over = ["c_out", "c_in", "gamma_out"]
"""


def test_a_grid_of_2_to_the_63_points_is_refused_in_exact_integers(work, capsys):
    name = _spec(work, GRID.format(n=2**21))  # 2⁶³ points: one more than int64 holds
    _refused(
        capsys,
        work,
        ["run", name, "--out", "b.zarr"],
        "[axes]",
        "9.22e+18",
        "9,223,372,036,854,775,807",
    )


def test_a_chunk_larger_than_the_kernel_indexes_is_refused(work, capsys):
    name = _spec(work, GRID.format(n=2048))  # 2³³ points in one requested chunk
    _refused(capsys, work, ["run", name, "--out", "b.zarr"], "[run] chunks", "2,147,483,647")


@pytest.mark.parametrize(
    "reduce, field",
    [
        ('over = ["c_out", "c_out"]', "[reduce] over"),
        ('over = "c_out"', "[reduce] over"),
        ('over = ["c_out"]\nstats = ["min", "min"]', "[reduce] stats"),
        ('over = ["c_out"]\ncount = ["E > e"]', "[reduce] count"),
        ('over = ["c_out"]\ncount = ["E > 0", "E > 0"]', "[reduce] count"),
        ('over = ["c_out"]\nhistogram = { E = { bins = 2.5, range = [-1, 1] } }',
         "[reduce] histogram E"),
        ('over = ["c_out"]\nhistogram = { E = { bins = 4, range = [1, "x"] } }',
         "[reduce] histogram E"),
    ],
)  # fmt: skip
def test_duplicate_or_malformed_reduce_entries_are_refused_before_the_store_exists(
    work, capsys, reduce, field
):
    name = _spec(work, SPEC + "[reduce]\n" + reduce + "\n")
    _refused(capsys, work, ["run", name, "--out", "b.zarr"], field)


@pytest.mark.parametrize(
    "shard", ["0/99999999999999999999", "0/10000001", "0/1e3", "1_0/20", "0/0"]
)
def test_a_shard_count_beyond_any_chunk_count_is_refused(work, capsys, shard):
    _refused(capsys, work, ["run", "s.toml", "--out", "b.zarr", "--shard", shard], "--shard")


# --- where the store goes --------------------------------------------------------------


def test_out_naming_the_working_directory_or_above_it_is_refused(work, capsys):
    (work / "notes").mkdir()
    (work / "notes" / "a.txt").write_text("mine")
    (work / "afile").write_text("mine")
    for out in (".", "..", "/", str(work), "notes", "afile"):
        for flag in ([], ["--overwrite"], ["--resume"]):
            _refused(capsys, work, ["run", "s.toml", "--out", out, *flag], "--out")


@pytest.fixture(scope="module")
def finished_store(tmp_path_factory):
    """One store written from SPEC (copied by the tests that edit it)."""
    d = tmp_path_factory.mktemp("finished")
    (d / "s.toml").write_text(SPEC)
    assert main(["run", str(d / "s.toml"), "--out", str(d / "done.zarr"), "--quiet"]) == 0
    return d / "done.zarr"


def test_out_dot_inside_a_store_is_refused_even_with_overwrite(work, capsys, finished_store):
    shutil.copytree(finished_store, work / "in.zarr")
    os.chdir(work / "in.zarr")
    for flag in ("--overwrite", "--resume"):
        _refused(capsys, work, ["run", "../s.toml", "--out", ".", flag], "--out")
    assert open_results(work / "in.zarr").attrs["ionsweep_complete"] == 1


@pytest.mark.parametrize(
    "key, value, needle",
    [
        ("ionsweep_n_chunks", "x", "'ionsweep_n_chunks' must be an integer"),
        ("ionsweep_n_points", -3, "'ionsweep_n_points' must be an integer"),
        ("ionsweep_identity", [1, 2], "'ionsweep_identity' must be a table"),
        ("ionsweep_identity.chunks", "ab", "'chunks' must be a list of integers"),
        ("ionsweep_identity.chunks", [0, 2], "'chunks' must be a list of integers >= 1"),
        ("ionsweep_complete", "no", "'ionsweep_complete' must be true or false"),
        ("ionsweep_spec_sha256", {"a": 1}, "'ionsweep_spec_sha256' must be text"),
        ("ionsweep_warnings", {"a": 1}, "'ionsweep_warnings' must be a list of texts"),
        ("dtype", [1], "'dtype' must be text"),
    ],
)
def test_wrong_typed_store_attributes_are_refused_on_resume(
    work, capsys, finished_store, key, value, needle
):
    store = work / "r.zarr"
    shutil.copytree(finished_store, store)
    doc = json.loads((store / "zarr.json").read_text())
    # as JSON values (tables, booleans), as a store of an earlier version holds them
    attrs = doc["attributes"] = decode_attrs(doc["attributes"])
    attrs["ionsweep_complete"] = False
    if "." in key:
        outer, inner = key.split(".")
        attrs[outer][inner] = value
    else:
        attrs[key] = value
    (store / "zarr.json").write_text(json.dumps(doc))
    _refused(capsys, work, ["run", "s.toml", "--out", "r.zarr", "--resume"], "--out", needle)
    _refused(capsys, work, ["info", "r.zarr"], "STORE", "corrupt metadata", needle)


# --- a run that fails after creating its store -----------------------------------------


def test_a_run_failing_before_its_first_chunk_leaves_no_store(work, capsys, monkeypatch):
    from ionsweep.sweep import _executor

    def broken(*args, **kwargs):
        raise RuntimeError("no device answers")

    monkeypatch.setattr(_executor, "Launcher", broken)
    assert main(["run", "s.toml", "--out", "f.zarr", "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "RuntimeError: no device answers" in err[0], err
    assert "resum" not in err[0]  # nothing is left to resume
    assert sorted(os.listdir(work)) == ["s.toml"]


# --- user models -----------------------------------------------------------------------

EXITS = {
    "exit-on-call": ("import sys\ndef f(x):\n    sys.exit(0)\n", "SystemExit"),
    "exit-on-import": ("import sys\nsys.exit(0)\ndef f(x):\n    return x\n", "SystemExit"),
    "exit-with-text": ("def f(x):\n    raise SystemExit('bye')\n", "SystemExit"),
    "interrupt-on-call": ("def f(x):\n    raise KeyboardInterrupt\n", "KeyboardInterrupt"),
    "interrupt-on-import": ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
    "fails-on-arrays": (
        "import jax.numpy as jnp\ndef f(x):\n    if jnp.ndim(x):\n"
        "        raise ValueError('scalars only')\n    return x\n",
        "ValueError: scalars only",
    ),
}


@pytest.mark.parametrize("case", sorted(EXITS))
def test_a_user_model_exiting_or_interrupting_while_checked_exits_2_naming_it(work, capsys, case):
    code, needle = EXITS[case]
    module = "exiting_" + case.replace("-", "_")
    (work / f"{module}.py").write_text(code)
    name = _spec(work, f"[model]\nname = '{module}:f'\n[axes]\nx = [1.0, 2.0]\n", "u.toml")
    _refused(capsys, work, ["run", name, "--out", "u.zarr"], "u.toml", f"'{module}:f'", needle)


@pytest.mark.parametrize(
    "options, field, needle",
    [
        ("output_units = { bogus = 'mV' }", "[model]", "output_units entry 'bogus'"),
        ("units = { nope = 'mM' }", "[model]", "units entry 'nope'"),
        ("outputs = ['y', 'a b']\n", "[model] outputs", "'a b' is not a name"),
        ("outputs = ['y', 'valid']\n", "[model] outputs", "the validity flag"),
        ("output_unit = { y = 'mV' }", "[model]", "unknown option 'output_unit'"),
    ],
)
def test_user_model_options_must_name_declared_inputs_and_outputs(
    work, capsys, options, field, needle
):
    (work / "declared.py").write_text("def f(x):\n    return {'y': x, 'a b': x, 'valid': x}\n")
    text = f"[model]\nname = 'declared:f'\n{options}\n[axes]\nx = [1.0, 2.0]\n"
    if "outputs" not in options:
        text = text.replace("{options}", "").replace("[axes]", "outputs = ['y']\n[axes]")
    name = _spec(work, text, "u.toml")
    _refused(capsys, work, ["run", name, "--out", "u.zarr"], field, needle)


FLAKY = """
import os
import jax
import jax.numpy as jnp


def _host(x):
    if os.path.exists(os.path.join(os.path.dirname(__file__), "FAIL")) and x.max() > 3:
        raise ZeroDivisionError("boom at x > 3")
    return x


def f(x):
    return 2 * jax.pure_callback(_host, jax.ShapeDtypeStruct(jnp.shape(x), x.dtype), x)
"""


def test_a_user_model_failing_mid_run_reports_its_own_error_and_the_store_resumes(work, capfd):
    (work / "flaky.py").write_text(FLAKY)
    (work / "FAIL").write_text("")
    name = _spec(
        work,
        "[model]\nname = 'flaky:f'\n[axes]\nx = { linspace = [1, 6, 6] }\n[run]\n"
        "chunks = { x = 1 }\n",
        "u.toml",
    )
    capfd.readouterr()
    assert main(["run", name, "--out", "u.zarr", "--quiet"]) == 1
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1, err  # no callback traceback from JAX or XLA
    assert "model 'flaky:f' failed while running: ZeroDivisionError: boom at x > 3" in err[0]
    assert "--resume" in err[0]
    assert 1 <= len(os.listdir(work / "u.zarr" / ".ionsweep" / "done")) < 6
    (work / "FAIL").unlink()
    assert main(["run", name, "--out", "u.zarr", "--resume", "--quiet"]) == 0
    ds = open_results(work / "u.zarr")
    assert ds.attrs["ionsweep_complete"] == 1
    np.testing.assert_array_equal(ds["value"].values, 2 * np.linspace(1, 6, 6))


def test_a_user_model_failing_when_the_run_traces_it_reports_its_own_error(work, capsys):
    """Passes the trial calls (scalars, 1-d arrays) but not the grid's 2-d inputs: the run
    fails while tracing, before any chunk, so the store it created is removed."""
    (work / "flat.py").write_text(
        "import jax.numpy as jnp\ndef f(x, y):\n    if jnp.ndim(x) > 1:\n"
        "        raise NotImplementedError('1-d inputs only')\n    return x + y\n"
    )
    name = _spec(work, "[model]\nname = 'flat:f'\n[axes]\nx = [1.0, 2.0]\ny = [1.0, 2.0, 3.0]\n")
    assert main(["run", name, "--out", "u.zarr", "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "ionsweep run: error: model 'flat:f' failed: NotImplementedError: 1-d inputs only"
    ]
    assert not (work / "u.zarr").exists()


def test_the_console_script_exits_2_when_a_user_model_calls_sys_exit(tmp_path):
    """The real process (not only ``main``'s return value): a model's ``sys.exit(0)`` once
    ended ``ionsweep run`` with status 0 and no store."""
    import subprocess
    import sys

    (tmp_path / "quitter.py").write_text("import sys\ndef f(x):\n    sys.exit(0)\n")
    (tmp_path / "u.toml").write_text("[model]\nname = 'quitter:f'\n[axes]\nx = [1.0, 2.0]\n")
    exe = str(Path(sys.executable).with_name("ionsweep"))
    r = subprocess.run([exe, "run", "u.toml"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 2, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "'quitter:f'" in lines[0] and "SystemExit" in lines[0], r.stderr
    assert sorted(os.listdir(tmp_path)) == ["__pycache__", "quitter.py", "u.toml"] or sorted(
        os.listdir(tmp_path)
    ) == ["quitter.py", "u.toml"]


def test_run_help_says_a_spec_naming_a_module_runs_its_code(capsys):
    assert main(["run", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "runs that module's Python code" in text and "only specs you trust" in text


# --- fit -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flags, field, needle",
    [
        (["--seed", "-1"], "--seed", "0 to 2**63 - 1"),
        (["--seed", str(2**63)], "--seed", "0 to 2**63 - 1"),
        (["--bootstrap", "1"], "--bootstrap", "2 to 100,000"),
        (["--bootstrap", "1000000000000"], "--bootstrap", "2 to 100,000"),
        (["--plot", "fig.exe"], "--plot", ".png, .pdf, .svg"),
        (["--plot", "fig"], "--plot", "no extension"),
        (["--plot", "adir"], "--plot", "is a directory"),
        (["--out", "adir"], "--out", "is a directory"),
    ],
)
def test_fit_refuses_seeds_bootstrap_counts_and_plot_formats_it_cannot_use(
    work, capsys, flags, field, needle
):
    from ionsweep.data import example_fit_path

    (work / "adir").mkdir()
    args = ["fit", str(example_fit_path()), "--ions", "K+,Na+,Cl-", *flags]
    _refused(capsys, work, args, field, needle)


def test_fit_with_few_bootstrap_resamples_warns_and_gives_finite_errors(capsys):
    from ionsweep.data import example_fit_path

    args = ["fit", str(example_fit_path()), "--ions", "K+,Na+,Cl-", "--bootstrap", "2", "--json"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "warning: bootstrap errors from 2 resamples are rough" in captured.err
    boot = json.loads(captured.out)["bootstrap"]
    assert all(np.isfinite(v) for v in boot["stderr"].values() if v is not None), boot
