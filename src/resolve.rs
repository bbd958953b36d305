//! Resolution (SPEC §5): given the claims that count for one slot, which one
//! wins, what its status is, and how each of the others stands beside it.
//!
//! This module is pure: it sees only candidates (already filtered to those
//! recorded by `R`, not retracted, and known by `Q`) and their denial flags.
//! Finding the candidates is the store's job; turning the state-kind days
//! into runs is [`state_runs`]'s (and [`timeline`] cuts a period at the
//! boundaries of given periods, for `diff`).

use crate::dating::Qualifier;
use crate::period::Period;
use serde::Serialize;
use std::fmt;

/// One counting claim of a slot, as resolution needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub seq: u64,
    /// The effective known period (explicit, else the source's published).
    pub known: Period,
    /// The canonical printing of the value: values compare by it in
    /// [`resolve`]. ([`resolve_by`] is told how they compare instead, and
    /// may leave it empty.)
    pub value: String,
    /// Denied by a counting denial.
    pub denied: bool,
    /// Denied only by denials that count only possibly (`as possibly
    /// known`): the denial may not have been known yet.
    pub possibly_denied: bool,
    /// Counts only possibly: its known period has begun by the question's
    /// end but not ended (`as possibly known`).
    pub possibly_known: bool,
    /// Covers the slot's days only possibly: they lie outside the certain
    /// extent of its vague valid period (state kind).
    pub possibly_covers: bool,
    /// Its valid and known qualifiers together.
    pub qualifier: Qualifier,
}

impl Candidate {
    /// How sure an answer citing this claim is (SPEC §3).
    pub fn certainty(&self) -> Certainty {
        let possibly_denied = self.denied && self.possibly_denied;
        if self.possibly_known || self.possibly_covers || possibly_denied {
            Certainty::Possible
        } else {
            Certainty::from(self.qualifier)
        }
    }
}

/// How sure a row is (SPEC §3): `possible` when it rests on something that
/// only possibly holds, else what its winner's qualifiers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Certainty {
    Exact,
    Approximate,
    Uncertain,
    ApproximateUncertain,
    Possible,
}

impl Certainty {
    pub fn name(self) -> &'static str {
        match self {
            Certainty::Exact => "exact",
            Certainty::Approximate => "approximate",
            Certainty::Uncertain => "uncertain",
            Certainty::ApproximateUncertain => "approximate-uncertain",
            Certainty::Possible => "possible",
        }
    }
}

impl Certainty {
    /// The certainty of something resting on both: `possible` if either
    /// is, else both qualifiers together.
    pub fn and(self, other: Certainty) -> Certainty {
        let qualifier = |c: Certainty| match c {
            Certainty::Exact | Certainty::Possible => Qualifier::Exact,
            Certainty::Approximate => Qualifier::Approximate,
            Certainty::Uncertain => Qualifier::Uncertain,
            Certainty::ApproximateUncertain => Qualifier::ApproximateUncertain,
        };
        if self == Certainty::Possible || other == Certainty::Possible {
            Certainty::Possible
        } else {
            qualifier(self).union(qualifier(other)).into()
        }
    }
}

impl From<Qualifier> for Certainty {
    fn from(q: Qualifier) -> Certainty {
        match q {
            Qualifier::Exact => Certainty::Exact,
            Qualifier::Approximate => Certainty::Approximate,
            Qualifier::Uncertain => Certainty::Uncertain,
            Qualifier::ApproximateUncertain => Certainty::ApproximateUncertain,
        }
    }
}

impl fmt::Display for Certainty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The status of a slot's winner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Current,
    Contested,
    Denied,
}

/// How another claim of the slot stands beside the winner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Standing {
    Denied,
    Agrees,
    Superseded,
    Conflicting,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Current => "current",
            Status::Contested => "contested",
            Status::Denied => "denied",
        }
    }
}

impl Standing {
    pub fn name(self) -> &'static str {
        match self {
            Standing::Denied => "denied",
            Standing::Agrees => "agrees",
            Standing::Superseded => "superseded",
            Standing::Conflicting => "conflicting",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Standing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The outcome for one slot: indexes into the candidate list.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution {
    pub winner: usize,
    pub status: Status,
    /// `possible` when the winner counts or covers only possibly, or a
    /// denial that decided the outcome counts only possibly; else the
    /// winner's qualifiers.
    pub certainty: Certainty,
    /// Every other candidate, ordered by seq, with its standing.
    pub others: Vec<(usize, Standing)>,
}

/// The winner of a slot (an index into `candidates`) and its status;
/// `same_value(i, j)` says whether candidates `i` and `j` claim the same
/// value.
fn winner_and_status(
    candidates: &[Candidate],
    same_value: &dyn Fn(usize, usize) -> bool,
) -> Option<(usize, Status)> {
    let best = |allow_denied: bool| {
        candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| allow_denied || !c.denied)
            .max_by_key(|(_, c)| rank(c))
            .map(|(i, _)| i)
    };
    let winner = best(false).or_else(|| best(true))?;
    let w = &candidates[winner];
    let clearly_earlier = |c: &Candidate| c.known.end_key() <= w.known.start_key();
    let status = if w.denied {
        Status::Denied
    } else if candidates
        .iter()
        .enumerate()
        .any(|(i, c)| i != winner && !c.denied && !same_value(i, winner) && !clearly_earlier(c))
    {
        Status::Contested
    } else {
        Status::Current
    };
    Some((winner, status))
}

/// Why a candidate won or lost, for `explain`.
pub fn rank(c: &Candidate) -> (i64, u64) {
    (c.known.end_key(), c.seq)
}

/// Resolves one slot. `None` when there are no candidates.
pub fn resolve(candidates: &[Candidate]) -> Option<Resolution> {
    resolve_by(candidates, &|i, j| {
        candidates[i].value == candidates[j].value
    })
}

/// Resolves one slot whose values compare by `same_value(i, j)` (whether
/// candidates `i` and `j` claim the same value: their canonical printings
/// are equal) rather than by [`Candidate::value`]. The store compares the
/// values themselves (`Value::prints_as`): printing each claim of a slot
/// of twenty was a tenth of the time of a question about it.
pub fn resolve_by(
    candidates: &[Candidate],
    same_value: &dyn Fn(usize, usize) -> bool,
) -> Option<Resolution> {
    let (winner, status) = winner_and_status(candidates, same_value)?;
    let w = &candidates[winner];
    let clearly_earlier = |c: &Candidate| c.known.end_key() <= w.known.start_key();
    let mut others: Vec<(usize, Standing)> = candidates
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != winner)
        .map(|(i, c)| {
            let standing = if c.denied {
                Standing::Denied
            } else if same_value(i, winner) {
                Standing::Agrees
            } else if clearly_earlier(c) {
                Standing::Superseded
            } else {
                Standing::Conflicting
            };
            (i, standing)
        })
        .collect();
    others.sort_by_key(|(i, _)| candidates[*i].seq);
    // A denial that counts only possibly decided the outcome when, without
    // it, the slot would have another winner or another status.
    let decided_by_a_possible_denial = candidates.iter().enumerate().any(|(i, c)| {
        c.denied && c.possibly_denied && {
            let mut without = candidates.to_vec();
            without[i].denied = false;
            without[i].possibly_denied = false;
            winner_and_status(&without, same_value).map(|(x, s)| (without[x].seq, s))
                != Some((w.seq, status))
        }
    });
    let certainty = if decided_by_a_possible_denial {
        Certainty::Possible
    } else {
        w.certainty()
    };
    Some(Resolution {
        winner,
        status,
        certainty,
        others,
    })
}

/// Splits `period` into the maximal runs over which the same claims hold,
/// for state-kind attributes: returns each run with the indexes of the
/// claims (by `valid`) that cover it. Runs without any claim are left out.
pub fn timeline(valids: &[Period], period: &Period) -> Vec<(Period, Vec<usize>)> {
    let mut cuts: Vec<i64> = Vec::with_capacity(valids.len() * 2 + 2);
    cuts.push(period.start_key());
    cuts.push(period.end_key());
    for v in valids {
        for point in [v.start_key(), v.end_key()] {
            if point > period.start_key() && point < period.end_key() {
                cuts.push(point);
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut runs = Vec::new();
    for pair in cuts.windows(2) {
        let piece = Period {
            start: (pair[0] != i64::MIN).then_some(crate::period::Day(pair[0] as i32)),
            end: (pair[1] != i64::MAX).then_some(crate::period::Day(pair[1] as i32)),
        };
        let covering: Vec<usize> = valids
            .iter()
            .enumerate()
            .filter(|(_, v)| v.overlaps(&piece))
            .map(|(i, _)| i)
            .collect();
        if !covering.is_empty() {
            runs.push((piece, covering));
        }
    }
    runs
}

/// A state claim's days as [`state_runs`] needs them.
#[derive(Debug, Clone, Copy)]
pub struct Cover {
    /// Every day it may cover.
    pub possible: Period,
    /// The days it certainly covers, if any.
    pub certain: Option<Period>,
    /// Counts and is not denied: such a claim, on its certain days, keeps
    /// other claims' possible-only days out.
    pub undenied: bool,
}

/// The state runs of SPEC §5 with the certain/possible rule of §3: the
/// maximal runs of `period` over which the same claims count, each with the
/// indexes of those claims and whether each covers the run only possibly.
/// A claim counts on its possible-only days only where no undenied claim
/// covers the day within its certain extent. Runs split where certainty
/// changes; days without any claim are left out.
pub fn state_runs(covers: &[Cover], period: &Period) -> Vec<(Period, Vec<(usize, bool)>)> {
    let mut cuts: Vec<i64> = Vec::with_capacity(covers.len() * 4 + 2);
    cuts.push(period.start_key());
    cuts.push(period.end_key());
    for c in covers {
        let certain = c.certain.iter().flat_map(|p| [p.start_key(), p.end_key()]);
        for point in [c.possible.start_key(), c.possible.end_key()]
            .into_iter()
            .chain(certain)
        {
            if point > period.start_key() && point < period.end_key() {
                cuts.push(point);
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut runs: Vec<(Period, Vec<(usize, bool)>)> = Vec::new();
    for pair in cuts.windows(2) {
        let piece = Period {
            start: (pair[0] != i64::MIN).then_some(crate::period::Day(pair[0] as i32)),
            end: (pair[1] != i64::MAX).then_some(crate::period::Day(pair[1] as i32)),
        };
        let certainly = |c: &Cover| c.certain.is_some_and(|p| p.overlaps(&piece));
        let blocked = covers.iter().any(|c| c.undenied && certainly(c));
        let members: Vec<(usize, bool)> = covers
            .iter()
            .enumerate()
            .filter(|(_, c)| c.possible.overlaps(&piece))
            .filter_map(|(i, c)| match (certainly(c), blocked) {
                (true, _) => Some((i, false)),
                (false, false) => Some((i, true)),
                (false, true) => None,
            })
            .collect();
        if members.is_empty() {
            continue;
        }
        match runs.last_mut() {
            Some((run, last)) if *last == members && run.end == piece.start => {
                run.end = piece.end;
            }
            _ => runs.push((piece, members)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(seq: u64, known: &str, value: &str, denied: bool) -> Candidate {
        Candidate {
            seq,
            known: Period::parse(known).unwrap(),
            value: value.to_string(),
            denied,
            possibly_denied: false,
            possibly_known: false,
            possibly_covers: false,
            qualifier: Qualifier::Exact,
        }
    }

    /// A denial that counts only possibly (`as possibly known`) makes the
    /// row possible when the outcome hangs on it, whichever claim it denies.
    #[test]
    fn an_outcome_that_hangs_on_a_possible_denial_is_possible() {
        let possibly_denied = |seq, known, value| Candidate {
            possibly_denied: true,
            ..candidate(seq, known, value, true)
        };
        // The winner is certainly denied, so every claim is denied; without
        // its possible denial the lower-ranked claim would win, current.
        let c = [
            possibly_denied(1, "2010-09", "a"),
            candidate(2, "2010-10", "b", true),
        ];
        let r = resolve(&c).unwrap();
        assert_eq!(
            (r.winner, r.status, r.certainty),
            (1, Status::Denied, Certainty::Possible)
        );
        assert_eq!(
            c[0].certainty(),
            Certainty::Possible,
            "an other denied only possibly"
        );
        // A possible denial that changes nothing leaves the row exact.
        let c = [
            possibly_denied(1, "2010-09", "b"),
            candidate(2, "2010-10", "b", false),
        ];
        let r = resolve(&c).unwrap();
        assert_eq!(
            (r.winner, r.status, r.certainty),
            (1, Status::Current, Certainty::Exact)
        );
    }

    #[test]
    fn possible_days_count_only_where_no_undenied_claim_is_certain() {
        let dating = |t: &str| crate::dating::Dating::parse(t).unwrap();
        let cover = |t: &str, undenied: bool| Cover {
            possible: dating(t).possible(),
            certain: dating(t).certain(),
            undenied,
        };
        let period = |t: &str| Period::parse(t).unwrap();
        // 198X.. (certain from 1990) beside a certain claim for the 1980s.
        let covers = [cover("198X..", true), cover("1980s", true)];
        let runs = state_runs(&covers, &period("1980..1999"));
        let printed: Vec<(String, Vec<(usize, bool)>)> =
            runs.into_iter().map(|(p, m)| (p.to_string(), m)).collect();
        assert_eq!(
            printed,
            vec![
                ("1980s".to_string(), vec![(1, false)]),
                ("1990s".to_string(), vec![(0, false)]),
            ]
        );
        // Denied, the certain claim no longer keeps the possible days out.
        let covers = [cover("198X..", true), cover("1980s", false)];
        let runs = state_runs(&covers, &period("1980..1989"));
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].1, vec![(0, true), (1, false)]);
        // Alone, a vague claim answers its possible days, marked so, and
        // the run splits where it becomes certain.
        let runs = state_runs(&[cover("2010/", true)], &period("2010..2011"));
        let printed: Vec<(String, Vec<(usize, bool)>)> =
            runs.into_iter().map(|(p, m)| (p.to_string(), m)).collect();
        assert_eq!(
            printed,
            vec![
                ("2010".to_string(), vec![(0, false)]),
                ("2011".to_string(), vec![(0, true)]),
            ]
        );
    }

    #[test]
    fn the_latest_known_claim_wins_and_earlier_ones_are_superseded() {
        let c = [
            candidate(1, "2010-07", "30000 t", false),
            candidate(2, "2010-10", "24280 t", false),
        ];
        let r = resolve(&c).unwrap();
        assert_eq!((r.winner, r.status), (1, Status::Current));
        assert_eq!(r.others, vec![(0, Standing::Superseded)]);
    }

    #[test]
    fn overlapping_knowledge_with_different_values_is_contested() {
        let c = [
            candidate(1, "2010", "30 %", false),
            candidate(2, "2010-10", "40 %", false),
        ];
        let r = resolve(&c).unwrap();
        assert_eq!(
            (r.winner, r.status),
            (0, Status::Contested),
            "2010 ends after 2010-10"
        );
        assert_eq!(r.others, vec![(1, Standing::Conflicting)]);
    }

    #[test]
    fn a_denied_claim_loses_to_an_undenied_one_and_wins_only_alone() {
        let c = [
            candidate(1, "2010-09", "a", false),
            candidate(2, "2010-10", "b", true),
        ];
        let r = resolve(&c).unwrap();
        assert_eq!((r.winner, r.status), (0, Status::Current));
        assert_eq!(r.others, vec![(1, Standing::Denied)]);
        let r = resolve(&c[1..]).unwrap();
        assert_eq!((r.winner, r.status), (0, Status::Denied));
    }

    #[test]
    fn equal_known_ends_are_broken_by_seq_and_same_values_agree() {
        let c = [
            candidate(5, "2010", "1 t", false),
            candidate(3, "2010", "1 t", false),
        ];
        let r = resolve(&c).unwrap();
        assert_eq!((r.winner, r.status), (0, Status::Current));
        assert_eq!(r.others, vec![(1, Standing::Agrees)]);
    }

    #[test]
    fn timeline_cuts_at_every_boundary_inside_the_period() {
        let valids = [
            Period::parse("2010..2011").unwrap(),
            Period::parse("2011").unwrap(),
        ];
        let runs = timeline(&valids, &Period::parse("2009..2012").unwrap());
        let printed: Vec<(String, Vec<usize>)> =
            runs.into_iter().map(|(p, c)| (p.to_string(), c)).collect();
        assert_eq!(
            printed,
            vec![
                ("2010".to_string(), vec![0]),
                ("2011".to_string(), vec![0, 1])
            ]
        );
    }
}
