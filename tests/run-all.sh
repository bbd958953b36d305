#!/usr/bin/env bash
# The whole test suite, as the README gives it and CI runs it: the Rust
# tests, then the Python package's (a virtual environment with maturin,
# pytest and pandas from the package index, the wheel built from python/
# and installed into it, and pytest over python/tests, which compares its
# answers with the CLI binary the Rust tests built).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --locked

venv=target/python-venv
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.7,<2" pytest pandas
# maturin is the build backend; without build isolation it must be on PATH.
PATH="$PWD/$venv/bin:$PATH" "$venv/bin/pip" install --quiet --disable-pip-version-check \
    --no-build-isolation --force-reinstall --no-deps ./python
ANNALS_BIN="$PWD/target/debug/annals" "$venv/bin/python" -m pytest -q python/tests
