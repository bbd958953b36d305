//! `annals demo`: the bundled rare-earth data set in a temporary store, and a
//! guided tour of questions whose answers show how knowledge changed.
//!
//! The data set is compiled into the binary, so the demo runs from any
//! directory; it is the same file as `fixtures/rare-earths.jsonl`.

use annals::query::{self, render};
use annals::{interchange, Result, Store};

/// The bundled data set (SPEC §9).
pub const DATA_SET: &[u8] = include_bytes!("../../fixtures/rare-earths.jsonl");

/// A temporary store holding the bundled data set.
pub fn store() -> Result<Store> {
    let store = Store::temporary()?;
    interchange::import_file(&store, "rare-earths.jsonl", DATA_SET)?;
    Ok(store)
}

/// The tour: what each question shows, and the question.
pub const TOUR: &[(&str, &str)] = &[
    (
        "On 19 October 2010 the Wall Street Journal reported a cut of up to 30 % to China's 2011 export quota, \
         under consideration: a considered cut, not a fact, and the only word on it that day.",
        "china.export_quota_change for 2011 as known 2010-10-19",
    ),
    ("Why: every candidate of the slot, and why it won or lost.", "explain china.export_quota_change for 2011 as known 2010-10-19"),
    (
        "By November the Commerce Ministry had denied the 'up to 30 %' report: the claim stands, denied.",
        "china.export_quota_change for 2011 as known nov 2010",
    ),
    ("The same slot as a story, event by event in log order, with the claim's standing after each.", "history china.export_quota_change for 2011"),
    (
        "The 2010 cut itself: about 40 % said the WSJ on 19 October; 30 % said Reuters on 28 October.",
        "china.export_quota_change for 2010 as known 2010-10-19",
    ),
    ("As known a month later, the later report supersedes the earlier one.", "china.export_quota_change for 2010 as known nov 2010"),
    ("China's share of world reserves, as known in 2010: about 30 %.", "*.share_of_world_reserves as known 2010"),
    (
        "As known in 2013, after the State Council white paper: about 23 % from 2012 on. A state attribute answers as a timeline.",
        "*.share_of_world_reserves as known 2013",
    ),
    ("What changed in what was known about 2011, between 2010 and 2019.", "diff china.* for 2011 between 2010 and 2019"),
    ("China's share of world production over the decade, year by year, as known in 2013.", "timeline china.share_of_world_production from 2010 to 2013 every year avg as known 2013"),
    (
        "Vague sources stay vague: the Mineral Resources Law was 'promulgated in the 1980s', written 198X.. \
         It is possibly in force from 1980 and certainly from 1990; the certainty column says which.",
        "china.policy.mineral_resources_law for 1985..1995",
    ),
    (
        "Claims that are not facts: what was only considered, and how each stands now.",
        "claims china.* where modality = considered",
    ),
    (
        "The knowledge curve: the answer for the 2011 quota change as news came in — a cut considered on 19 October 2010, denied on the 28th.",
        "curve china.export_quota_change for 2011",
    ),
    (
        "Answers are reproducible: the log position in each answer can be cited. Here, before the white paper was recorded.",
        "*.share_of_world_reserves as known 2013 as recorded at seq 110",
    ),
];

/// Prints step `step` (from 0) of the tour: why, the question, the answer.
pub fn tour_step(
    store: &Store,
    out: &mut dyn std::io::Write,
    step: usize,
    width: u16,
) -> Result<()> {
    let Some((why, question)) = TOUR.get(step) else {
        return Ok(());
    };
    writeln!(out, "{}. {why}", step + 1)?;
    writeln!(out, "annals> {question}")?;
    match query::run(store, question) {
        Ok(reply) => match reply.collect_all() {
            Ok(answered) => write!(out, "{}", render::table(&answered, width))?,
            Err(e) => writeln!(out, "error: {e}")?,
        },
        Err(e) => writeln!(out, "error: {e}")?,
    }
    Ok(())
}

/// Runs the tour, printing each question and its answer as a table.
pub fn tour(store: &Store, out: &mut dyn std::io::Write, width: u16) -> Result<()> {
    writeln!(
        out,
        "annals demo: {} events of rare-earth history (2010-2019) in a temporary store.\n",
        store.position()
    )?;
    for step in 0..TOUR.len() {
        tour_step(store, out, step, width)?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "Run `annals demo` in a terminal to ask your own questions, or `annals --help`."
    )?;
    Ok(())
}
