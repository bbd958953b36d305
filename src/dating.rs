//! A period as a source wrote it, vagueness included: the EDTF Level 1
//! forms of SPEC §3 "Uncertain dates" (ISO 8601-2), beside annals' own.
//!
//! A [`Dating`] has two ends. Each is open (`2006..`), unknown (`2010/`: it
//! exists but is not known), an exact day boundary (the first day of a start,
//! the day after the last of an end) with an EDTF qualifier (`1992~`,
//! `2010-10?..2011`), or a date with unspecified digits (`198X`, `2010-XX`)
//! that lies somewhere in a span of days. From the ends follow two
//! extents: the **possible** one, from the earliest a start may be to the
//! latest an end may be, and the **certain** one, from the latest a start
//! may be to the earliest an end may be (`198X..`: possible from 1980,
//! certain from 1990).
//!
//! Grammar (case-insensitive), added to [`crate::period`]'s:
//!
//! ```text
//! dating  = mark [ ( ".." | "/" ) [ mark | ".." ] ] | ( ".." | "/" ) ( mark | ".." )
//! mark    = ( point | unspecified ) [ "?" | "~" | "%" ]
//! unspecified = D{1,3} X{1,3}   (a year of four characters: 198X, 19XX)
//!             | YYYY "-XX" [ "-XX" ] | YYYY "-" MM "-XX"
//! ```
//!
//! An empty side of `..` is open; an empty side of `/` is unknown; `/..`
//! and `../` are open. Seasons (`2010-21`) and EDTF Level 2 (qualifiers
//! inside a date, sets, long years, partial digits) are refused with an
//! error that names them.
//!
//! The parser is written here in nom rather than taken from an EDTF crate
//! (`edtf-core`, `citum-edtf`, `edtf` were looked at): annals mixes EDTF
//! ends with its own forms (`1992~..2010-H2`, `oct 2010?`), reports errors
//! at a position inside a query, and gives the forms a meaning of its own
//! (certain and possible extents); a crate would parse only whole EDTF
//! strings and leave all of that to do here anyway.

use crate::period::{point, Day, Period};
use crate::syntax::{is_word_char, PResult, SyntaxError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The EDTF qualifier of a date: how sure the source was of it. It never
/// changes an answer; it is kept and printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Qualifier {
    #[default]
    Exact,
    /// `?`
    Uncertain,
    /// `~`
    Approximate,
    /// `%`: approximate and uncertain.
    ApproximateUncertain,
}

impl Qualifier {
    fn of(c: char) -> Option<Qualifier> {
        match c {
            '?' => Some(Qualifier::Uncertain),
            '~' => Some(Qualifier::Approximate),
            '%' => Some(Qualifier::ApproximateUncertain),
            _ => None,
        }
    }

    /// The suffix it is written with.
    pub fn suffix(self) -> &'static str {
        match self {
            Qualifier::Exact => "",
            Qualifier::Uncertain => "?",
            Qualifier::Approximate => "~",
            Qualifier::ApproximateUncertain => "%",
        }
    }

    /// The qualifiers of a claim's written forms (valid, known) together;
    /// `Exact` when it has none.
    pub fn of_forms<'a>(forms: impl IntoIterator<Item = &'a Option<Dating>>) -> Qualifier {
        forms
            .into_iter()
            .flatten()
            .fold(Qualifier::Exact, |q, form| q.union(form.qualifier()))
    }

    /// Both qualifiers at once: `~` and `?` make `%`.
    pub fn union(self, other: Qualifier) -> Qualifier {
        let approximate = |q| matches!(q, Qualifier::Approximate | Qualifier::ApproximateUncertain);
        let uncertain = |q| matches!(q, Qualifier::Uncertain | Qualifier::ApproximateUncertain);
        match (
            approximate(self) || approximate(other),
            uncertain(self) || uncertain(other),
        ) {
            (false, false) => Qualifier::Exact,
            (false, true) => Qualifier::Uncertain,
            (true, false) => Qualifier::Approximate,
            (true, true) => Qualifier::ApproximateUncertain,
        }
    }
}

/// A date with unspecified digits: the unit it names lies somewhere in the
/// span these digits leave open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unspecified {
    /// `198X` (`x` = 1), `19XX` (2), `1XXX` (3): some year from `first`.
    Year { first: i32, x: u8 },
    /// `2010-XX`: some month of the year.
    Month { year: i32 },
    /// `2010-XX-XX`: some day of the year.
    MonthAndDay { year: i32 },
    /// `2010-10-XX`: some day of the month.
    Day { year: i32, month: i32 },
}

impl Unspecified {
    /// The days the date may fall on.
    pub fn span(self) -> Period {
        match self {
            Unspecified::Year { first, x } => {
                let years = 10i32.pow(u32::from(x));
                Period::new(
                    Day::first_of_year(first),
                    Day::first_of_month(first, 1, 12 * years),
                )
            }
            Unspecified::Month { year } | Unspecified::MonthAndDay { year } => Period::year(year),
            Unspecified::Day { year, month } => Period::month(year, month),
        }
    }
}

impl fmt::Display for Unspecified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Unspecified::Year { first, x } => {
                let digits = format!("{first:04}");
                let kept = 4 - usize::from(x);
                write!(f, "{}{}", &digits[..kept], "X".repeat(usize::from(x)))
            }
            Unspecified::Month { year } => write!(f, "{year:04}-XX"),
            Unspecified::MonthAndDay { year } => write!(f, "{year:04}-XX-XX"),
            Unspecified::Day { year, month } => write!(f, "{year:04}-{month:02}-XX"),
        }
    }
}

/// One end of a [`Dating`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum End {
    /// `..`: unbounded on this side.
    Open,
    /// An empty side of `/`: the end exists but is not known. `certain` is
    /// where the certain extent stops on this side: the far edge of the
    /// written date (`2010/` is certain through 2010, possible after).
    Unknown { certain: Day },
    /// An exact boundary: the first day of a start, the day after the last
    /// day of an end.
    Exact { day: Day, qualifier: Qualifier },
    /// A date with unspecified digits.
    Unspecified {
        digits: Unspecified,
        qualifier: Qualifier,
    },
}

impl End {
    fn qualifier(self) -> Qualifier {
        match self {
            End::Exact { qualifier, .. } | End::Unspecified { qualifier, .. } => qualifier,
            End::Open | End::Unknown { .. } => Qualifier::Exact,
        }
    }
}

/// A period as written, with everything SPEC §3 keeps of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Dating {
    pub start: End,
    pub end: End,
}

impl From<Period> for Dating {
    fn from(period: Period) -> Dating {
        let end = |day: Option<Day>| match day {
            Some(day) => End::Exact {
                day,
                qualifier: Qualifier::Exact,
            },
            None => End::Open,
        };
        Dating {
            start: end(period.start),
            end: end(period.end),
        }
    }
}

impl Dating {
    /// Parses any written form, the whole string.
    pub fn parse(text: &str) -> Result<Dating, SyntaxError> {
        crate::syntax::parse_all(text.trim(), dating, "the period")
    }

    /// Every day the period may cover: from the earliest its start may be
    /// to the latest its end may be.
    pub fn possible(&self) -> Period {
        let start = match self.start {
            End::Exact { day, .. } => Some(day),
            End::Unspecified { digits, .. } => digits.span().start,
            End::Open | End::Unknown { .. } => None,
        };
        let end = match self.end {
            End::Exact { day, .. } => Some(day),
            End::Unspecified { digits, .. } => digits.span().end,
            End::Open | End::Unknown { .. } => None,
        };
        Period { start, end }
    }

    /// The certain bounds, end by end: the latest the start may be and the
    /// earliest the end may be (`None` on an open side). They may cross
    /// (`201X` starts by 2020 and ends from 2010): then nothing is certain.
    pub fn certain_bounds(&self) -> (Option<Day>, Option<Day>) {
        let start = match self.start {
            End::Exact { day, .. } => Some(day),
            End::Unspecified { digits, .. } => digits.span().end,
            End::Unknown { certain } => Some(certain),
            End::Open => None,
        };
        let end = match self.end {
            End::Exact { day, .. } => Some(day),
            End::Unspecified { digits, .. } => digits.span().start,
            End::Unknown { certain } => Some(certain),
            End::Open => None,
        };
        (start, end)
    }

    /// The days the period certainly covers, if any: from the latest its
    /// start may be to the earliest its end may be.
    pub fn certain(&self) -> Option<Period> {
        let (start, end) = self.certain_bounds();
        let period = Period { start, end };
        match (start, end) {
            (Some(s), Some(e)) if e <= s => None,
            _ => Some(period),
        }
    }

    /// The plain period this is, when it has no qualifier, no unspecified
    /// digit and no unknown end; else the form it has, for a message.
    pub fn plain(&self) -> Result<Period, &'static str> {
        match (self.start, self.end) {
            (End::Unknown { .. }, _) | (_, End::Unknown { .. }) => Err("an unknown end"),
            (End::Unspecified { .. }, _) | (_, End::Unspecified { .. }) => {
                Err("unspecified digits")
            }
            _ if self.qualifier() != Qualifier::Exact => Err("a qualifier"),
            _ => Ok(self.possible()),
        }
    }

    /// The period a question asks about (SPEC §3): unspecified digits mean
    /// their whole span, qualifiers are ignored, an unknown end is refused.
    pub fn for_question(&self) -> Result<Period, String> {
        if matches!(self.start, End::Unknown { .. }) || matches!(self.end, End::Unknown { .. }) {
            return Err(format!(
                "'{self}' has an unknown end, which a question cannot ask about: \
                 write an open range ('2010..', '..2012') or both ends"
            ));
        }
        Ok(self.possible())
    }

    /// The qualifiers of both ends together.
    pub fn qualifier(&self) -> Qualifier {
        self.start.qualifier().union(self.end.qualifier())
    }

    /// The one written date this is (`1992~`, `201X`), if it is one.
    fn single(&self) -> Option<String> {
        match (self.start, self.end) {
            (
                End::Exact {
                    day: s,
                    qualifier: a,
                },
                End::Exact {
                    day: e,
                    qualifier: b,
                },
            ) if a == b && a != Qualifier::Exact => {
                let period = Period::new(s, e);
                period.single_form().map(|p| format!("{p}{}", a.suffix()))
            }
            (
                End::Unspecified {
                    digits: a,
                    qualifier: p,
                },
                End::Unspecified {
                    digits: b,
                    qualifier: q,
                },
            ) if a == b && p == q => Some(format!("{a}{}", p.suffix())),
            _ => None,
        }
    }
}

impl fmt::Display for Dating {
    /// Canonical printing (SPEC §3): a plain period as [`Period`] prints
    /// it; qualifiers right after the date they qualify; unspecified digits
    /// and unknown ends as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Ok(plain) = self.plain() {
            return write!(f, "{plain}");
        }
        if let Some(single) = self.single() {
            return f.write_str(&single);
        }
        let possible = self.possible();
        match (self.start, self.end) {
            // `P/`: the written date runs from the start to where it is
            // certain to.
            (start, End::Unknown { certain }) => {
                write_point(f, start, certain, true)?;
                f.write_str("/")
            }
            (End::Unknown { certain }, end) => {
                f.write_str("/")?;
                write_point(f, end, certain, false)
            }
            (start, end) => {
                match start {
                    End::Exact { day, qualifier } => {
                        write!(f, "{}{}", possible.start_side(day), qualifier.suffix())?
                    }
                    End::Unspecified { digits, qualifier } => {
                        write!(f, "{digits}{}", qualifier.suffix())?
                    }
                    End::Open | End::Unknown { .. } => {}
                }
                f.write_str("..")?;
                match end {
                    End::Exact { day, qualifier } => {
                        write!(f, "{}{}", possible.end_side(day), qualifier.suffix())
                    }
                    End::Unspecified { digits, qualifier } => {
                        write!(f, "{digits}{}", qualifier.suffix())
                    }
                    End::Open | End::Unknown { .. } => Ok(()),
                }
            }
        }
    }
}

/// Writes the one date beside an unknown end: an exact end and the edge of
/// the certain extent bound the written date's days.
fn write_point(f: &mut fmt::Formatter<'_>, end: End, edge: Day, is_start: bool) -> fmt::Result {
    match end {
        End::Exact { day, qualifier } => {
            let span = if is_start {
                Period::new(day, edge)
            } else {
                Period::new(edge, day)
            };
            match span.single_form() {
                Some(form) => write!(f, "{form}{}", qualifier.suffix()),
                None => write!(f, "{span}{}", qualifier.suffix()),
            }
        }
        End::Unspecified { digits, qualifier } => write!(f, "{digits}{}", qualifier.suffix()),
        End::Open => f.write_str(".."),
        End::Unknown { .. } => Ok(()),
    }
}

/// What one side of a range holds as written.
enum Side {
    Empty,
    /// `..` written on a side of `/`.
    Open,
    Mark(Mark),
}

/// One written date: its days, whether digits were unspecified, and its
/// qualifier.
#[derive(Clone, Copy)]
struct Mark {
    span: Period,
    digits: Option<Unspecified>,
    qualifier: Qualifier,
}

impl Mark {
    fn as_start(self) -> End {
        match self.digits {
            Some(digits) => End::Unspecified {
                digits,
                qualifier: self.qualifier,
            },
            None => End::Exact {
                day: self.span.start.unwrap_or(Day(0)),
                qualifier: self.qualifier,
            },
        }
    }

    fn as_end(self) -> End {
        match self.digits {
            Some(digits) => End::Unspecified {
                digits,
                qualifier: self.qualifier,
            },
            None => End::Exact {
                day: self.span.end.unwrap_or(Day(0)),
                qualifier: self.qualifier,
            },
        }
    }
}

/// The nom parser for a [`Dating`].
pub fn dating(input: &str) -> PResult<'_, Dating> {
    refuse_level_2(input)?;
    let (rest, first) = first_side(input)?;
    let (separator, after) = if let Some(after) = rest.strip_prefix("..") {
        ("..", after)
    } else if let Some(after) = rest.strip_prefix('/') {
        ("/", after)
    } else {
        return match first {
            Side::Mark(mark) => Ok((
                rest,
                Dating {
                    start: mark.as_start(),
                    end: mark.as_end(),
                },
            )),
            _ => Err(nom::Err::Error(SyntaxError::expected(input, "a period"))),
        };
    };
    refuse_level_2(after)?;
    let (rest, second) = if separator == "/" {
        side_after_slash(after)?
    } else {
        mark_side(after)?
    };
    let unknown_or_open = |side: &Side| {
        if separator == "/" && matches!(side, Side::Empty) {
            None
        } else {
            Some(End::Open)
        }
    };
    let (start, end) = match (&first, &second) {
        (Side::Mark(a), Side::Mark(b)) => (a.as_start(), b.as_end()),
        (Side::Mark(a), other) => (
            a.as_start(),
            unknown_or_open(other).unwrap_or(End::Unknown {
                certain: a.span.end.unwrap_or(Day(0)),
            }),
        ),
        (other, Side::Mark(b)) => (
            unknown_or_open(other).unwrap_or(End::Unknown {
                certain: b.span.start.unwrap_or(Day(0)),
            }),
            b.as_end(),
        ),
        _ => {
            return SyntaxError::fail(
                input,
                "a range needs at least one date ('2006..', '..2012', '2010/')",
            )
        }
    };
    let dating = Dating { start, end };
    let possible = dating.possible();
    if let (Some(s), Some(e)) = (possible.start, possible.end) {
        if e <= s {
            let written = &input[..input.len() - rest.len()];
            return SyntaxError::fail(
                input,
                format!("the range '{written}' ends before it starts"),
            );
        }
    }
    Ok((rest, dating))
}

/// The first side of a range: a date, `..` before a `/` (`../2012`), or
/// nothing (then `..2012` is an open start, read by the caller).
fn first_side(input: &str) -> PResult<'_, Side> {
    if let Some(after) = input.strip_prefix("..") {
        if after.starts_with('/') {
            return Ok((after, Side::Open));
        }
        return Ok((input, Side::Empty));
    }
    mark_side(input)
}

/// The side after a `/`: a date, `..` (open), or nothing (unknown).
fn side_after_slash(input: &str) -> PResult<'_, Side> {
    if let Some(after) = input.strip_prefix("..") {
        return Ok((after, Side::Open));
    }
    mark_side(input)
}

/// A date as a side of a range, or nothing.
fn mark_side(input: &str) -> PResult<'_, Side> {
    let (rest, mark) = mark(input)?;
    Ok((rest, mark.map_or(Side::Empty, Side::Mark)))
}

/// A date with its qualifier, if one is written here.
fn mark(input: &str) -> PResult<'_, Option<Mark>> {
    let (rest, digits, span) = match unspecified(input)? {
        (rest, Some(digits)) => (rest, Some(digits), digits.span()),
        (_, None) => match point(input) {
            Ok((rest, span)) => (rest, None, span),
            Err(nom::Err::Error(_)) => return Ok((input, None)),
            Err(e) => return Err(e),
        },
    };
    let (rest, qualifier) = match rest.chars().next().and_then(Qualifier::of) {
        Some(q) => (&rest[1..], q),
        None => (rest, Qualifier::Exact),
    };
    if rest.starts_with('-') && qualifier != Qualifier::Exact {
        return SyntaxError::fail(
            input,
            "a qualifier inside a date ('2004-06~-11') is EDTF Level 2, which annals does not \
             accept: qualify the whole date ('2004-06-11~')",
        );
    }
    if rest.starts_with(is_word_char) {
        return Err(nom::Err::Error(SyntaxError::expected(
            rest,
            "the end of a date",
        )));
    }
    Ok((
        rest,
        Some(Mark {
            span,
            digits,
            qualifier,
        }),
    ))
}

/// A date with unspecified digits (`198X`, `19XX`, `2010-XX`,
/// `2010-XX-XX`, `2010-10-XX`), or `None` when none is written here.
fn unspecified(input: &str) -> PResult<'_, Option<Unspecified>> {
    let year: String = input
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == 'X' || *c == 'x')
        .collect();
    if year.len() != 4 || !year.contains(['X', 'x']) && !has_unspecified_part(&input[4..]) {
        if year.len() == 4 || !year.contains(['X', 'x']) {
            return Ok((input, None));
        }
        return SyntaxError::fail(
            input,
            format!("'{year}' is not a year with unspecified digits: write four characters, such as 198X or 19XX"),
        );
    }
    let digits = year.trim_end_matches(['X', 'x']);
    let x = (4 - digits.len()) as u8;
    if digits.contains(['X', 'x']) || digits.is_empty() {
        return SyntaxError::fail(
            input,
            format!(
                "'{year}' leaves digits unspecified in the middle or all of them, which is \
                 EDTF Level 2: only the last digits of a year may be X (198X, 19XX)"
            ),
        );
    }
    let first: i32 = digits.parse().unwrap_or(0) * 10i32.pow(u32::from(x));
    let rest = &input[4..];
    if x > 0 {
        if rest.starts_with('-') && rest[1..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return SyntaxError::fail(
                input,
                format!("'{year}' with a month is EDTF Level 2: write the year alone"),
            );
        }
        if first == 0 && x < 4 && digits.chars().all(|c| c == '0') {
            return SyntaxError::fail(input, "years start at 1: '000X' names no year");
        }
        return Ok((rest, Some(Unspecified::Year { first, x })));
    }
    let year: i32 = first;
    if year == 0 {
        return SyntaxError::fail(input, "year 0 is out of range (expected 1 to 9999)");
    }
    // `2010-XX`, `2010-XX-XX`, `2010-10-XX`.
    let after = &rest[1..];
    if let Some(after_month) = strip_xx(after) {
        if let Some(after_day) = after_month.strip_prefix('-') {
            return match strip_xx(after_day) {
                Some(rest) => Ok((rest, Some(Unspecified::MonthAndDay { year }))),
                None => SyntaxError::fail(
                    input,
                    "a day after an unspecified month must be unspecified too ('2010-XX-XX'): \
                     anything else is EDTF Level 2",
                ),
            };
        }
        return Ok((after_month, Some(Unspecified::Month { year })));
    }
    let month_digits = after.get(..2).unwrap_or(after);
    if month_digits.contains(['X', 'x']) {
        return SyntaxError::fail(
            input,
            "only whole months may be unspecified ('2010-XX'); '1X' and the like are EDTF Level 2",
        );
    }
    let month: i32 = month_digits.parse().unwrap_or(0);
    if !(1..=12).contains(&month) {
        return SyntaxError::fail(
            input,
            format!("month {month_digits} is out of range (expected 01 to 12)"),
        );
    }
    match after
        .get(2..)
        .and_then(|a| a.strip_prefix('-'))
        .and_then(strip_xx)
    {
        Some(rest) => Ok((rest, Some(Unspecified::Day { year, month }))),
        None => SyntaxError::fail(
            input,
            "only whole days may be unspecified ('2010-10-XX'); '1X' and the like are EDTF Level 2",
        ),
    }
}

/// Whether `rest` (after four year digits) goes on with unspecified digits:
/// `-XX`, `-XX-XX` or `-MM-XX`, partial ones (`-1X`) included, so that they
/// are refused rather than misread.
fn has_unspecified_part(rest: &str) -> bool {
    let tail: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    tail.starts_with('-') && tail.contains(['X', 'x'])
}

fn strip_xx(input: &str) -> Option<&str> {
    let rest = input
        .strip_prefix("XX")
        .or_else(|| input.strip_prefix("xx"))?;
    (!rest.starts_with(is_word_char)).then_some(rest)
}

/// Refuses the EDTF Level 2 forms that start a date, naming them: a
/// qualifier before a date or a component, sets, long years.
fn refuse_level_2(input: &str) -> PResult<'_, ()> {
    let mut chars = input.chars();
    let first = chars.next();
    let second = chars.next();
    let named = match (first, second) {
        (Some('?' | '~' | '%'), Some(c)) if c.is_ascii_digit() => {
            Some("a qualifier before a date ('?2004') is EDTF Level 2: write it after ('2004?')")
        }
        (Some('[' | '{'), _) => Some(
            "a set of dates ('[1667, 1668]', '{1960, 1961}') is EDTF Level 2, which annals \
             does not accept: write a range",
        ),
        (Some('Y' | 'y'), Some(c)) if c.is_ascii_digit() || c == '-' => {
            Some("a long year ('Y170000') is EDTF Level 2: annals' years run from 1 to 9999")
        }
        (Some('-'), Some(c)) if c.is_ascii_digit() => {
            Some("years before 1 are not accepted yet: annals' years run from 1 to 9999")
        }
        _ => None,
    };
    match named {
        Some(message) => SyntaxError::fail(input, message),
        None => Ok((input, ())),
    }
}

/// A period as a claim wrote it, when the written form covers exactly the
/// period shown, else canonically. SPEC §3: qualifiers print right after
/// the date they qualify, a range with a qualifier on one end never
/// collapses to a coarser period (`2010-01?..2010-06`, not `2010-H1`), and
/// unspecified digits print as written (`201X`, not `2010s`). A state run
/// cut out of a claim's period prints its days plainly.
pub fn as_written(period: Period, form: &Option<Dating>) -> String {
    match form {
        Some(form) if form.possible() == period => form.to_string(),
        _ => period.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Dating {
        Dating::parse(text).unwrap_or_else(|e| panic!("{text}: {}", e.describe(text)))
    }

    fn refused(text: &str) -> String {
        match Dating::parse(text) {
            Ok(d) => panic!("{text} parsed as {d:?}"),
            Err(e) => e.describe(text),
        }
    }

    #[test]
    fn every_form_prints_canonically() {
        for (text, printed) in [
            ("2010", "2010"),
            ("2010/2012", "2010..2012"),
            ("2010-10/..", "2010-10.."),
            ("../2012", "..2012"),
            ("1992~", "1992~"),
            ("2010-10?", "2010-10?"),
            ("2011%", "2011%"),
            ("1992~..", "1992~.."),
            ("2010..2012?", "2010..2012?"),
            ("2010-10?..2011", "2010-10?..2011"),
            ("2010~..2010", "2010~..2010"),
            ("198X", "198X"),
            ("19xx", "19XX"),
            ("198X..", "198X.."),
            ("..198X", "..198X"),
            ("2010-XX", "2010-XX"),
            ("2010-10-XX", "2010-10-XX"),
            ("2010-XX-XX", "2010-XX-XX"),
            ("2010/", "2010/"),
            ("/2012", "/2012"),
            ("2010-10?/", "2010-10?/"),
            ("201X?/", "201X?/"),
            ("oct 2010~", "2010-10~"),
            ("2010-H2?", "2010-H2?"),
        ] {
            assert_eq!(parse(text).to_string(), printed, "{text}");
            assert_eq!(
                parse(printed),
                parse(text),
                "{text} re-parses from {printed}"
            );
        }
    }

    #[test]
    fn extents_follow_the_spans_of_the_ends() {
        let period = |t: &str| Period::parse(t).unwrap();
        let cases = [
            ("198X..", "1980..", Some("1990..")),
            ("..198X", "..1989", Some("..1979")),
            ("2010/", "2010..", Some("2010")),
            ("/2012", "..2012", Some("2012")),
            ("201X", "2010s", None),
            ("1992~", "1992", Some("1992")),
            ("2010-10-XX", "2010-10", None),
            ("198X..2005", "1980..2005", Some("1990..2005")),
        ];
        for (text, possible, certain) in cases {
            let d = parse(text);
            assert_eq!(d.possible(), period(possible), "{text} possible");
            assert_eq!(d.certain(), certain.map(period), "{text} certain");
        }
    }

    #[test]
    fn questions_take_the_whole_span_and_ignore_qualifiers() {
        let period = |t: &str| Period::parse(t).unwrap();
        assert_eq!(parse("198X").for_question().unwrap(), period("1980s"));
        assert_eq!(parse("2010?").for_question().unwrap(), period("2010"));
        assert_eq!(
            parse("2010/2012").for_question().unwrap(),
            period("2010..2012")
        );
        assert!(parse("2010/")
            .for_question()
            .unwrap_err()
            .contains("unknown end"));
    }

    #[test]
    fn plain_forms_are_the_periods_they_were() {
        for text in ["2010", "2010..2012", "2006..", "..2012", "2010-H2", "1990s"] {
            assert_eq!(
                parse(text).plain().unwrap(),
                Period::parse(text).unwrap(),
                "{text}"
            );
        }
        assert_eq!(parse("1992~").plain(), Err("a qualifier"));
        assert_eq!(parse("198X").plain(), Err("unspecified digits"));
        assert_eq!(parse("2010/").plain(), Err("an unknown end"));
    }

    #[test]
    fn seasons_and_level_2_are_refused_by_name() {
        assert!(
            refused("2010-21").contains("season"),
            "{}",
            refused("2010-21")
        );
        assert!(refused("?2004").contains("Level 2"));
        assert!(refused("2004-06~-11").contains("Level 2"));
        assert!(refused("[1667, 1668]").contains("Level 2"));
        assert!(refused("{1960, 1961}").contains("Level 2"));
        assert!(refused("Y170000").contains("Level 2"));
        assert!(refused("1X8X").contains("Level 2"));
        assert!(refused("2010-1X").contains("Level 2"));
        assert!(refused("198X-10").contains("Level 2"));
        assert!(refused("-0100").contains("1 to 9999"));
        assert!(refused("2012..2010").contains("ends before it starts"));
        assert!(refused("..").contains("at least one date"));
        assert!(refused("/").contains("at least one date"));
    }

    #[test]
    fn qualifiers_combine() {
        assert_eq!(
            Qualifier::Approximate.union(Qualifier::Uncertain),
            Qualifier::ApproximateUncertain
        );
        assert_eq!(Qualifier::Exact.union(Qualifier::Exact), Qualifier::Exact);
        assert_eq!(
            parse("1992~..2010?").qualifier(),
            Qualifier::ApproximateUncertain
        );
    }
}
