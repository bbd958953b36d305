//! The native half of the Python package `annals` (`annals._annals`): a
//! thin PyO3 layer over the Rust library. The Python half
//! (`annals/__init__.py`) builds the friendly objects — `Period`, `Value`,
//! `Answer` rows as dicts, `to_pandas()` — on top of what this module
//! returns, which is plain data: JSON-shaped dicts exactly as
//! `annals query --format json` prints them.
//!
//! Three rules hold for every function here:
//! - the GIL is released while the store works (`run`, and each row of an
//!   answer), so other Python threads go on, and a store is shared safely
//!   between threads (the Rust `Store` is `Sync`);
//! - no Rust panic reaches Python: each call is caught and becomes
//!   `AnnalsError` ("a bug in annals");
//! - every error of the library becomes one exception class, with the
//!   fields a program needs (`QueryError.line`, `DataError.field`, …).

use annals::query::render::row_json;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use serde_json::{Map, Value as Json};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

pyo3::create_exception!(_annals, AnnalsError, PyException, "Any error of annals.");
pyo3::create_exception!(
    _annals,
    QueryError,
    AnnalsError,
    "A statement that does not parse (`line`, `column`, `expected`) or that names what the store lacks."
);
pyo3::create_exception!(
    _annals,
    DataError,
    AnnalsError,
    "Events refused: an import file (`file`, `line`, `field`) or an append (`line` counts the events from 1)."
);
pyo3::create_exception!(
    _annals,
    StoreLocked,
    AnnalsError,
    "Another process holds the store (a writer that stayed busy, or a sled store)."
);

/// The Python exception of a library error, with its fields as attributes.
fn to_py(py: Python<'_>, error: annals::Error) -> PyErr {
    use annals::Error;
    let text = error.to_string();
    let (err, attributes): (PyErr, Vec<(&str, Option<Json>)>) = match error {
        Error::Syntax {
            line,
            column,
            message,
            ..
        } => (
            QueryError::new_err(text),
            vec![
                ("line", Some(line.into())),
                ("column", Some(column.into())),
                ("expected", Some(message.into())),
            ],
        ),
        Error::Unknown { .. } => (
            QueryError::new_err(text),
            vec![("line", None), ("column", None), ("expected", None)],
        ),
        Error::InvalidInput(message) => (
            QueryError::new_err(text),
            vec![
                ("line", None),
                ("column", None),
                ("expected", Some(message.into())),
            ],
        ),
        Error::Import {
            file, line, field, ..
        } => (
            DataError::new_err(text),
            vec![
                ("file", Some(file.into())),
                ("line", Some(line.into())),
                ("field", field.map(Json::from)),
            ],
        ),
        Error::Rejected { index, field, .. } => (
            DataError::new_err(text),
            vec![
                ("file", None),
                ("line", Some((index + 1).into())),
                ("field", Some(field.into())),
            ],
        ),
        Error::Locked { .. } => (StoreLocked::new_err(text), vec![]),
        _ => (AnnalsError::new_err(text), vec![]),
    };
    for (name, value) in attributes {
        let value = match value {
            Some(v) => json_to_py(py, &v).ok(),
            None => None,
        };
        let _ = err.value(py).setattr(name, value);
    }
    err
}

fn panic_to_py(panic: Box<dyn std::any::Any + Send>) -> PyErr {
    let why = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("no message");
    AnnalsError::new_err(format!("internal error (a bug in annals): {why}"))
}

/// Runs `work` with the GIL released, a panic caught, an error converted.
fn run<T: Send>(py: Python<'_>, work: impl FnOnce() -> annals::Result<T> + Send) -> PyResult<T> {
    match py.detach(|| std::panic::catch_unwind(AssertUnwindSafe(work))) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(to_py(py, e)),
        Err(panic) => Err(panic_to_py(panic)),
    }
}

/// A JSON value as the Python object `json.loads` would give.
fn json_to_py<'py>(py: Python<'py>, value: &Json) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Json::Null => py.None().into_bound(py),
        Json::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Json::String(s) => s.into_pyobject(py)?.into_any(),
        Json::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Json::Object(map) => map_to_py(py, map)?.into_any(),
    })
}

fn map_to_py<'py>(py: Python<'py>, map: &Map<String, Json>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in map {
        dict.set_item(key, json_to_py(py, value)?)?;
    }
    Ok(dict)
}

/// A store, shared by every Python thread that holds it.
#[pyclass(frozen, module = "annals._annals")]
struct Store {
    /// `None` once closed.
    inner: RwLock<Option<Arc<annals::Store>>>,
}

impl Store {
    fn store(&self) -> PyResult<Arc<annals::Store>> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| AnnalsError::new_err("the store is closed"))
    }
}

#[pymethods]
impl Store {
    #[new]
    #[pyo3(signature = (path, *, engine=None, read_only=false, create=true, lock_timeout=None))]
    fn new(
        py: Python<'_>,
        path: PathBuf,
        engine: Option<String>,
        read_only: bool,
        create: bool,
        lock_timeout: Option<f64>,
    ) -> PyResult<Store> {
        let store = run(py, move || {
            let mut options = annals::StoreOptions::new()
                .read_only(read_only)
                .create(create);
            if let Some(name) = engine {
                options = options.engine(annals::Engine::from_name(&name)?);
            }
            if let Some(seconds) = lock_timeout {
                if !(seconds.is_finite() && (0.0..=86_400.0).contains(&seconds)) {
                    return Err(annals::Error::InvalidInput(format!(
                        "lock_timeout={seconds}: expected seconds, from 0 to 86400"
                    )));
                }
                options = options.lock_timeout(std::time::Duration::from_secs_f64(seconds));
            }
            options.open(&path)
        })?;
        Ok(Store {
            inner: RwLock::new(Some(Arc::new(store))),
        })
    }

    /// A store in memory, gone when closed.
    #[staticmethod]
    fn temporary(py: Python<'_>) -> PyResult<Store> {
        let store = run(py, annals::Store::temporary)?;
        Ok(Store {
            inner: RwLock::new(Some(Arc::new(store))),
        })
    }

    /// Closes the store (answers still being read keep it open until they
    /// end). Closing twice is harmless.
    fn close(&self) {
        self.inner.write().unwrap_or_else(|e| e.into_inner()).take();
    }

    #[getter]
    fn closed(&self) -> bool {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }

    /// The log position answers are given at (after other processes'
    /// commits are seen).
    fn position(&self, py: Python<'_>) -> PyResult<u64> {
        let store = self.store()?;
        run(py, move || store.refresh())
    }

    /// The log's head, `SEQ:HASH`, as `annals verify` prints it.
    fn head(&self, py: Python<'_>) -> PyResult<String> {
        let store = self.store()?;
        run(py, move || {
            store.refresh()?;
            store.head()
        })
    }

    /// Answers one statement. Parses and checks it at once (raising
    /// `QueryError`); its rows are computed as the answer is iterated.
    fn query(&self, py: Python<'_>, text: String) -> PyResult<Answer> {
        let store = self.store()?;
        let reply = run(py, move || OwnedReply::try_new(store, |s| s.query(&text)))?;
        let (log_seq, kind) = reply.with_dependent(|_, r| (r.log_seq, r.kind.name().to_string()));
        Ok(Answer {
            log_seq,
            kind,
            rows: Mutex::new(Some(reply)),
        })
    }

    /// Imports a JSON Lines file as one atomic batch; returns
    /// `(first_seq, last_seq, warnings)`.
    fn import_file(&self, py: Python<'_>, path: PathBuf) -> PyResult<(u64, u64, Vec<String>)> {
        let store = self.store()?;
        run(py, move || {
            let name = path.display().to_string();
            let bytes = std::fs::read(&path).map_err(|e| {
                annals::Error::Io(std::io::Error::new(e.kind(), format!("{name}: {e}")))
            })?;
            let appended = annals::interchange::import_file(&store, &name, &bytes)?;
            store.idle();
            Ok(imported(appended))
        })
    }

    /// Imports JSON Lines given as bytes (`name` is used in errors).
    fn import_bytes(
        &self,
        py: Python<'_>,
        name: String,
        data: Vec<u8>,
    ) -> PyResult<(u64, u64, Vec<String>)> {
        let store = self.store()?;
        run(py, move || {
            let appended = annals::interchange::import_file(&store, &name, &data)?;
            store.idle();
            Ok(imported(appended))
        })
    }

    /// The whole log as JSON Lines, as `annals export` writes it.
    fn export_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let store = self.store()?;
        let bytes = run(py, move || {
            store.refresh()?;
            let mut out = Vec::new();
            annals::interchange::export(&store, &mut out)?;
            store.idle();
            Ok(out)
        })?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// `annals compact`: every run of the slot index merged into one;
    /// `(runs, claims)` as they were found.
    fn compact(&self, py: Python<'_>) -> PyResult<(usize, u64)> {
        let store = self.store()?;
        run(py, move || {
            let compacted = store.compact()?;
            store.idle();
            Ok((compacted.runs, compacted.claims))
        })
    }

    /// `verify` (projections rebuilt in memory): `(records, quotes_checked,
    /// problems)`.
    fn verify(&self, py: Python<'_>) -> PyResult<(u64, u64, Vec<String>)> {
        let store = self.store()?;
        run(py, move || {
            store.refresh()?;
            let report = annals::verify::verify(&store)?;
            store.idle();
            Ok((report.records, report.quotes_checked, report.problems))
        })
    }
}

fn imported(appended: annals::Appended) -> (u64, u64, Vec<String>) {
    (
        appended.first_seq,
        appended.last_seq,
        appended.warnings.into_iter().map(|(_, w)| w).collect(),
    )
}

/// The reply of a statement, which borrows the store it answers from.
type Reply<'s> = annals::query::Reply<'s>;

self_cell::self_cell!(
    /// A statement's reply together with the store it borrows, so that an
    /// answer can outlive the call that made it and be read row by row.
    struct OwnedReply {
        owner: Arc<annals::Store>,
        #[covariant]
        dependent: Reply,
    }
);

/// One statement's answer: its log position and kind at once, its rows as
/// they are iterated (dicts in the shape of `annals query --format json`),
/// each computed with the GIL released.
#[pyclass(frozen, module = "annals._annals")]
struct Answer {
    #[pyo3(get)]
    log_seq: u64,
    #[pyo3(get)]
    kind: String,
    /// `None` once the rows are all read (or reading failed).
    rows: Mutex<Option<OwnedReply>>,
}

#[pymethods]
impl Answer {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        // Never wait for the lock while holding the GIL: the holder needs
        // the GIL back to finish.
        let mut rows = match self.rows.try_lock() {
            Ok(rows) => rows,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "this answer is being read by another thread",
                ))
            }
        };
        let Some(reply) = rows.as_mut() else {
            return Ok(None);
        };
        let next = py.detach(|| {
            std::panic::catch_unwind(AssertUnwindSafe(|| {
                reply.with_dependent_mut(|_, r| r.next().map(|row| row.map(|r| row_json(&r))))
            }))
        });
        match next {
            Ok(Some(Ok(row))) => Ok(Some(map_to_py(py, &row)?)),
            Ok(Some(Err(e))) => {
                *rows = None;
                Err(to_py(py, e))
            }
            Ok(None) => {
                // The answer is read: the store may go idle.
                if let Some(reply) = rows.as_ref() {
                    reply.borrow_owner().idle();
                }
                *rows = None;
                Ok(None)
            }
            Err(panic) => {
                *rows = None;
                Err(panic_to_py(panic))
            }
        }
    }
}

/// A period in the typed form of SPEC §4, from its text.
#[pyfunction]
fn period<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let parsed = annals::Dating::parse(text).map_err(|e| {
        QueryError::new_err(format!("'{text}' is not a period: {}", e.describe(text)))
    })?;
    json_to_py(py, &parsed.to_typed_json())
}

/// A value in the typed form of SPEC §4, from its text, with its
/// canonical printing as `canonical`.
#[pyfunction]
fn value<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let parsed = annals::Value::parse(text).map_err(|e| {
        QueryError::new_err(format!("'{text}' is not a value: {}", e.describe(text)))
    })?;
    let mut typed = parsed.to_typed_json();
    if let Json::Object(map) = &mut typed {
        map.insert("canonical".into(), Json::String(parsed.to_string()));
    }
    json_to_py(py, &typed)
}

#[pymodule]
fn _annals(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // A damaged store is reported as an error, not also as a panic report.
    annals::quiet_engine_panics();
    m.add_class::<Store>()?;
    m.add_class::<Answer>()?;
    m.add_function(wrap_pyfunction!(period, m)?)?;
    m.add_function(wrap_pyfunction!(value, m)?)?;
    let py = m.py();
    m.add("AnnalsError", py.get_type::<AnnalsError>())?;
    m.add("QueryError", py.get_type::<QueryError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("StoreLocked", py.get_type::<StoreLocked>())?;
    Ok(())
}
