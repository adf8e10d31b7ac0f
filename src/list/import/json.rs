//! [`InputFormat::Json`](super::InputFormat::Json): StopNCII-style records
//! (`{"signalType": "PDQ", "hashValue": "…"}`), as one JSON array or one
//! record per line (JSON Lines), and the lines of `prescan hash --json`.
//!
//! An array is read by a small scanner (strings and nesting) that finds
//! each element's end, a window at a time, so that each element is parsed
//! alone: a bad record is refused with its number, none over
//! [`MAX_LINE_BYTES`] is held or parsed, and the array is never in memory
//! whole.

use std::fmt;

use serde_json::{Map, Value};

use super::{Collector, Location, MAX_LINE_BYTES, Reader, show, too_long};
use crate::error::Result;
use crate::list::SignalType;

/// JSON keys of the signal type, in order of preference.
const JSON_TYPE_KEYS: [&str; 2] = ["signalType", "signal_type"];
/// JSON keys of the hash.
const JSON_HASH_KEYS: [&str; 5] = ["hashValue", "hash", "signal_str", "hash_value", "signal_value"];
/// JSON keys of the label.
const JSON_LABEL_KEYS: [&str; 2] = ["label", "id"];

/// Where the array scanner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the array's `[`.
    Open,
    /// Inside the array, between or within elements.
    Elements,
    /// After the `]`: only whitespace may follow.
    After,
    /// Something other than whitespace followed the `]`, and was refused.
    Done,
}

/// Reads a JSON array of records a window at a time.
#[derive(Debug)]
pub(super) struct JsonArray {
    phase: Phase,
    /// Records begun so far.
    record: usize,
    /// The element being read, from its first non-whitespace character,
    /// while it is within [`MAX_LINE_BYTES`].
    element: String,
    /// Its length so far, whitespace before it aside.
    element_len: usize,
    /// Nesting depth inside the element.
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// Whether a `,` has ended an element: before one, a `]` after
    /// nothing but whitespace is an empty array, not an empty record.
    any: bool,
}

impl Default for JsonArray {
    fn default() -> Self {
        JsonArray {
            phase: Phase::Open,
            record: 0,
            element: String::new(),
            element_len: 0,
            depth: 0,
            in_string: false,
            escaped: false,
            any: false,
        }
    }
}

impl JsonArray {
    /// The element just ended (by `,` or `]` when `closed`, else by the end
    /// of the input): refused or read.
    fn end_element(&mut self, closed: bool, c: &mut Collector<'_>) -> Result<()> {
        let location = Location::Record(self.record);
        let element = std::mem::take(&mut self.element);
        let len = std::mem::take(&mut self.element_len);
        let trimmed = element.trim_end();
        if len > MAX_LINE_BYTES {
            c.reject(location, too_long("record", len))?;
        } else if trimmed.is_empty() {
            let reason = if closed { "empty record (a stray comma)" } else { "the input ends inside the array" };
            c.reject(location, reason.to_owned())?;
        } else {
            read_record(location, trimmed, c)?;
        }
        if !closed && !trimmed.is_empty() {
            c.reject(Location::EndOfInput, "the input ends inside the array (truncated?)".to_owned())?;
        }
        Ok(())
    }
}

impl Reader for JsonArray {
    fn feed(&mut self, text: &str, _line: usize, eof: bool, c: &mut Collector<'_>) -> Result<usize> {
        let bytes = text.as_bytes();
        // Start of the part of the element in this window.
        let mut from = None;
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            match self.phase {
                Phase::Open => {
                    if b == b'[' {
                        self.phase = Phase::Elements;
                    } else if !b.is_ascii_whitespace() {
                        // detect() saw `[` or `{`; a `{` is JSON Lines, read
                        // elsewhere, so this is not reached but for an
                        // explicit format on other text.
                        self.phase = Phase::Done;
                        c.reject(Location::Record(1), "not a JSON array".to_owned())?;
                    }
                }
                Phase::Elements => {
                    if self.in_string {
                        if self.escaped {
                            self.escaped = false;
                        } else if b == b'\\' {
                            self.escaped = true;
                        } else if b == b'"' {
                            self.in_string = false;
                        }
                    } else {
                        match b {
                            b',' | b']' if self.depth == 0 => {
                                self.keep(text, from.take(), i);
                                if b == b']' && !self.any && self.element_len == 0 {
                                    // `[]` or `[ ]`: no records.
                                } else {
                                    self.record += 1;
                                    self.end_element(true, c)?;
                                }
                                if b == b',' {
                                    self.any = true;
                                } else {
                                    self.phase = Phase::After;
                                }
                                i += 1;
                                continue;
                            }
                            b'"' => self.in_string = true,
                            b'[' | b'{' => self.depth += 1,
                            b']' | b'}' => self.depth = self.depth.saturating_sub(1),
                            _ => {}
                        }
                    }
                    if from.is_none() && (self.element_len > 0 || !b.is_ascii_whitespace()) {
                        from = Some(i);
                    }
                }
                Phase::After => {
                    if !b.is_ascii_whitespace() {
                        self.phase = Phase::Done;
                        c.reject(Location::AfterArray, "unexpected text after the JSON array".to_owned())?;
                    }
                }
                Phase::Done => return Ok(text.len()),
            }
            i += 1;
        }
        self.keep(text, from, text.len());
        if eof && self.phase == Phase::Elements {
            self.record += 1;
            self.end_element(false, c)?;
            self.phase = Phase::Done;
        }
        Ok(text.len())
    }
}

impl JsonArray {
    /// Keeps `text[from..to]` as more of the element, while it is within
    /// the limit (its length counted beyond it).
    fn keep(&mut self, text: &str, from: Option<usize>, to: usize) {
        let Some(from) = from else { return };
        let part = text.get(from..to).unwrap_or("");
        self.element_len += part.len();
        if self.element_len <= MAX_LINE_BYTES {
            self.element.push_str(part);
        } else {
            self.element.clear();
        }
    }
}

/// Reads one JSON record per line.
pub(super) fn json_line(location: Location, line: &str, c: &mut Collector<'_>) -> Result<()> {
    read_record(location, line, c)
}

/// Reads one JSON record: the common shape by [`Scanned`], then by
/// [`Plain`], anything else (and anything they refuse) by [`json_record`].
fn read_record(location: Location, text: &str, c: &mut Collector<'_>) -> Result<()> {
    if let Some(record) = Scanned::scan(text) {
        let Some(signal) = c.signal(location, record.signal_type)? else {
            return Ok(());
        };
        return c.add_owned(location, signal, record.hash_value, record.label());
    }
    if let Ok(plain) = serde_json::from_str::<Plain<'_>>(text)
        && let Some(hash) = &plain.hash_value
    {
        let Some(signal) = c.signal(location, plain.signal_type.as_deref())? else {
            return Ok(());
        };
        let label = plain.label.filter(|v| !v.is_null()).or(plain.id).as_ref().and_then(json_label);
        return c.add_owned(location, signal, hash, label);
    }
    match parse_record(text) {
        Ok(value) => json_record(value, location, c),
        Err(e) => c.reject(location, format!("not JSON: {e}")),
    }
}

/// A StopNCII-style record as exports write it, read by hand: half the
/// time of [`Plain`] (ten million records spent a third of their import in
/// serde). Only the plainest JSON is taken: the four keys of [`Plain`],
/// each at most once; strings without escapes or control characters;
/// labels and ids that are strings, `null` or integers from 0 to
/// 9,999,999,999,999,999,999 written without a sign, a fraction or an
/// exponent (whose text is then what serde_json writes of them). Anything
/// else, valid JSON or not, is `None` and read by [`Plain`] or
/// [`json_record`]: so what this gives is what they would give.
#[derive(Debug, PartialEq, Eq)]
struct Scanned<'a> {
    signal_type: Option<&'a str>,
    hash_value: &'a str,
    label: Option<Field<'a>>,
    id: Option<Field<'a>>,
}

/// A label or id as [`Scanned`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field<'a> {
    Null,
    /// A string's text, or an integer's digits.
    Text(&'a str),
}

impl Field<'_> {
    /// The label it gives: `None` for `null`.
    fn into_label(self) -> Option<String> {
        match self {
            Field::Null => None,
            Field::Text(t) => Some(t.to_owned()),
        }
    }
}

impl<'a> Scanned<'a> {
    /// The record of `text`, if it is one in the plainest JSON.
    fn scan(text: &'a str) -> Option<Self> {
        let mut at = Scan { text, at: 0 };
        at.eat(b'{')?;
        let (mut signal_type, mut hash_value, mut label, mut id) = (None, None, None, None);
        loop {
            let key = at.string()?;
            at.eat(b':')?;
            let slot = match key {
                "signalType" => &mut signal_type,
                "hashValue" => &mut hash_value,
                "label" => &mut label,
                "id" => &mut id,
                _ => return None,
            };
            if slot.is_some() {
                return None;
            }
            *slot = Some(at.field(key == "label" || key == "id")?);
            match at.next()? {
                b',' => {}
                b'}' => break,
                _ => return None,
            }
        }
        at.skip_space();
        if at.at != text.len() {
            return None;
        }
        // A `null` type is no type; a `null` or missing hash is for the
        // readers that say what is wrong.
        let signal_type = match signal_type {
            None | Some(Field::Null) => None,
            Some(Field::Text(t)) => Some(t),
        };
        let Some(Field::Text(hash_value)) = hash_value else { return None };
        Some(Scanned { signal_type, hash_value, label, id })
    }

    /// The entry's label: the label, or when it is missing or `null` the
    /// id, as in `Plain`.
    fn label(&self) -> Option<String> {
        self.label.filter(|l| *l != Field::Null).or(self.id).and_then(Field::into_label)
    }
}

/// A position in a record being scanned.
struct Scan<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scan<'a> {
    fn skip_space(&mut self) {
        let bytes = self.text.as_bytes();
        while bytes.get(self.at).is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// The next byte but whitespace, taken.
    fn next(&mut self) -> Option<u8> {
        self.skip_space();
        let b = *self.text.as_bytes().get(self.at)?;
        self.at += 1;
        Some(b)
    }

    /// Takes `want`, the next byte but whitespace, or gives `None`.
    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    /// A string without escapes or control characters: its text.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let bytes = self.text.as_bytes();
        let start = self.at;
        loop {
            match *bytes.get(self.at)? {
                b'"' => break,
                b'\\' | 0..=0x1f => return None,
                _ => self.at += 1,
            }
        }
        let end = self.at;
        self.at += 1;
        self.text.get(start..end)
    }

    /// A value: a plain string or `null`; with `numbers`, a plain integer
    /// too.
    fn field(&mut self, numbers: bool) -> Option<Field<'a>> {
        self.skip_space();
        let bytes = self.text.as_bytes();
        match *bytes.get(self.at)? {
            b'"' => self.string().map(Field::Text),
            b'n' => {
                let end = self.at + 4;
                (self.text.get(self.at..end)? == "null").then(|| {
                    self.at = end;
                    Field::Null
                })
            }
            b'0'..=b'9' if numbers => {
                let start = self.at;
                while bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
                    self.at += 1;
                }
                let digits = self.text.get(start..self.at)?;
                // No leading zero (not JSON), at most 19 digits (a u64
                // for certain), and nothing of a float after.
                let plain = (digits == "0" || !digits.starts_with('0'))
                    && digits.len() <= 19
                    && !bytes.get(self.at).is_some_and(|b| matches!(b, b'.' | b'e' | b'E'));
                plain.then_some(Field::Text(digits))
            }
            _ => None,
        }
    }
}

/// A StopNCII-style record in its usual spelling, `{"signalType": "…",
/// "hashValue": "…"}` with a `label` or `id`, read without building a map
/// (its strings borrowed from the input when they have no escapes): most
/// of ten million records' time went to the map. A record with another
/// key, a key twice or a value of another type is not one, and goes to
/// [`json_record`], which says what is wrong with it; so this gives what
/// `json_record` would.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Plain<'a> {
    #[serde(rename = "signalType", borrow, default)]
    signal_type: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "hashValue", borrow, default)]
    hash_value: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    label: Option<Value>,
    #[serde(default)]
    id: Option<Value>,
}

/// One JSON record: `signalType`/`signal_type`, `hashValue`/`hash`/
/// `signal_str`/…, and a `label` or `id`.
///
/// A record with no type or hash key but keys named after signal types
/// (`{"path": …, "pdq": …, "md5": …}`, a line of `prescan hash --json`)
/// gives one entry per such key, labelled with its `path`.
fn json_record(value: Value, location: Location, c: &mut Collector<'_>) -> Result<()> {
    let Value::Object(map) = value else {
        return c.reject(location, "not a JSON object".to_owned());
    };
    let get = |keys: &[&str]| keys.iter().find_map(|k| map.get(*k).filter(|v| !v.is_null()));
    // Two spellings of the type or of the hash in one record: which one is
    // meant cannot be told, so neither is taken.
    for (what, keys) in [("signal type", &JSON_TYPE_KEYS[..]), ("hash", &JSON_HASH_KEYS[..])] {
        let given: Vec<&str> = keys.iter().copied().filter(|k| map.get(*k).is_some_and(|v| !v.is_null())).collect();
        if given.len() > 1 {
            return c.reject(location, format!("the {what} is given twice ({})", given.join(" and ")));
        }
    }
    let label = get(&JSON_LABEL_KEYS).and_then(json_label);
    let given_type = get(&JSON_TYPE_KEYS);
    let Some(hash) = get(&JSON_HASH_KEYS) else {
        if given_type.is_none() {
            let per_type: Vec<(SignalType, &Value)> = SignalType::ALL
                .into_iter()
                .filter_map(|s| map.iter().find(|(k, _)| k.as_str() == s.name()).map(|(_, v)| (s, v)))
                .collect();
            if !per_type.is_empty() {
                let path = map.get("path").and_then(Value::as_str);
                for (signal, v) in per_type {
                    match v.as_str() {
                        Some(hash) => c.add(location, signal, hash, path)?,
                        None => c.reject(location, format!("{} is not a string", signal.name()))?,
                    }
                }
                return Ok(());
            }
        }
        let reason = format!("no hash (expected a key {})", JSON_HASH_KEYS.join(", "));
        return c.reject(location, reason);
    };
    let Some(hash) = hash.as_str() else {
        return c.reject(location, "the hash is not a string".to_owned());
    };
    let given = match given_type {
        Some(v) => match v.as_str() {
            Some(s) => Some(s),
            None => return c.reject(location, "the signal type is not a string".to_owned()),
        },
        None => None,
    };
    let Some(signal) = c.signal(location, given)? else {
        return Ok(());
    };
    c.add(location, signal, hash, label.as_deref())
}

/// One JSON record, parsed. An object that gives a key twice is refused
/// (serde_json would keep the last silently, so a record with two
/// `hashValue`s would list the one a reader of the file may not see).
fn parse_record(text: &str) -> std::result::Result<Value, String> {
    if !text.trim_start().starts_with('{') {
        return serde_json::from_str::<Value>(text).map_err(|e| e.to_string());
    }
    serde_json::from_str::<UniqueKeys>(text).map(|UniqueKeys(map)| Value::Object(map)).map_err(|e| e.to_string())
}

/// A JSON object whose keys are all different.
struct UniqueKeys(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = UniqueKeys;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut access: A,
            ) -> std::result::Result<UniqueKeys, A::Error> {
                let mut map = Map::new();
                while let Some(key) = access.next_key::<String>()? {
                    if map.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!("the key {key:?} is given twice")));
                    }
                    let value: Value = access.next_value()?;
                    map.insert(key, value);
                }
                Ok(UniqueKeys(map))
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// A JSON label: a string, or a number written as text.
fn json_label(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A `vpdq` hash as python-threatexchange serialises it (HMA exports,
/// ThreatExchange's `vpdq` signals): a JSON array of `"hash,quality,
/// timestamp"` strings, one a frame.
pub(super) fn parse_vpdq_json(text: &str) -> std::result::Result<Vec<u8>, String> {
    use crate::hash::vpdq;
    let items: Vec<String> = serde_json::from_str(text)
        .map_err(|e| format!("not a vPDQ hash (a JSON array of \"hash,quality,timestamp\"): {e}"))?;
    if items.len() > super::MAX_VPDQ_FRAMES {
        return Err(format!("{} frames, over the {} a video may have", items.len(), super::MAX_VPDQ_FRAMES));
    }
    let mut features = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let bad = |why: &str| format!("frame {i}: {why}: {}", show(item));
        let mut f = item.split(',').map(str::trim);
        let (Some(hash), Some(quality), Some(time), None) = (f.next(), f.next(), f.next(), f.next()) else {
            return Err(bad("expected hash,quality,timestamp"));
        };
        features.push(vpdq::parse_frame(i as u64, quality, hash, time).map_err(|why| bad(&why))?);
    }
    super::vpdq_entry_bytes(&features)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    /// What `read_record` takes from a record through [`Plain`]: its type,
    /// hash and label; `None` when `Plain` does not read it.
    fn by_serde(text: &str) -> Option<(Option<String>, String, Option<String>)> {
        let plain = serde_json::from_str::<Plain<'_>>(text).ok()?;
        let hash = plain.hash_value?.into_owned();
        let label = plain.label.filter(|v| !v.is_null()).or(plain.id).as_ref().and_then(json_label);
        Some((plain.signal_type.map(|s| s.into_owned()), hash, label))
    }

    fn by_scan(text: &str) -> Option<(Option<String>, String, Option<String>)> {
        let r = Scanned::scan(text)?;
        Some((r.signal_type.map(str::to_owned), r.hash_value.to_owned(), r.label()))
    }

    #[test]
    fn the_scanner_reads_what_serde_reads_or_leaves_it() {
        // Records put together from pieces, plain and not: every one the
        // scanner reads, serde reads the same.
        let keys = ["signalType", "hashValue", "label", "id", "signalType", "label", "id", "hash", "sig\\u006ealType"];
        let values = [
            "\"PDQ\"",
            "\"md5\"",
            "\"\"",
            "null",
            "0",
            "7",
            "007",
            "-3",
            "-0",
            "12.5",
            "1e3",
            "18446744073709551615",
            "9999999999999999999",
            "99999999999999999999",
            "true",
            "[]",
            "{}",
            "\"a\\\"b\"",
            "\"caf\u{e9}\"",
            "\"tab\there\"",
            "\"ab12\"",
            "nul",
            "nullx",
            "\"\\u0041\"",
            "12abc",
        ];
        let spaces = ["", " ", "\t", "\r\n", "  "];
        let mut rng = crate::test_rng::Rng(14);
        let (mut scanned, mut left) = (0, 0);
        for _ in 0..40_000 {
            let mut text = String::from(spaces[rng.below(spaces.len())]);
            text.push('{');
            // Mostly the usual keys, the hash first, in any order after.
            for m in 0..1 + rng.below(4) {
                if m > 0 {
                    text.push(',');
                }
                let key = if m == 0 && rng.below(4) > 0 { "hashValue" } else { keys[rng.below(keys.len())] };
                text.push_str(spaces[rng.below(spaces.len())]);
                text.push_str(&format!("\"{key}\""));
                text.push_str(spaces[rng.below(spaces.len())]);
                text.push(':');
                text.push_str(spaces[rng.below(spaces.len())]);
                let value = if rng.below(2) == 0 { "\"ab12\"" } else { values[rng.below(values.len())] };
                text.push_str(value);
                text.push_str(spaces[rng.below(spaces.len())]);
            }
            text.push('}');
            match rng.below(8) {
                0 => text.push_str(" x"),
                1 => text.push(','),
                2 => text.push_str(" \n"),
                3 => {
                    text.pop();
                }
                _ => {}
            }
            match by_scan(&text) {
                Some(got) => {
                    scanned += 1;
                    assert_eq!(Some(got), by_serde(&text), "{text}");
                }
                None => left += 1,
            }
        }
        println!("{scanned} scanned, {left} left to serde");
        // Both kinds were met, many times.
        assert!(scanned > 1000 && left > 1000, "{scanned} scanned, {left} left to serde");
    }

    #[test]
    fn the_scanner_reads_an_export_record() {
        let text = r#"{"signalType":"PDQ","hashValue":"ab","id":1000000}"#;
        let r = Scanned::scan(text).unwrap();
        assert_eq!(r.signal_type, Some("PDQ"));
        assert_eq!(r.hash_value, "ab");
        assert_eq!(r.id, Some(Field::Text("1000000")));
        assert!(Scanned::scan(r#"{"signalType":"PDQ","hashValue":"ab","id":1.5}"#).is_none());
    }
}
