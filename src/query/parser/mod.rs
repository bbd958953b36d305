//! The nom parser of the query language. `grammar/annals.ebnf` is the same
//! grammar written out; keep the two in step (a test parses every example in
//! `grammar/` and in the spec).
//!
//! A statement starts with a word that says what it is (`history`, `assert`,
//! …) or, for a plain `get`, with a selector. Clauses after the first words
//! may come in any order, each at most once; an unknown word is reported
//! with the clauses that would have been accepted at that point. `--` starts
//! a comment that runs to the end of the line, and a final `;` is allowed.
//!
//! ```text
//! reading  = selector { "for" period | "from" period "to" period
//!                     | "as" ( ["possibly"] "known" ["in"] period | "of" period
//!                            | "recorded" "at" ( "seq" N | period ) ) }
//! selector = ( name | "*" ) "." ( attribute [ ".*" ] | "*" )
//! ```

mod writing;

use super::ast::*;
use crate::event::{Claim, Definition, Denial, Event, Kind, Modality, Retraction, Source};
use crate::period::Period;
use crate::syntax::{is_word_char, keyword, quoted_text, PResult, SyntaxError};
use crate::value::value;
use nom::Parser;
use writing::{assert, define, deny, retract, source, MODALITIES};

/// Parses one statement, the whole input.
pub fn parse(input: &str) -> Result<Statement, SyntaxError> {
    match statement(input) {
        Ok((rest, s)) => {
            let (rest, _) = skip(rest);
            let rest = rest.strip_prefix(';').map(|r| skip(r).0).unwrap_or(rest);
            if rest.is_empty() {
                Ok(s)
            } else {
                Err(SyntaxError::expected(rest, "the end of the statement"))
            }
        }
        Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => Err(e),
        Err(nom::Err::Incomplete(_)) => Err(SyntaxError::expected("", "more input")),
    }
}

/// Skips whitespace and `--` comments.
fn skip(mut input: &str) -> (&str, ()) {
    loop {
        let trimmed = input.trim_start();
        if let Some(comment) = trimmed.strip_prefix("--") {
            input = comment.find('\n').map_or("", |i| &comment[i..]);
        } else {
            return (trimmed, ());
        }
    }
}

/// `p` after optional whitespace.
fn ws<'a, T>(
    mut p: impl Parser<&'a str, Output = T, Error = SyntaxError>,
) -> impl FnMut(&'a str) -> PResult<'a, T> {
    move |input: &'a str| p.parse(skip(input).0)
}

/// A keyword after optional whitespace.
fn kw<'a>(word: &'static str) -> impl FnMut(&'a str) -> PResult<'a, &'a str> {
    ws(keyword(word))
}

/// Turns a recoverable error into a failure: used once a keyword has
/// committed the parser to one construct, so the message names it.
fn cut<'a, T>(
    mut p: impl FnMut(&'a str) -> PResult<'a, T>,
) -> impl FnMut(&'a str) -> PResult<'a, T> {
    move |input| match p(input) {
        Err(nom::Err::Error(e)) => Err(nom::Err::Failure(e)),
        other => other,
    }
}

/// A word of the language: letters, digits and `_`.
fn word(input: &str) -> PResult<'_, &str> {
    let input = skip(input).0;
    let end = input
        .find(|c: char| !is_word_char(c))
        .unwrap_or(input.len());
    if end == 0 {
        return Err(nom::Err::Error(SyntaxError::expected(input, "a word")));
    }
    Ok((&input[end..], &input[..end]))
}

/// A name: snake case with dots between parts (`mining_tax.light`).
fn name<'a>(what: &'static str) -> impl FnMut(&'a str) -> PResult<'a, String> {
    move |input: &'a str| {
        let input = skip(input).0;
        let end = input
            .char_indices()
            .find(|(i, c)| {
                !(is_word_char(*c) || (*c == '.' && input[i + 1..].starts_with(is_word_char)))
            })
            .map_or(input.len(), |(i, _)| i);
        if end == 0 {
            return Err(nom::Err::Error(SyntaxError::expected(input, what)));
        }
        Ok((&input[end..], input[..end].to_string()))
    }
}

/// An event or source id: letters, digits and `-_.:/`.
fn id(input: &str) -> PResult<'_, String> {
    let input = skip(input).0;
    let end = input
        .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.:/".contains(c)))
        .unwrap_or(input.len());
    if end == 0 || !input.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(nom::Err::Error(SyntaxError::expected(
            input,
            "an id such as e17 or wsj-2010-10-19",
        )));
    }
    Ok((&input[end..], input[..end].to_string()))
}

fn text(input: &str) -> PResult<'_, String> {
    ws(quoted_text).parse(input).map_err(|e| match e {
        nom::Err::Error(_) => nom::Err::Error(SyntaxError::expected(
            skip(input).0,
            "a quoted text such as 'under consideration'",
        )),
        other => other,
    })
}

/// A period of a question: any written form (SPEC §3), with unspecified
/// digits meaning their whole span and qualifiers ignored; an unknown end
/// (`2010/`) is refused, since a question needs both ends or an open one.
fn question_period(input: &str) -> PResult<'_, Period> {
    let (rest, dating) = crate::dating::dating(input)?;
    match dating.for_question() {
        Ok(period) => Ok((rest, period)),
        Err(message) => SyntaxError::fail(input, message),
    }
}

fn a_period(input: &str) -> PResult<'_, Period> {
    ws(question_period).parse(input).map_err(|e| match e {
        nom::Err::Error(_) => nom::Err::Error(SyntaxError::expected(
            skip(input).0,
            "a period such as 2010, 2010-10 or oct 2010",
        )),
        other => other,
    })
}

fn number(input: &str) -> PResult<'_, u64> {
    let input = skip(input).0;
    let end = input
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(input.len());
    match input[..end].parse::<u64>() {
        Ok(n) if !input[end..].starts_with(is_word_char) => Ok((&input[end..], n)),
        _ => Err(nom::Err::Error(SyntaxError::expected(
            input,
            "a log position (a whole number)",
        ))),
    }
}

/// `china.export_quota`, `china.*`, `*.share_of_world_reserves`, `china.mining_tax.*`.
pub fn selector(input: &str) -> PResult<'_, SelectorSyntax> {
    let input = skip(input).0;
    let expected = || {
        nom::Err::Error(SyntaxError::expected(
            input,
            "a selector such as china.export_quota or china.*",
        ))
    };
    let (rest, subject) = if let Some(rest) = input.strip_prefix('*') {
        (rest, None)
    } else {
        let end = input
            .find(|c: char| !is_word_char(c))
            .unwrap_or(input.len());
        if end == 0 {
            return Err(expected());
        }
        (&input[end..], Some(input[..end].to_string()))
    };
    let Some(rest) = rest.strip_prefix('.') else {
        return Err(nom::Err::Failure(SyntaxError::expected(
            rest,
            "'.' and an attribute (a selector is subject.attribute)",
        )));
    };
    if let Some(after) = rest.strip_prefix('*') {
        return Ok((
            after,
            SelectorSyntax {
                subject,
                attribute: AttributeSyntax::Any,
            },
        ));
    }
    let (after, attribute) = name("an attribute or *")(rest).map_err(|_| {
        nom::Err::Failure(SyntaxError::expected(
            rest,
            "an attribute or * after the '.'",
        ))
    })?;
    if let Some(after_star) = after.strip_prefix(".*") {
        return Ok((
            after_star,
            SelectorSyntax {
                subject,
                attribute: AttributeSyntax::Under(attribute),
            },
        ));
    }
    Ok((
        after,
        SelectorSyntax {
            subject,
            attribute: AttributeSyntax::Exact(attribute),
        },
    ))
}

/// The clauses a reading statement may take, and where they go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Allow {
    Valid,
    Known,
    Recorded,
    Every,
    Between,
    Limit,
    Where,
}

struct Clauses {
    valid: Option<Period>,
    known: Option<Period>,
    /// `as possibly known`.
    possibly: bool,
    recorded: Option<Recorded>,
    every: Option<(Unit, Aggregate)>,
    between: Option<(Moment, Moment)>,
    limit: Option<u64>,
    filter: Filter,
}

/// The clauses after a selector, in any order, each at most once.
fn clauses<'a>(mut input: &'a str, allow: &[Allow]) -> PResult<'a, Clauses> {
    let mut c = Clauses {
        valid: None,
        known: None,
        possibly: false,
        recorded: None,
        every: None,
        between: None,
        limit: None,
        filter: Filter::default(),
    };
    loop {
        let (rest, _) = skip(input);
        if rest.is_empty() || rest.starts_with(';') {
            return Ok((rest, c));
        }
        let before = rest;
        let duplicate = |what: &str| {
            nom::Err::Failure(SyntaxError::message(
                before,
                format!("the {what} clause is given twice"),
            ))
        };
        if allow.contains(&Allow::Valid) && kw("for")(rest).is_ok() {
            if c.valid.is_some() {
                return Err(duplicate("for/from"));
            }
            let (rest, p) = cut(a_period)(kw("for")(rest)?.0)?;
            c.valid = Some(p);
            input = rest;
        } else if allow.contains(&Allow::Valid) && kw("from")(rest).is_ok() {
            if c.valid.is_some() {
                return Err(duplicate("for/from"));
            }
            let (rest, from) = cut(a_period)(kw("from")(rest)?.0)?;
            let (rest, _) = cut(kw("to"))(rest)?;
            let (rest, to) = cut(a_period)(rest)?;
            if to.end_key() <= from.start_key() {
                return Err(nom::Err::Failure(SyntaxError::message(
                    before,
                    format!("'from {from} to {to}' ends before it starts"),
                )));
            }
            c.valid = Some(Period {
                start: from.start,
                end: to.end,
            });
            input = rest;
        } else if kw("as")(rest).is_ok() {
            let (after_as, _) = kw("as")(rest)?;
            // `as possibly known P` (SPEC §3).
            let (after_as, possibly) = match kw("possibly")(after_as) {
                Ok((after, _)) => (cut(kw("known"))(after).map(|_| after)?, true),
                Err(_) => (after_as, false),
            };
            if allow.contains(&Allow::Known)
                && (kw("known")(after_as).is_ok() || (!possibly && kw("of")(after_as).is_ok()))
            {
                if c.known.is_some() {
                    return Err(duplicate("as known"));
                }
                c.possibly = possibly;
                let rest = match kw("known")(after_as) {
                    Ok((r, _)) => kw("in")(r).map(|(r, _)| r).unwrap_or(r),
                    Err(_) => kw("of")(after_as)?.0,
                };
                let (rest, p) = cut(a_period)(rest)?;
                c.known = Some(p);
                input = rest;
            } else if allow.contains(&Allow::Recorded) && kw("recorded")(after_as).is_ok() {
                if c.recorded.is_some() {
                    return Err(duplicate("as recorded"));
                }
                let (rest, _) = kw("recorded")(after_as)?;
                let (rest, _) = cut(kw("at"))(rest)?;
                let (rest, recorded) = match kw("seq")(rest) {
                    Ok((rest, _)) => cut(number)(rest).map(|(r, n)| (r, Recorded::Seq(n)))?,
                    Err(_) => cut(a_period)(rest).map(|(r, p)| (r, Recorded::Before(p)))?,
                };
                c.recorded = Some(recorded);
                input = rest;
            } else if kw("known")(after_as).is_ok() || kw("of")(after_as).is_ok() {
                // A statement that takes no knowledge time (a knowledge
                // curve runs over all of it) says so, rather than list
                // what it would accept after 'as'.
                let mut e = SyntaxError::expected(skip(after_as).0, "'recorded' after 'as'");
                e.message = Some(
                    "this statement takes no 'as known' (a curve runs over all of known time; diff compares the moments after 'between')".into(),
                );
                return Err(nom::Err::Failure(e));
            } else {
                return Err(nom::Err::Failure(SyntaxError::expected(
                    skip(after_as).0,
                    "'known', 'of' or 'recorded' after 'as'",
                )));
            }
        } else if allow.contains(&Allow::Every) && kw("every")(rest).is_ok() {
            if c.every.is_some() {
                return Err(duplicate("every"));
            }
            let (rest, _) = kw("every")(rest)?;
            let (rest, unit) = cut(choice(
                &Unit::ALL,
                "a unit: decade, year, half, quarter, month or day",
            ))(rest)?;
            let (rest, aggregate) = cut(choice(
                &Aggregate::ALL,
                "an aggregate: first, last, min, max, avg, sum or count",
            ))(rest)?;
            c.every = Some((unit, aggregate));
            input = rest;
        } else if allow.contains(&Allow::Where) && kw("where")(rest).is_ok() {
            if !c.filter.is_empty() {
                return Err(duplicate("where"));
            }
            let (rest, filter) = cut(conditions)(kw("where")(rest)?.0)?;
            c.filter = filter;
            input = rest;
        } else if allow.contains(&Allow::Limit) && kw("limit")(rest).is_ok() {
            if c.limit.is_some() {
                return Err(duplicate("limit"));
            }
            let (rest, n) = cut(number)(kw("limit")(rest)?.0)?;
            c.limit = Some(n);
            input = rest;
        } else if allow.contains(&Allow::Between) && kw("between")(rest).is_ok() {
            let (rest, _) = kw("between")(rest)?;
            let (rest, a) = cut(moment)(rest)?;
            let (rest, _) = cut(kw("and"))(rest)?;
            let (rest, b) = cut(moment)(rest)?;
            c.between = Some((a, b));
            input = rest;
        } else {
            let mut names = Vec::new();
            if allow.contains(&Allow::Valid) {
                names.push("'for'");
                names.push("'from'");
            }
            if allow.contains(&Allow::Known) {
                names.push("'as known'");
            }
            if allow.contains(&Allow::Recorded) {
                names.push("'as recorded'");
            }
            if allow.contains(&Allow::Every) {
                names.push("'every'");
            }
            if allow.contains(&Allow::Between) {
                names.push("'between'");
            }
            if allow.contains(&Allow::Where) {
                names.push("'where'");
            }
            if allow.contains(&Allow::Limit) {
                names.push("'limit'");
            }
            names.push("the end of the statement");
            let mut e = SyntaxError::expected(rest, names[0]);
            e.expected = names.iter().map(|s| s.to_string()).collect();
            return Err(nom::Err::Failure(e));
        }
    }
}

/// `cond { "and" cond }` after `where`; each kind of condition once.
fn conditions(mut input: &str) -> PResult<'_, Filter> {
    let mut filter = Filter::default();
    loop {
        let before = skip(input).0;
        let twice = |what: &str| {
            nom::Err::Failure(SyntaxError::message(
                before,
                format!("the {what} condition is given twice"),
            ))
        };
        let equals = |i| cut(ws(nom::character::complete::char('=')))(i);
        let rest = if let Ok((rest, _)) = kw("source")(input) {
            if filter.source.is_some() {
                return Err(twice("source"));
            }
            let (rest, _) = equals(rest)?;
            let (rest, source) = cut(id)(rest)?;
            filter.source = Some(source);
            rest
        } else if let Ok((rest, _)) = kw("modality")(input) {
            if filter.modality.is_some() {
                return Err(twice("modality"));
            }
            let (rest, _) = equals(rest)?;
            let (rest, m) = cut(choice(
                &MODALITIES,
                "a modality: fact, plan, forecast or considered",
            ))(rest)?;
            filter.modality = Some(m);
            rest
        } else if let Ok((rest, _)) = kw("status")(input) {
            if filter.status.is_some() {
                return Err(twice("status"));
            }
            let (rest, _) = equals(rest)?;
            let (rest, s) = cut(choice(
                &ClaimStatus::ALL,
                "a status: current, contested, denied, agrees, superseded, conflicting or retracted",
            ))(rest)?;
            filter.status = Some(s);
            rest
        } else if let Ok((rest, _)) = kw("quote")(input) {
            if filter.quote_contains.is_some() {
                return Err(twice("quote"));
            }
            let (rest, _) = cut(kw("contains"))(rest)?;
            let (rest, words) = cut(text)(rest)?;
            filter.quote_contains = Some(words);
            rest
        } else {
            return Err(nom::Err::Failure(SyntaxError::expected(
                before,
                "a condition: source = ID, modality = M, status = S or quote contains 'text'",
            )));
        };
        match kw("and")(rest) {
            Ok((rest, _)) => input = rest,
            Err(_) => return Ok((rest, filter)),
        }
    }
}

fn choice<'a, T: Copy>(
    options: &'static [(T, &'static str)],
    what: &'static str,
) -> impl FnMut(&'a str) -> PResult<'a, T> {
    move |input: &'a str| {
        let (rest, w) =
            word(input).map_err(|_| nom::Err::Error(SyntaxError::expected(skip(input).0, what)))?;
        match options.iter().find(|(_, n)| n.eq_ignore_ascii_case(w)) {
            Some((t, _)) => Ok((rest, *t)),
            None => Err(nom::Err::Error(SyntaxError::expected(skip(input).0, what))),
        }
    }
}

/// `seq N` or a known period.
fn moment(input: &str) -> PResult<'_, Moment> {
    if let Ok((rest, _)) = kw("seq")(input) {
        let (rest, n) = cut(number)(rest)?;
        return Ok((rest, Moment::Seq(n)));
    }
    let (rest, p) = a_period(input)?;
    Ok((rest, Moment::Known(p)))
}

fn reading<'a>(input: &'a str, allow: &[Allow]) -> PResult<'a, (Reading, Clauses)> {
    let (rest, selector) = selector(input)?;
    let (rest, c) = clauses(rest, allow)?;
    Ok((
        rest,
        (
            Reading {
                selector,
                valid: c.valid,
                known: c.known,
                possibly: c.possibly,
                recorded: c.recorded,
                filter: c.filter.clone(),
            },
            c,
        ),
    ))
}

const READ: &[Allow] = &[Allow::Valid, Allow::Known, Allow::Recorded, Allow::Limit];
/// A knowledge curve runs over known time, so it takes no `as known`; it
/// takes `where` as a get does (the curve of one source's claims).
const CURVE: &[Allow] = &[Allow::Valid, Allow::Recorded, Allow::Limit, Allow::Where];
/// A get also takes `where`.
const GET: &[Allow] = &[
    Allow::Valid,
    Allow::Known,
    Allow::Recorded,
    Allow::Limit,
    Allow::Where,
];

fn get_statement(input: &str) -> PResult<'_, Statement> {
    let (rest, (r, c)) = reading_before_resolution(input, GET, "get")?;
    Ok((rest, limited(Statement::Get(r), c.limit)))
}

/// A reading whose `where` chooses the events resolution reads (a get, a
/// curve): one that asks for a status is refused, since a status needs
/// the resolution that such a `where` comes before (SPEC §5).
fn reading_before_resolution<'a>(
    input: &'a str,
    allow: &[Allow],
    statement: &str,
) -> PResult<'a, (Reading, Clauses)> {
    let (rest, (r, c)) = reading(input, allow)?;
    if r.filter.status.is_some() {
        return Err(nom::Err::Failure(SyntaxError::message(
            input,
            format!(
                "'where status = …' needs resolution, which 'where' on a {statement} comes before; ask 'claims … where status = …'"
            ),
        )));
    }
    Ok((rest, (r, c)))
}

/// `statement`, wrapped in [`Statement::Limit`] when a `limit N` was given.
fn limited(statement: Statement, limit: Option<u64>) -> Statement {
    match limit {
        Some(n) => Statement::Limit(Box::new(statement), n),
        None => statement,
    }
}

fn statement(input: &str) -> PResult<'_, Statement> {
    let start = skip(input).0;
    let first = word(start)
        .map(|(_, w)| w.to_ascii_lowercase())
        .unwrap_or_default();
    let after = || word(start).map(|(r, _)| r).unwrap_or(start);
    // A statement word followed by '.' is a subject of that name.
    let is_subject = word(start).is_ok_and(|(r, _)| r.starts_with('.'));
    if is_subject {
        return get_statement(start);
    }
    match first.as_str() {
        "history" => reading(after(), READ)
            .map(|(rest, (r, c))| (rest, limited(Statement::History(r), c.limit))),
        "curve" => reading_before_resolution(after(), CURVE, "curve")
            .map(|(rest, (r, c))| (rest, limited(Statement::Curve(r), c.limit))),
        "explain" => reading(after(), READ)
            .map(|(rest, (r, c))| (rest, limited(Statement::Explain(r), c.limit))),
        "claims" => reading(after(), GET)
            .map(|(rest, (r, c))| (rest, limited(Statement::Claims(r), c.limit))),
        "timeline" => {
            let (rest, (r, c)) = reading(
                after(),
                &[
                    Allow::Valid,
                    Allow::Known,
                    Allow::Recorded,
                    Allow::Every,
                    Allow::Limit,
                ],
            )?;
            let timeline = Statement::Timeline {
                reading: r,
                every: c.every,
            };
            Ok((rest, limited(timeline, c.limit)))
        }
        "diff" => {
            let (rest, selector) = cut(selector)(after())?;
            let (rest, c) = clauses(rest, &[Allow::Valid, Allow::Between, Allow::Limit])?;
            let Some((before, after)) = c.between else {
                return Err(nom::Err::Failure(SyntaxError::expected(
                    rest,
                    "'between A and B'",
                )));
            };
            let diff = Statement::Diff {
                selector,
                valid: c.valid,
                before,
                after,
            };
            Ok((rest, limited(diff, c.limit)))
        }
        "contested" => {
            let rest = after();
            // A selector is present when the next word is followed by '.'.
            let next = skip(rest).0;
            let has_selector =
                next.starts_with('*') || word(next).is_ok_and(|(r, _)| r.starts_with('.'));
            let (rest, selector) = if has_selector {
                cut(selector)(rest).map(|(r, s)| (r, Some(s)))?
            } else {
                (rest, None)
            };
            let (rest, c) = clauses(rest, &[Allow::Known, Allow::Recorded, Allow::Limit])?;
            let contested = Statement::Contested {
                selector,
                known: c.known,
                possibly: c.possibly,
                recorded: c.recorded,
            };
            Ok((rest, limited(contested, c.limit)))
        }
        "sources" => {
            let rest = after();
            let (rest, of) = match kw("of")(rest) {
                Ok((rest, _)) => cut(selector)(rest).map(|(r, s)| (r, Some(s)))?,
                Err(_) => (rest, None),
            };
            let (rest, c) = clauses(rest, &[Allow::Limit])?;
            Ok((rest, limited(Statement::Sources { of }, c.limit)))
        }
        "show" => {
            let (rest, event_id) = cut(id)(after())?;
            // Every reading statement takes `limit N` (SPEC §7).
            let (rest, c) = clauses(rest, &[Allow::Limit])?;
            Ok((rest, limited(Statement::Show(event_id), c.limit)))
        }
        "subjects" => {
            let (rest, c) = clauses(after(), &[Allow::Limit])?;
            Ok((rest, limited(Statement::Subjects, c.limit)))
        }
        "attributes" => {
            let (rest, c) = clauses(after(), &[Allow::Limit])?;
            Ok((rest, limited(Statement::Attributes, c.limit)))
        }
        "source" => source(after()),
        "define" => define(after()),
        "assert" => assert(after()),
        "deny" => deny(after()),
        "retract" => retract(after()),
        _ => get_statement(start).map_err(|e| match e {
            nom::Err::Error(_) => nom::Err::Error(SyntaxError::expected(
                start,
                "a statement (a selector such as china.export_quota, history, curve, timeline, diff, explain, claims, contested, sources, source, subjects, attributes, define, assert, deny or retract)",
            )),
            other => other,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> Statement {
        parse(input).unwrap_or_else(|e| panic!("{input}\n{}", e.locate(input)))
    }

    /// SPEC §7: every reading statement takes `limit N`, one event and one
    /// source included; `source ID` with other words is still a write.
    #[test]
    fn reading_an_event_or_a_source_takes_a_limit() {
        for (input, inner) in [
            (
                "show wsj-2010-10-19-quota-cut-2011 limit 1",
                Statement::Show("wsj-2010-10-19-quota-cut-2011".into()),
            ),
            (
                "source wsj-2010-10-19 limit 2",
                Statement::ShowSource("wsj-2010-10-19".into()),
            ),
        ] {
            match ok(input) {
                Statement::Limit(statement, _) => assert_eq!(*statement, inner),
                other => panic!("{input}: {other:?}"),
            }
            assert_eq!(ok(input).to_string(), input, "prints back");
        }
        assert!(matches!(
            ok("source s published 2010 title 't' publisher 'p'"),
            Statement::Write(_)
        ));
    }

    #[test]
    fn the_known_clause_has_three_spellings() {
        let a = ok("china.export_quota for 2011 as known in oct 2010");
        assert_eq!(a, ok("china.export_quota for 2011 as known oct 2010"));
        assert_eq!(a, ok("china.export_quota for 2011 as of 2010-10"));
        assert_eq!(a, ok("china.export_quota as of 2010-10 for 2011"));
    }

    #[test]
    fn selectors_take_wildcards_and_dotted_attributes() {
        let s = |t: &str| selector(t).unwrap().1;
        assert_eq!(s("china.*").attribute, AttributeSyntax::Any);
        assert_eq!(s("*.export_quota").subject, None);
        assert_eq!(
            s("china.mining_tax.light").attribute,
            AttributeSyntax::Exact("mining_tax.light".into())
        );
        assert_eq!(
            s("china.mining_tax.*").attribute,
            AttributeSyntax::Under("mining_tax".into())
        );
    }

    #[test]
    fn from_to_is_the_span_of_both_periods() {
        let Statement::Timeline { reading, .. } =
            ok("timeline china.export_quota from 2005 to 2015 as known 2012")
        else {
            panic!()
        };
        assert_eq!(reading.valid.unwrap().to_string(), "2005..2015");
    }

    #[test]
    fn an_apostrophe_inside_a_word_stays_in_the_quote() {
        let Statement::Write(Event::Assert(a)) = ok("assert china.export_quota = 24280 t for 2010 known 2010-10 source reuters-2010-10 quote 'This year's export quota is 24,280 tons'") else {
            panic!()
        };
        assert_eq!(
            a.quote.as_deref(),
            Some("This year's export quota is 24,280 tons")
        );
        assert_eq!(a.value.to_string(), "24280 t");
    }

    #[test]
    fn errors_say_what_was_expected_and_found() {
        let cases = [
            ("china.export_quota for 2011 as knwon 2010", "expected 'known', 'of' or 'recorded' after 'as', found 'knwon'"),
            ("china.export_quota fro 2011", "expected 'for', 'from', 'as known', 'as recorded', 'where', 'limit' or the end of the statement, found 'fro'"),
            ("china.export_quota for 2010-13", "month 13 is out of range"),
            ("china export_quota", "expected '.' and an attribute"),
            ("assert china.export_quota = 1 t source x", "missing 'for' clause"),
            ("timeline china.x every week avg", "expected a unit: decade, year, half, quarter, month or day, found 'week'"),
            ("", "expected a statement"),
        ];
        for (input, message) in cases {
            let e = parse(input).expect_err(input);
            assert!(
                e.describe(input).contains(message),
                "{input}: {}",
                e.describe(input)
            );
        }
    }

    #[test]
    fn a_comment_and_a_semicolon_may_end_a_statement() {
        assert_eq!(
            ok("history china.export_quota_change -- every event"),
            ok("history china.export_quota_change;")
        );
    }
}
