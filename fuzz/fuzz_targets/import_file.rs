//! Any bytes as an import file, parsed and appended to an in-memory store:
//! no panic, and a refused file leaves the store empty.
#![no_main]
use annals::{interchange, Store};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let store = Store::in_memory();
    if interchange::import_file(&store, "fuzz.jsonl", data).is_err() {
        assert_eq!(store.position(), 0, "a refused file wrote something");
    }
});
