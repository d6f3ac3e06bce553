"""``ionsweep view`` refuses bad input with one line and exit status 2, writing nothing."""

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import zarr


def _cmd():
    return [str(Path(sys.executable).with_name("ionsweep")), "view"]


def _snapshot(*dirs):
    return {d: sorted((str(p), p.stat().st_mtime_ns) for p in Path(d).rglob("*")) for d in dirs}


@pytest.fixture
def unfinished_store(tmp_path, quickstart_store):
    out = tmp_path / "running.zarr"
    shutil.copytree(quickstart_store, out)
    zarr.open_group(str(out), mode="r+").attrs["ionsweep_complete"] = False
    return out


def test_bad_input_one_line_exit_2_nothing_written(
    tmp_path, quickstart_store, unfinished_store, capsys, monkeypatch
):
    from ionsweep.cli import main

    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "notes.txt").write_text("not a store")
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    before = _snapshot(tmp_path, quickstart_store)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        # the real console script, for the port another program listens on
        proc = subprocess.run(
            _cmd() + [str(quickstart_store), "--port", str(port), "--no-browser"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr == (
            f"ionsweep view: error: --port: port {port} on 127.0.0.1 is in "
            "use; choose another with --port\n"
        )
        cases = {
            "plain": (tmp_path / "plain", "is not an ionsweep result store"),
            "missing": (tmp_path / "missing.zarr", "does not exist"),
            "running": (unfinished_store, "is still being written"),
        }
        for key, (path, message) in cases.items():
            assert main(["view", str(path), "--no-browser", "--port", str(port)]) == 2, key
            out, err = capsys.readouterr()
            assert out == "" and len(err.splitlines()) == 1, (key, err)
            assert err.startswith(f"ionsweep view: error: STORE: {path} ") and message in err
        assert main(["view", str(quickstart_store), "--port", "70000"]) == 2
        assert "--port: a port is 1 to 65535" in capsys.readouterr().err
    finally:
        busy.close()
    assert _snapshot(tmp_path, quickstart_store) == before  # nothing written anywhere


def test_allow_incomplete_store_opens_in_python(unfinished_store):
    import ionsweep
    from ionsweep.store import StoreError

    with pytest.raises(StoreError, match="--allow-incomplete"):
        ionsweep.view(unfinished_store)
    app = ionsweep.view(unfinished_store, allow_incomplete=True)
    assert "Nernst" in app.objects[0].objects[0].object  # the sidebar heading: store title
