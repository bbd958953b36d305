//! Claimed values: the literals of SPEC §4 and their canonical printing.
//!
//! A value is a number with an optional unit and an optional bound
//! (`~40 %`, `<=30 %`, `-30..0 %`), a quoted text, or a boolean. The number is
//! kept as written (an `f64`) and printed in Rust's shortest round-trip form;
//! two values are "the same" for resolution exactly when they print the same.
//!
//! Grammar:
//!
//! ```text
//! value    = text | "true" | "false" | quantity
//! quantity = ( "~" number | "<=" number | ">=" number | number [ ".." number ] ) [ unit ]
//! number   = [ "-" ] digits [ "." digits ] [ ( "e" | "E" ) [ "+" | "-" ] digits ]
//! unit     = one word of non-space characters, not a quote, not a keyword
//! ```

use crate::syntax::{keyword, quote_text, quoted_text, PResult, SyntaxError};
use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::{char, digit1, one_of, space0, space1};
use nom::combinator::{opt, recognize};
use nom::Parser;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A claimed value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Quantity(Quantity),
    Text(String),
    Bool(bool),
}

/// A number with its bound and unit: `~40 %`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    pub amount: Amount,
    pub unit: Option<String>,
}

/// How exact a number is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Amount {
    Exact(f64),
    Approximately(f64),
    AtMost(f64),
    AtLeast(f64),
    Between(f64, f64),
}

/// Words that end a value in the query language, so `= 24280 for 2010` does
/// not read `for` as a unit.
const RESERVED: &[&str] = &[
    "for", "from", "to", "known", "as", "source", "quote", "modality", "note", "id", "every",
    "because",
];

impl Value {
    /// A plain number without unit, as a JSON number in an import file means.
    pub fn number(n: f64) -> Value {
        Value::Quantity(Quantity {
            amount: Amount::Exact(n),
            unit: None,
        })
    }

    /// The common forms of an import's values, a plain number with or
    /// without a unit (`487.26 USD/kg`, `152000 t`, `97`), read without
    /// the grammar: `None` for anything else, valid or not, which the
    /// grammar then reads (and words the error of). As with periods
    /// (`Period::parse_common`), the grammar's generality was a large part
    /// of reading an import line.
    pub(crate) fn parse_common(text: &str) -> Option<Value> {
        // A bound first (`~36 %`, `<=176000 t`, `>= 5`): a third of the
        // values of the benches' log, which the grammar read at twice the
        // cost of the rest of their line's fields.
        let (bound, body): (fn(f64) -> Amount, &str) = if let Some(rest) = text.strip_prefix('~') {
            (Amount::Approximately, rest.trim_start_matches([' ', '\t']))
        } else if let Some(rest) = text.strip_prefix("<=") {
            (Amount::AtMost, rest.trim_start_matches([' ', '\t']))
        } else if let Some(rest) = text.strip_prefix(">=") {
            (Amount::AtLeast, rest.trim_start_matches([' ', '\t']))
        } else {
            (Amount::Exact, text)
        };
        let bytes = body.as_bytes();
        let mut end = usize::from(bytes.first() == Some(&b'-'));
        let digits = |from: usize| {
            from + bytes[from..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let whole = digits(end);
        if whole == end {
            return None;
        }
        end = whole;
        if bytes.get(end) == Some(&b'.') {
            let fraction = digits(end + 1);
            if fraction == end + 1 {
                return None;
            }
            end = fraction;
        }
        let number: f64 = body[..end].parse().ok()?;
        // What the grammar refuses or reads otherwise is left to it: a
        // number that is not finite or underflows, an exponent, a range (or
        // a bound with one), a unit without a space before it.
        if !number.is_finite() || (number == 0.0 && has_nonzero_digit(&body[..end])) {
            return None;
        }
        let rest = &body[end..];
        let unit = if rest.is_empty() {
            None
        } else {
            let word = rest.trim_start_matches([' ', '\t']);
            if word.len() == rest.len()
                || word.is_empty()
                || word.contains(char::is_whitespace)
                || word.starts_with(['\'', '"', '-'])
                || word.starts_with(|c: char| c.is_ascii_digit())
                || RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
            {
                return None;
            }
            Some(word.to_string())
        };
        Some(Value::Quantity(Quantity {
            amount: bound(number),
            unit,
        }))
    }

    /// Parses a whole value literal.
    pub fn parse(text: &str) -> Result<Value, SyntaxError> {
        crate::syntax::parse_all(text.trim(), value, "the value")
    }

    /// The number a value stands for in aggregates: the midpoint of a range,
    /// the bound of an at-most or at-least; nothing for text and booleans.
    pub fn magnitude(&self) -> Option<f64> {
        match self {
            Value::Quantity(q) => Some(match q.amount {
                Amount::Exact(n)
                | Amount::Approximately(n)
                | Amount::AtMost(n)
                | Amount::AtLeast(n) => n,
                Amount::Between(a, b) => (a + b) / 2.0,
            }),
            _ => None,
        }
    }

    pub fn unit(&self) -> Option<&str> {
        match self {
            Value::Quantity(q) => q.unit.as_deref(),
            _ => None,
        }
    }
}

impl std::str::FromStr for Value {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Value::parse(s).map_err(|e| format!("invalid value '{s}': {}", e.describe(s.trim())))
    }
}

impl Value {
    /// True exactly when the two print the same (what resolution compares,
    /// SPEC §4), found without printing them: numbers print in their
    /// shortest round-trip form, which two numbers share only when they are
    /// equal (`0` and `-0` both print `0`; every NaN prints `NaN`), and no
    /// two kinds of value or bound print alike.
    pub fn prints_as(&self, other: &Value) -> bool {
        let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        match (self, other) {
            (Value::Text(a), Value::Text(b)) => a == b,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Quantity(a), Value::Quantity(b)) => {
                a.unit == b.unit
                    && match (a.amount, b.amount) {
                        (Amount::Exact(x), Amount::Exact(y))
                        | (Amount::Approximately(x), Amount::Approximately(y))
                        | (Amount::AtMost(x), Amount::AtMost(y))
                        | (Amount::AtLeast(x), Amount::AtLeast(y)) => same(x, y),
                        (Amount::Between(a1, a2), Amount::Between(b1, b2)) => {
                            same(a1, b1) && same(a2, b2)
                        }
                        _ => false,
                    }
            }
            _ => false,
        }
    }
}

impl fmt::Display for Value {
    /// Canonical printing (SPEC §4): bound prefix, number, one space, unit.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(t) => f.write_str(&quote_text(t)),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Quantity(q) => {
                match q.amount {
                    Amount::Exact(n) => write!(f, "{}", Number(n))?,
                    Amount::Approximately(n) => write!(f, "~{}", Number(n))?,
                    Amount::AtMost(n) => write!(f, "<={}", Number(n))?,
                    Amount::AtLeast(n) => write!(f, ">={}", Number(n))?,
                    Amount::Between(a, b) => write!(f, "{}..{}", Number(a), Number(b))?,
                }
                if let Some(unit) = &q.unit {
                    write!(f, " {unit}")?;
                }
                Ok(())
            }
        }
    }
}

/// Rust's shortest round-trip form, with negative zero printed as `0`.
struct Number(f64);

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0.0 {
            f.write_str("0")
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// The nom parser for a value literal.
pub fn value(input: &str) -> PResult<'_, Value> {
    alt((
        quoted_text.map(Value::Text),
        keyword("true").map(|_| Value::Bool(true)),
        keyword("false").map(|_| Value::Bool(false)),
        quantity.map(Value::Quantity),
    ))
    .parse(input)
    .map_err(|e| match e {
        nom::Err::Error(_) => nom::Err::Error(SyntaxError::expected(
            input,
            "a value (a number with an optional unit, a quoted text, true or false)",
        )),
        other => other,
    })
}

fn number(input: &str) -> PResult<'_, f64> {
    let (rest, text) = recognize((
        opt(char('-')),
        digit1,
        opt((char('.'), digit1)),
        opt((one_of("eE"), opt(one_of("+-")), digit1)),
    ))
    .parse(input)?;
    match text.parse::<f64>() {
        // A number too small for an f64 would silently become 0.
        Ok(n) if n == 0.0 && has_nonzero_digit(text) => SyntaxError::fail(
            input,
            format!("the number '{text}' is too small to keep: it would be stored as 0"),
        ),
        Ok(n) if n.is_finite() => Ok((rest, n)),
        _ => SyntaxError::fail(input, format!("the number '{text}' is out of range")),
    }
}

/// Whether the digits before any exponent are not all zero.
fn has_nonzero_digit(number: &str) -> bool {
    let mantissa = number.split(['e', 'E']).next().unwrap_or(number);
    mantissa.bytes().any(|b| (b'1'..=b'9').contains(&b))
}

fn quantity(input: &str) -> PResult<'_, Quantity> {
    let bounded = |prefix: &'static str, make: fn(f64) -> Amount| {
        (tag(prefix), space0, number).map(move |(_, _, n)| make(n))
    };
    let (rest, amount) = alt((
        bounded("~", Amount::Approximately),
        bounded("<=", Amount::AtMost),
        bounded(">=", Amount::AtLeast),
        number.map(Amount::Exact),
    ))
    .parse(input)?;
    let (rest, amount) = match (amount, rest.strip_prefix("..")) {
        (Amount::Exact(low), Some(after)) => {
            let (after, high) = number(after)?;
            if high < low {
                let written = &input[..input.len() - after.len()];
                return SyntaxError::fail(
                    input,
                    format!("the range '{written}' ends below its start"),
                );
            }
            (after, Amount::Between(low, high))
        }
        (_, Some(_)) => return SyntaxError::fail(rest, "a bounded number cannot also be a range"),
        (amount, None) => (rest, amount),
    };
    if rest.starts_with(|c: char| c.is_alphanumeric() || c == '.') {
        return Err(nom::Err::Error(SyntaxError::expected(
            rest,
            "a space before the unit",
        )));
    }
    let (rest, unit) = opt((space1, unit).map(|(_, u)| u)).parse(rest)?;
    Ok((rest, Quantity { amount, unit }))
}

/// A unit: one word that is not a keyword of the query language.
fn unit(input: &str) -> PResult<'_, String> {
    let word: &str = &input[..input.find(char::is_whitespace).unwrap_or(input.len())];
    let starts_badly =
        word.starts_with(['\'', '"', '-']) || word.starts_with(|c: char| c.is_ascii_digit());
    if word.is_empty() || starts_badly || RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word)) {
        return Err(nom::Err::Error(SyntaxError::expected(input, "a unit")));
    }
    Ok((&input[word.len()..], word.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Numbers drawn so that pairs are often equal, or print alike while
    /// their bits differ (`0` and `-0`, two NaNs), or differ in the last
    /// digit of their shortest form.
    fn number() -> impl Strategy<Value = f64> {
        prop_oneof![
            Just(0.0),
            Just(-0.0),
            Just(f64::NAN),
            Just(-f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(0.1),
            Just(0.1 + 0.2),
            Just(0.30000000000000004),
            Just(0.3),
            Just(-30.0),
            Just(24280.0),
            (0u64..4).prop_map(|n| n as f64),
            any::<f64>(),
        ]
    }

    fn any_value() -> impl Strategy<Value = Value> {
        let amount = prop_oneof![
            number().prop_map(Amount::Exact),
            number().prop_map(Amount::Approximately),
            number().prop_map(Amount::AtMost),
            number().prop_map(Amount::AtLeast),
            (number(), number()).prop_map(|(a, b)| Amount::Between(a, b)),
        ];
        let unit = prop_oneof![
            Just(None),
            Just(Some("t".to_string())),
            Just(Some("%".to_string())),
            Just(Some("..2".to_string())),
        ];
        prop_oneof![
            4 => (amount, unit).prop_map(|(amount, unit)| Value::Quantity(Quantity { amount, unit })),
            1 => prop_oneof![Just("true"), Just("1"), Just("\"a\""), Just("")]
                .prop_map(|t| Value::Text(t.to_string())),
            1 => any::<bool>().prop_map(Value::Bool),
        ]
    }

    proptest! {
        /// Resolution compares values by `prints_as`; SPEC §4 says values
        /// are the same when they print the same.
        #[test]
        fn two_values_print_as_each_other_exactly_when_their_printings_are_equal(
            a in any_value(),
            b in any_value(),
        ) {
            prop_assert_eq!(a.prints_as(&b), a.to_string() == b.to_string(), "{} / {}", a, b);
            prop_assert!(a.prints_as(&a.clone()));
        }
    }

    /// Every literal form of SPEC §4 with its canonical printing.
    #[test]
    fn every_literal_in_the_spec_prints_canonically() {
        let table = [
            ("24280 t", "24280 t"),
            ("1.4e9 INR", "1400000000 INR"),
            ("60 CNY/t", "60 CNY/t"),
            ("97 %", "97 %"),
            ("2.5 x", "2.5 x"),
            ("~40 %", "~40 %"),
            ("~ 40 %", "~40 %"),
            ("<=30 %", "<=30 %"),
            (">=80 %", ">=80 %"),
            ("-30..0 %", "-30..0 %"),
            ("20000..40000 t", "20000..40000 t"),
            ("'under consideration'", "'under consideration'"),
            ("\"under consideration\"", "'under consideration'"),
            ("true", "true"),
            ("FALSE", "false"),
            ("24280", "24280"),
            ("0.10 %", "0.1 %"),
            ("-0 %", "0 %"),
            ("24280.0   t", "24280 t"),
        ];
        for (text, printed) in table {
            let v = Value::parse(text).unwrap_or_else(|e| panic!("{text}: {}", e.describe(text)));
            assert_eq!(v.to_string(), printed, "{text}");
            assert_eq!(Value::parse(printed).unwrap(), v, "{printed} re-parses");
        }
    }

    #[test]
    fn bad_values_are_errors() {
        for text in [
            "",
            "t",
            "24,280 t",
            "30..-10 %",
            "~30..40 %",
            "24280t",
            "24280 t extra",
            "'open",
            "1e999 t",
        ] {
            assert!(Value::parse(text).is_err(), "{text} should not parse");
        }
    }

    #[test]
    fn a_keyword_is_not_a_unit() {
        let (rest, v) = value("24280 for 2010").unwrap();
        assert_eq!(v, Value::number(24280.0));
        assert_eq!(rest, " for 2010");
    }

    /// Every form `parse_common` reads, it reads as the grammar does; what
    /// it leaves is either not a plain number with an optional unit, or
    /// something the grammar refuses.
    #[test]
    fn the_common_forms_read_without_the_grammar_as_the_grammar_reads_them() {
        let numbers = [
            "0", "7", "-7", "24280", "487.26", "0.10", "-0", "-0.5", "1.", ".5", "1e9", "1.4e9",
            "00012", "3.000", "1..2", "-30..0", "~40", "<=30", "0.000",
            "99999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999",
        ];
        let tails = [
            "", " t", " USD/kg", " %", "  t", "\tt", " t ", " t x", "t", " 't'", " -t", " 5t",
            " for", " FOR", " Known", " fortune", " x", " é", ".5 t", "e3 t", " ", "..5 t",
        ];
        let bounds = [
            "", "~", "~ ", "~\t", "<=", "<= ", ">=", ">=  ", "=<", "<", "~~", " ~",
        ];
        let mut common = 0;
        for (bound, number) in bounds
            .iter()
            .flat_map(|b| numbers.iter().map(move |n| (b, n)))
        {
            for tail in tails {
                let text = format!("{bound}{number}{tail}");
                let grammar = Value::parse(&text).ok();
                match Value::parse_common(&text) {
                    Some(value) => {
                        common += 1;
                        assert_eq!(Some(value), grammar, "{text}");
                    }
                    // Left to the grammar: what it refuses, ranges,
                    // exponents, and text with spaces around it (which the
                    // grammar trims).
                    None => assert!(
                        !matches!(
                            grammar,
                            Some(Value::Quantity(Quantity {
                                amount: Amount::Exact(_)
                                    | Amount::Approximately(_)
                                    | Amount::AtMost(_)
                                    | Amount::AtLeast(_),
                                ..
                            }))
                        ) || format!("{number}{tail}")
                            .split([' ', '\t'])
                            .next()
                            .is_some_and(|n| n.contains(['e', 'E']))
                            || text != text.trim(),
                        "{text} was left to the grammar"
                    ),
                }
            }
        }
        assert!(
            common > 400,
            "only {common} forms were read without the grammar"
        );
    }

    #[test]
    fn magnitude_takes_the_midpoint_of_a_range() {
        assert_eq!(Value::parse("20..40 t").unwrap().magnitude(), Some(30.0));
        assert_eq!(Value::parse("'x'").unwrap().magnitude(), None);
    }
}
