//! The key and value layouts of the index tables, with checked decoding in
//! one place: every integer read back from a key or value goes through
//! [`read_u64`] or [`read_day`], which turn a short or damaged slice into
//! [`Error::Corrupt`] instead of a panic.
//!
//! ```text
//! claims key:  series number u64 | level u8 | bin u32 | start i32 | end i32 | seq u64
//! value:       flags u8 (1: the targets table has rows for it; 2: it carries denials,
//!              `carried.rs`) | [denials] | bincode ClaimEntry
//! series key:  subject 00 attribute 00        value: number u64 | level mask u8 | kind u8
//! by attribute: attribute 00 subject 00       value: empty
//! revisions:   name 00 seq u64                value: bincode (published period, or definition)
//! targets key: target seq u64 | actor seq u64 value: bincode TargetEntry
//!              (retractions; denials of a claim of the same batch, or of
//!              an event the slot index has no entry for)
//! ids key:     the chosen id                  value: bincode IdEntry
//! ```
//!
//! Integers are big-endian, signed ones with the sign bit flipped, so byte
//! order is numeric order. Subjects and attributes never contain a zero byte.
//!
//! # The slot index (table `claims`)
//!
//! A `get` must touch only the claims whose valid period overlaps the
//! question, in time logarithmic in the store. Claims are filed in the bins
//! of a hierarchical binning scheme (as in genome browsers), with levels that
//! follow the calendar: day, month, year, decade, century, and a top level
//! for unbounded periods. A claim goes into the finest level whose single bin
//! holds its whole valid period. A query for `[s, e)` then scans, at each
//! level the series uses, the bins that `[s, e)` touches, and stops at the
//! first claim starting on or after `e`: a claim's bin is its start's, so
//! within a level the key orders claims by start.

use crate::dating::Dating;
use crate::error::{Error, Result};
use crate::event::{Kind, Modality};
pub(super) use crate::log::read_u64;
use crate::log::{decode_value, encode_value};
use crate::period::{Day, Period};
use crate::value::Value;
use serde::{Deserialize, Serialize};

/// The levels of the slot index, finest first: a claim is filed at the
/// first level whose one bin holds its whole valid period. They follow the
/// calendar rather than powers of two because claims do: a year, a quarter
/// or a month always fits its own bin, where a power-of-two ladder files
/// most years one level up, among twenty times as many neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    Day = 0,
    Month = 1,
    Year = 2,
    Decade = 3,
    Century = 4,
    /// Unbounded periods, and bounded ones that cross a century.
    Top = 5,
}

pub(super) const LEVELS: [Level; 6] = [
    Level::Day,
    Level::Month,
    Level::Year,
    Level::Decade,
    Level::Century,
    Level::Top,
];
const TOP_LEVEL: u8 = Level::Top as u8;

/// The first and last days a bin can hold: 0001-01-01 and 9999-12-31.
const FIRST_DAY: i64 = -719_162;
pub(super) const LAST_DAY: i64 = 2_932_896;

/// A day number with its calendar year and month, worked out once for all
/// the levels that bin it. Days outside the years 1 to 9999 (unbounded
/// sides) are clamped to them.
pub(super) struct CalendarDay {
    day: i64,
    year: i64,
    month: i64,
}

impl CalendarDay {
    pub(super) fn new(day: i64) -> CalendarDay {
        let day = day.clamp(FIRST_DAY, LAST_DAY);
        let (year, month, _) = Day(day as i32).ymd();
        CalendarDay {
            day,
            year: year as i64,
            month: month as i64,
        }
    }
}

impl Level {
    /// The bin of this level that holds `day`. Bins grow with the day, so
    /// within a level the key orders claims by their start.
    pub(super) fn bin(self, day: &CalendarDay) -> u32 {
        // Every value is non-negative and below 2^32 within years 1..9999.
        let bin = match self {
            Level::Day => day.day - FIRST_DAY,
            Level::Month => day.year * 12 + (day.month - 1),
            Level::Year => day.year,
            Level::Decade => day.year / 10,
            Level::Century => day.year / 100,
            Level::Top => 0,
        };
        bin as u32
    }
}

pub fn seq_key(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// The seq that ends a `name 00 seq` revision key.
pub(super) fn revision_seq(key: &[u8]) -> Result<u64> {
    let start = key
        .len()
        .checked_sub(8)
        .ok_or_else(|| Error::Corrupt("a revision key is damaged".into()))?;
    read_u64(&key[start..], "a revision key")
}

/// The name that starts a `name 00 seq` revision key.
pub(super) fn revision_name(key: &[u8]) -> Result<String> {
    let end = key
        .len()
        .checked_sub(9)
        .ok_or_else(|| Error::Corrupt("a revision key is damaged".into()))?;
    Ok(String::from_utf8_lossy(&key[..end]).into_owned())
}

/// `subject 00 attribute 00`: the prefix of a series' claims.
pub fn series_key(subject: &str, attribute: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(subject.len() + attribute.len() + 2);
    key.extend_from_slice(subject.as_bytes());
    key.push(0);
    key.extend_from_slice(attribute.as_bytes());
    key.push(0);
    key
}

/// The two names of a `series_key` (or its by-attribute mirror).
pub(super) fn split_series_key(key: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(key).ok()?;
    let mut parts = text.trim_end_matches('\0').splitn(2, '\0');
    Some((parts.next()?.to_string(), parts.next()?.to_string()))
}

/// `name 00 seq`: the key of one revision of a source or definition.
pub(super) fn revision_key(name: &str, seq: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.len() + 9);
    key.extend_from_slice(name.as_bytes());
    key.push(0);
    key.extend_from_slice(&seq_key(seq));
    key
}

/// The level and bin a valid period is filed under.
pub(super) fn bin_of(valid: &Period) -> (u8, u32) {
    let (Some(start), Some(end)) = (valid.start, valid.end) else {
        return (TOP_LEVEL, 0);
    };
    let first = CalendarDay::new(start.0 as i64);
    let last = CalendarDay::new(end.0 as i64 - 1);
    for level in LEVELS {
        let bin = level.bin(&first);
        if level == Level::Top || bin == level.bin(&last) {
            return (level as u8, bin);
        }
    }
    (TOP_LEVEL, 0)
}

/// A day bound as 4 sortable bytes; unbounded sides are `i32::MIN`/`MAX`,
/// which no day of years 1..9999 reaches.
pub(super) fn ordered_day(v: i64) -> [u8; 4] {
    let v = v.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    ((v as u32) ^ (1 << 31)).to_be_bytes()
}

/// The day of [`ordered_day`]'s bytes at the start of `bytes`.
pub(super) fn read_day(bytes: &[u8]) -> Result<i32> {
    let array: [u8; 4] = bytes
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Corrupt("a claim index key is damaged".into()))?;
    Ok((u32::from_be_bytes(array) ^ (1 << 31)) as i32)
}

/// `series number | level | bin | start | end | seq`: 29 bytes, so keys
/// stay short and compare fast whatever the names of the series.
pub(super) fn claim_key(series: u64, valid: &Period, seq: u64) -> Vec<u8> {
    let (level, bin) = bin_of(valid);
    let mut key = Vec::with_capacity(CLAIM_KEY_LEN);
    key.extend_from_slice(&series.to_be_bytes());
    key.push(level);
    key.extend_from_slice(&bin.to_be_bytes());
    key.extend_from_slice(&ordered_day(valid.start_key()));
    key.extend_from_slice(&ordered_day(valid.end_key()));
    key.extend_from_slice(&seq_key(seq));
    key
}

pub(super) const CLAIM_KEY_LEN: usize = 8 + 1 + 4 + 4 + 4 + 8;

/// The valid period and seq of a claim key.
pub(super) fn decode_claim_key(key: &[u8]) -> Result<(Period, u64)> {
    if key.len() != CLAIM_KEY_LEN {
        return Err(Error::Corrupt("a claim index key is damaged".into()));
    }
    let (start, end) = (read_day(&key[13..])?, read_day(&key[17..])?);
    let valid = Period {
        start: (start != i32::MIN).then_some(Day(start)),
        end: (end != i32::MAX).then_some(Day(end)),
    };
    Ok((valid, claim_key_seq(key)?))
}

/// The seq that ends a claim key: the claim's record.
pub(super) fn claim_key_seq(key: &[u8]) -> Result<u64> {
    if key.len() != CLAIM_KEY_LEN {
        return Err(Error::Corrupt("a claim index key is damaged".into()));
    }
    read_u64(&key[CLAIM_KEY_LEN - 8..], "a claim index key")
}

/// `target seq | actor seq`.
pub(super) fn target_key(target: u64, actor: u64) -> Vec<u8> {
    let mut key = seq_key(target).to_vec();
    key.extend_from_slice(&seq_key(actor));
    key
}

/// What the series table holds for `subject 00 attribute 00`: the series'
/// number (the seq of its first claim, so replaying the log gives the same
/// number), the bitmask of bin levels its claims use, and its attribute's
/// kind (fixed at definition), so that a `get` reads one entry per series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesEntry {
    pub number: u64,
    pub mask: u8,
    pub kind: Kind,
}

impl SeriesEntry {
    pub(super) fn encode(self) -> Vec<u8> {
        let mut v = self.number.to_be_bytes().to_vec();
        v.push(self.mask);
        v.push(match self.kind {
            Kind::Period => 0,
            Kind::State => 1,
        });
        v
    }

    pub(super) fn decode(bytes: &[u8]) -> Result<SeriesEntry> {
        let damaged = || Error::Corrupt("a series entry is damaged".into());
        let kind = match bytes.get(9) {
            Some(0) => Kind::Period,
            Some(1) => Kind::State,
            _ => return Err(damaged()),
        };
        if bytes.len() != 10 {
            return Err(damaged());
        }
        Ok(SeriesEntry {
            number: read_u64(bytes, "a series entry")?,
            mask: bytes[8],
            kind,
        })
    }
}

/// What the slot index keeps of a claim: everything an answer shows, so a
/// `get` reads no log record. (The log stays the truth: `verify` rebuilds
/// this from it and compares.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimEntry {
    pub known: Option<Period>,
    pub source: String,
    pub value: Value,
    pub modality: Modality,
    /// The id a writer chose; `None` for the automatic `e<seq>`.
    pub id: Option<String>,
    pub quote: Option<String>,
    pub note: Option<String>,
    /// The valid period as written when it is vague (its certain extent
    /// and qualifiers); the key holds the possible extent.
    pub valid_form: Option<Dating>,
    /// The known period as written, for its qualifiers.
    pub known_form: Option<Dating>,
}

/// [`ClaimEntry`] by reference, encoded identically, to write without copying.
#[derive(Serialize)]
pub(super) struct ClaimEntryRef<'a> {
    pub known: &'a Option<Period>,
    pub source: &'a str,
    pub value: &'a Value,
    pub modality: &'a Modality,
    pub id: Option<&'a str>,
    pub quote: &'a Option<String>,
    pub note: &'a Option<String>,
    pub valid_form: &'a Option<Dating>,
    pub known_form: &'a Option<Dating>,
}

/// The flag of a claim entry that the `targets` table has rows for: a
/// retraction, or a denial by an event of the claim's own batch. (A
/// denial from a later batch is carried by the entry, `carried.rs`.)
pub(super) const TARGETED: u8 = 1;

/// A claim entry as stored: a flag byte, then the entry. (The checksum
/// that covers the key, the flag and the entry is the storage layer's.)
pub(super) fn encode_claim(entry: &ClaimEntryRef<'_>) -> Vec<u8> {
    let body = encode_value(entry);
    let mut value = Vec::with_capacity(1 + body.len());
    value.push(0);
    value.extend_from_slice(&body);
    value
}

/// Sets the flag that the `targets` table has rows for the claim stored
/// as `value`. False when it was set already.
pub(super) fn mark_targeted(value: &mut [u8]) -> bool {
    match value.first_mut() {
        Some(flags) if *flags & TARGETED == 0 => {
            *flags |= TARGETED;
            true
        }
        _ => false,
    }
}

/// A claim entry as stored, and whether its flag says it is targeted.
#[cfg(test)]
pub(super) fn decode_claim(value: &[u8]) -> Result<(bool, ClaimEntry)> {
    let Some((flags, rest)) = value.split_first() else {
        return Err(Error::Corrupt("a claim index entry is empty".into()));
    };
    let (_, body) = super::carried::split(*flags, rest)?;
    Ok((flags & TARGETED != 0, decode_claim_body(body)?))
}

/// A claim entry's body, without its flags.
pub(super) fn decode_claim_body(body: &[u8]) -> Result<ClaimEntry> {
    decode_value(body, "a claim entry")
}

/// What an event did to another event (table `targets`, and the denials a
/// claim entry carries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TargetEntry {
    Denied {
        known: Option<Period>,
        source: String,
    },
    Retracted,
}

/// The ops that own event ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdOp {
    Assert,
    Deny,
    Retract,
}

/// Where an id points: the seq of its event and the event's op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdEntry {
    pub seq: u64,
    pub op: IdOp,
}

/// The automatic id of the event at `seq`: `e<seq>`. Written out by hand
/// rather than by `format!`, whose machinery was 3 % of a question about a
/// slot of twenty claims (each row names each claim's event).
pub fn automatic_id(seq: u64) -> String {
    let mut digits = [0u8; 20];
    let (mut rest, mut at) = (seq, digits.len());
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let mut id = String::with_capacity(1 + digits.len() - at);
    id.push('e');
    id.extend(digits[at..].iter().map(|d| char::from(*d)));
    id
}

/// The seq an automatic id `e<seq>` names.
pub fn automatic_seq(id: &str) -> Option<u64> {
    let digits = id.strip_prefix('e')?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(text: &str) -> Period {
        Period::parse(text).unwrap()
    }

    #[test]
    fn short_periods_go_to_fine_levels_and_open_ones_to_the_top() {
        let level = |text: &str| bin_of(&period(text)).0;
        assert_eq!(level("2010-10-19"), Level::Day as u8);
        assert_eq!(level("2010-10"), Level::Month as u8);
        assert_eq!(level("2010-10-01..2010-10-31"), Level::Month as u8);
        assert_eq!(level("2010-10-15..2010-11-14"), Level::Year as u8);
        assert_eq!(level("2010"), Level::Year as u8);
        assert_eq!(level("2010-Q4"), Level::Year as u8);
        assert_eq!(level("2011..2015"), Level::Decade as u8);
        assert_eq!(level("2009..2011"), Level::Century as u8);
        assert_eq!(level("1999..2001"), Level::Top as u8);
        assert_eq!(level("2006.."), Level::Top as u8);
        assert_eq!(
            bin_of(&period("0001..9999")).0,
            TOP_LEVEL,
            "longer than the coarsest bin"
        );
    }

    #[test]
    fn the_bins_span_exactly_the_years_a_period_can_name() {
        assert_eq!(Day::from_ymd(1, 1, 1).unwrap().0 as i64, FIRST_DAY);
        assert_eq!(Day::from_ymd(9999, 12, 31).unwrap().0 as i64, LAST_DAY);
        for level in LEVELS {
            let bin = |day: i64| level.bin(&CalendarDay::new(day));
            assert!(bin(FIRST_DAY) <= bin(LAST_DAY));
            assert_eq!(bin(i64::MIN), bin(FIRST_DAY));
            assert_eq!(bin(i64::MAX), bin(LAST_DAY));
        }
    }

    #[test]
    fn ordered_days_sort_as_bytes_and_clamp_unbounded_sides() {
        let values = [i64::MIN, -5, -1, 0, 1, 7, i64::MAX];
        for pair in values.windows(2) {
            assert!(ordered_day(pair[0]) < ordered_day(pair[1]));
        }
        assert_eq!(read_day(&ordered_day(-5)).unwrap(), -5);
        assert_eq!(read_day(&ordered_day(i64::MIN)).unwrap(), i32::MIN);
    }

    #[test]
    fn short_keys_and_values_are_damage_never_a_panic() {
        assert!(read_u64(&[1, 2, 3], "a key").is_err());
        assert!(read_day(&[1]).is_err());
        assert!(revision_seq(&[0; 5]).is_err());
        assert!(revision_name(&[0; 5]).is_err());
        assert!(decode_claim_key(&[0; 28]).is_err());
        assert!(SeriesEntry::decode(&[0; 9]).is_err());
        assert!(decode_claim(&[]).is_err());
        let key = claim_key(3, &period("2010"), 17);
        assert_eq!(decode_claim_key(&key).unwrap(), (period("2010"), 17));
    }

    #[test]
    fn a_claim_entry_encodes_the_same_by_reference_and_keeps_its_flag() {
        let owned = ClaimEntry {
            known: Some(Period::parse("2010").unwrap()),
            source: "s".into(),
            value: Value::parse("1 t").unwrap(),
            modality: Modality::Plan,
            id: Some("q1".into()),
            quote: Some("one tonne".into()),
            note: None,
            valid_form: None,
            known_form: None,
        };
        let borrowed = ClaimEntryRef {
            known: &owned.known,
            source: &owned.source,
            value: &owned.value,
            modality: &owned.modality,
            id: owned.id.as_deref(),
            quote: &owned.quote,
            note: &owned.note,
            valid_form: &owned.valid_form,
            known_form: &owned.known_form,
        };
        assert_eq!(encode_value(&borrowed), encode_value(&owned));
        let mut stored = encode_claim(&borrowed);
        assert_eq!(decode_claim(&stored).unwrap(), (false, owned.clone()));
        assert!(mark_targeted(&mut stored));
        assert!(!mark_targeted(&mut stored), "set once");
        assert_eq!(decode_claim(&stored).unwrap(), (true, owned));
    }

    #[test]
    fn an_automatic_id_is_written_as_format_writes_it_and_names_its_seq() {
        for seq in [0, 1, 9, 10, 99, 100, 12_345, 1 << 40, u64::MAX] {
            assert_eq!(automatic_id(seq), format!("e{seq}"));
            if seq > 0 {
                assert_eq!(automatic_seq(&automatic_id(seq)), Some(seq));
            }
        }
    }

    #[test]
    fn automatic_ids_name_their_seq_and_nothing_else_does() {
        assert_eq!(automatic_seq("e17"), Some(17));
        assert_eq!(automatic_seq("e017"), None);
        assert_eq!(automatic_seq("e"), None);
        assert_eq!(automatic_seq("x17"), None);
        assert_eq!(automatic_seq("e1a"), None);
    }
}
