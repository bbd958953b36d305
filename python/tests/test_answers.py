"""The Python package gives the same answers as the command line: every
statement of every golden file of the query language, run in order against
one store that the CLI and Python share (writes go through Python, so the
CLI also shows that a second process sees them), compared as JSON."""

import json

import pytest

import annals
from conftest import GOLDEN, cli

PREFIXES = (">json ", ">csv ", ">vertical ", "> ")


def statements(golden):
    for line in golden.read_text(encoding="utf-8").splitlines():
        for prefix in PREFIXES:
            if line.startswith(prefix):
                yield line[len(prefix):]
                break


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.golden")), ids=lambda p: p.stem)
def test_every_golden_statement_answers_as_the_cli_does(golden, store_path):
    compared = 0
    with annals.Store(store_path) as store:
        for statement in statements(golden):
            try:
                answer = store.query(statement)
                mine = answer.to_json()
                error = None
            except annals.AnnalsError as e:
                mine, error = None, e
            if answer_is_a_write(statement):
                # Written once, by Python; the CLI must then see it.
                continue
            run = cli(store_path, "query", statement, "--format", "json", "--read-only")
            if error is not None:
                assert run.returncode == 1, f"{statement}: Python raised {error!r}, the CLI answered"
                assert str(error).splitlines()[0] in run.stderr, f"{statement}: {error} vs {run.stderr}"
            else:
                assert run.returncode == 0, f"{statement}: {run.stderr}"
                assert mine == json.loads(run.stdout), statement
            compared += 1
    assert compared >= 3, f"only {compared} statements compared in {golden.name}"


def answer_is_a_write(statement: str) -> bool:
    return statement.split(" ", 1)[0] in {"define", "source", "assert", "deny", "retract"}


def test_an_answer_streams_and_rows_takes_the_rest(bundled):
    answer = bundled.query("*.*")
    assert answer.kind == "get"
    first = next(iter(answer))
    rest = answer.rows
    everything = bundled.query("*.*").rows
    assert [first] + rest == everything
    assert answer.log_seq == bundled.position


def test_get_spells_the_same_question_as_the_language(bundled):
    import datetime
    typed = bundled.get("china", "export_quota_change", valid="2011",
                        known=datetime.date(2010, 10, 19)).rows
    spelled = bundled.query("china.export_quota_change for 2011 as known 2010-10-19").rows
    assert typed == spelled
    assert typed[0]["status"] == "current" and str(typed[0]["value"]) == "-30..0 %"
    denied = bundled.get("china", "export_quota_change", valid="2011", known="nov 2010").rows
    assert denied[0]["status"] == "denied"
    before = bundled.get("*", "share_of_world_reserves", known="2013", recorded=110).rows
    assert [str(r["value"]) for r in before] == ["~30 %"]


def test_a_knowledge_curve_gives_typed_steps(bundled):
    answer = bundled.query("curve china.export_quota_change for 2011")
    assert answer.kind == "curve"
    steps = answer.rows
    assert [s["status"] for s in steps] == ["current", "denied"]
    assert all(isinstance(s["known_from"], annals.Period) for s in steps)
    assert [str(s["known_from"]) for s in steps] == ["2010-10-19", "2010-10-28"]
    assert steps[0]["value"].low == -30.0
