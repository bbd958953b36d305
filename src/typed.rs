//! The typed form of SPEC §4, for serde: how the Python package, the
//! reading room and any columnar export see a value and a period, as
//! objects with every field named, instead of the canonical text a person
//! reads. The answer rows of `query::rows` derive `Serialize` through these
//! functions.
//!
//! ```text
//! value:  {kind: number|range|text|bool, number, low, high, unit, approx, bound: null|"<="|">=", text, bool}
//! period: {text, start, end, possible_start, possible_end, qualifiers}
//! ```
//!
//! Dates are ISO days, `end` exclusive, `null` on an open side. A period as
//! written with EDTF's vague forms ([`Dating`]) has `start`..`end` its
//! certain bounds (the latest its start may be, the earliest its end may
//! be: `198X..` starts by 1990) and `possible_start`..`possible_end` the
//! most it may cover; `qualifiers` says, for each end that has one,
//! `approximate`, `uncertain` or `approximate-uncertain`. A plain period's
//! bounds are the same and its `qualifiers` is `null`.
//!
//! The log's own encoding of values and periods (bincode, `log.rs`) is
//! their derived `Serialize`, which this module leaves alone.

use crate::dating::{Dating, End, Qualifier};
use crate::period::Period;
use crate::value::{Amount, Value};
use serde::ser::{SerializeMap, Serializer};

/// A [`Value`] in the typed form.
pub fn value<S: Serializer>(value: &Value, serializer: S) -> Result<S::Ok, S::Error> {
    let (kind, number, low, high, unit, approx, bound, text, boolean) = match value {
        Value::Text(t) => (
            "text",
            None,
            None,
            None,
            None,
            false,
            None,
            Some(t.as_str()),
            None,
        ),
        Value::Bool(b) => ("bool", None, None, None, None, false, None, None, Some(*b)),
        Value::Quantity(q) => {
            let unit = q.unit.as_deref();
            match q.amount {
                Amount::Exact(n) => ("number", Some(n), None, None, unit, false, None, None, None),
                Amount::Approximately(n) => {
                    ("number", Some(n), None, None, unit, true, None, None, None)
                }
                Amount::AtMost(n) => (
                    "number",
                    Some(n),
                    None,
                    None,
                    unit,
                    false,
                    Some("<="),
                    None,
                    None,
                ),
                Amount::AtLeast(n) => (
                    "number",
                    Some(n),
                    None,
                    None,
                    unit,
                    false,
                    Some(">="),
                    None,
                    None,
                ),
                Amount::Between(a, b) => (
                    "range",
                    None,
                    Some(a),
                    Some(b),
                    unit,
                    false,
                    None,
                    None,
                    None,
                ),
            }
        }
    };
    let mut map = serializer.serialize_map(Some(9))?;
    map.serialize_entry("kind", kind)?;
    map.serialize_entry("number", &number)?;
    map.serialize_entry("low", &low)?;
    map.serialize_entry("high", &high)?;
    map.serialize_entry("unit", &unit)?;
    map.serialize_entry("approx", &approx)?;
    map.serialize_entry("bound", &bound)?;
    map.serialize_entry("text", &text)?;
    map.serialize_entry("bool", &boolean)?;
    map.end()
}

/// A [`Period`] in the typed form.
pub fn period<S: Serializer>(period: &Period, serializer: S) -> Result<S::Ok, S::Error> {
    let start = period.start.map(|d| d.to_string());
    let end = period.end.map(|d| d.to_string());
    let mut map = serializer.serialize_map(Some(6))?;
    map.serialize_entry("text", &period.to_string())?;
    map.serialize_entry("start", &start)?;
    map.serialize_entry("end", &end)?;
    map.serialize_entry("possible_start", &start)?;
    map.serialize_entry("possible_end", &end)?;
    map.serialize_entry("qualifiers", &None::<()>)?;
    map.end()
}

/// A [`Dating`] (a period as written, vague forms included) in the typed form.
pub fn dating<S: Serializer>(dating: &Dating, serializer: S) -> Result<S::Ok, S::Error> {
    let day = |d: Option<crate::period::Day>| d.map(|d| d.to_string());
    let possible = dating.possible();
    let (certain_start, certain_end) = dating.certain_bounds();
    let name = |q: Qualifier| match q {
        Qualifier::Exact => None,
        Qualifier::Approximate => Some("approximate"),
        Qualifier::Uncertain => Some("uncertain"),
        Qualifier::ApproximateUncertain => Some("approximate-uncertain"),
    };
    let qualifier = |end: End| match end {
        End::Exact { qualifier, .. } | End::Unspecified { qualifier, .. } => name(qualifier),
        End::Open | End::Unknown { .. } => None,
    };
    let (qs, qe) = (qualifier(dating.start), qualifier(dating.end));
    let qualifiers =
        (qs.is_some() || qe.is_some()).then(|| serde_json::json!({"start": qs, "end": qe}));
    let mut map = serializer.serialize_map(Some(6))?;
    map.serialize_entry("text", &dating.to_string())?;
    map.serialize_entry("start", &day(certain_start))?;
    map.serialize_entry("end", &day(certain_end))?;
    map.serialize_entry("possible_start", &day(possible.start))?;
    map.serialize_entry("possible_end", &day(possible.end))?;
    map.serialize_entry("qualifiers", &qualifiers)?;
    map.end()
}

/// An optional [`Period`] in the typed form, `null` when absent.
pub fn option_period<S: Serializer>(
    period: &Option<Period>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match period {
        Some(p) => self::period(p, serializer),
        None => serializer.serialize_none(),
    }
}

/// A list of [`Period`]s in the typed form.
pub fn periods<S: Serializer>(periods: &[Period], serializer: S) -> Result<S::Ok, S::Error> {
    struct Typed<'a>(&'a Period);
    impl serde::Serialize for Typed<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            period(self.0, serializer)
        }
    }
    serializer.collect_seq(periods.iter().map(Typed))
}

/// Anything with a `Display` name (an outcome, a change), as that text.
pub fn display<S: Serializer, T: std::fmt::Display>(
    item: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(item)
}

impl Period {
    /// This period in the typed form, as JSON (for bindings that build
    /// their own objects from it, such as the Python package).
    pub fn to_typed_json(&self) -> serde_json::Value {
        period(self, serde_json::value::Serializer).unwrap_or(serde_json::Value::Null)
    }
}

impl Dating {
    /// This period as written in the typed form, as JSON.
    pub fn to_typed_json(&self) -> serde_json::Value {
        dating(self, serde_json::value::Serializer).unwrap_or(serde_json::Value::Null)
    }
}

impl Value {
    /// This value in the typed form, as JSON.
    pub fn to_typed_json(&self) -> serde_json::Value {
        value(self, serde_json::value::Serializer).unwrap_or(serde_json::Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn typed_value(text: &str) -> serde_json::Value {
        let v = Value::parse(text).unwrap();
        value(&v, serde_json::value::Serializer).unwrap()
    }

    #[test]
    fn every_literal_form_has_its_typed_form() {
        assert_eq!(
            typed_value("24280 t"),
            json!({"kind":"number","number":24280.0,"low":null,"high":null,"unit":"t","approx":false,"bound":null,"text":null,"bool":null})
        );
        assert_eq!(typed_value("~40 %")["approx"], json!(true));
        assert_eq!(typed_value("<=30 %")["bound"], json!("<="));
        assert_eq!(typed_value(">=80 %")["bound"], json!(">="));
        let range = typed_value("-30..0 %");
        assert_eq!(
            (
                &range["kind"],
                &range["low"],
                &range["high"],
                &range["number"]
            ),
            (&json!("range"), &json!(-30.0), &json!(0.0), &json!(null))
        );
        let text = typed_value("'under consideration'");
        assert_eq!(
            (&text["kind"], &text["text"]),
            (&json!("text"), &json!("under consideration"))
        );
        assert_eq!(typed_value("true")["bool"], json!(true));
    }

    #[test]
    fn a_period_has_iso_ends_with_the_end_exclusive_and_null_when_open() {
        let p = Period::parse("2010-H2").unwrap();
        assert_eq!(
            period(&p, serde_json::value::Serializer).unwrap(),
            json!({"text":"2010-H2","start":"2010-07-01","end":"2011-01-01","possible_start":"2010-07-01","possible_end":"2011-01-01","qualifiers":null})
        );
        let open = Period::parse("2006..").unwrap();
        let typed = period(&open, serde_json::value::Serializer).unwrap();
        assert_eq!(
            (&typed["text"], &typed["end"]),
            (&json!("2006.."), &json!(null))
        );
    }

    #[test]
    fn a_vague_period_has_its_certain_and_possible_bounds_and_its_qualifiers() {
        let typed = Dating::parse("198X..2005~").unwrap().to_typed_json();
        assert_eq!(
            typed,
            json!({"text":"198X..2005~","start":"1990-01-01","end":"2006-01-01",
                   "possible_start":"1980-01-01","possible_end":"2006-01-01",
                   "qualifiers":{"start":null,"end":"approximate"}})
        );
        let unknown = Dating::parse("2010/").unwrap().to_typed_json();
        assert_eq!(
            (&unknown["end"], &unknown["possible_end"]),
            (&json!("2011-01-01"), &json!(null))
        );
        let plain = Dating::parse("2010-H2").unwrap().to_typed_json();
        assert_eq!(
            plain,
            period(
                &Period::parse("2010-H2").unwrap(),
                serde_json::value::Serializer
            )
            .unwrap()
        );
    }
}
