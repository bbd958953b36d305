//! A deterministic, seeded generator of realistic event logs for benchmarks
//! (SPEC §10): many subjects; long daily state series (prices); period
//! series (quotas, production) with revisions as later sources report other
//! figures; denials; retractions; many sources. The same seed and size
//! always give the same JSON Lines, byte for byte.
//!
//! The output is one import batch for an empty store: events without an
//! explicit id get `e<seq>` where seq is the line's position among events,
//! and denials and retractions target those ids.

use std::io::Write;

/// The generator's version: it changes whenever the same seed would give
/// another log, so that benches never reuse a log or a store of another.
/// (2: one state span in four is five to fifteen years long.)
pub const VERSION: u32 = 2;

/// A small, fast, deterministic random source (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// The shape of a generated log.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub events: u64,
    pub seed: u64,
    /// Subjects; each has a daily price series and yearly/quarterly series.
    pub subjects: u64,
}

impl Shape {
    pub fn new(events: u64, seed: u64) -> Shape {
        // Scale subjects with size so series stay long but many.
        Shape {
            events,
            seed,
            subjects: (events / 2_000).clamp(10, 20_000),
        }
    }
}

const PERIOD_ATTRIBUTES: [(&str, &str); 4] = [
    ("export_quota", "t"),
    ("production", "t"),
    ("mining_quota", "t"),
    ("demand", "t"),
];
const STATE_ATTRIBUTES: [(&str, &str); 3] = [
    ("price.oxide", "USD/kg"),
    ("share_of_world_production", "%"),
    ("resource_tax", "CNY/t"),
];
const FIRST_YEAR: u64 = 1990;
const YEARS: u64 = 30;

/// One day as `YYYY-MM-DD`, counted from 1990-01-01 in a 360-day calendar
/// of 30-day months clipped to 28 days, so every date is valid.
fn day_text(day: u64) -> String {
    let year = FIRST_YEAR + day / 360;
    let month = 1 + (day % 360) / 30;
    let dom = 1 + (day % 30).min(27);
    format!("{year:04}-{month:02}-{dom:02}")
}

/// The generator's state while it writes.
struct Generator<'a> {
    out: &'a mut dyn Write,
    rng: Rng,
    shape: Shape,
    /// The seq of the last line written.
    seq: u64,
    sources: u64,
    source: u64,
    source_day: u64,
    /// Claims and denials that may still be targeted.
    claims: Vec<u64>,
    denials: Vec<u64>,
}

impl Generator<'_> {
    fn line(&mut self, text: &str) -> std::io::Result<u64> {
        self.out.write_all(text.as_bytes())?;
        self.out.write_all(b"\n")?;
        self.seq += 1;
        Ok(self.seq)
    }

    fn next_source(&mut self) -> std::io::Result<()> {
        let k = if self.seq < 8 { 0 } else { self.source + 1 };
        let day = (k * YEARS * 360 / self.sources).min(YEARS * 360 - 1);
        self.line(&format!(
            r#"{{"op":"source","id":"src-{k}","title":"Report {k}","publisher":"Publisher {}","published":"{}","url":"https://example.org/{k}"}}"#,
            k % 37,
            day_text(day)
        ))?;
        self.source = k;
        self.source_day = day;
        Ok(())
    }

    /// One event that is not a source.
    fn event(&mut self) -> std::io::Result<()> {
        let rng = &mut self.rng;
        let (source, source_day) = (self.source, self.source_day);
        let subject = rng.below(self.shape.subjects);
        let roll = rng.below(100);
        let text = if roll < 55 {
            // A daily price, valid on a day before the source's publication.
            let day = source_day.saturating_sub(rng.below(60));
            let value = 10 + rng.below(500);
            format!(
                r#"{{"op":"assert","subject":"s{subject}","attribute":"price.oxide","valid":"{}","value":"{value}.{} USD/kg","source":"src-{source}"}}"#,
                day_text(day),
                rng.below(100)
            )
        } else if roll < 80 {
            // A yearly or quarterly figure; revisions come from later sources.
            let (name, _) = PERIOD_ATTRIBUTES[rng.below(PERIOD_ATTRIBUTES.len() as u64) as usize];
            let year = FIRST_YEAR + (source_day / 360).saturating_sub(rng.below(3));
            let valid = if rng.below(3) == 0 {
                format!("{year}-Q{}", 1 + rng.below(4))
            } else {
                year.to_string()
            };
            let value = 1000 * (5 + rng.below(200));
            let bound = ["", "~", ">=", "<="][rng.below(4) as usize];
            format!(
                r#"{{"op":"assert","subject":"s{subject}","attribute":"{name}","valid":"{valid}","value":"{bound}{value} t","source":"src-{source}","quote":"about {value} tonnes in {valid}"}}"#
            )
        } else if roll < 92 {
            // A state holding over a span: a share or a tax rate, one in
            // four for a long span (a tax rate set for five to fifteen
            // years), the kind of claim a question far from its start must
            // still find.
            let (name, unit) = STATE_ATTRIBUTES[1 + rng.below(2) as usize];
            let start = source_day.saturating_sub(rng.below(720));
            let years = if rng.below(4) == 0 {
                5 + rng.below(11)
            } else {
                1 + rng.below(3)
            };
            let end_year = FIRST_YEAR + start / 360 + years;
            format!(
                r#"{{"op":"assert","subject":"s{subject}","attribute":"{name}","valid":"{}..{end_year}","value":"~{} {unit}","source":"src-{source}","modality":"{}"}}"#,
                day_text(start),
                1 + rng.below(99),
                ["fact", "fact", "fact", "plan", "forecast"][rng.below(5) as usize]
            )
        } else if roll < 98 && !self.claims.is_empty() {
            let target = self.claims[rng.below(self.claims.len() as u64) as usize];
            let text = format!(
                r#"{{"op":"deny","target":"e{target}","source":"src-{source}","quote":"denied"}}"#
            );
            let id = self.line(&text)?;
            self.denials.push(id);
            return Ok(());
        } else if !self.claims.is_empty() {
            // Retract something not retracted before: it leaves the pool.
            let pool = if !self.denials.is_empty() && rng.below(4) == 0 {
                &mut self.denials
            } else {
                &mut self.claims
            };
            let target = pool.swap_remove(rng.below(pool.len() as u64) as usize);
            let text =
                format!(r#"{{"op":"retract","target":"e{target}","reason":"entered twice"}}"#);
            self.line(&text)?;
            return Ok(());
        } else {
            return Ok(());
        };
        let id = self.line(&text)?;
        self.claims.push(id);
        Ok(())
    }
}

/// Writes a whole log of `shape.events` events.
pub fn generate(shape: Shape, out: &mut dyn Write) -> std::io::Result<u64> {
    let mut g = Generator {
        out,
        rng: Rng::new(shape.seed),
        shape,
        seq: 0,
        sources: (shape.events / 200).max(10),
        source: 0,
        source_day: 0,
        claims: Vec::new(),
        denials: Vec::new(),
    };
    for (name, unit) in PERIOD_ATTRIBUTES {
        g.line(&format!(r#"{{"op":"define","attribute":"{name}","kind":"period","unit":"{unit}","doc":"synthetic {name}"}}"#))?;
    }
    for (name, unit) in STATE_ATTRIBUTES {
        g.line(&format!(r#"{{"op":"define","attribute":"{name}","kind":"state","unit":"{unit}","doc":"synthetic {name}"}}"#))?;
    }
    g.next_source()?;
    while g.seq < shape.events {
        // About one source per 200 events, published later and later.
        if g.rng.below(200) == 0 && g.source + 1 < g.sources {
            g.next_source()?;
        } else {
            g.event()?;
        }
    }
    Ok(g.seq)
}

/// A deterministic stream of the questions benchmarks ask of a generated
/// log: one slot, as known at a past period.
///
/// Most are drawn from claims the log really makes (a reservoir sample of
/// its asserts, taken by generating the log again), so that most have an
/// answer: a yearly or quarterly figure, a day of a price, or a day inside
/// a share's or a tax rate's span — far inside it for the long spans — as
/// known at the end of a year after the claim's source, or at a random
/// earlier year (which may have no answer yet). One in eight asks about a
/// random day of a random subject's price, which is usually empty. One in
/// five is asked `as recorded` at a position between the middle of the log
/// and its end.
pub struct Questions {
    rng: Rng,
    subjects: u64,
    events: u64,
    sample: Vec<SampledClaim>,
}

/// What a question needs of one claim of the log.
struct SampledClaim {
    subject: String,
    attribute: String,
    /// The claim's valid period as written.
    valid: String,
}

/// How many claims the questions are drawn from.
const SAMPLE: usize = 20_000;

impl Questions {
    /// Questions about the log of `shape`.
    pub fn new(shape: Shape) -> Questions {
        let mut sampler = Sampler {
            rng: Rng::new(98),
            seen: 0,
            sample: Vec::with_capacity(SAMPLE),
            line: Vec::new(),
        };
        // Generating into the sampler cannot fail: it never returns an error.
        let _ = generate(shape, &mut sampler);
        Questions {
            rng: Rng::new(99),
            subjects: shape.subjects,
            events: shape.events,
            sample: sampler.sample,
        }
    }

    pub fn next_get(&mut self) -> crate::Get {
        use crate::{answer::Selector, Get, Period};
        let rng = &mut self.rng;
        let (subject, attribute, valid) = match self.sample.len() as u64 {
            n if n > 0 && rng.below(8) != 0 => {
                let claim = &self.sample[rng.below(n) as usize];
                let written = Period::parse(&claim.valid).unwrap_or(Period::year(2000));
                // A day inside a span (for a long span, usually years after
                // its start); the claim's own period otherwise.
                let valid = match (written.start, written.end) {
                    (Some(start), Some(end)) if end.0 - start.0 > 120 => Period::day(crate::Day(
                        start.0 + rng.below((end.0 - start.0) as u64) as i32,
                    )),
                    _ => written,
                };
                (claim.subject.clone(), claim.attribute.clone(), valid)
            }
            _ => {
                let year = FIRST_YEAR as i32 + 1 + rng.below(YEARS - 2) as i32;
                let (month, day) = (1 + rng.below(12) as i32, 1 + rng.below(28) as i32);
                let day = crate::Day::from_ymd(year, month, day)
                    .map(Period::day)
                    .unwrap_or(Period::year(year));
                (
                    format!("s{}", rng.below(self.subjects)),
                    "price.oxide".to_string(),
                    day,
                )
            }
        };
        let year = valid.start.map_or(2000, |d| d.ymd().0);
        // Sources publish up to two years after the period they report.
        let known = Some(Period::year(year + rng.below(4) as i32));
        let recorded =
            (rng.below(5) == 0).then(|| self.events / 2 + rng.below(self.events / 2 + 1));
        Get {
            selector: Selector::exact(&subject, &attribute),
            valid: Some(valid),
            known,
            recorded,
            filter: Default::default(),
            possibly: false,
        }
    }

    /// A random subject of the log.
    pub fn subject(&mut self) -> String {
        format!("s{}", self.rng.below(self.subjects))
    }
}

/// Reads the generated log line by line and keeps a uniform sample of its
/// claims (reservoir sampling).
struct Sampler {
    rng: Rng,
    seen: u64,
    sample: Vec<SampledClaim>,
    line: Vec<u8>,
}

impl Sampler {
    fn take(&mut self) {
        let line = std::mem::take(&mut self.line);
        let field = |name: &str| -> Option<String> {
            let text = std::str::from_utf8(&line).ok()?;
            let start = text.find(&format!(r#""{name}":""#))? + name.len() + 4;
            let end = start + text[start..].find('"')?;
            Some(text[start..end].to_string())
        };
        if !line.starts_with(br#"{"op":"assert""#) {
            return;
        }
        let (Some(subject), Some(attribute), Some(valid)) =
            (field("subject"), field("attribute"), field("valid"))
        else {
            return;
        };
        let claim = SampledClaim {
            subject,
            attribute,
            valid,
        };
        self.seen += 1;
        if self.sample.len() < SAMPLE {
            self.sample.push(claim);
        } else {
            let slot = self.rng.below(self.seen) as usize;
            if slot < SAMPLE {
                self.sample[slot] = claim;
            }
        }
    }
}

impl Write for Sampler {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        for &b in bytes {
            if b == b'\n' {
                self.take();
            } else {
                self.line.push(b);
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_log_and_it_imports() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        generate(Shape::new(3_000, 7), &mut a).unwrap();
        generate(Shape::new(3_000, 7), &mut b).unwrap();
        assert_eq!(a, b);
        let store = crate::Store::in_memory();
        let appended = crate::interchange::import_file(&store, "synthetic.jsonl", &a).unwrap();
        assert_eq!(appended.last_seq, 3_000);
        // Its questions name series that exist, and some have answers.
        let mut questions = Questions::new(Shape::new(3_000, 7));
        let answered = (0..200)
            .filter(|_| !store.get(&questions.next_get()).unwrap().rows.is_empty())
            .count();
        assert!(
            answered > 120,
            "only {answered} of 200 questions had an answer"
        );
    }
}
