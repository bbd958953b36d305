//! The unit rule of SPEC §8: for an attribute defined with a unit, a
//! claim's value must be a number or range in that unit. Anything else is
//! refused with what to write instead (`30.258 kt` for unit `t`: "write
//! 30258 t"). An attribute without a unit accepts any value.
//!
//! The rule judges claims as they are appended, never claims already in a
//! log: `lint` reports those ([`check`] is shared), and an import of an
//! export's lines accepts them with a warning, so that export round-trips.

use crate::value::{Amount, Quantity, Value};

/// Checks `value` against the `unit` of `attribute`; the refusal says
/// what was found and, where it can, the value to write instead.
pub fn check(attribute: &str, unit: &str, value: &Value) -> Result<(), String> {
    let expected = format!("attribute '{attribute}' is measured in {unit}");
    match value {
        Value::Quantity(q) if q.unit.as_deref() == Some(unit) => Ok(()),
        Value::Quantity(q) => {
            let found = match &q.unit {
                None => "a number without a unit".to_string(),
                Some(other) => format!("a number in {other}"),
            };
            let advice = match in_unit(q, unit) {
                Some(converted) => format!("write {converted}"),
                None => format!("write a number or range in {unit}, such as {}", example(unit)),
            };
            Err(format!("'{value}' is {found}, but {expected}: {advice}"))
        }
        Value::Text(_) => Err(format!(
            "the text {value} is not a number, but {expected}: write a number or range in {unit}, such as {} (a statement without a number belongs to an attribute without a unit)",
            example(unit)
        )),
        Value::Bool(_) => Err(format!(
            "'{value}' is not a number, but {expected}: write a number or range in {unit}, such as {}",
            example(unit)
        )),
    }
}

fn example(unit: &str) -> String {
    format!("'42 {unit}', '~42 {unit}' or '40..45 {unit}'")
}

/// The quantity in `unit`, where its own unit is a spelling or a decimal
/// multiple of it (`tons`, `kt` for `t`) or it has none.
fn in_unit(q: &Quantity, unit: &str) -> Option<Value> {
    let factor = match q.unit.as_deref() {
        None => 1.0,
        Some(own) => factor_between(own, unit)?,
    };
    let scale = |n: f64| tidy(n * factor);
    let amount = match q.amount {
        Amount::Exact(n) => Amount::Exact(scale(n)),
        Amount::Approximately(n) => Amount::Approximately(scale(n)),
        Amount::AtMost(n) => Amount::AtMost(scale(n)),
        Amount::AtLeast(n) => Amount::AtLeast(scale(n)),
        Amount::Between(a, b) => Amount::Between(scale(a), scale(b)),
    };
    Some(Value::Quantity(Quantity {
        amount,
        unit: Some(unit.to_string()),
    }))
}

/// Removes the binary noise of a decimal multiplication
/// (30.258 × 1000 = 30258.000000000004).
fn tidy(n: f64) -> f64 {
    format!("{n:.14e}").parse().unwrap_or(n)
}

/// How many `to` one `from` is, for units that differ by a spelling or an
/// SI prefix.
fn factor_between(from: &str, to: &str) -> Option<f64> {
    let (from_scale, from_base) = decompose(from);
    let (to_scale, to_base) = decompose(to);
    (from_base == to_base).then(|| from_scale / to_scale)
}

/// A unit as (scale, base): `kt` is (1000, `t`), `tonnes` is (1, `t`).
fn decompose(unit: &str) -> (f64, String) {
    let base = spelled(unit);
    if base != unit || base.chars().count() < 2 {
        return (1.0, base);
    }
    let prefixes = [("k", 1e3), ("M", 1e6), ("G", 1e9), ("bn", 1e9)];
    for (prefix, scale) in prefixes {
        if let Some(rest) = unit.strip_prefix(prefix) {
            if KNOWN_BASES.contains(&spelled(rest).as_str()) {
                return (scale, spelled(rest));
            }
        }
    }
    (1.0, base)
}

/// The units a prefix may be read off: a prefix of an unknown unit (`kg` is
/// not `k`+`g` of anything written here) is left alone.
const KNOWN_BASES: &[&str] = &["t", "USD", "CNY", "INR", "t/yr"];

/// The usual spellings of a few units, to their symbol.
fn spelled(unit: &str) -> String {
    match unit.to_ascii_lowercase().as_str() {
        "ton" | "tons" | "tonne" | "tonnes" | "metric tons" | "mt." => "t".into(),
        "percent" | "per cent" | "pct" => "%".into(),
        "dollars" | "us$" | "$" => "USD".into(),
        "yuan" | "rmb" => "CNY".into(),
        "rupees" => "INR".into(),
        _ => unit.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(unit: &str, value: &str) -> Result<(), String> {
        check("export_quota", unit, &Value::parse(value).unwrap())
    }

    #[test]
    fn a_number_in_the_unit_passes_and_ranges_and_bounds_too() {
        for value in ["24280 t", "~30000 t", "<=10 t", ">=5 t", "1..2 t"] {
            assert_eq!(judged("t", value), Ok(()), "{value}");
        }
    }

    #[test]
    fn a_multiple_or_spelling_of_the_unit_is_refused_with_the_value_to_write() {
        let refusal = judged("t", "30.258 kt").unwrap_err();
        assert!(refusal.ends_with("write 30258 t"), "{refusal}");
        let refusal = judged("t", "31000 tons").unwrap_err();
        assert!(refusal.ends_with("write 31000 t"), "{refusal}");
        let refusal = judged("t", "1.5..2 Mt").unwrap_err();
        assert!(refusal.contains("write "), "{refusal}");
        assert!(refusal.contains("1500000..2000000 t"), "{refusal}");
        let refusal = judged("t", "12345678.9012 kt").unwrap_err();
        assert!(refusal.ends_with("write 12345678901.2 t"), "{refusal}");
        let refusal = judged("%", "40").unwrap_err();
        assert!(refusal.ends_with("write 40 %"), "{refusal}");
    }

    #[test]
    fn text_and_other_units_are_refused_with_an_example() {
        let refusal = judged("t", "'a lot'").unwrap_err();
        assert!(
            refusal.contains("is not a number, but attribute 'export_quota' is measured in t"),
            "{refusal}"
        );
        let refusal = judged("t", "3 kg").unwrap_err();
        assert!(refusal.contains("such as '42 t'"), "{refusal}");
        assert!(judged("t", "true").is_err());
    }
}
