//! The projections: indexes derived from the log, their key layout, how a
//! record is applied to them, and how a reader at log position `R` reads them.
//!
//! Every projection entry carries the seq of the event that produced it, so a
//! reader at position `R` simply ignores entries with a larger seq: writers
//! never need to stop readers, and `as recorded at seq N` costs nothing extra.
//! Applying a record only inserts keys (or ORs bits into a series mask), so
//! applying it twice is harmless; that is what lets `open` replay the tail of
//! the log after a crash without knowing how far a half-done apply got.
//!
//! # The slot index (table `claims`)
//!
//! A `get` must touch only the claims whose valid period overlaps the question,
//! in time logarithmic in the store. Claims are filed in the bins of a
//! hierarchical binning scheme (as in genome browsers), with levels that
//! follow the calendar: day, month, year, decade, century, and a top level
//! for unbounded periods. A claim goes into the finest level whose single bin
//! holds its whole valid period. A query for `[s, e)` then scans, at each
//! level the series uses, the bins that `[s, e)` touches, and stops at the
//! first claim starting on or after `e`: a claim's bin is its start's, so
//! within a level the key orders claims by start.
//!
//! ```text
//! claims key:  series number u64 | level u8 | bin u32 | start i32 | end i32 | seq u64
//! value:       flags u8 (1: some denial or retraction targets it) | CRC-32 | bincode ClaimEntry
//! ```
//!
//! Integers are big-endian, signed ones with the sign bit flipped, so byte
//! order is numeric order. Subjects and attributes never contain a zero byte.

pub use crate::cache::ReadCache;
use crate::cache::CACHE_ENTRIES;
use crate::error::Result;
use crate::event::{Event, Kind};
use crate::log::{decode_value, encode_value, Record};
use crate::period::{Day, Period};
use crate::storage::{scan_prefix, Storage, Table};
use crate::value::Value;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The levels of the slot index, finest first: a claim is filed at the
/// first level whose one bin holds its whole valid period. They follow the
/// calendar rather than powers of two because claims do: a year, a quarter
/// or a month always fits its own bin, where a power-of-two ladder files
/// most years one level up, among twenty times as many neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Day = 0,
    Month = 1,
    Year = 2,
    Decade = 3,
    Century = 4,
    /// Unbounded periods, and bounded ones that cross a century.
    Top = 5,
}

const LEVELS: [Level; 6] = [
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
const LAST_DAY: i64 = 2_932_896;

/// A day number with its calendar year and month, worked out once for all
/// the levels that bin it. Days outside the years 1 to 9999 (unbounded
/// sides) are clamped to them.
struct CalendarDay {
    day: i64,
    year: i64,
    month: i64,
}

impl CalendarDay {
    fn new(day: i64) -> CalendarDay {
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
    fn bin(self, day: &CalendarDay) -> u32 {
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

fn read_u64(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    buf.copy_from_slice(&bytes[..8]);
    u64::from_be_bytes(buf)
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

/// `name 00 seq`: the key of one revision of a source or definition.
fn revision_key(name: &str, seq: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.len() + 9);
    key.extend_from_slice(name.as_bytes());
    key.push(0);
    key.extend_from_slice(&seq_key(seq));
    key
}

/// The level and bin a valid period is filed under.
fn bin_of(valid: &Period) -> (u8, u32) {
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
fn ordered_day(v: i64) -> [u8; 4] {
    let v = v.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    ((v as u32) ^ (1 << 31)).to_be_bytes()
}

fn read_day(bytes: &[u8]) -> i32 {
    let mut buf = [0u8; 4];
    buf.copy_from_slice(&bytes[..4]);
    (u32::from_be_bytes(buf) ^ (1 << 31)) as i32
}

/// `series number | level | bin | start | end | seq`: 29 bytes, so keys
/// stay short and compare fast whatever the names of the series.
fn claim_key(series: u64, valid: &Period, seq: u64) -> Vec<u8> {
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

const CLAIM_KEY_LEN: usize = 8 + 1 + 4 + 4 + 4 + 8;

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
    fn encode(self) -> Vec<u8> {
        let mut v = self.number.to_be_bytes().to_vec();
        v.push(self.mask);
        v.push(match self.kind {
            Kind::Period => 0,
            Kind::State => 1,
        });
        v
    }

    fn decode(bytes: &[u8]) -> Result<SeriesEntry> {
        let kind = match bytes.get(9) {
            Some(0) => Kind::Period,
            Some(1) => Kind::State,
            _ => return Err(crate::Error::Corrupt("a series entry is damaged".into())),
        };
        if bytes.len() != 10 {
            return Err(crate::Error::Corrupt("a series entry is damaged".into()));
        }
        Ok(SeriesEntry {
            number: read_u64(bytes),
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
    pub modality: crate::event::Modality,
    /// The id a writer chose; `None` for the automatic `e<seq>`.
    pub id: Option<String>,
    pub quote: Option<String>,
    pub note: Option<String>,
}

/// [`ClaimEntry`] by reference, encoded identically, to write without copying.
#[derive(Serialize)]
struct ClaimEntryRef<'a> {
    known: &'a Option<Period>,
    source: &'a str,
    value: &'a Value,
    modality: &'a crate::event::Modality,
    id: Option<&'a str>,
    quote: &'a Option<String>,
    note: &'a Option<String>,
}

/// A claim entry as stored: a flag byte (outside the checksum, since a later
/// denial sets it), a CRC-32 of the encoded entry, then the entry. The
/// checksum makes a damaged index entry an error, never an answer.
fn encode_claim(entry: &ClaimEntryRef<'_>) -> Vec<u8> {
    let body = encode_value(entry);
    let mut value = Vec::with_capacity(5 + body.len());
    value.push(0);
    value.extend_from_slice(&crc32fast::hash(&body).to_be_bytes());
    value.extend_from_slice(&body);
    value
}

fn decode_claim(value: &[u8]) -> Result<(bool, ClaimEntry)> {
    let damaged = || {
        crate::Error::Corrupt("a claim index entry is damaged (its checksum does not match)".into())
    };
    if value.len() < 5 {
        return Err(damaged());
    }
    let body = &value[5..];
    if crc32fast::hash(body).to_be_bytes() != value[1..5] {
        return Err(damaged());
    }
    Ok((
        value[0] & TARGETED != 0,
        decode_value(body, "a claim entry")?,
    ))
}

/// A claim as read from the slot index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedClaim {
    pub seq: u64,
    pub valid: Period,
    pub entry: ClaimEntry,
    /// Some denial or retraction targets it (at some position): only then
    /// does a reader need to look in the targets table.
    pub targeted: bool,
}

/// The flag byte of a claim entry that some event targets.
const TARGETED: u8 = 1;

/// What an event did to another event (table `targets`).
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdEntry {
    pub seq: u64,
    pub op: IdOp,
}

/// The writes that applying some records makes, grouped by table.
#[derive(Default)]
pub struct ProjectionWrites {
    /// Sorted and deduplicated per table: a series' mask is put once per
    /// write, not once per claim.
    tables: BTreeMap<Table, BTreeMap<Vec<u8>, Vec<u8>>>,
    /// Series entries as they will be after these writes.
    series: FxHashMap<Vec<u8>, SeriesEntry>,
    /// Ids chosen by writers in these records, for targets later among them.
    ids: FxHashMap<String, IdEntry>,
    /// The seq and op of records here with automatic ids, in seq order.
    automatic: Vec<(u64, IdOp)>,
    /// Kinds of attributes defined in these records.
    kinds: FxHashMap<String, Kind>,
    /// Events these records deny or retract.
    targeted: Vec<IdEntry>,
}

impl ProjectionWrites {
    fn put(&mut self, table: Table, key: Vec<u8>, value: Vec<u8>) {
        self.tables.entry(table).or_default().insert(key, value);
    }

    /// The seq of an event id, from these writes or the stored projection.
    fn resolve_id(&self, storage: &dyn Storage, id: &str) -> Result<Option<IdEntry>> {
        if let Some(entry) = self.ids.get(id) {
            return Ok(Some(*entry));
        }
        if let Some(seq) = automatic_seq(id) {
            if let Ok(i) = self.automatic.binary_search_by_key(&seq, |(s, _)| *s) {
                return Ok(Some(IdEntry {
                    seq,
                    op: self.automatic[i].1,
                }));
            }
        }
        View {
            storage,
            position: u64::MAX,
            cache: None,
        }
        .id(id)
    }

    /// Adds the projection entries of consecutive records.
    pub fn add_all(&mut self, storage: &dyn Storage, records: &[Record]) -> Result<()> {
        for record in records {
            self.add(storage, record)?;
        }
        self.flag_targeted(storage, records)
    }

    /// Sets the flag of every claim these records deny or retract.
    fn flag_targeted(&mut self, storage: &dyn Storage, records: &[Record]) -> Result<()> {
        let first = records.first().map_or(0, |r| r.seq);
        for target in std::mem::take(&mut self.targeted) {
            if target.op != IdOp::Assert {
                continue;
            }
            let fetched;
            let record = match target
                .seq
                .checked_sub(first)
                .and_then(|i| records.get(i as usize))
            {
                Some(r) => r,
                None => {
                    let bytes = storage
                        .get(Table::Log, &crate::log::key(target.seq))?
                        .ok_or_else(|| {
                            crate::Error::Corrupt(format!("log record {} is missing", target.seq))
                        })?;
                    fetched = crate::log::decode(target.seq, &bytes)?.record;
                    &fetched
                }
            };
            let Event::Assert(c) = &record.event else {
                continue;
            };
            let series = series_key(&c.subject, &c.attribute);
            let number = match self.series.get(&series) {
                Some(e) => e.number,
                None => match storage.get(Table::Series, &series)? {
                    Some(v) => SeriesEntry::decode(&v)?.number,
                    None => continue,
                },
            };
            let key = claim_key(number, &c.valid, target.seq);
            let value = match self.tables.get(&Table::Claims).and_then(|t| t.get(&key)) {
                Some(v) => Some(v.clone()),
                None => storage.get(Table::Claims, &key)?,
            };
            if let Some(mut value) = value.filter(|v| !v.is_empty()) {
                if value[0] & TARGETED == 0 {
                    value[0] |= TARGETED;
                    self.put(Table::Claims, key, value);
                }
            }
        }
        Ok(())
    }

    /// Adds the projection entries of one record.
    fn add(&mut self, storage: &dyn Storage, record: &Record) -> Result<()> {
        let seq = record.seq;
        match &record.event {
            Event::Define(d) => {
                self.kinds.insert(d.attribute.clone(), d.kind);
                self.put(
                    Table::Attributes,
                    revision_key(&d.attribute, seq),
                    encode_value(d),
                );
            }
            Event::Source(s) => {
                self.put(
                    Table::Sources,
                    revision_key(&s.id, seq),
                    encode_value(&s.published),
                );
            }
            Event::Assert(c) => {
                let key = series_key(&c.subject, &c.attribute);
                let (level, _) = bin_of(&c.valid);
                let known = match self.series.get(&key) {
                    Some(entry) => Some(*entry),
                    None => storage
                        .get(Table::Series, &key)?
                        .map(|v| SeriesEntry::decode(&v))
                        .transpose()?,
                };
                let mut entry = match known {
                    Some(entry) => entry,
                    None => {
                        let kind = match self.kinds.get(&c.attribute) {
                            Some(kind) => Some(*kind),
                            None => View {
                                storage,
                                position: u64::MAX,
                                cache: None,
                            }
                            .kind(&c.attribute)?,
                        };
                        let kind = kind.ok_or_else(|| {
                            crate::Error::Corrupt(format!(
                                "record {seq} claims about '{}', which is not defined",
                                c.attribute
                            ))
                        })?;
                        SeriesEntry {
                            number: seq,
                            mask: 0,
                            kind,
                        }
                    }
                };
                if known.is_none() || entry.mask & (1 << level) == 0 {
                    entry.mask |= 1 << level;
                    self.put(Table::Series, key.clone(), entry.encode());
                    self.put(
                        Table::SeriesByAttribute,
                        series_key(&c.attribute, &c.subject),
                        Vec::new(),
                    );
                }
                self.series.insert(key, entry);
                let automatic = c.id.as_deref().and_then(automatic_seq) == Some(seq);
                let claim = ClaimEntryRef {
                    known: &c.known,
                    source: &c.source,
                    value: &c.value,
                    modality: &c.modality,
                    id: if automatic { None } else { c.id.as_deref() },
                    quote: &c.quote,
                    note: &c.note,
                };
                // No flag yet: a later denial sets it, and a replay that
                // rewrites this entry replays that denial after it too.
                self.put(
                    Table::Claims,
                    claim_key(entry.number, &c.valid, seq),
                    encode_claim(&claim),
                );
                self.put_id(record, IdOp::Assert);
            }
            Event::Deny(d) => {
                if let Some(target) = self.resolve_id(storage, &d.target)? {
                    self.targeted.push(target);
                    let entry = TargetEntry::Denied {
                        known: d.known,
                        source: d.source.clone(),
                    };
                    self.put(
                        Table::Targets,
                        target_key(target.seq, seq),
                        encode_value(&entry),
                    );
                }
                self.put_id(record, IdOp::Deny);
            }
            Event::Retract(r) => {
                if let Some(target) = self.resolve_id(storage, &r.target)? {
                    self.targeted.push(target);
                    self.put(
                        Table::Targets,
                        target_key(target.seq, seq),
                        encode_value(&TargetEntry::Retracted),
                    );
                }
                self.put_id(record, IdOp::Retract);
            }
        }
        Ok(())
    }

    /// Remembers an event's id. Only ids a writer chose are stored: an
    /// automatic id `e<seq>` names its own seq, so `View::id` derives it.
    fn put_id(&mut self, record: &Record, op: IdOp) {
        if let Some(id) = record.event.event_id() {
            let entry = IdEntry {
                seq: record.seq,
                op,
            };
            if automatic_seq(id) == Some(record.seq) {
                self.automatic.push((record.seq, op));
            } else {
                self.ids.insert(id.to_string(), entry);
                self.put(Table::Ids, id.as_bytes().to_vec(), encode_value(&entry));
            }
        }
    }

    /// What these writes change in a [`ReadCache`]: series entries, and the
    /// sources that got a revision.
    pub fn cache_updates(&self) -> (Vec<(Vec<u8>, SeriesEntry)>, Vec<String>) {
        let series = self.series.iter().map(|(k, v)| (k.clone(), *v)).collect();
        let sources = self
            .tables
            .get(&Table::Sources)
            .map(|t| {
                t.keys()
                    .filter_map(|k| {
                        k.len()
                            .checked_sub(9)
                            .map(|n| String::from_utf8_lossy(&k[..n]).into_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        (series, sources)
    }

    /// Writes everything, one atomic batch per table.
    pub fn write(self, storage: &dyn Storage) -> Result<()> {
        let batches = self
            .tables
            .into_iter()
            .map(|(table, entries)| {
                (
                    table,
                    entries.into_iter().map(|(k, v)| (k, Some(v))).collect(),
                )
            })
            .collect();
        storage.write_tables(batches)
    }
}

/// The seq an automatic id `e<seq>` names.
pub fn automatic_seq(id: &str) -> Option<u64> {
    let digits = id.strip_prefix('e')?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn target_key(target: u64, actor: u64) -> Vec<u8> {
    let mut key = seq_key(target).to_vec();
    key.extend_from_slice(&seq_key(actor));
    key
}

/// Reads the projections as they were at log position `position`.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub storage: &'a dyn Storage,
    pub position: u64,
    /// The store's cache of series entries and source revisions, if any.
    pub cache: Option<&'a ReadCache>,
}

impl<'a> View<'a> {
    /// The event an id names, if it was recorded by this position.
    pub fn id(&self, id: &str) -> Result<Option<IdEntry>> {
        if let Some(bytes) = self.storage.get(Table::Ids, id.as_bytes())? {
            let entry: IdEntry = decode_value(&bytes, "an id entry")?;
            return Ok((entry.seq <= self.position).then_some(entry));
        }
        // An automatic id: the record at its seq carries it, if it exists.
        let Some(seq) = automatic_seq(id).filter(|s| *s <= self.position) else {
            return Ok(None);
        };
        let Some(bytes) = self.storage.get(Table::Log, &crate::log::key(seq))? else {
            return Ok(None);
        };
        let record = crate::log::decode(seq, &bytes)?.record;
        if record.event.event_id() != Some(id) {
            return Ok(None);
        }
        let op = match record.event {
            Event::Assert(_) => IdOp::Assert,
            Event::Deny(_) => IdOp::Deny,
            Event::Retract(_) => IdOp::Retract,
            Event::Define(_) | Event::Source(_) => return Ok(None),
        };
        Ok(Some(IdEntry { seq, op }))
    }

    /// The latest revision with seq <= position of a source or definition.
    fn revision(&self, table: Table, name: &str) -> Result<Option<(u64, Vec<u8>)>> {
        let mut prefix = name.as_bytes().to_vec();
        prefix.push(0);
        let end = revision_key(name, self.position.saturating_add(1));
        let last = if self.position == u64::MAX {
            scan_prefix(self.storage, table, &prefix).next_back()
        } else {
            self.storage.scan(table, &prefix, Some(&end)).next_back()
        };
        match last {
            Some(entry) => {
                let (key, value) = entry?;
                Ok(Some((read_u64(&key[key.len() - 8..]), value)))
            }
            None => Ok(None),
        }
    }

    /// The published period of a source, as revised by `position`.
    pub fn source_published(&self, id: &str) -> Result<Option<Period>> {
        if let Some(cache) = self.cache {
            if let Some(revisions) = cache
                .sources
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(id)
            {
                return Ok(revisions
                    .iter()
                    .rev()
                    .find(|(seq, _)| *seq <= self.position)
                    .map(|(_, p)| *p));
            }
            // Load every revision, keep them, then answer from them.
            let epoch = cache.epoch();
            let mut prefix = id.as_bytes().to_vec();
            prefix.push(0);
            let mut revisions = Vec::new();
            for item in scan_prefix(self.storage, Table::Sources, &prefix) {
                let (key, value) = item?;
                revisions.push((
                    read_u64(&key[key.len() - 8..]),
                    decode_value::<Period>(&value, "a source entry")?,
                ));
            }
            let answer = revisions
                .iter()
                .rev()
                .find(|(seq, _)| *seq <= self.position)
                .map(|(_, p)| *p);
            let mut sources = cache.sources.write().unwrap_or_else(|e| e.into_inner());
            if cache.epoch() == epoch && sources.len() < CACHE_ENTRIES {
                sources.insert(id.to_string(), revisions);
            }
            return Ok(answer);
        }
        match self.revision(Table::Sources, id)? {
            Some((_, bytes)) => Ok(Some(decode_value(&bytes, "a source entry")?)),
            None => Ok(None),
        }
    }

    /// The seq of the latest revision of a source, to fetch it from the log.
    pub fn source_seq(&self, id: &str) -> Result<Option<u64>> {
        Ok(self.revision(Table::Sources, id)?.map(|(seq, _)| seq))
    }

    /// The definition of an attribute, as revised by `position`.
    pub fn definition(&self, attribute: &str) -> Result<Option<crate::event::Definition>> {
        match self.revision(Table::Attributes, attribute)? {
            Some((_, bytes)) => Ok(Some(decode_value(&bytes, "an attribute entry")?)),
            None => Ok(None),
        }
    }

    /// Every name in a revision table (sources or attributes), each once.
    pub fn names(&self, table: Table) -> Result<Vec<String>> {
        let mut names: Vec<String> = Vec::new();
        for entry in self.storage.scan(table, b"", None) {
            let (key, _) = entry?;
            let seq = read_u64(&key[key.len() - 8..]);
            let name = String::from_utf8_lossy(&key[..key.len() - 9]).into_owned();
            if seq <= self.position && names.last() != Some(&name) {
                names.push(name);
            }
        }
        Ok(names)
    }

    /// What was done to the event at `target` by events at or before position.
    pub fn targets(&self, target: u64) -> Result<Vec<(u64, TargetEntry)>> {
        let mut out = Vec::new();
        for entry in scan_prefix(self.storage, Table::Targets, &seq_key(target)) {
            let (key, value) = entry?;
            let actor = read_u64(&key[8..]);
            if actor <= self.position {
                out.push((actor, decode_value(&value, "a target entry")?));
            }
        }
        Ok(out)
    }

    /// True when the event at `seq` is retracted at this position.
    pub fn is_retracted(&self, seq: u64) -> Result<bool> {
        Ok(self
            .targets(seq)?
            .iter()
            .any(|(_, t)| *t == TargetEntry::Retracted))
    }

    /// The kind of an attribute (fixed at its first definition).
    pub fn kind(&self, attribute: &str) -> Result<Option<Kind>> {
        Ok(self.definition(attribute)?.map(|d| d.kind))
    }

    /// The series matching a selector: `(subject, attribute)` pairs in order.
    pub fn series(
        &self,
        subject: Option<&str>,
        attribute: &AttributeMatch,
    ) -> Result<Vec<(String, String)>> {
        Ok(self
            .series_entries(subject, attribute)?
            .into_iter()
            .map(|(s, a, _)| (s, a))
            .collect())
    }

    /// The entry of one series, from the cache when it holds it.
    fn series_entry(&self, key: &[u8]) -> Result<Option<SeriesEntry>> {
        let Some(cache) = self.cache else {
            return self
                .storage
                .get(Table::Series, key)?
                .map(|v| SeriesEntry::decode(&v))
                .transpose();
        };
        if let Some(entry) = cache
            .series
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
        {
            return Ok(Some(*entry));
        }
        let epoch = cache.epoch();
        let entry = self
            .storage
            .get(Table::Series, key)?
            .map(|v| SeriesEntry::decode(&v))
            .transpose()?;
        if let Some(entry) = entry {
            let mut series = cache.series.write().unwrap_or_else(|e| e.into_inner());
            if cache.epoch() == epoch && series.len() < CACHE_ENTRIES {
                series.insert(key.to_vec(), entry);
            }
        }
        Ok(entry)
    }

    /// True when some claim is about `subject` (one short scan).
    pub fn has_subject(&self, subject: &str) -> Result<bool> {
        let mut prefix = subject.as_bytes().to_vec();
        prefix.push(0);
        Ok(scan_prefix(self.storage, Table::Series, &prefix)
            .next()
            .transpose()?
            .is_some())
    }

    /// The series matching a selector with their entries, in order.
    pub fn series_entries(
        &self,
        subject: Option<&str>,
        attribute: &AttributeMatch,
    ) -> Result<Vec<(String, String, SeriesEntry)>> {
        let split = |key: &[u8]| -> Option<(String, String)> {
            let text = std::str::from_utf8(key).ok()?;
            let mut parts = text.trim_end_matches('\0').splitn(2, '\0');
            Some((parts.next()?.to_string(), parts.next()?.to_string()))
        };
        let mut out = Vec::new();
        match (subject, attribute) {
            (Some(s), AttributeMatch::Exact(a)) => {
                if let Some(entry) = self.series_entry(&series_key(s, a))? {
                    out.push((s.to_string(), a.clone(), entry));
                }
            }
            (Some(s), _) => {
                let mut prefix = s.as_bytes().to_vec();
                prefix.push(0);
                for item in scan_prefix(self.storage, Table::Series, &prefix) {
                    let (key, value) = item?;
                    if let Some((s, a)) = split(&key) {
                        if attribute.matches(&a) {
                            out.push((s, a, SeriesEntry::decode(&value)?));
                        }
                    }
                }
            }
            (None, _) => {
                let prefix = match attribute {
                    AttributeMatch::Exact(a) => {
                        let mut p = a.as_bytes().to_vec();
                        p.push(0);
                        p
                    }
                    AttributeMatch::Prefix(p) => p.as_bytes().to_vec(),
                    AttributeMatch::Any => Vec::new(),
                };
                for item in scan_prefix(self.storage, Table::SeriesByAttribute, &prefix) {
                    if let Some((a, s)) = split(&item?.0) {
                        if attribute.matches(&a) {
                            if let Some(entry) = self.series_entry(&series_key(&s, &a))? {
                                out.push((s, a, entry));
                            }
                        }
                    }
                }
                out.sort_by(|x, y| (&x.0, &x.1).cmp(&(&y.0, &y.1)));
            }
        }
        Ok(out)
    }

    /// The claims of a series whose valid period overlaps `period`, recorded
    /// at or before this position, in key order.
    pub fn claims(
        &self,
        subject: &str,
        attribute: &str,
        period: &Period,
    ) -> Result<Vec<IndexedClaim>> {
        match self
            .storage
            .get(Table::Series, &series_key(subject, attribute))?
        {
            Some(v) => self.claims_of(SeriesEntry::decode(&v)?, period),
            None => Ok(Vec::new()),
        }
    }

    /// The claims of the series `entry` overlapping `period`. Touches only
    /// the bins of the levels the series uses that `period` reaches.
    pub fn claims_of(&self, entry: SeriesEntry, period: &Period) -> Result<Vec<IndexedClaim>> {
        let first = CalendarDay::new(period.start_key());
        let last = CalendarDay::new(period.end_key().saturating_sub(1));
        let mut out = Vec::new();
        for level in LEVELS
            .into_iter()
            .filter(|l| entry.mask & (1 << *l as u8) != 0)
        {
            // The bins of this level that the period touches.
            let (low, high) = (level.bin(&first), level.bin(&last));
            let level = level as u8;
            let bound = |bin: u64| {
                let mut key = entry.number.to_be_bytes().to_vec();
                key.push(level);
                key.extend_from_slice(&(bin as u32).to_be_bytes());
                key
            };
            let start = bound(low as u64);
            // Within a level the key orders claims by start (a claim's bin
            // is its start's), so the scan can stop at the first claim that
            // starts after the period ends, even inside the last bin.
            let mut end = bound(high as u64);
            end.extend_from_slice(&ordered_day(period.end_key()));
            let end = Some(end);
            for item in self.storage.scan(Table::Claims, &start, end.as_deref()) {
                let (key, value) = item?;
                if key.len() != CLAIM_KEY_LEN {
                    return Err(crate::Error::Corrupt("a claim index key is damaged".into()));
                }
                let (valid_start, valid_end, seq) = (
                    read_day(&key[13..]),
                    read_day(&key[17..]),
                    read_u64(&key[21..]),
                );
                let valid = Period {
                    start: (valid_start != i32::MIN).then_some(Day(valid_start)),
                    end: (valid_end != i32::MAX).then_some(Day(valid_end)),
                };
                if seq <= self.position && valid.overlaps(period) {
                    let (targeted, entry) = decode_claim(&value)?;
                    out.push(IndexedClaim {
                        seq,
                        valid,
                        entry,
                        targeted,
                    });
                }
            }
        }
        Ok(out)
    }
}

/// Which attributes a selector names: `export_quota`, `mining_tax.*`, `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributeMatch {
    Exact(String),
    /// `mining_tax.*`: the prefix includes the trailing dot.
    Prefix(String),
    Any,
}

impl AttributeMatch {
    pub fn matches(&self, attribute: &str) -> bool {
        match self {
            AttributeMatch::Exact(a) => a == attribute,
            AttributeMatch::Prefix(p) => attribute.starts_with(p.as_str()),
            AttributeMatch::Any => true,
        }
    }
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

    /// A random period that lands on every level of the index: days,
    /// months, years, decades, centuries and open ones, many of them placed
    /// across a month, year, decade or century boundary.
    fn any_period(rng: &mut crate::synthetic::Rng) -> Period {
        let boundary = [1, 1000, 1999, 2000, 2009, 2010, 2099, 9999][rng.below(8) as usize];
        let year = if rng.below(2) == 0 {
            boundary
        } else {
            1 + rng.below(9999) as i32
        };
        let start = Day::from_ymd(year, 1 + rng.below(12) as i32, 1 + rng.below(28) as i32)
            .unwrap_or(Day(0));
        let longest = [1, 40, 400, 4_000, 40_000][rng.below(5) as usize];
        let end = (start.0 as i64 + 1 + rng.below(longest) as i64).min(LAST_DAY + 1);
        let mut period = Period::new(start, Day(end as i32));
        match rng.below(10) {
            0 => period.start = None,
            1 => period.end = None,
            _ => {}
        }
        period
    }

    /// Appends a claim for each of `claims` to a fresh store, then checks
    /// that a `get` for each of `asked` returns exactly the slots whose
    /// valid period overlaps it.
    fn index_agrees_with_brute_force(claims: &[Period], asked: &[Period], case: &str) {
        use crate::event::{Claim, Definition, Event, Modality, Source};
        let store = crate::Store::in_memory();
        let mut batch = vec![
            Event::Define(Definition {
                attribute: "flow".into(),
                kind: Kind::Period,
                unit: None,
                doc: None,
            }),
            Event::Source(Source {
                id: "s".into(),
                title: "t".into(),
                publisher: "p".into(),
                published: period("0001"),
                url: None,
                text: None,
                note: None,
            }),
        ];
        batch.extend(claims.iter().map(|valid| {
            Event::Assert(Claim {
                id: None,
                subject: "x".into(),
                attribute: "flow".into(),
                valid: *valid,
                value: Value::number(1.0),
                known: None,
                source: "s".into(),
                quote: None,
                modality: Modality::Fact,
                note: None,
            })
        }));
        store.append(batch).unwrap();
        for asked in asked {
            let question = crate::Get {
                valid: Some(*asked),
                ..crate::Get::new(crate::answer::Selector::exact("x", "flow"))
            };
            let mut found: Vec<Period> = store
                .get(&question)
                .unwrap()
                .rows
                .iter()
                .map(|row| row.valid)
                .collect();
            let mut expected: Vec<Period> = claims
                .iter()
                .filter(|c| c.overlaps(asked))
                .copied()
                .collect();
            found.sort_by_key(|p| (p.start_key(), p.end_key()));
            expected.sort_by_key(|p| (p.start_key(), p.end_key()));
            expected.dedup();
            assert_eq!(found, expected, "{case}, asked {asked}");
        }
    }

    #[test]
    fn the_slot_index_finds_exactly_the_claims_that_overlap_a_period() {
        let mut rng = crate::synthetic::Rng::new(7);
        for round in 0..40 {
            let claims: Vec<Period> = (0..60).map(|_| any_period(&mut rng)).collect();
            let asked: Vec<Period> = (0..60).map(|_| any_period(&mut rng)).collect();
            index_agrees_with_brute_force(&claims, &asked, &format!("round {round}"));
        }
    }

    /// The scan of each level stops at the period's end: a claim starting on
    /// the last day asked is found, one starting the day after is not, at
    /// every level and at the last day a period can name.
    #[test]
    fn a_claim_starting_on_the_last_day_asked_is_found_at_every_level() {
        let claims: Vec<Period> = [
            "2010-10-19",
            "2010-11",
            "2011",
            "2011..2015",
            "2009..2011",
            "1999..2001",
            "2012..",
            "9999-12-31",
            "9999",
        ]
        .iter()
        .map(|text| period(text))
        .collect();
        let levels: Vec<u8> = claims.iter().map(|c| bin_of(c).0).collect();
        assert_eq!(levels, [0, 1, 2, 3, 4, 5, 5, 0, 2], "one claim per level");
        let mut asked = Vec::new();
        for claim in &claims {
            let start = claim.start.unwrap_or(Day(0));
            for end in [start.0, start.0 + 1] {
                asked.push(Period::new(Day(start.0 - 10), Day(end)));
            }
        }
        index_agrees_with_brute_force(&claims, &asked, "edges");
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
        assert_eq!(read_day(&ordered_day(-5)), -5);
        assert_eq!(read_day(&ordered_day(i64::MIN)), i32::MIN);
    }

    #[test]
    fn a_claim_entry_encodes_the_same_by_reference_and_detects_damage() {
        let owned = ClaimEntry {
            known: Some(Period::parse("2010").unwrap()),
            source: "s".into(),
            value: Value::parse("1 t").unwrap(),
            modality: crate::event::Modality::Plan,
            id: Some("q1".into()),
            quote: Some("one tonne".into()),
            note: None,
        };
        let borrowed = ClaimEntryRef {
            known: &owned.known,
            source: &owned.source,
            value: &owned.value,
            modality: &owned.modality,
            id: owned.id.as_deref(),
            quote: &owned.quote,
            note: &owned.note,
        };
        assert_eq!(encode_value(&borrowed), encode_value(&owned));
        let stored = encode_claim(&borrowed);
        assert_eq!(decode_claim(&stored).unwrap(), (false, owned));
        for i in 1..stored.len() {
            let mut damaged = stored.clone();
            damaged[i] ^= 0x10;
            assert!(
                decode_claim(&damaged).is_err(),
                "a flip at byte {i} went unnoticed"
            );
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
