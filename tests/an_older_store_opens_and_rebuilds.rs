//! A store written by an older annals opens (SPEC §6): its log is the
//! truth, and projections of another layout are dropped and rebuilt from
//! it at the first open that may write. Nothing of the old projections may
//! be read on the way — in particular not through the checksums the newer
//! layout expects, which the old entries do not carry.

mod common;
use common::{fixture, Scratch};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

/// The projection tables, by their names in the redb file.
const PROJECTIONS: &[&str] = &[
    "ids",
    "claims",
    "series",
    "series_by_attribute",
    "targets",
    "sources",
    "attributes",
];

/// Turns the store's projections into entries of an older layout: values
/// without the trailing checksum, and layout version 7 in `meta`.
fn make_layout_older(file: &std::path::Path) {
    let db = redb::Database::create(file).unwrap();
    let txn = db.begin_write().unwrap();
    for name in PROJECTIONS {
        let definition: TableDefinition<&[u8], &[u8]> = TableDefinition::new(name);
        let mut table = txn.open_table(definition).unwrap();
        let entries: Vec<(Vec<u8>, Vec<u8>)> = table
            .iter()
            .unwrap()
            .map(|e| {
                let (k, v) = e.unwrap();
                let v = v.value();
                (k.value().to_vec(), v[..v.len() - 4].to_vec())
            })
            .collect();
        for (key, value) in entries {
            table.insert(key.as_slice(), value.as_slice()).unwrap();
        }
    }
    {
        let meta: TableDefinition<&[u8], &[u8]> = TableDefinition::new("meta");
        let mut meta = txn.open_table(meta).unwrap();
        meta.insert(&b"projection.version"[..], &7u64.to_be_bytes()[..])
            .unwrap();
    }
    txn.commit().unwrap();
    let check = db.begin_read().unwrap();
    let meta: TableDefinition<&[u8], &[u8]> = TableDefinition::new("meta");
    let version = check.open_table(meta).unwrap();
    assert_eq!(
        version
            .get(&b"projection.version"[..])
            .unwrap()
            .unwrap()
            .value(),
        7u64.to_be_bytes()
    );
}

#[test]
fn a_store_with_projections_of_an_older_layout_rebuilds_them_and_answers_the_same() {
    let scratch = Scratch::new();
    assert_eq!(
        scratch.run(&["import", fixture().to_str().unwrap()]).code,
        0
    );
    let before = scratch.run(&["query", "*.*", "--format", "csv"]);
    assert_eq!(before.code, 0, "{}", before.stderr);
    make_layout_older(&scratch.db().join("annals.redb"));

    // A read-only open cannot rebuild, and says what to do.
    let refused = scratch.run(&["query", "*.*"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("older layout") && refused.stderr.contains("write access"),
        "{}",
        refused.stderr
    );

    // The first open that may write rebuilds them from the log.
    let store = annals::StoreOptions::new()
        .open(scratch.db())
        .expect("an older store opens with write access");
    drop(store);
    let after = scratch.run(&["query", "*.*", "--format", "csv"]);
    assert_eq!(after.code, 0, "{}", after.stderr);
    assert_eq!(after.stdout, before.stdout);
    let verify = scratch.run(&["verify"]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
}
