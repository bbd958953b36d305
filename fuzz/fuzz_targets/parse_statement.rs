//! Any text through the query parser: no panic, errors locate themselves,
//! and a statement that parses prints to text that parses to the same tree.
#![no_main]
use annals::query::parser::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse(text) {
        Ok(tree) => {
            let printed = tree.to_string();
            assert_eq!(parse(&printed).ok(), Some(tree), "{text:?} printed as {printed:?}");
        }
        Err(e) => {
            let _ = e.locate(text);
        }
    }
});
