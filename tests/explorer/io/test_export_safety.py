"""write_export against hostile folders: a file or link named like its old write probe, links at the export's names
(to a file outside, dangling), a linked --out folder, a folder where a file goes, existing files, and a process that
runs out of room part-way (RLIMIT_FSIZE). Afterwards the folder holds the old complete files or the new complete
files, and nothing outside it has changed."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from explorer import ExplorerError, load_run
from explorer.io.export import write_export
from tests.support import REPO

pytestmark = pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="POSIX links and limits")


def state(folder: Path) -> dict[str, str]:
    """Every entry of a folder: name -> sha256 of a file, "link -> target" of a link, "folder" of a folder."""
    out = {}
    for p in sorted(folder.iterdir()):
        if p.is_symlink():
            out[p.name] = f"link -> {os.readlink(p)}"
        elif p.is_dir():
            out[p.name] = "folder"
        else:
            out[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def place(tmp_path):
    """A parent folder holding `out/` (the export's) and `outside.txt` (a file the export must never touch)."""
    (tmp_path / "out").mkdir()
    (tmp_path / "outside.txt").write_bytes(b"precious: not the export's")
    return tmp_path


def test_the_write_check_never_touches_a_file_or_link_with_the_old_probe_name(apple_run, place):
    out = place / "out"
    (out / ".explorer-write-test").write_bytes(b"the user's own file")
    before = state(out)
    paths = write_export(apple_run, out, "json", [0], [0])
    assert state(out) == {**before, "run.json": state(out)["run.json"]}  # the user's file as it was, nothing else
    assert [p.name for p in paths] == ["run.json"]

    (out / ".explorer-write-test").unlink()
    (out / ".explorer-write-test").symlink_to(place / "outside.txt")
    parent = state(place)
    write_export(apple_run, out, "json", [0], [0], force=True)
    assert state(place) == parent  # outside.txt keeps its bytes (hash), out/ is still the same folder
    assert (out / ".explorer-write-test").is_symlink()
    assert sorted(os.listdir(out)) == [".explorer-write-test", "run.json"]


@pytest.mark.parametrize("force", [False, True])
def test_a_link_at_an_export_name_is_refused_with_or_without_force(apple_run, place, force):
    out = place / "out"
    (out / "run.json").symlink_to(place / "outside.txt")  # to a file outside --out
    (out / "attention.csv").symlink_to(place / "not-there-yet.csv")  # dangling: writing would create it outside
    parent, inside = state(place), state(out)
    with pytest.raises(ExplorerError) as caught:
        write_export(apple_run, out, "csv,json", [0], [0], force=force)
    assert str(caught.value) == (
        f"{out / 'run.json'} and 1 other file are a symbolic link: the export never writes through links (they can "
        "point outside --out). Remove the link or choose another --out folder."
    )
    assert state(place) == parent and state(out) == inside  # nothing written, inside or outside
    assert not (place / "not-there-yet.csv").exists()


def test_a_linked_out_folder_is_refused_before_anything_is_written(apple_run, place):
    real = place / "real"
    real.mkdir()
    (place / "linked").symlink_to(real)
    with pytest.raises(ExplorerError, match=r"linked is a symbolic link \(to .*real\): the export never writes"):
        write_export(apple_run, place / "linked", "json", [0], [0])
    assert os.listdir(real) == []


def test_a_folder_where_a_file_goes_is_refused_even_with_force(apple_run, place):
    out = place / "out"
    (out / "run.json").mkdir()
    with pytest.raises(ExplorerError, match=r"run.json is not a plain file \(a folder\?\): remove it"):
        write_export(apple_run, out, "json", [0], [0], force=True)
    assert state(out) == {"run.json": "folder"}


def test_existing_files_need_force_and_force_replaces_them_whole(apple_run, place):
    out = place / "out"
    write_export(apple_run, out, "csv,json", [0], [0])
    before, parent = state(out), state(place)
    other = dataclasses.replace(apple_run, text="Another text entirely.")
    with pytest.raises(ExplorerError) as caught:
        write_export(other, out, "csv,json", [0], [0])
    assert str(caught.value) == (
        f"{out / 'run.json'} and 1 other file already exist: use --force to overwrite, or choose another --out folder."
    )
    assert state(out) == before
    os.link(place / "outside.txt", out / "attention.csv.old")  # a hard link: force must not write into its file
    os.replace(out / "attention.csv.old", out / "attention.csv")
    parent = state(place)
    write_export(other, out, "csv,json", [0], [0], force=True)
    assert sorted(os.listdir(out)) == ["attention.csv", "run.json"]  # no temporary file left behind
    assert json.loads((out / "run.json").read_text())["text"] == "Another text entirely."
    assert state(place) == parent  # outside.txt kept its bytes: its name in out/ was replaced, not written into


def tagged(run, which: str):
    """The run marked old or new in its metadata (run.json and run.npz both carry it)."""
    return dataclasses.replace(run, meta={**run.meta, "which": which})


CHILD = """
import dataclasses, resource, signal, sys
from explorer import ExplorerError, load_run
from explorer.io.export import write_export

out, limit = sys.argv[1], int(sys.argv[2])
old = load_run(out + "/run.npz")
run = dataclasses.replace(old, meta={**old.meta, "which": "new"})
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:  # Python ignores SIGXFSZ: the write that passes the limit fails with EFBIG
    write_export(run, out, "json,npz", force=True)
except ExplorerError as err:
    print("refused:", err, flush=True)
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # now as a plain process: killed in the middle of the write
write_export(run, out, "json,npz", force=True)
print("not reached", flush=True)
"""


def test_an_export_cut_off_part_way_leaves_the_old_complete_files(apple_run, place):
    out = place / "out"
    write_export(tagged(apple_run, "old"), out, "json,npz")
    before, parent = state(out), state(place)
    sizes = {p.name: p.stat().st_size for p in out.iterdir()}
    assert sizes["run.json"] < sizes["run.npz"]  # run.json is written first and fits; run.npz does not
    limit = (sizes["run.json"] + 4096 + sizes["run.npz"]) // 2
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), str(limit)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=120,
    )
    assert child.returncode == -signal.SIGXFSZ, child.stderr[-2000:]
    assert child.stdout.startswith(
        f"refused: Could not write the export to {out} (File too large): nothing was changed"
    )
    assert "not reached" not in child.stdout
    after = state(out)
    leftovers = sorted(set(after) - set(before))
    assert {name: after[name] for name in before} == before  # the old run.json and run.npz, byte for byte
    assert all(n.startswith((".run.json.", ".run.npz.")) and n.endswith(".part") for n in leftovers), leftovers
    assert len(leftovers) <= 2  # only the killed process's own temporary files, under names no one else had
    assert load_run(out).meta["which"] == "old"
    assert state(place).keys() == parent.keys()

    write_export(tagged(apple_run, "new"), out, "json,npz", force=True)  # then with room: the new files
    assert load_run(out).meta["which"] == "new" and json.loads((out / "run.json").read_text())["meta"]["which"] == "new"
