//! One line of an import file as JSON wrote it: its fields in the order
//! written, each value borrowed from the line wherever JSON allows.
//!
//! Why not `serde_json::Value`: a line read into a generic map allocates a
//! string per key, a string per value and a hash table per line, and the
//! import then copies every value out again. An import reads a million
//! lines, so that was a quarter of its time. A [`Line`] keeps keys and
//! string values as slices of the line (escaped strings are the one case
//! that must be unescaped into a string of their own), integers as
//! integers, and only what no event field accepts (arrays, objects,
//! negative or fractional numbers) as a `serde_json::Value`, so that an
//! error can still quote it exactly as it was written.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;
use std::borrow::Cow;
use std::fmt;

/// The fields of one line, a repeated key kept (so that it is refused
/// rather than silently overwritten by the last one).
pub(super) struct Line<'a> {
    pub fields: Vec<(Cow<'a, str>, Written<'a>)>,
}

/// One field's value as written.
pub(super) enum Written<'a> {
    Null,
    Str(Cow<'a, str>),
    Unsigned(u64),
    Bool(bool),
    /// Anything else, kept only to be quoted in an error.
    Other(Json),
}

impl<'a> Line<'a> {
    /// The value of field `name`; `Null` when it is absent.
    pub fn get(&self, name: &str) -> &Written<'a> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map_or(&Written::Null, |(_, value)| value)
    }

    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|(key, _)| key == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(key, _)| key.as_ref())
    }

    /// The first key written a second time, if any. (A line of an event
    /// has a dozen keys at most, compared pairwise; a long line of many
    /// keys, which is refused anyway, goes through a hash set so that it
    /// is refused quickly.)
    pub fn repeated(&self) -> Option<&str> {
        const PAIRWISE: usize = 16;
        if self.fields.len() <= PAIRWISE {
            return self
                .fields
                .iter()
                .enumerate()
                .find(|(i, (key, _))| self.fields[..*i].iter().any(|(k, _)| k == key))
                .map(|(_, (key, _))| key.as_ref());
        }
        let mut seen = rustc_hash::FxHashSet::default();
        self.fields
            .iter()
            .map(|(key, _)| key.as_ref())
            .find(|key| !seen.insert(*key))
    }
}

/// Prints a value as JSON prints it, for error messages.
impl fmt::Display for Written<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Written::Null => f.write_str("null"),
            Written::Str(s) => write!(f, "{}", Json::String(s.to_string())),
            Written::Unsigned(n) => write!(f, "{n}"),
            Written::Bool(b) => write!(f, "{b}"),
            Written::Other(json) => write!(f, "{json}"),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Line<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Line<'a>, D::Error> {
        struct LineVisitor;
        impl<'de> Visitor<'de> for LineVisitor {
            type Value = Line<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Line<'de>, A::Error> {
                let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(10));
                while let Some((Key(key), value)) = map.next_entry::<Key, Written>()? {
                    fields.push((key, value));
                }
                Ok(Line { fields })
            }
        }
        deserializer.deserialize_map(LineVisitor)
    }
}

/// A key, borrowed from the line unless it had escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key<'a>, D::Error> {
        match deserializer.deserialize_str(StrVisitor)? {
            Written::Str(key) => Ok(Key(key)),
            other => Err(de::Error::custom(format!(
                "a key must be a string, found {other}"
            ))),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Written<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Written<'a>, D::Error> {
        deserializer.deserialize_any(StrVisitor)
    }
}

/// Reads any JSON value into a [`Written`]: the same cases, in the same
/// form, as `serde_json::Value` reads them.
struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Written<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Written<'de>, E> {
        Ok(Written::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Written<'de>, E> {
        Ok(Written::Str(Cow::Owned(s.to_string())))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Written<'de>, E> {
        Ok(Written::Str(Cow::Owned(s)))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Written<'de>, E> {
        Ok(Written::Unsigned(n))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Written<'de>, E> {
        Ok(Written::Other(Json::from(n)))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Written<'de>, E> {
        Ok(Written::Other(Json::from(n)))
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Written<'de>, E> {
        Ok(Written::Bool(b))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Written<'de>, E> {
        Ok(Written::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Written<'de>, E> {
        Ok(Written::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Written<'de>, A::Error> {
        Json::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Written::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Written<'de>, A::Error> {
        Json::deserialize(de::value::MapAccessDeserializer::new(map)).map(Written::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_strings_are_borrowed_and_escaped_ones_unescaped() {
        let text =
            r#"{"op":"assert","quote":"say \"hi\"","n":7,"x":[1,-2],"b":true,"z":null,"f":2.5}"#;
        let line: Line = serde_json::from_str(text).unwrap();
        assert!(matches!(
            line.get("op"),
            Written::Str(Cow::Borrowed("assert"))
        ));
        assert!(matches!(line.get("quote"), Written::Str(Cow::Owned(s)) if s == "say \"hi\""));
        assert!(matches!(line.get("n"), Written::Unsigned(7)));
        assert!(matches!(line.get("b"), Written::Bool(true)));
        assert!(matches!(line.get("z"), Written::Null));
        assert!(matches!(line.get("absent"), Written::Null));
        assert!(line.has("z") && !line.has("absent"));
        // What no field accepts is quoted as JSON prints it.
        assert_eq!(line.get("x").to_string(), "[1,-2]");
        assert_eq!(line.get("f").to_string(), "2.5");
        assert_eq!(line.get("quote").to_string(), r#""say \"hi\"""#);
        assert_eq!(line.repeated(), None);
    }

    #[test]
    fn a_repeated_key_is_kept_to_be_refused() {
        let line: Line = serde_json::from_str(r#"{"op":"a","id":"x","op":"b"}"#).unwrap();
        assert_eq!(line.repeated(), Some("op"));
        // Many keys take the hash set, with the same answer: the first key
        // written a second time.
        let many: Vec<String> = (0..40).map(|i| format!(r#""k{i}":0"#)).collect();
        let text = format!(r#"{{{},"k7":1,"k3":1}}"#, many.join(","));
        let line: Line = serde_json::from_str(&text).unwrap();
        assert_eq!(line.repeated(), Some("k7"));
        let text = format!("{{{}}}", many.join(","));
        let line: Line = serde_json::from_str(&text).unwrap();
        assert_eq!(line.repeated(), None);
    }
}
