//! The writing statements of the language — `define`, `source`, `assert`,
//! `deny`, `retract` — each a keyword and then `keyword value` clauses in
//! any order, parsed straight into the [`Event`] the statement appends.

use super::*;
use crate::dating::{dating, Dating};
use crate::event::split_dating;

/// Parses `keyword value` clauses in any order until the end.
fn keyed<'a>(
    mut input: &'a str,
    keys: &[&'static str],
    mut each: impl FnMut(&'static str, &'a str) -> PResult<'a, ()>,
) -> PResult<'a, ()> {
    let mut seen: Vec<&str> = Vec::new();
    loop {
        let rest = skip(input).0;
        if rest.is_empty() || rest.starts_with(';') {
            return Ok((rest, ()));
        }
        let Some(key) = keys.iter().copied().find(|k| kw(k)(rest).is_ok()) else {
            let mut e = SyntaxError::expected(rest, "");
            e.expected = keys
                .iter()
                .filter(|k| !seen.contains(k))
                .map(|k| format!("'{k}'"))
                .collect();
            e.expected.push("the end of the statement".into());
            return Err(nom::Err::Failure(e));
        };
        if seen.contains(&key) {
            return Err(nom::Err::Failure(SyntaxError::message(
                rest,
                format!("'{key}' is given twice"),
            )));
        }
        seen.push(key);
        let (after, _) = kw(key)(rest)?;
        input = cut(|i| each(key, i))(after)?.0;
    }
}

fn required<T>(value: Option<T>, input: &str, what: &str) -> Result<T, nom::Err<SyntaxError>> {
    value.ok_or_else(|| {
        nom::Err::Failure(SyntaxError::message(
            input,
            format!("missing '{what}' clause"),
        ))
    })
}

pub(super) fn source(input: &str) -> PResult<'_, Statement> {
    let (rest, source_id) = cut(id)(input)?;
    let end = skip(rest).0;
    if end.is_empty() || end.starts_with(';') {
        return Ok((end, Statement::ShowSource(source_id)));
    }
    // Reading a source takes `limit N`, as every reading statement does.
    if kw("limit")(end).is_ok() {
        let (rest, c) = super::clauses(end, &[super::Allow::Limit])?;
        return Ok((
            rest,
            super::limited(Statement::ShowSource(source_id), c.limit),
        ));
    }
    let (mut published, mut title, mut publisher, mut url, mut text_, mut note) =
        (None, None, None, None, None, None);
    let (rest, _) = keyed(
        rest,
        &["published", "title", "publisher", "url", "text", "note"],
        |key, i| match key {
            "published" => a_dating(i).map(|(r, p)| (r, published = Some(p))),
            "title" => text(i).map(|(r, t)| (r, title = Some(t))),
            "publisher" => text(i).map(|(r, t)| (r, publisher = Some(t))),
            "url" => text(i).map(|(r, t)| (r, url = Some(t))),
            "text" => text(i).map(|(r, t)| (r, text_ = Some(t))),
            _ => text(i).map(|(r, t)| (r, note = Some(t))),
        },
    )?;
    let (published, published_form) = split_dating(required(published, rest, "published")?);
    let s = Source {
        id: source_id,
        published,
        published_form,
        title: required(title, rest, "title")?,
        publisher: required(publisher, rest, "publisher")?,
        url,
        text: text_,
        note,
    };
    Ok((rest, Statement::Write(Event::Source(s))))
}

pub(super) fn define(input: &str) -> PResult<'_, Statement> {
    let (rest, _) = cut(kw("attribute"))(input)?;
    let (rest, attribute) = cut(name("an attribute name"))(rest)?;
    let (mut kind, mut unit, mut doc) = (None, None, None);
    let (rest, _) = keyed(rest, &["kind", "unit", "doc"], |key, i| match key {
        "kind" => choice(
            &[(Kind::Period, "period"), (Kind::State, "state")],
            "a kind: period or state",
        )(i)
        .map(|(r, k)| (r, kind = Some(k))),
        "unit" => {
            let i = skip(i).0;
            let end = i.find(char::is_whitespace).unwrap_or(i.len());
            if end == 0 {
                return Err(nom::Err::Error(SyntaxError::expected(
                    i,
                    "a unit such as t or %",
                )));
            }
            unit = Some(i[..end].to_string());
            Ok((&i[end..], ()))
        }
        _ => text(i).map(|(r, t)| (r, doc = Some(t))),
    })?;
    Ok((
        rest,
        Statement::Write(Event::Define(Definition {
            attribute,
            kind: kind.unwrap_or(Kind::Period),
            unit,
            doc,
        })),
    ))
}

pub(super) fn assert(input: &str) -> PResult<'_, Statement> {
    let (rest, sel) = cut(selector)(input)?;
    let (subject, attribute) = match (sel.subject, sel.attribute) {
        (Some(s), AttributeSyntax::Exact(a)) => (s, a),
        _ => {
            return Err(nom::Err::Failure(SyntaxError::message(
                input,
                "an assert names one subject and one attribute, without *",
            )))
        }
    };
    let (rest, _) = cut(ws(nom::character::complete::char('=')))(rest)
        .map_err(|_| nom::Err::Failure(SyntaxError::expected(skip(rest).0, "'=' and a value")))?;
    let (rest, v) = cut(ws(value))(rest)?;
    let (mut valid, mut known, mut source, mut quote, mut modality, mut note, mut event_id) =
        (None, None, None, None, None, None, None);
    let (rest, _) = keyed(
        rest,
        &["for", "known", "source", "quote", "modality", "note", "id"],
        |key, i| match key {
            "for" => a_dating(i).map(|(r, p)| (r, valid = Some(p))),
            "known" => a_dating(i).map(|(r, p)| (r, known = Some(p))),
            "source" => id(i).map(|(r, s)| (r, source = Some(s))),
            "quote" => text(i).map(|(r, t)| (r, quote = Some(t))),
            "modality" => choice(
                &MODALITIES,
                "a modality: fact, plan, forecast or considered",
            )(i)
            .map(|(r, m)| (r, modality = Some(m))),
            "note" => text(i).map(|(r, t)| (r, note = Some(t))),
            _ => id(i).map(|(r, s)| (r, event_id = Some(s))),
        },
    )?;
    let (valid, valid_form) = split_dating(required(valid, rest, "for")?);
    let (known, known_form) = split_known(known);
    Ok((
        rest,
        Statement::Write(Event::Assert(Claim {
            id: event_id,
            subject,
            attribute,
            valid,
            valid_form,
            known_form,
            value: v,
            known,
            source: required(source, rest, "source")?,
            quote,
            modality: modality.unwrap_or(Modality::Fact),
            note,
        })),
    ))
}

pub(super) const MODALITIES: [(Modality, &str); 4] = [
    (Modality::Fact, "fact"),
    (Modality::Plan, "plan"),
    (Modality::Forecast, "forecast"),
    (Modality::Considered, "considered"),
];

pub(super) fn deny(input: &str) -> PResult<'_, Statement> {
    let (rest, target) = cut(id)(input)?;
    let (mut known, mut source, mut quote, mut event_id) = (None, None, None, None);
    let (rest, _) = keyed(
        rest,
        &["known", "source", "quote", "id"],
        |key, i| match key {
            "known" => a_dating(i).map(|(r, p)| (r, known = Some(p))),
            "source" => id(i).map(|(r, s)| (r, source = Some(s))),
            "quote" => text(i).map(|(r, t)| (r, quote = Some(t))),
            _ => id(i).map(|(r, s)| (r, event_id = Some(s))),
        },
    )?;
    let (known, known_form) = split_known(known);
    Ok((
        rest,
        Statement::Write(Event::Deny(Denial {
            id: event_id,
            target,
            known,
            known_form,
            source: required(source, rest, "source")?,
            quote,
        })),
    ))
}

/// A period as a write records it: any written form, kept as written (a
/// question instead reads it as the days it may cover, `a_period`). An
/// unknown end in a known date is refused by the store's validation.
fn a_dating(input: &str) -> PResult<'_, Dating> {
    ws(dating).parse(input).map_err(|e| match e {
        nom::Err::Error(_) => nom::Err::Error(SyntaxError::expected(
            skip(input).0,
            "a period such as 2010, 2010-10, oct 2010 or 198X",
        )),
        other => other,
    })
}

fn split_known(known: Option<Dating>) -> (Option<Period>, Option<Dating>) {
    match known.map(split_dating) {
        Some((period, form)) => (Some(period), form),
        None => (None, None),
    }
}

pub(super) fn retract(input: &str) -> PResult<'_, Statement> {
    let (rest, target) = cut(id)(input)?;
    let (mut reason, mut event_id) = (None, None);
    let (rest, _) = keyed(rest, &["because", "id"], |key, i| match key {
        "because" => text(i).map(|(r, t)| (r, reason = Some(t))),
        _ => id(i).map(|(r, s)| (r, event_id = Some(s))),
    })?;
    Ok((
        rest,
        Statement::Write(Event::Retract(Retraction {
            id: event_id,
            target,
            reason: required(reason, rest, "because")?,
        })),
    ))
}
