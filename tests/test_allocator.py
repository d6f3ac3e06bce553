"""ionsweep.tune_cpu_allocator: large buffers come from the malloc heap afterwards.

Each check runs in a fresh interpreter, since the setting is process-wide and permanent.
glibc's ``mallinfo2`` reports the bytes in mmap'd chunks (``hblkhd``) and in the heap
(``uordblks``, bytes in use), which tells where a 64 MiB NumPy array was put.
"""

import json
import platform
import subprocess
import sys

import pytest

import ionsweep

glibc_only = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)

PROBE = r"""
import ctypes, json, sys
import numpy as np

class Mallinfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                 "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Mallinfo2
tuned = None
if sys.argv[1] == "tune":
    import ionsweep
    tuned = ionsweep.tune_cpu_allocator()
before = libc.mallinfo2()
x = np.ones(16 * 2**20, dtype=np.float32)  # 64 MiB, above any mmap threshold
after = libc.mallinfo2()
print(json.dumps({"tuned": tuned, "mmap": after.hblkhd - before.hblkhd,
                  "heap": after.uordblks - before.uordblks}))
"""


def _probe(mode):
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


@glibc_only
def test_large_buffers_move_from_mmap_to_heap():
    size = 64 * 2**20
    default = _probe("default")
    assert default["mmap"] >= size and default["heap"] < size
    tuned = _probe("tune")
    assert tuned["tuned"] is True
    assert tuned["mmap"] < size and tuned["heap"] >= size


@pytest.mark.parametrize("bad", [0, -5, 4096, 1.5, "64", True])
def test_bad_retain_size_is_refused(bad):
    with pytest.raises(ValueError, match="retain_mib"):
        ionsweep.tune_cpu_allocator(bad)


@glibc_only
def test_cli_tunes_heavy_commands_unless_opted_out(monkeypatch):
    from ionsweep import _allocator, cli

    calls = []
    monkeypatch.setattr(_allocator, "tune_cpu_allocator", lambda: calls.append(1) or True)
    monkeypatch.setenv(_allocator.ENV_VAR, "0")
    assert _allocator.tune_from_environment() is False
    monkeypatch.setenv(_allocator.ENV_VAR, "1")
    assert _allocator.tune_from_environment() is True
    assert calls == [1]
    assert {"run", "sensitivity", "fit"} <= cli.HEAVY_COMMANDS
    assert "calc" not in cli.HEAVY_COMMANDS
