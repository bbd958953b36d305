//! Lexical building blocks shared by every nom parser in annals: the error
//! type that remembers *where* a parse failed and *what* was expected there,
//! and the small token parsers (words, quoted text) that the period, value and
//! query grammars all use.
//!
//! Errors are positioned by the length of the input that was left when the
//! failure happened; [`SyntaxError::locate`] turns that into a line, a column
//! and a caret under the offending text, so the message a user sees reads like
//! `expected a period, found 'oct 20100'` with the position marked.

use nom::error::{ContextError, ErrorKind, FromExternalError, ParseError};
use nom::IResult;
use std::fmt;

/// The result type of every parser in the crate.
pub type PResult<'a, T> = IResult<&'a str, T, SyntaxError>;

/// Why a parse failed, and where: `remaining` is the length of the input left
/// at the failure, so the offset is `input.len() - remaining`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub remaining: usize,
    /// What the grammar would have accepted here ("a period", "'for'").
    pub expected: Vec<String>,
    /// A specific complaint that replaces the expected/found message, such as
    /// "month 13 is out of range".
    pub message: Option<String>,
}

impl SyntaxError {
    pub fn expected(input: &str, what: impl Into<String>) -> Self {
        SyntaxError {
            remaining: input.len(),
            expected: vec![what.into()],
            message: None,
        }
    }

    pub fn message(input: &str, message: impl Into<String>) -> Self {
        SyntaxError {
            remaining: input.len(),
            expected: Vec::new(),
            message: Some(message.into()),
        }
    }

    /// A failure that stops backtracking: the text was recognisably meant to be
    /// this construct but is invalid (`2010-13`), so trying alternatives would
    /// only produce a vaguer message.
    pub fn fail<T>(input: &str, message: impl Into<String>) -> Result<T, nom::Err<Self>> {
        Err(nom::Err::Failure(Self::message(input, message)))
    }

    /// The byte offset of the failure in `input`, the full text that was parsed.
    pub fn offset(&self, input: &str) -> usize {
        input.len().saturating_sub(self.remaining)
    }

    /// The one-line description: the specific message if there is one, else
    /// "expected A or B, found '…'".
    pub fn describe(&self, input: &str) -> String {
        if let Some(message) = &self.message {
            return message.clone();
        }
        let found = found_text(&input[self.offset(input).min(input.len())..]);
        let mut expected = self.expected.clone();
        expected.dedup();
        match expected.len() {
            0 => format!("unexpected {found}"),
            1 => format!("expected {}, found {found}", expected[0]),
            _ => {
                let last = expected.pop().unwrap_or_default();
                format!("expected {} or {last}, found {found}", expected.join(", "))
            }
        }
    }

    /// Line and column (both from 1, column in characters) of the failure.
    pub fn line_column(&self, input: &str) -> (usize, usize) {
        let offset = self.offset(input);
        let before = &input[..floor_char_boundary(input, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }

    /// The full report: position, message, the offending line and a caret.
    /// This error as an [`crate::Error::Syntax`], located in `input`.
    pub fn to_error(&self, input: &str) -> crate::Error {
        let (line, column) = self.line_column(input);
        crate::Error::Syntax {
            line,
            column,
            message: self.describe(input),
            report: self.locate(input),
        }
    }

    pub fn locate(&self, input: &str) -> String {
        let (line, column) = self.line_column(input);
        let text = input.lines().nth(line - 1).unwrap_or("");
        format!(
            "line {line}, column {column}: {}\n  {text}\n  {}^",
            self.describe(input),
            " ".repeat(column - 1)
        )
    }
}

fn floor_char_boundary(s: &str, mut index: usize) -> usize {
    index = index.min(s.len());
    while !s.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// How the rest of the input is shown in "found …": the next word, or the end.
fn found_text(rest: &str) -> String {
    let rest = rest.trim_start();
    if rest.is_empty() {
        return "the end of the input".to_string();
    }
    let word: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(24)
        .collect();
    format!("'{word}'")
}

impl ParseError<&str> for SyntaxError {
    fn from_error_kind(input: &str, kind: ErrorKind) -> Self {
        SyntaxError::expected(input, kind_description(kind))
    }

    fn append(_input: &str, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        // Keep the error that got furthest; at the same place, merge what
        // each branch expected, so `alt` reports every alternative.
        match self.remaining.cmp(&other.remaining) {
            std::cmp::Ordering::Less => self,
            std::cmp::Ordering::Greater => other,
            std::cmp::Ordering::Equal => {
                if self.message.is_some() {
                    return self;
                }
                if other.message.is_some() {
                    return other;
                }
                let mut merged = self;
                for e in other.expected {
                    if !merged.expected.contains(&e) {
                        merged.expected.push(e);
                    }
                }
                merged
            }
        }
    }
}

impl ContextError<&str> for SyntaxError {
    fn add_context(input: &str, context: &'static str, other: Self) -> Self {
        // A context names the construct being parsed; it replaces low-level
        // token names ("digit") when the failure is at the construct's start.
        if other.message.is_none() && other.remaining == input.len() {
            SyntaxError::expected(input, context)
        } else {
            other
        }
    }
}

impl<E: fmt::Display> FromExternalError<&str, E> for SyntaxError {
    fn from_external_error(input: &str, _kind: ErrorKind, e: E) -> Self {
        SyntaxError::message(input, e.to_string())
    }
}

fn kind_description(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Digit => "a digit",
        ErrorKind::Eof => "the end of the input",
        ErrorKind::Alpha | ErrorKind::AlphaNumeric => "a word",
        ErrorKind::MultiSpace | ErrorKind::Space => "a space",
        _ => "something else",
    }
}

/// True for characters that continue a word: used to insist that a keyword or
/// a literal ends at a word boundary (`2010x` is not the year 2010).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Succeeds, consuming nothing, when the input does not continue a word.
pub fn word_end(input: &str) -> PResult<'_, ()> {
    match input.chars().next() {
        Some(c) if is_word_char(c) => Err(nom::Err::Error(SyntaxError::expected(
            input,
            "the end of a word",
        ))),
        _ => Ok((input, ())),
    }
}

/// A keyword, case-insensitive, ending at a word boundary.
pub fn keyword<'a>(
    word: &'static str,
) -> impl nom::Parser<&'a str, Output = &'a str, Error = SyntaxError> {
    move |input: &'a str| {
        let len = word.len();
        let matches = input
            .get(..len)
            .is_some_and(|head| head.eq_ignore_ascii_case(word))
            && !input[len..].starts_with(is_word_char);
        if matches {
            Ok((&input[len..], &input[..len]))
        } else {
            Err(nom::Err::Error(SyntaxError::expected(
                input,
                format!("'{word}'"),
            )))
        }
    }
}

/// A quoted text, `'…'` or `"…"`, returning its contents.
///
/// A backslash escapes the next character. Inside single quotes an apostrophe
/// that is directly followed by a letter or digit does not close the text, so
/// that `'This year's export quota'` reads as a historian means it; `\'` is
/// the unambiguous spelling, and canonical printing ([`quote_text`]) never
/// relies on the rule.
pub fn quoted_text(input: &str) -> PResult<'_, String> {
    let mut chars = input.char_indices();
    let delimiter = match chars.next() {
        Some((_, c @ ('\'' | '"'))) => c,
        _ => {
            return Err(nom::Err::Error(SyntaxError::expected(
                input,
                "a quoted text",
            )))
        }
    };
    let mut text = String::new();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some((_, escaped)) => text.push(escaped),
                None => break,
            }
        } else if c == delimiter {
            let after = &input[i + 1..];
            let continues_word =
                delimiter == '\'' && after.chars().next().is_some_and(|n| n.is_alphanumeric());
            if !continues_word {
                return Ok((after, text));
            }
            text.push(c);
        } else {
            text.push(c);
        }
    }
    Err(nom::Err::Failure(SyntaxError::message(
        input,
        format!("unterminated text: no closing {delimiter}"),
    )))
}

/// Prints a text so that [`quoted_text`] reads it back exactly: single quotes
/// unless the text holds one, then double quotes, escaping where both occur.
pub fn quote_text(text: &str) -> String {
    let delimiter = if !text.contains('\'') {
        '\''
    } else if !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(delimiter);
    for c in text.chars() {
        if c == '\\' || c == delimiter {
            out.push('\\');
        }
        out.push(c);
    }
    out.push(delimiter);
    out
}

/// Runs `parser` over the whole of `input`, turning a failure or trailing
/// text into a [`SyntaxError`] positioned in `input`.
pub fn parse_all<'a, T>(
    input: &'a str,
    mut parser: impl nom::Parser<&'a str, Output = T, Error = SyntaxError>,
    what: &str,
) -> Result<T, SyntaxError> {
    match parser.parse(input) {
        Ok((rest, value)) => {
            if rest.trim().is_empty() {
                Ok(value)
            } else {
                Err(SyntaxError::expected(rest, format!("the end of {what}")))
            }
        }
        Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => Err(e),
        Err(nom::Err::Incomplete(_)) => Err(SyntaxError::expected("", what.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_reads_apostrophes_inside_words() {
        let (rest, text) = quoted_text("'This year's export quota' source x").unwrap();
        assert_eq!(text, "This year's export quota");
        assert_eq!(rest, " source x");
    }

    #[test]
    fn quoted_text_round_trips_through_quote_text() {
        for text in [
            "plain",
            "it's",
            "say \"no\"",
            "both ' and \" here",
            "back\\slash",
            "rock 'n' roll",
        ] {
            let printed = quote_text(text);
            let (rest, parsed) = quoted_text(&printed).unwrap();
            assert_eq!(parsed, text, "printed as {printed}");
            assert!(rest.is_empty());
        }
    }

    #[test]
    fn unterminated_text_is_a_failure_naming_the_delimiter() {
        let err = quoted_text("'open").unwrap_err();
        match err {
            nom::Err::Failure(e) => assert!(e.describe("'open").contains("no closing '")),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn locate_points_a_caret_at_the_column() {
        let input = "first line\nsecond bad";
        let error = SyntaxError::expected(&input[18..], "a period");
        assert_eq!(error.line_column(input), (2, 8));
        let report = error.locate(input);
        assert!(
            report.contains("line 2, column 8: expected a period, found 'bad'"),
            "{report}"
        );
        assert!(report.ends_with("  second bad\n         ^"), "{report}");
    }
}
