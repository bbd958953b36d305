"""The cost of one question through the Python package, to set beside the
Rust API's (`cargo run --release --example get_cost` asks the same question
the same number of times). Run from the repository root:

    python python/examples/get_cost.py
"""

import pathlib
import statistics
import time

import annals

ROUNDS = 20_000
FIXTURE = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "rare-earths.jsonl"


def median_micros(call) -> float:
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples)


with annals.Store.temporary() as store:
    store.import_file(FIXTURE)
    text = "china.export_quota for 2010 as known 2011"
    rows = store.get("china", "export_quota", valid="2010", known="2011").rows
    assert len(rows) == 1 and rows[0]["value"].number == 24280
    typed = median_micros(lambda: store.get("china", "export_quota", valid="2010", known="2011").rows)
    raw = median_micros(lambda: list(store._native.query(text)))
    print(f"Python, median of {ROUNDS}: store.get(...).rows {typed:.1f} µs; "
          f"native rows as plain dicts {raw:.1f} µs")
