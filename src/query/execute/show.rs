//! `show ID`: one event whole — its fields as the import format writes
//! them, its log position, recorded time and hash, and for a claim or a
//! denial the quote inside the words around it in its source's text, so a
//! historian reads what the source said where it said it.

use super::super::rows::{AnswerRow, Cancel, EventDetail, Reply, RowType, StatementKind};
use crate::answer::Reader;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::index::View;
use crate::log;
use crate::store::Store;
use crate::verify::normalize;

/// How many characters of the source's text `show` gives on each side of
/// a quote.
const CONTEXT_CHARS: usize = 240;

pub(super) fn show<'s>(store: &'s Store, id: &str, cancel: Cancel) -> Result<Reply<'s>> {
    let view = store.view(None);
    let Some(entry) = view.id(id)? else {
        return Err(Error::Unknown {
            what: "event",
            id: id.to_string(),
            hint: " (ids are given by writers, or e<seq>; 'claims …' lists them)".into(),
        });
    };
    let envelope = log::read_envelope(view.storage, entry.seq)?;
    let event = &envelope.record.event;
    let (quote, source) = match event {
        Event::Assert(c) => (c.quote.as_deref(), Some(c.source.as_str())),
        Event::Deny(d) => (d.quote.as_deref(), Some(d.source.as_str())),
        _ => (None, None),
    };
    let context = match (quote, source) {
        (Some(quote), Some(source)) => {
            source_text(view, source)?.and_then(|text| in_context(&text, quote))
        }
        _ => None,
    };
    let row = AnswerRow::Event(EventDetail {
        seq: envelope.record.seq,
        recorded: log::recorded_text(envelope.record.recorded),
        hash: log::hex(&envelope.hash),
        event: crate::interchange::event_json(event),
        context,
    });
    Ok(Reply::from_rows(
        view.position,
        StatementKind::Show,
        RowType::Event,
        vec![row],
        cancel,
    ))
}

/// The text of a source as it stands at the view's position.
fn source_text(view: View<'_>, source: &str) -> Result<Option<String>> {
    let Some(seq) = view.source_seq(source)? else {
        return Ok(None);
    };
    match Reader::new(view).record(seq)?.event {
        Event::Source(s) => Ok(s.text),
        _ => Ok(None),
    }
}

/// The quote with the words around it, whitespace collapsed as `verify`
/// compares them: `…before «quote» after…`.
fn in_context(text: &str, quote: &str) -> Option<String> {
    let (text, quote) = (normalize(text), normalize(quote));
    let at = text.find(&quote)?;
    let before: String = {
        let chars: Vec<char> = text[..at].chars().collect();
        chars[chars.len().saturating_sub(CONTEXT_CHARS)..]
            .iter()
            .collect()
    };
    let rest = &text[at + quote.len()..];
    let after: String = rest.chars().take(CONTEXT_CHARS).collect();
    let open = if before.len() < at { "…" } else { "" };
    let close = if after.len() < rest.len() { "…" } else { "" };
    Some(format!("{open}{before}«{quote}»{after}{close}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_is_shown_inside_the_words_around_it() {
        let text = "First line.\n\nThis year's   export quota is 24,280 tons. Then more.";
        let shown = in_context(text, "export quota is 24,280 tons").unwrap();
        assert_eq!(
            shown,
            "First line. This year's «export quota is 24,280 tons». Then more."
        );
        assert_eq!(in_context(text, "not there"), None);
        let long = format!("{} «x» {}", "a".repeat(500), "b".repeat(500));
        let shown = in_context(&long, "«x»").unwrap();
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
    }
}
