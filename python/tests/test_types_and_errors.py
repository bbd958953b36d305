"""Typed values and periods, every error class as its exception, threads,
a large append, export and verify, and pandas."""

import datetime
import threading

import pytest

import annals


def test_periods_are_typed_with_date_ends_and_print_canonically():
    year = annals.Period("2010")
    assert (year.start, year.end) == (datetime.date(2010, 1, 1), datetime.date(2011, 1, 1))
    assert str(annals.Period("oct 2010")) == "2010-10"
    assert annals.Period("2012..").end is None
    assert annals.Period("2010-H2") == annals.Period("2010-07..2010-12")


def test_vague_periods_have_certain_and_possible_bounds(bundled):
    eighties = annals.Period("198X..")
    assert (eighties.start, eighties.possible_start) == (datetime.date(1990, 1, 1), datetime.date(1980, 1, 1))
    assert eighties.end is None and str(eighties) == "198X.."
    about = annals.Period("1992~")
    assert about.qualifiers == {"start": "approximate", "end": "approximate"}
    assert annals.Period("2010").qualifiers is None
    # A claims row prints a vague claim as written, and it reads as a Period.
    rows = list(bundled.query("claims china.policy.mineral_resources_law"))
    assert [str(r["valid"]) for r in rows] == ["198X.."]
    assert rows[0]["certainty"] == "possible"


def test_values_are_typed_and_print_canonically():
    approx = annals.Value("~30000 t")
    assert (approx.kind, approx.number, approx.unit, approx.approx) == ("number", 30000.0, "t", True)
    cut = annals.Value("-30..0 %")
    assert (cut.kind, cut.low, cut.high, cut.magnitude) == ("range", -30.0, 0.0, -15.0)
    assert annals.Value("<=5 t").bound == "<="
    assert annals.Value("'under study'").text == "under study"
    assert annals.Value("true").bool is True
    assert str(annals.Value("24280.0 t")) == "24280 t"


def test_answer_rows_carry_typed_values_and_periods(bundled):
    row = bundled.query("china.export_quota for 2010").rows[0]
    assert isinstance(row["value"], annals.Value) and row["value"].number == 24280
    assert isinstance(row["valid"], annals.Period) and row["valid"].start == datetime.date(2010, 1, 1)
    assert isinstance(row["known"], annals.Period)
    assert all(isinstance(o["value"], annals.Value) for o in row["others"])


def test_a_statement_that_does_not_parse_raises_query_error_with_its_position(bundled):
    with pytest.raises(annals.QueryError) as caught:
        bundled.query("china.export_quota for 2011 as knwon oct 2010")
    error = caught.value
    assert (error.line, error.column) == (1, 32)
    assert "'known'" in error.expected
    assert "^" in str(error)


def test_an_unknown_name_raises_query_error(bundled):
    with pytest.raises(annals.QueryError, match="did you mean 'china'"):
        bundled.query("chna.export_quota")


def test_a_refused_import_raises_data_error_naming_file_line_and_field(tmp_path, bundled):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"op":"assert","subject":"china","attribute":"export_quota",'
                   '"valid":"2013","value":"30.258 kt","source":"wsj-2010-10-19"}\n')
    before = bundled.position
    with pytest.raises(annals.DataError) as caught:
        bundled.import_file(bad)
    assert caught.value.file.endswith("bad.jsonl")
    assert (caught.value.line, caught.value.field) == (1, "value")
    assert "write 30258 t" in str(caught.value)
    assert bundled.position == before


def test_a_refused_append_raises_data_error_counting_events(bundled):
    good = {"op": "assert", "subject": "china", "attribute": "export_quota",
            "valid": "2013", "value": "30996 t", "source": "wsj-2010-10-19"}
    bad = dict(good, source="nowhere")
    with pytest.raises(annals.DataError) as caught:
        bundled.append([good, bad])
    assert (caught.value.line, caught.value.field) == (2, "source")


def test_a_store_held_by_another_opener_raises_store_locked(tmp_path):
    path = tmp_path / "sled.db"
    with annals.Store(path, engine="sled"):
        with pytest.raises(annals.StoreLocked):
            annals.Store(path)


def test_a_missing_store_is_not_created_when_create_is_false(tmp_path):
    with pytest.raises(annals.AnnalsError, match="no store at"):
        annals.Store(tmp_path / "typo.db", create=False)
    assert not (tmp_path / "typo.db").exists()


def test_a_closed_store_says_so():
    store = annals.Store.temporary()
    store.close()
    store.close()
    with pytest.raises(annals.AnnalsError, match="closed"):
        store.query("subjects")


def test_threads_share_one_store_and_get_the_same_answers(bundled):
    expected = bundled.query("*.*").to_json()
    results, errors = [], []

    def ask():
        try:
            for _ in range(5):
                results.append(bundled.query("*.*").to_json())
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(results) == 40 and all(r == expected for r in results)


def test_a_hundred_thousand_events_append_as_one_batch_and_verify():
    events = [{"op": "define", "attribute": "price", "kind": "state", "unit": "USD"},
              {"op": "source", "id": "ticker", "title": "Prices", "publisher": "Exchange",
               "published": "2020"}]
    days = [datetime.date(1990, 1, 1) + datetime.timedelta(days=i) for i in range(10_000)]
    for subject in range(10):
        for i, day in enumerate(days):
            events.append({"op": "assert", "subject": f"metal{subject}", "attribute": "price",
                           "valid": day.isoformat(), "value": f"{i} USD", "source": "ticker"})
    with annals.Store.temporary() as store:
        appended = store.append(events)
        assert (appended["first_seq"], appended["last_seq"]) == (1, 100_002)
        row = store.get("metal3", "price", valid="1990-01-03").rows[0]
        assert row["value"].number == 2
        report = store.verify()
        assert report["ok"] and report["records"] == 100_002, report["problems"][:3]
        exported = list(store.export())
        assert len(exported) == 100_002 and exported[-1]["seq"] == 100_002


def test_compact_merges_the_runs_of_many_appends_and_changes_no_answer(bundled):
    exported = list(bundled.export())
    with annals.Store.temporary() as store:
        # Three batches with claims: three runs.
        for part in (exported[:130], exported[130:185], exported[185:]):
            store.append(part)
        question = "china.* for 2010 as known 2011"
        before = store.query(question).to_json()["rows"]
        assert store.compact()["runs"] == 3
        assert store.query(question).to_json()["rows"] == before
        assert store.compact()["runs"] == 1
        assert store.verify()["ok"]


def test_export_round_trips_through_append(bundled):
    exported = list(bundled.export())
    with annals.Store.temporary() as copy:
        copy.append(exported)
        question = "china.* for 2010 as known 2011"
        assert copy.query(question).to_json()["rows"] == bundled.query(question).to_json()["rows"]


def test_to_pandas_gives_numeric_columns(bundled):
    pandas = pytest.importorskip("pandas")
    frame = bundled.query("china.export_quota").to_pandas()
    assert str(frame["value_number"].dtype) == "float64"
    assert set(frame["value_unit"]) == {"t"}
    assert frame.loc[frame["valid"] == "2010", "value_number"].iloc[0] == 24280.0
    assert isinstance(frame["valid_start"].iloc[0], datetime.date)
    assert isinstance(frame, pandas.DataFrame)


def test_help_on_query_explains_the_language():
    doc = annals.Store.query.__doc__
    assert "as known" in doc and "grammar" in doc
