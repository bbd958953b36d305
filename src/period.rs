//! Days and periods: the calendar of SPEC §3.
//!
//! A [`Day`] is a proleptic Gregorian date held as a day number (days since
//! 1970-01-01), so that periods compare and encode as plain integers; jiff does
//! the calendar arithmetic. A [`Period`] is a half-open interval of days
//! `[start, end)`, either side possibly unbounded. Every written form of the
//! spec parses here ([`period`] is the nom parser the query language reuses),
//! and [`Period`]'s `Display` is the spec's canonical printing.
//!
//! Grammar (case-insensitive):
//!
//! ```text
//! period  = point [ ( ".." | "/" ) [ point ] ] | ( ".." | "/" ) point
//!           (read by `dating.rs`, which adds EDTF's uncertain forms)
//! point   = DD month_name YYYY        (19 oct 2010)
//!         | month_name YYYY           (oct 2010, october 2010)
//!         | YYYY "s"                  (1990s; the year ends in 0)
//!         | YYYY "-H" [12] | YYYY "-Q" [1-4]
//!         | YYYY "-" MM [ "-" DD ] | YYYY
//! ```

use crate::syntax::{is_word_char, word_end, PResult, SyntaxError};
use jiff::civil::Date;
use jiff::{Span, Unit};
use nom::branch::alt;
use nom::character::complete::{digit1, space1};
use nom::Parser;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A calendar day, as the number of days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Day(pub i32);

const EPOCH: Date = jiff::civil::date(1970, 1, 1);

impl Day {
    /// The day for a calendar date, or a description of why it is invalid.
    pub fn from_ymd(year: i32, month: i32, day: i32) -> Result<Day, String> {
        if !(1..=9999).contains(&year) {
            return Err(format!("year {year} is out of range (expected 1 to 9999)"));
        }
        if !(1..=12).contains(&month) {
            return Err(format!("month {month} is out of range (expected 01 to 12)"));
        }
        let first = Date::new(year as i16, month as i8, 1).map_err(|e| e.to_string())?;
        let last = first.days_in_month() as i32;
        if !(1..=last).contains(&day) {
            return Err(format!(
                "day {day} does not exist in {year:04}-{month:02} (it has {last} days)"
            ));
        }
        Ok(Day::from_date(
            first
                .with()
                .day(day as i8)
                .build()
                .map_err(|e| e.to_string())?,
        ))
    }

    fn from_date(date: Date) -> Day {
        // Both dates are within jiff's range, so the difference in days exists.
        let span = date.since((Unit::Day, EPOCH)).unwrap_or_default();
        Day(span.get_days())
    }

    /// Midnight UTC at the start of this day, in microseconds since the Unix
    /// epoch: how a record's `recorded` time compares with a day.
    pub fn start_of_day_micros(self) -> i64 {
        self.0 as i64 * 86_400_000_000
    }

    /// The calendar date of this day; `None` past 9999-12-31, which jiff
    /// does not represent (the only such day annals makes is 10000-01-01,
    /// the exclusive end of the last year).
    pub fn date(self) -> Option<Date> {
        EPOCH.checked_add(Span::new().days(self.0 as i64)).ok()
    }

    /// `(year, month, day)`. A day past 9999-12-31 counts on in January
    /// 10000, so that the end of time prints as `10000-01-01`, never as a
    /// date it is not.
    pub fn ymd(self) -> (i32, i32, i32) {
        match self.date() {
            Some(d) => (d.year() as i32, d.month() as i32, d.day() as i32),
            None => {
                let end_of_time = Day::first_of_year(9999).0 + 365;
                (10000, 1, 1 + (self.0 - end_of_time))
            }
        }
    }

    pub(crate) fn first_of_year(year: i32) -> Day {
        Day::from_ymd(year, 1, 1).unwrap_or(Day(0))
    }

    /// The first day of the month `months` after the first of `(year, month)`;
    /// past December 9999, the end of time (10000-01-01). Every month
    /// stepping in annals goes through here.
    pub(crate) fn first_of_month(year: i32, month: i32, months: i32) -> Day {
        let index = year * 12 + (month - 1) + months;
        let (y, m) = (index.div_euclid(12), index.rem_euclid(12) + 1);
        if y > 9999 {
            // 10000-01-01 is the end of the last representable year.
            return Day(Day::first_of_year(9999).0 + 365);
        }
        Day::from_ymd(y, m, 1).unwrap_or(Day(0))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// A half-open interval of days `[start, end)`; `None` is an unbounded side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    pub start: Option<Day>,
    pub end: Option<Day>,
}

impl Period {
    /// A bounded period; `start < end` is the caller's promise.
    pub fn new(start: Day, end: Day) -> Period {
        Period {
            start: Some(start),
            end: Some(end),
        }
    }

    /// Everything: the period of a query without a `for` clause.
    pub const ALL: Period = Period {
        start: None,
        end: None,
    };

    pub fn day(day: Day) -> Period {
        Period::new(day, Day(day.0 + 1))
    }

    pub fn year(year: i32) -> Period {
        Period::new(Day::first_of_year(year), Day::first_of_month(year, 1, 12))
    }

    pub fn month(year: i32, month: i32) -> Period {
        Period::new(
            Day::first_of_month(year, month, 0),
            Day::first_of_month(year, month, 1),
        )
    }

    /// The start as a sortable integer, `i64::MIN` when unbounded.
    pub fn start_key(&self) -> i64 {
        self.start.map_or(i64::MIN, |d| d.0 as i64)
    }

    /// The end as a sortable integer, `i64::MAX` when unbounded.
    pub fn end_key(&self) -> i64 {
        self.end.map_or(i64::MAX, |d| d.0 as i64)
    }

    /// True when the two periods share at least one day.
    pub fn overlaps(&self, other: &Period) -> bool {
        self.start_key() < other.end_key() && other.start_key() < self.end_key()
    }

    pub fn contains_day(&self, day: Day) -> bool {
        self.start_key() <= day.0 as i64 && (day.0 as i64) < self.end_key()
    }

    /// The overlap of two periods, if they overlap.
    pub fn intersect(&self, other: &Period) -> Option<Period> {
        if !self.overlaps(other) {
            return None;
        }
        let start = if self.start_key() >= other.start_key() {
            self.start
        } else {
            other.start
        };
        let end = if self.end_key() <= other.end_key() {
            self.end
        } else {
            other.end
        };
        Some(Period { start, end })
    }

    /// The known-time rule of SPEC §3: a period `self` is known by the query
    /// period `query` when it has ended by the time `query` ends.
    pub fn known_by(&self, query: &Period) -> bool {
        self.end_key() <= query.end_key()
    }

    /// The forms most written, `YYYY`, `YYYY-MM`, `YYYY-MM-DD` and
    /// `YYYY-QN`, and ranges of two of them (`1990-01-01..1993`), read
    /// without the grammar: `None` for anything else, valid or not, which
    /// the grammar then reads (and words the error of). An import reads a
    /// million of these, and the grammar's generality (and its error
    /// values, built for every alternative it tries) is most of the cost
    /// of a line.
    pub(crate) fn parse_common(text: &str) -> Option<Period> {
        if let Some((first, last)) = text.split_once("..") {
            let (start, end) = (common_point(first)?.start?, common_point(last)?.end?);
            // A range that ends before it starts is the grammar's to refuse.
            return (start < end).then(|| Period::new(start, end));
        }
        common_point(text)
    }

    /// Parses any written form of SPEC §3, the whole string.
    pub fn parse(text: &str) -> Result<Period, SyntaxError> {
        crate::syntax::parse_all(text.trim(), period, "the period")
    }
}

impl std::str::FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Period::parse(s).map_err(|e| format!("invalid period '{s}': {}", e.describe(s.trim())))
    }
}

/// One of the points [`Period::parse_common`] reads, the whole of `text`.
fn common_point(text: &str) -> Option<Period> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i32> {
        let part = bytes.get(range)?;
        part.iter().all(u8::is_ascii_digit).then(|| {
            part.iter()
                .fold(0, |n, digit| n * 10 + i32::from(digit - b'0'))
        })
    };
    let year = digits(0..4).filter(|year| *year > 0)?;
    match bytes.len() {
        4 => Some(Period::year(year)),
        7 if bytes[4] == b'-' && matches!(bytes[5], b'Q' | b'q') => {
            let quarter = digits(6..7).filter(|q| (1..=4).contains(q))?;
            Some(Period::new(
                Day::first_of_month(year, 1, (quarter - 1) * 3),
                Day::first_of_month(year, 1, quarter * 3),
            ))
        }
        7 if bytes[4] == b'-' => {
            let month = digits(5..7).filter(|m| (1..=12).contains(m))?;
            Some(Period::month(year, month))
        }
        10 if bytes[4] == b'-' && bytes[7] == b'-' => {
            let day = Day::from_ymd(year, digits(5..7)?, digits(8..10)?).ok()?;
            Some(Period::day(day))
        }
        _ => None,
    }
}

/// The nom parser for a plain period (no qualifier, no unspecified digit,
/// no unknown end), used by [`Period::parse`] and so by imports. Every form
/// is read by [`crate::dating::dating`]; the uncertain ones are refused
/// here, naming what they have.
pub fn period(input: &str) -> PResult<'_, Period> {
    let (rest, dating) = crate::dating::dating(input)?;
    match dating.plain() {
        Ok(period) => Ok((rest, period)),
        Err(form) => SyntaxError::fail(
            input,
            format!(
                "'{}' has {form}: uncertain dates are accepted in questions, but the log \
                 cannot store them yet",
                &input[..input.len() - rest.len()]
            ),
        ),
    }
}

/// One calendar period: a day, month, quarter, half, year or decade.
pub(crate) fn point(input: &str) -> PResult<'_, Period> {
    alt((named_day, named_month, numeric_point)).parse(input)
}

fn number(input: &str, max_digits: usize, what: &str) -> Result<(i32, usize), String> {
    let digits: String = input.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || digits.len() > max_digits {
        return Err(format!(
            "expected a {what} of at most {max_digits} digits, found '{digits}'"
        ));
    }
    Ok((
        digits
            .parse()
            .map_err(|_| format!("bad {what} '{digits}'"))?,
        digits.len(),
    ))
}

fn year_digits(input: &str) -> PResult<'_, i32> {
    let (rest, digits) = digit1(input)?;
    if digits.len() > 4 {
        return SyntaxError::fail(
            input,
            format!("year {digits} is out of range (expected 1 to 9999)"),
        );
    }
    let year: i32 = digits.parse().unwrap_or(0);
    if year == 0 {
        return SyntaxError::fail(input, "year 0 is out of range (expected 1 to 9999)");
    }
    Ok((rest, year))
}

/// `YYYY`, `YYYYs`, `YYYY-H2`, `YYYY-Q3`, `YYYY-MM`, `YYYY-MM-DD`.
fn numeric_point(input: &str) -> PResult<'_, Period> {
    let (rest, year) = year_digits(input)?;
    let written = |rest: &str| input[..input.len() - rest.len()].to_string();
    // Decade: `1990s`.
    if let Some(after) = rest.strip_prefix(['s', 'S']) {
        if !after.starts_with(is_word_char) {
            if year % 10 != 0 {
                return SyntaxError::fail(
                    input,
                    format!(
                        "'{}' is not a decade: a decade starts at a year ending in 0",
                        written(after)
                    ),
                );
            }
            return Ok((
                after,
                Period::new(Day::first_of_year(year), Day::first_of_month(year, 1, 120)),
            ));
        }
    }
    let Some(after_dash) = rest.strip_prefix('-') else {
        let (rest, ()) = word_end(rest)?;
        return Ok((rest, Period::year(year)));
    };
    // Half and quarter: `2010-H2`, `2010-Q3`.
    if let Some(c) = after_dash
        .chars()
        .next()
        .filter(|c| matches!(c, 'h' | 'H' | 'q' | 'Q'))
    {
        let after = &after_dash[1..];
        let (n, len) = number(after, 1, "number")
            .map_err(|m| nom::Err::Failure(SyntaxError::message(input, m)))?;
        let after = &after[len..];
        let (after, ()) = word_end(after).map_err(|_| {
            nom::Err::Failure(SyntaxError::message(
                input,
                format!("'{}…' is not a half or quarter", written(after)),
            ))
        })?;
        let (per_year, months) = if c.eq_ignore_ascii_case(&'h') {
            (2, 6)
        } else {
            (4, 3)
        };
        if !(1..=per_year).contains(&n) {
            let name = if per_year == 2 {
                "half (expected H1 or H2)"
            } else {
                "quarter (expected Q1 to Q4)"
            };
            return SyntaxError::fail(input, format!("'{}' names no {name}", written(after)));
        }
        let start = Day::first_of_month(year, 1, (n - 1) * months);
        return Ok((
            after,
            Period::new(start, Day::first_of_month(year, 1, n * months)),
        ));
    }
    // Month and day: `2010-10`, `2010-10-19`.
    let (month, len) = match number(after_dash, 2, "month") {
        Ok(v) => v,
        Err(_) => {
            return Err(nom::Err::Error(SyntaxError::expected(
                after_dash,
                "a month, half or quarter",
            )))
        }
    };
    if len != 2 {
        return SyntaxError::fail(
            input,
            format!("'{}' needs a two-digit month", written(&after_dash[len..])),
        );
    }
    let after_month = &after_dash[2..];
    if let Some(after_dash) = after_month.strip_prefix('-') {
        let (day, len) = number(after_dash, 2, "day")
            .map_err(|m| nom::Err::Failure(SyntaxError::message(input, m)))?;
        let after = &after_dash[len..];
        if len != 2 {
            return SyntaxError::fail(input, format!("'{}' needs a two-digit day", written(after)));
        }
        let (after, ()) = word_end(after)?;
        return match Day::from_ymd(year, month, day) {
            Ok(d) => Ok((after, Period::day(d))),
            Err(m) => SyntaxError::fail(input, format!("'{}' is not a date: {m}", written(after))),
        };
    }
    let (after, ()) = word_end(after_month)?;
    if (21..=41).contains(&month) {
        return SyntaxError::fail(
            input,
            format!(
                "'{}' is an EDTF season, which annals does not accept: write the months \
                 (such as 2010-03..2010-05)",
                written(after)
            ),
        );
    }
    if !(1..=12).contains(&month) {
        return SyntaxError::fail(
            input,
            format!(
                "'{}' is not a month: month {month} is out of range (expected 01 to 12)",
                written(after)
            ),
        );
    }
    Ok((after, Period::month(year, month)))
}

const MONTH_NAMES: [(&str, &str); 12] = [
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may", "may"),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sep"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
];

/// An English month name, full or abbreviated (`sept` too), as 1..=12.
fn month_name(input: &str) -> PResult<'_, i32> {
    let word: String = input.chars().take_while(|c| c.is_alphabetic()).collect();
    let lower = word.to_lowercase();
    for (i, (full, short)) in MONTH_NAMES.iter().enumerate() {
        if lower == *full || lower == *short || (i == 8 && lower == "sept") {
            return Ok((&input[word.len()..], i as i32 + 1));
        }
    }
    Err(nom::Err::Error(SyntaxError::expected(
        input,
        "a month name",
    )))
}

/// `oct 2010`, `October 2010`.
fn named_month(input: &str) -> PResult<'_, Period> {
    let (rest, (month, _, year)) = (month_name, space1, year_digits).parse(input)?;
    let (rest, ()) = word_end(rest)?;
    Ok((rest, Period::month(year, month)))
}

/// `19 oct 2010`.
fn named_day(input: &str) -> PResult<'_, Period> {
    let (rest, (day, _, month, _, year)) =
        (digit1, space1, month_name, space1, year_digits).parse(input)?;
    let (rest, ()) = word_end(rest)?;
    let day: i32 = if day.len() <= 2 {
        day.parse().unwrap_or(0)
    } else {
        0
    };
    match Day::from_ymd(year, month, day) {
        Ok(d) => Ok((rest, Period::day(d))),
        Err(m) => SyntaxError::fail(
            input,
            format!(
                "'{}' is not a date: {m}",
                &input[..input.len() - rest.len()]
            ),
        ),
    }
}

/// How a bounded side is printed in a range: the coarsest of year, month and
/// day that starts (or ends) exactly there and lies inside the interval.
pub(crate) enum Side {
    Year(i32),
    Month(i32, i32),
    Day(Day),
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Side::Year(y) => write!(f, "{y:04}"),
            Side::Month(y, m) => write!(f, "{y:04}-{m:02}"),
            Side::Day(d) => write!(f, "{d}"),
        }
    }
}

impl Period {
    /// The single calendar period this interval equals, coarsest first.
    pub(crate) fn single_form(&self) -> Option<String> {
        let (start, end) = (self.start?, self.end?);
        let (y, m, d) = start.ymd();
        if d == 1 {
            let month_end = |months: i32| Day::first_of_month(y, m, months);
            if m == 1 && y % 10 == 0 && end == month_end(120) {
                return Some(format!("{y:04}s"));
            }
            if m == 1 && end == month_end(12) {
                return Some(format!("{y:04}"));
            }
            if (m == 1 || m == 7) && end == month_end(6) {
                return Some(format!("{y:04}-H{}", if m == 1 { 1 } else { 2 }));
            }
            if (m - 1) % 3 == 0 && end == month_end(3) {
                return Some(format!("{y:04}-Q{}", (m - 1) / 3 + 1));
            }
            if end == month_end(1) {
                return Some(format!("{y:04}-{m:02}"));
            }
        }
        if end.0 == start.0 + 1 {
            return Some(start.to_string());
        }
        None
    }

    pub(crate) fn start_side(&self, start: Day) -> Side {
        let (y, m, d) = start.ymd();
        let end = self.end_key();
        if m == 1 && d == 1 && Day::first_of_month(y, 1, 12).0 as i64 <= end {
            Side::Year(y)
        } else if d == 1 && Day::first_of_month(y, m, 1).0 as i64 <= end {
            Side::Month(y, m)
        } else {
            Side::Day(start)
        }
    }

    /// The year, else the month, else the day that ends at `end` and lies
    /// inside the interval. Worked out from the last day, not from `end`
    /// itself: after 9999 the end of time (10000-01-01) has no calendar date.
    pub(crate) fn end_side(&self, end: Day) -> Side {
        let last = Day(end.0 - 1);
        let (ly, lm, _) = last.ymd();
        let start = self.start_key();
        let ends_its_month = Day::first_of_month(ly, lm, 1) == end;
        if ends_its_month && lm == 12 && Day::first_of_month(ly, 1, 0).0 as i64 >= start {
            Side::Year(ly)
        } else if ends_its_month && Day::first_of_month(ly, lm, 0).0 as i64 >= start {
            Side::Month(ly, lm)
        } else {
            Side::Day(last)
        }
    }
}

impl fmt::Display for Period {
    /// Canonical printing (SPEC §3).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(single) = self.single_form() {
            return f.write_str(&single);
        }
        if let Some(start) = self.start {
            write!(f, "{}", self.start_side(start))?;
        }
        f.write_str("..")?;
        if let Some(end) = self.end {
            write!(f, "{}", self.end_side(end))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exclusive end of year 9999 is a day jiff cannot represent; it
    /// prints as what it is, never as the Unix epoch.
    #[test]
    fn the_end_of_the_last_year_prints_as_10000_01_01() {
        let end = Period::year(9999).end.unwrap();
        assert_eq!(end.to_string(), "10000-01-01");
        assert_eq!(end.ymd(), (10000, 1, 1));
        assert_eq!(Day(end.0 - 1).to_string(), "9999-12-31");
        assert_eq!(end.date(), None);
    }

    fn day(text: &str) -> Day {
        let mut parts = text.split('-').map(|p| p.parse::<i32>().unwrap());
        Day::from_ymd(
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        )
        .unwrap()
    }

    fn interval(start: &str, end: &str) -> Period {
        Period::new(day(start), day(end))
    }

    /// The grammar-free reading of the common forms gives exactly what the
    /// grammar gives, and leaves everything else (valid or not) to it.
    #[test]
    fn the_common_forms_read_without_the_grammar_as_the_grammar_reads_them() {
        let mut texts = Vec::new();
        for year in ["0000", "0001", "1999", "2012", "9999"] {
            texts.push(year.to_string());
            for month in 0..=13 {
                texts.push(format!("{year}-{month:02}"));
                for day in [0, 1, 28, 29, 30, 31, 32] {
                    texts.push(format!("{year}-{month:02}-{day:02}"));
                }
            }
        }
        for quarter in ["Q0", "Q1", "q2", "Q4", "Q5", "H1", "QQ"] {
            texts.push(format!("2010-{quarter}"));
        }
        let points = [
            "1990",
            "1990-03",
            "1990-01-01",
            "1990-Q2",
            "1991",
            "1989-12-31",
            "x",
        ];
        for first in points {
            for last in points {
                texts.push(format!("{first}..{last}"));
            }
        }
        texts.extend(
            [
                "2010-1",
                "201",
                "20100",
                "2010-10-5",
                " 2010",
                "2010 ",
                "2010s",
                "2010-H2",
                "2010~",
            ]
            .map(String::from),
        );
        let mut common = 0;
        for text in &texts {
            let grammar = Period::parse(text).ok();
            match Period::parse_common(text) {
                Some(period) => {
                    common += 1;
                    assert_eq!(Some(period), grammar, "{text}");
                }
                // Only what is not one of the plain forms, or is not a
                // valid date, is left to the grammar.
                None => assert!(
                    grammar.is_none()
                        || !text.bytes().all(|b| b.is_ascii_digit() || b == b'-')
                        || ![4, 7, 10].contains(&text.len())
                        || text.contains('H'),
                    "{text} was left to the grammar"
                ),
            }
        }
        assert!(
            common > 280,
            "only {common} forms were read without the grammar"
        );
    }

    /// The last year a period can name prints as itself on either side of a
    /// range: its end is the end of time, which has no calendar date.
    #[test]
    fn ranges_that_end_with_the_year_9999_print_as_written() {
        for (text, printed) in [
            ("1000..9999", "1000..9999"),
            ("..9999", "..9999"),
            ("2010..9999-12", "2010..9999"),
            ("9999-12-31", "9999-12-31"),
            ("9999-07..9999-12", "9999-H2"),
            ("9999-11..9999-12", "9999-11..9999-12"),
            ("9999-12-15..9999-12-31", "9999-12-15..9999-12-31"),
            ("9990s", "9990s"),
        ] {
            let period = Period::parse(text).unwrap();
            assert_eq!(period.to_string(), printed, "{text}");
            assert_eq!(
                Period::parse(printed).unwrap(),
                period,
                "{printed} re-parses"
            );
        }
    }

    /// Every written form of SPEC §3 with the interval it denotes and how it
    /// prints back.
    #[test]
    fn every_form_in_the_spec_parses_to_its_interval() {
        let table = [
            ("1990s", "1990-01-01", "2000-01-01", "1990s"),
            ("2010", "2010-01-01", "2011-01-01", "2010"),
            ("2010-H2", "2010-07-01", "2011-01-01", "2010-H2"),
            ("2010-h1", "2010-01-01", "2010-07-01", "2010-H1"),
            ("2010-Q3", "2010-07-01", "2010-10-01", "2010-Q3"),
            ("2010-10", "2010-10-01", "2010-11-01", "2010-10"),
            ("oct 2010", "2010-10-01", "2010-11-01", "2010-10"),
            ("October 2010", "2010-10-01", "2010-11-01", "2010-10"),
            ("OCT 2010", "2010-10-01", "2010-11-01", "2010-10"),
            ("sept 2010", "2010-09-01", "2010-10-01", "2010-09"),
            ("2010-10-19", "2010-10-19", "2010-10-20", "2010-10-19"),
            ("19 oct 2010", "2010-10-19", "2010-10-20", "2010-10-19"),
            ("2010..2012", "2010-01-01", "2013-01-01", "2010..2012"),
            (
                "2010-07..2011-03",
                "2010-07-01",
                "2011-04-01",
                "2010-07..2011-03",
            ),
            ("2010..2019", "2010-01-01", "2020-01-01", "2010s"),
            ("2010-Q1..2010-Q2", "2010-01-01", "2010-07-01", "2010-H1"),
            (
                "2012-02-28..2012-02-29",
                "2012-02-28",
                "2012-03-01",
                "2012-02-28..2012-02-29",
            ),
        ];
        for (text, start, end, printed) in table {
            let p = Period::parse(text).unwrap_or_else(|e| panic!("{text}: {}", e.describe(text)));
            assert_eq!(p, interval(start, end), "{text}");
            assert_eq!(p.to_string(), printed, "{text}");
        }
    }

    #[test]
    fn open_ranges_are_unbounded_on_the_open_side() {
        let p = Period::parse("2006..").unwrap();
        assert_eq!(
            p,
            Period {
                start: Some(day("2006-01-01")),
                end: None
            }
        );
        assert_eq!(p.to_string(), "2006..");
        let p = Period::parse("..2012").unwrap();
        assert_eq!(
            p,
            Period {
                start: None,
                end: Some(day("2013-01-01"))
            }
        );
        assert_eq!(p.to_string(), "..2012");
        assert_eq!(Period::parse("2011-03..").unwrap().to_string(), "2011-03..");
    }

    /// The canonical-printing examples of SPEC §3, as intervals.
    #[test]
    fn intervals_print_canonically_as_the_spec_shows() {
        let table = [
            ("2010-01-01", "2012-01-01", "2010..2011"),
            ("2010-10-19", "2012-01-01", "2010-10-19..2011"),
            ("2010-07-01", "2011-04-01", "2010-07..2011-03"),
            ("2010-01-01", "2020-01-01", "2010s"),
            ("2010-01-01", "2010-03-01", "2010-01..2010-02"),
            ("2010-01-15", "2010-03-01", "2010-01-15..2010-02"),
            ("2010-01-01", "2010-01-15", "2010-01-01..2010-01-14"),
            ("2009-12-31", "2011-01-01", "2009-12-31..2010"),
            ("2010-02-01", "2010-03-01", "2010-02"),
            ("2010-04-01", "2010-07-01", "2010-Q2"),
            ("2010-04-01", "2010-10-01", "2010-04..2010-09"),
        ];
        for (start, end, printed) in table {
            assert_eq!(
                interval(start, end).to_string(),
                printed,
                "[{start}, {end})"
            );
        }
    }

    #[test]
    fn invalid_dates_are_errors_that_name_the_text() {
        let table = [
            ("2010-02-30", "2010-02-30"),
            ("2010-13", "2010-13"),
            ("2010-Q5", "2010-Q5"),
            ("2010-H3", "2010-H3"),
            ("1995s", "1995s"),
            ("31 feb 2011", "31 feb 2011"),
            ("2012..2010", "2012..2010"),
            ("10000", "10000"),
        ];
        for (text, named) in table {
            let err = Period::parse(text).expect_err(text);
            let message = err.describe(text);
            assert!(message.contains(named), "{text}: {message}");
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in [
            "",
            "..",
            "oct",
            "2010-",
            "2010-1",
            "2010x",
            "20x0",
            "2010-10-1",
            "2010...2011",
            "0",
        ] {
            assert!(Period::parse(text).is_err(), "{text} should not parse");
        }
    }

    #[test]
    fn known_by_compares_ends() {
        let june = Period::parse("2010-06").unwrap();
        assert!(june.known_by(&Period::parse("2010-06").unwrap()));
        assert!(june.known_by(&Period::parse("2010").unwrap()));
        assert!(!june.known_by(&Period::parse("2010-06-15").unwrap()));
        assert!(!Period::parse("2006..")
            .unwrap()
            .known_by(&Period::parse("2020").unwrap()));
    }

    #[test]
    fn year_one_and_9999_are_the_limits() {
        assert_eq!(Period::parse("0001").unwrap().to_string(), "0001");
        assert_eq!(Period::parse("9999").unwrap().to_string(), "9999");
        assert_eq!(
            Period::parse("9999-12-31").unwrap().to_string(),
            "9999-12-31"
        );
    }
}
