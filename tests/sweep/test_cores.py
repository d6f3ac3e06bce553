"""Every core of a CPU: the number of CPU devices a sweep process asks JAX for
(``ionsweep._cpu``), its cap ``IONSWEEP_CPU_DEVICES``, and statistics that do not depend on
it. This suite runs on one device (``tests/conftest.py``); the tests of several devices start
processes of their own, since JAX fixes its devices once per process."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ionsweep import _cpu

SPEC = """
[model]
name = "ghk_voltage"
ions = ["K+", "Na+", "Cl-"]
[axes]
P_Na = { logspace = [-2, 0, 9] }
K_out = { linspace = [2, 20, 30] }
celsius = { linspace = [20, 40, 7] }
[fixed]
P_K = 1
P_Cl = 0.4
K_in = 140
Na_in = 12
Na_out = 145
Cl_in = 7
Cl_out = 120
[outputs]
variables = ["V_rev"]
[reduce]
over = ["K_out", "celsius"]
stats = ["min", "max", "mean", "std", "argmin"]
count = ["V_rev > -50"]
histogram = { V_rev = { bins = 9, range = [-90, 0] } }
"""

#: Chunks that hold the reduced axes whole (direct mode), and chunks that split them
#: (statistics accumulated over chunks on the devices), 9 chunks in both: enough for two
#: devices (``_executor.CHUNKS_PER_CPU_DEVICE``), and an odd number, so the last group of
#: two devices is padded.
RUN_TABLES = ("[run]\nchunks = { P_Na = 1 }", "[run]\nchunks = { K_out = 10, P_Na = 3 }")

#: SPEC over 1,050 chunks of 7 points (calls of several chunks per device), every point kept.
MANY_CHUNKS = (
    SPEC.replace("[2, 20, 30]", "[2, 20, 210]").split("[reduce]")[0]
    + "[run]\nchunks = { K_out = 1, P_Na = 1 }\n"
)

#: SPEC run (in both modes) on every device of the process and on its first device alone,
#: and MANY_CHUNKS (argv[3]) likewise; prints what it found as JSON.
SAME_STATISTICS = textwrap.dedent(
    """
    import json, sys, warnings
    warnings.simplefilter("error")
    import jax, numpy as np
    from ionsweep import _cpu
    from ionsweep.sweep import parse_spec
    from ionsweep.sweep._executor import devices_for, launcher
    from ionsweep.sweep._in_memory import evaluate, reduce_in_memory
    from ionsweep.sweep._plan import mode
    from ionsweep.sweep import _per_device
    found = {"stats": {}, "launched": [], "first_calls": []}
    first_call = _per_device.PerDevice._compile
    def counted(self, launch):
        found["first_calls"][-1] += 1
        first_call(self, launch)
    for table in json.loads(sys.argv[2]):
        plan = parse_spec(sys.argv[1] + table)
        devices = devices_for(plan)
        _per_device.PerDevice._compile = counted
        found["first_calls"].append(0)
        found["launched"].append(len(launcher(plan, devices).devices))
        launcher(parse_spec(sys.argv[1] + table), devices)  # compiled already: no first call
        _per_device.PerDevice._compile = first_call
        for label, use in (("all", devices), ("one", devices[:1])):
            results = reduce_in_memory(plan, use).results()
            stats = {k: np.asarray(v).tolist() for k, (v, *_) in results.items()}
            found["stats"][f"{mode(plan)} {label}"] = stats
    found["few"] = len(launcher(parse_spec(sys.argv[1]), devices).devices)
    plan = parse_spec(sys.argv[3])
    values = [evaluate(plan, use)[0] for use in (devices, devices[:1])]
    found["same_values"] = all(
        np.array_equal(values[0][k], values[1][k], equal_nan=True) for k in values[0]
    )
    found["devices"] = [d.platform for d in devices]
    found["default"] = str(jax.numpy.zeros(1).devices())
    found["note"] = _cpu.describe()
    print(json.dumps(found))
    """
)

#: The devices a sweep of SPEC would use, without running it (argv[2]: "started" to start
#: JAX first, as a user's own computation would).
DEVICES = textwrap.dedent(
    """
    import json, sys, warnings
    warnings.simplefilter("error")
    import jax
    if sys.argv[2] == "started":
        jax.numpy.zeros(1).block_until_ready()
    from ionsweep import _cpu
    from ionsweep.sweep import parse_spec
    from ionsweep.sweep._executor import devices_for
    devices = devices_for(parse_spec(sys.argv[1]))
    print(json.dumps({"devices": len(devices), "note": _cpu.describe()}))
    """
)


def environment(setting):
    """This process's environment with ``IONSWEEP_CPU_DEVICES=setting`` (None: unset)."""
    env = {k: v for k, v in os.environ.items() if k != _cpu.ENV_VAR}
    if setting is not None:
        env[_cpu.ENV_VAR] = setting
    return env


def python(script, setting, *args):
    """The JSON that ``script`` prints, run in a fresh process with ``setting``."""
    proc = subprocess.run(
        [sys.executable, "-c", script, SPEC, *args],
        env=environment(setting),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def assert_same_statistics(a: dict, b: dict):
    """Min, max, positions, counts and histogram exactly; mean and std to within 4 units
    in the last place (float32) of the spread (the README's rule for another device count)."""
    assert a.keys() == b.keys()
    spread = np.asarray(a["V_rev_max"]) - np.asarray(a["V_rev_min"])
    for name in a:
        x, y = np.asarray(a[name]), np.asarray(b[name])
        if name in ("V_rev_mean", "V_rev_std"):
            assert np.all(np.abs(x - y) <= 4 * np.finfo(np.float32).eps * spread), name
        else:
            np.testing.assert_array_equal(x, y, err_msg=name)


def test_two_devices_give_the_values_and_statistics_of_one():
    found = python(SAME_STATISTICS, "2", json.dumps(RUN_TABLES), MANY_CHUNKS)
    assert found["same_values"]
    assert found["devices"] == ["cpu", "cpu"]
    assert found["launched"] == [2, 2]  # both plans are run on both devices
    # One compiling first call per device, and none when a later run finds them compiled.
    assert found["first_calls"] == [2, 2]
    assert found["few"] == 1  # a plan of fewer chunks than two devices take runs on one
    assert found["default"] == "{CpuDevice(id=0)}"  # the user's own JAX code stays on cpu:0
    assert found["note"] == "2 CPU devices, IONSWEEP_CPU_DEVICES=2"
    stats = found["stats"]
    assert sorted(stats) == [
        "reduce-accumulate all",
        "reduce-accumulate one",
        "reduce-direct all",
        "reduce-direct one",
    ]
    for mode in ("reduce-direct", "reduce-accumulate"):
        assert_same_statistics(stats[f"{mode} all"], stats[f"{mode} one"])
    assert_same_statistics(stats["reduce-direct one"], stats["reduce-accumulate one"])


def test_one_device_per_core_by_default_and_the_cap_is_honoured():
    found = python(DEVICES, None, "fresh")
    cores = _cpu.usable_cores()
    assert found["devices"] == min(cores, _cpu.MAX_DEFAULT_DEVICES)
    if 1 < cores <= _cpu.MAX_DEFAULT_DEVICES:
        assert found["note"] == f"{cores} CPU devices, one per core"
    capped = python(DEVICES, "1", "fresh")
    assert capped == {"devices": 1, "note": "one CPU device, IONSWEEP_CPU_DEVICES=1"}


def test_a_running_jax_keeps_its_devices_and_says_so():
    found = python(DEVICES, "2", "started")  # and no warning: warnings are errors there
    assert found == {
        "devices": 1,
        "note": "JAX had started before ionsweep could ask for 2 CPU devices",
    }


def test_the_command_line_shows_the_devices_and_refuses_a_bad_setting(tmp_path):
    spec = tmp_path / "cores.toml"
    spec.write_text(SPEC)
    cli = [str(Path(sys.executable).with_name("ionsweep")), "run", str(spec), "--dry-run"]
    shown = subprocess.run(cli, env=environment("2"), capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert "  device:   2 × cpu" in shown.stdout
    assert "  cores:    2 CPU devices, IONSWEEP_CPU_DEVICES=2" in shown.stdout
    bad = subprocess.run(cli, env=environment("two"), capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "ionsweep run: error: environment: IONSWEEP_CPU_DEVICES must be a positive whole "
        "number of CPU devices, got 'two'"
    ]


@pytest.mark.parametrize("text", ["0", "-2", "two", "1.5"])
def test_a_bad_setting_is_refused_naming_the_variable(monkeypatch, text):
    monkeypatch.setenv(_cpu.ENV_VAR, text)
    with pytest.raises(ValueError, match=_cpu.ENV_VAR):
        _cpu.requested_devices()


def test_the_setting_is_read_as_a_count(monkeypatch):
    monkeypatch.setenv(_cpu.ENV_VAR, " 3 ")
    assert _cpu.requested_devices() == 3
    monkeypatch.delenv(_cpu.ENV_VAR)
    assert _cpu.requested_devices() == min(_cpu.usable_cores(), _cpu.MAX_DEFAULT_DEVICES)
