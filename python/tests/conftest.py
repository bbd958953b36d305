"""What the Python tests share: the repository's paths, the CLI binary the
Rust tests built (the answers are compared with it), and a store holding
the bundled data set."""

import os
import pathlib
import subprocess

import pytest

import annals

REPO = pathlib.Path(__file__).resolve().parents[2]
FIXTURE = REPO / "fixtures" / "rare-earths.jsonl"
GOLDEN = REPO / "tests" / "golden"


def cli_binary() -> pathlib.Path:
    """The `annals` binary: $ANNALS_BIN, else the debug build of `cargo test`."""
    path = pathlib.Path(os.environ.get("ANNALS_BIN", REPO / "target" / "debug" / "annals"))
    if not path.exists():
        pytest.fail(f"no annals binary at {path}: run `cargo build` (or set ANNALS_BIN) first")
    return path


def cli(db: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1")
    env.pop("ANNALS_DB", None)
    return subprocess.run([str(cli_binary()), "--db", str(db), *args],
                          capture_output=True, text=True, env=env, check=False)


@pytest.fixture
def store_path(tmp_path) -> pathlib.Path:
    """A store on disk holding the bundled data set, imported by the CLI."""
    db = tmp_path / "store.db"
    run = cli(db, "import", str(FIXTURE))
    assert run.returncode == 0, run.stderr
    return db


@pytest.fixture
def bundled():
    """A temporary store holding the bundled data set, imported from Python."""
    with annals.Store.temporary() as store:
        store.import_file(FIXTURE)
        yield store
