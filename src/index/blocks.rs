//! The readers' cache of slot-index blocks ([`BlockCache`]): the blocks of
//! runs (`runs.rs`) that questions read lately, kept unpacked and checked,
//! so that a question whose blocks are cached reads its claims without a
//! descent of the storage's tree, a copy of the block, a check of its
//! checksum and its unpacking — at 1M events those were half of a warm
//! `get`.
//!
//! Why a block can be kept without any rule for writers: a run's blocks
//! change only when a merge writes the run again, and every merge counts
//! itself in the store's `meta` table (`runs.rs`). So cached blocks are
//! filed under their run's whole header and the count of merges the
//! reader read before it read them, and a reader uses them only for the
//! same header and count. The header alone would not do: a merge into a
//! run of a claim's copy, from an older run, when the run already holds
//! the claim itself, changes the claim's flag or carried denials and
//! nothing the header says.
//!
//! How a reader knows that the cached blocks cover its range: each block
//! names the last key of the block before it in its run (`runs.rs`), so
//! blocks taken from the cache one after another must follow each other,
//! exactly as the reader checks them when it reads them from storage. A
//! range the cache does not cover whole is read from storage, whole, and
//! its blocks are cached then.
//!
//! A reader that read the count before a merge and the blocks after it
//! files the merged blocks under the older count (and, if the merge left
//! the header as it was, under the run's header before the merge). A
//! reader of the state before the merge may then take them: they hold the
//! claims of the runs merged in as well, which that reader reads anyway,
//! each with the flags and carried denials of all its copies, so its
//! answer is the same.
//!
//! The cache holds at most its budget of bytes; beyond, the blocks cached
//! first go first.

use super::keys::CLAIM_KEY_LEN;
use super::runs::{block_claims, BlockClaim, RunHeader};
use crate::error::Result;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::{Arc, RwLock};

/// What a cached block costs beyond its bytes: its last key three times
/// (in the block, the map and the eviction order), the map's node and the
/// `Arc`.
const OVERHEAD: usize = 128;

/// One block of a run as the storage returned it (its checksum checked),
/// with where each of its claims lies, found once when it was read.
pub(super) struct Block {
    /// The key of the block's last claim: the key it is stored under,
    /// without the run number.
    pub last: [u8; CLAIM_KEY_LEN],
    /// The block's value: tag, count, the last key of the block before,
    /// claims.
    bytes: Vec<u8>,
    /// Each claim's offset in `bytes` and its body's length, in key order.
    claims: Vec<(u32, u32)>,
    /// The first 16 bytes of each claim's key, as an integer that orders
    /// as they do ([`prefix`]), side by side: finding where a range starts
    /// in the block compares these, and reads a whole key only on a tie.
    /// Bisecting the keys where they lie in `bytes`, one cache line and a
    /// `memcmp` call each, was a sixth of a warm `get` (measured at 1M).
    prefixes: Vec<u128>,
}

/// The first 16 bytes of `key`, zeros after a shorter one, as an integer
/// that orders as the bytes do. Of two keys whose prefixes differ, the one
/// with the smaller prefix is the smaller key, whatever their lengths.
fn prefix(key: &[u8]) -> u128 {
    let mut bytes = [0u8; 16];
    let n = key.len().min(16);
    bytes[..n].copy_from_slice(&key[..n]);
    u128::from_be_bytes(bytes)
}

impl Block {
    /// Reads a block's claims; damage is an error.
    pub(super) fn parse(last: [u8; CLAIM_KEY_LEN], bytes: Vec<u8>) -> Result<Block> {
        let at = |part: &[u8]| (part.as_ptr() as usize - bytes.as_ptr() as usize) as u32;
        let parsed = block_claims(&bytes)?;
        let claims = parsed
            .iter()
            .map(|c| (at(c.key), c.body.len() as u32))
            .collect();
        let prefixes = parsed.iter().map(|c| prefix(c.key)).collect();
        Ok(Block {
            last,
            bytes,
            claims,
            prefixes,
        })
    }

    /// The last claim key of the block before this one (zeros for the
    /// run's first).
    pub(super) fn previous(&self) -> &[u8] {
        // `parse` checked that the block is long enough to name it.
        &self.bytes[3..3 + CLAIM_KEY_LEN]
    }

    /// The block's claims whose keys are at least `start`, in key order.
    pub(super) fn claims_from<'b>(
        &'b self,
        start: &[u8],
    ) -> impl Iterator<Item = BlockClaim<'b>> + 'b {
        let claim = |&(at, length): &(u32, u32)| {
            let (at, length) = (at as usize, length as usize);
            let body_at = at + CLAIM_KEY_LEN + 5;
            // Offsets `parse` found inside the bytes.
            BlockClaim {
                key: &self.bytes[at..at + CLAIM_KEY_LEN],
                flags: self.bytes[at + CLAIM_KEY_LEN],
                body: &self.bytes[body_at..body_at + length],
            }
        };
        let wanted = prefix(start);
        let first = self.prefixes.partition_point(|p| *p < wanted);
        // Among the claims whose prefix is `start`'s, the first not below it.
        let first = first
            + self.claims[first..]
                .iter()
                .zip(&self.prefixes[first..])
                .take_while(|(c, p)| **p == wanted && claim(c).key < start)
                .count();
        self.claims[first..].iter().map(claim)
    }

    /// What the block takes in memory: its two vectors as an allocator
    /// that rounds sizes up to a quarter of a power of two would give them
    /// (mimalloc, the binary's, does; others round less), and the rest. Its
    /// bytes alone undercounted a full cache by an eighth (measured: a
    /// cache of 128 MiB took 145 MiB resident).
    fn cost(&self) -> usize {
        allocated(self.bytes.capacity())
            + allocated(8 * self.claims.capacity())
            + allocated(16 * self.prefixes.capacity())
            + OVERHEAD
    }
}

/// The size an allocation of `n` bytes takes when sizes are rounded up
/// to the next of 1, 1.25, 1.5 or 1.75 times a power of two.
fn allocated(n: usize) -> usize {
    if n <= 64 {
        return n.next_multiple_of(16);
    }
    let power = 1usize << (usize::BITS - 1 - n.leading_zeros());
    let quarter = power / 4;
    n.next_multiple_of(quarter)
}

/// A claim key, or the start of one, as two integers that order as the
/// keys' bytes do ([`ordinal`]).
pub(super) type Ordinal = (u128, u128);

/// The first 29 bytes of `key` (a claim key's length) as two integers that
/// order as the bytes do, zeros after a shorter key (which then orders
/// before every key it begins, as a slice does): kept inline in the
/// cache's map, where a slice would be a pointer to follow.
pub(super) fn ordinal(key: &[u8]) -> Ordinal {
    let mut bytes = [0u8; 32];
    // A copy of a known length is a few moves; of any length, a call.
    match key.first_chunk::<CLAIM_KEY_LEN>() {
        Some(whole) => bytes[..CLAIM_KEY_LEN].copy_from_slice(whole),
        None => bytes[..key.len()].copy_from_slice(key),
    }
    let (high, low) = bytes.split_at(16);
    let half = |b: &[u8]| u128::from_be_bytes(b.try_into().unwrap_or([0; 16]));
    (half(high), half(low))
}

/// The blocks of slot-index runs that readers read lately.
pub struct BlockCache {
    budget: usize,
    blocks: RwLock<Blocks>,
}

#[derive(Default)]
struct Blocks {
    runs: FxHashMap<u64, CachedRun>,
    /// Blocks in the order they were cached: (run number, last key).
    order: VecDeque<(u64, (u128, u128))>,
    bytes: usize,
}

/// The cached blocks of one run, under the header and the count of merges
/// they were read with.
struct CachedRun {
    header: RunHeader,
    merges: u64,
    /// By last claim key ([`ordinal`]): the block that may hold key `k` is
    /// the first at or after `k`.
    blocks: BTreeMap<(u128, u128), Arc<Block>>,
}

impl BlockCache {
    /// A cache of at most `budget` bytes.
    pub fn new(budget: usize) -> BlockCache {
        BlockCache {
            budget,
            blocks: RwLock::default(),
        }
    }

    /// The blocks of run `header`, after `merges` merges, that hold every
    /// claim with a key from `start` up to `end`, in key order, each
    /// following the one before; `None` unless the cache holds every one
    /// of them.
    pub(super) fn covering(
        &self,
        header: &RunHeader,
        merges: u64,
        start: &[u8],
        end: &[u8],
    ) -> Option<Vec<Arc<Block>>> {
        let blocks = self.blocks.read().unwrap_or_else(|e| e.into_inner());
        let run = blocks.runs.get(&header.number)?;
        if run.header != *header || run.merges != merges {
            return None;
        }
        let mut covering: Vec<Arc<Block>> = Vec::new();
        let mut from = Bound::Included(ordinal(start));
        loop {
            let Some((_, block)) = run.blocks.range((from, Bound::Unbounded)).next() else {
                // Nothing cached after the last block taken: the run ends
                // there (or, with nothing taken, before the start), else a
                // block is missing.
                let ended = match covering.last() {
                    Some(last) => last.last == header.last,
                    None => header.last.as_slice() < start,
                };
                return ended.then_some(covering);
            };
            let follows = match covering.last() {
                Some(before) => block.previous() == before.last,
                None => block.previous() < start,
            };
            if !follows {
                return None;
            }
            covering.push(block.clone());
            if &block.last[..] >= end || block.last == header.last {
                return Some(covering);
            }
            from = Bound::Excluded(ordinal(&block.last));
        }
    }

    /// Keeps blocks of run `header`, after `merges` merges, read from
    /// storage and checked.
    pub(super) fn keep(&self, header: &RunHeader, merges: u64, read: Vec<Arc<Block>>) {
        if read.is_empty() || self.budget == 0 {
            return;
        }
        let mut blocks = self.blocks.write().unwrap_or_else(|e| e.into_inner());
        let blocks = &mut *blocks;
        let fresh = || CachedRun {
            header: *header,
            merges,
            blocks: BTreeMap::new(),
        };
        let run = blocks.runs.entry(header.number).or_insert_with(fresh);
        if run.header != *header || run.merges != merges {
            // A merge came between (or this reader read before it): the
            // blocks cached for the run as it was go, and their places in
            // the order of eviction.
            let dropped: usize = run.blocks.values().map(|b| b.cost()).sum();
            blocks.bytes -= dropped;
            *run = fresh();
            blocks.order.retain(|(number, _)| *number != header.number);
        }
        for block in read {
            let cost = block.cost();
            let key = ordinal(&block.last);
            match run.blocks.insert(key, block) {
                Some(replaced) => blocks.bytes -= replaced.cost(),
                None => blocks.order.push_back((header.number, key)),
            }
            blocks.bytes += cost;
        }
        while blocks.bytes > self.budget {
            let Some((number, key)) = blocks.order.pop_front() else {
                break;
            };
            if let Some(run) = blocks.runs.get_mut(&number) {
                if let Some(evicted) = run.blocks.remove(&key) {
                    blocks.bytes -= evicted.cost();
                }
                if run.blocks.is_empty() {
                    blocks.runs.remove(&number);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> [u8; CLAIM_KEY_LEN] {
        [n; CLAIM_KEY_LEN]
    }

    /// A block of one claim, `last`, following a block that ended at
    /// `previous`.
    fn block(previous: u8, last: u8) -> Arc<Block> {
        let mut bytes = vec![0xC1, 0, 1];
        bytes.extend_from_slice(&key(previous));
        bytes.extend_from_slice(&key(last));
        bytes.extend_from_slice(&[0, 0, 0, 0, 1, 42]);
        Arc::new(Block::parse(key(last), bytes).expect("a well-formed block"))
    }

    fn header(number: u64, claims: u64, last: u8) -> RunHeader {
        RunHeader {
            number,
            claims,
            oldest: number,
            newest: number,
            last: key(last),
        }
    }

    fn lasts(blocks: Option<Vec<Arc<Block>>>) -> Option<Vec<u8>> {
        blocks.map(|b| b.iter().map(|b| b.last[0]).collect())
    }

    #[test]
    fn a_range_is_answered_only_by_blocks_that_follow_each_other() {
        let cache = BlockCache::new(1 << 20);
        let run = header(7, 30, 30);
        cache.keep(&run, 0, vec![block(0, 10), block(10, 20)]);
        assert_eq!(
            lasts(cache.covering(&run, 0, &key(1), &key(15))),
            Some(vec![10, 20])
        );
        assert_eq!(
            lasts(cache.covering(&run, 0, &key(11), &key(12))),
            Some(vec![20])
        );
        // The block after 20 (up to 30) is not cached: the range is not
        // covered, though the cache holds blocks of it.
        assert_eq!(lasts(cache.covering(&run, 0, &key(15), &key(25))), None);
        cache.keep(&run, 0, vec![block(20, 30)]);
        assert_eq!(
            lasts(cache.covering(&run, 0, &key(15), &key(25))),
            Some(vec![20, 30])
        );
        // Past the run's last key nothing is read at all.
        assert_eq!(
            lasts(cache.covering(&run, 0, &key(31), &key(40))),
            Some(vec![])
        );
        assert_eq!(
            lasts(cache.covering(&run, 0, &key(25), &key(40))),
            Some(vec![30])
        );
    }

    #[test]
    fn a_gap_in_the_chain_is_a_miss() {
        let cache = BlockCache::new(1 << 20);
        let run = header(7, 30, 30);
        // The block ending at 20 is missing between the two cached ones.
        cache.keep(&run, 0, vec![block(0, 10), block(20, 30)]);
        assert_eq!(lasts(cache.covering(&run, 0, &key(5), &key(25))), None);
        // A first block that follows a key at or past the start: the
        // block before it, which may hold the start, is missing.
        assert_eq!(lasts(cache.covering(&run, 0, &key(15), &key(25))), None);
    }

    #[test]
    fn blocks_serve_only_the_header_they_were_read_with() {
        let cache = BlockCache::new(1 << 20);
        let before = header(7, 30, 30);
        cache.keep(&before, 0, vec![block(0, 10), block(10, 20), block(20, 30)]);
        let merged = header(7, 45, 30);
        assert_eq!(lasts(cache.covering(&merged, 0, &key(1), &key(5))), None);
        cache.keep(&merged, 0, vec![block(0, 4)]);
        assert_eq!(
            lasts(cache.covering(&merged, 0, &key(1), &key(3))),
            Some(vec![4])
        );
        assert_eq!(lasts(cache.covering(&before, 0, &key(1), &key(5))), None);
    }

    #[test]
    fn blocks_serve_only_the_count_of_merges_they_were_read_after() {
        // A merge that changes only a flag leaves the header as it was.
        let cache = BlockCache::new(1 << 20);
        let run = header(7, 30, 30);
        cache.keep(&run, 4, vec![block(0, 10), block(10, 20), block(20, 30)]);
        assert_eq!(
            lasts(cache.covering(&run, 4, &key(1), &key(5))),
            Some(vec![10])
        );
        assert_eq!(lasts(cache.covering(&run, 5, &key(1), &key(5))), None);
        cache.keep(&run, 5, vec![block(0, 10)]);
        assert_eq!(lasts(cache.covering(&run, 5, &key(15), &key(25))), None);
        assert_eq!(cache.blocks.read().unwrap().order.len(), 1);
    }

    /// Where a range starts in a block, found by the keys' prefixes, is
    /// where a bisection of the whole keys finds it: for keys that share
    /// their first 16 bytes or differ only after them, and for starts of
    /// every length, as readers' range bounds are (a series, a level, a
    /// bin, a day) or a whole key.
    #[test]
    fn a_range_starts_where_a_bisection_of_whole_keys_says() {
        // Two prefixes in all, so that most keys tie on theirs.
        let byte = |rng: &mut crate::synthetic::Rng, i: usize| match i {
            0..15 => 0,
            15 => rng.below(2) as u8,
            _ => rng.below(256) as u8,
        };
        let mut rng = crate::synthetic::Rng::new(7);
        let mut keys: Vec<[u8; CLAIM_KEY_LEN]> = (0..60)
            .map(|_| {
                let mut k = [0u8; CLAIM_KEY_LEN];
                for (i, b) in k.iter_mut().enumerate() {
                    *b = byte(&mut rng, i);
                }
                k
            })
            .collect();
        keys.sort();
        keys.dedup();
        let mut bytes = vec![0xC1, 0, keys.len() as u8];
        bytes.extend_from_slice(&[0; CLAIM_KEY_LEN]);
        for k in &keys {
            bytes.extend_from_slice(k);
            bytes.extend_from_slice(&[0, 0, 0, 0, 1, 42]);
        }
        let block = Block::parse(keys[keys.len() - 1], bytes).expect("a well-formed block");
        for _ in 0..2000 {
            let length = 1 + rng.below(CLAIM_KEY_LEN as u64) as usize;
            let start: Vec<u8> = if rng.below(2) == 0 {
                keys[rng.below(keys.len() as u64) as usize][..length].to_vec()
            } else {
                (0..length).map(|i| byte(&mut rng, i)).collect()
            };
            let expected = keys.partition_point(|k| k.as_slice() < start.as_slice());
            let found: Vec<&[u8]> = block.claims_from(&start).map(|c| c.key).collect();
            let wanted: Vec<&[u8]> = keys[expected..].iter().map(|k| k.as_slice()).collect();
            assert_eq!(found, wanted, "from {start:?}");
        }
    }

    #[test]
    fn a_block_costs_what_its_allocations_take() {
        assert_eq!(allocated(0), 0);
        assert_eq!(allocated(24), 32);
        assert_eq!(allocated(4096), 4096);
        assert_eq!(allocated(4097), 5120);
        assert_eq!(allocated(3600), 3584 + 512);
        assert_eq!(allocated(1 << 20), 1 << 20);
        let block = block(0, 10);
        assert!(block.cost() >= block.bytes.len() + 24 * block.claims.len() + OVERHEAD);
    }

    #[test]
    fn the_budget_evicts_the_blocks_cached_first() {
        let one = block(0, 10).cost();
        let cache = BlockCache::new(2 * one);
        let run = header(7, 30, 30);
        cache.keep(&run, 0, vec![block(0, 10), block(10, 20)]);
        cache.keep(&run, 0, vec![block(20, 30)]);
        assert_eq!(lasts(cache.covering(&run, 0, &key(1), &key(5))), None);
        assert_eq!(
            lasts(cache.covering(&run, 0, &key(15), &key(25))),
            Some(vec![20, 30])
        );
        assert_eq!(cache.blocks.read().unwrap().bytes, 2 * one);
    }
}
