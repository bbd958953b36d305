//! Record bodies of format version 1, read forever (SPEC §6).
//!
//! bincode is not self-describing: a body is the fields of its structs in
//! order, so the structs that wrote version 1 are kept here exactly as they
//! were, and each decoded record is turned into today's [`Event`]. Version
//! 2 added the written forms of uncertain dates (`valid_form`, `known_form`,
//! `published_form`), which version-1 records never had.
//!
//! Architecture invariant: nothing here is ever changed; a new format
//! version gets its own structs beside these.

use crate::event::{Claim, Definition, Denial, Event, Modality, Retraction, Source};
use crate::period::Period;
use crate::value::Value;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub(super) struct RecordV1 {
    seq: u64,
    recorded: i64,
    event: EventV1,
}

#[derive(Serialize, Deserialize)]
enum EventV1 {
    Define(Definition),
    Source(SourceV1),
    Assert(ClaimV1),
    Deny(DenialV1),
    Retract(Retraction),
}

#[derive(Serialize, Deserialize)]
struct SourceV1 {
    id: String,
    title: String,
    publisher: String,
    published: Period,
    url: Option<String>,
    text: Option<String>,
    note: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct ClaimV1 {
    id: Option<String>,
    subject: String,
    attribute: String,
    valid: Period,
    value: Value,
    known: Option<Period>,
    source: String,
    quote: Option<String>,
    modality: Modality,
    note: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct DenialV1 {
    id: Option<String>,
    target: String,
    known: Option<Period>,
    source: String,
    quote: Option<String>,
}

impl From<RecordV1> for super::Record {
    fn from(v1: RecordV1) -> super::Record {
        let event = match v1.event {
            EventV1::Define(d) => Event::Define(d),
            EventV1::Source(s) => Event::Source(Source {
                id: s.id,
                title: s.title,
                publisher: s.publisher,
                published: s.published,
                url: s.url,
                text: s.text,
                note: s.note,
                published_form: None,
            }),
            EventV1::Assert(c) => Event::Assert(Claim {
                id: c.id,
                subject: c.subject,
                attribute: c.attribute,
                valid: c.valid,
                value: c.value,
                known: c.known,
                source: c.source,
                quote: c.quote,
                modality: c.modality,
                note: c.note,
                valid_form: None,
                known_form: None,
            }),
            EventV1::Deny(d) => Event::Deny(Denial {
                id: d.id,
                target: d.target,
                known: d.known,
                source: d.source,
                quote: d.quote,
                known_form: None,
            }),
            EventV1::Retract(r) => Event::Retract(r),
        };
        super::Record {
            seq: v1.seq,
            recorded: v1.recorded,
            event,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record exactly as version 1 wrote it is read as today's event,
    /// with no written forms.
    #[test]
    fn a_version_1_record_reads_as_todays_event() {
        let v1 = RecordV1 {
            seq: 7,
            recorded: 1_600_000_000_000_000,
            event: EventV1::Assert(ClaimV1 {
                id: Some("q".into()),
                subject: "china".into(),
                attribute: "export_quota".into(),
                valid: Period::year(2010),
                value: Value::parse("24280 t").unwrap(),
                known: None,
                source: "s".into(),
                quote: Some("24,280 tonnes".into()),
                modality: Modality::Fact,
                note: None,
            }),
        };
        let body = crate::log::encode_value(&v1);
        let prev = [3u8; 32];
        let hash = crate::log::chain_hash(&prev, &body);
        let mut bytes = vec![1u8];
        bytes.extend_from_slice(&prev);
        bytes.extend_from_slice(&hash);
        bytes.extend_from_slice(&body);
        let envelope = crate::log::decode(7, &bytes).unwrap();
        let Event::Assert(claim) = envelope.record.event else {
            panic!("an assert")
        };
        assert_eq!(claim.valid, Period::year(2010));
        assert_eq!(claim.quote.as_deref(), Some("24,280 tonnes"));
        assert_eq!((claim.valid_form, claim.known_form), (None, None));
        assert_eq!(envelope.hash, hash);
    }
}
