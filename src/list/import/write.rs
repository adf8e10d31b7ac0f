//! Writing entries back in each text format, so that importing the output
//! gives the same entries: for tests, for `prescan` users who convert a
//! list, and for issuers who check what they ship.

use serde_json::{Map, Value};

use super::clean_label;
use crate::hex::to_hex;
use crate::list::Entry;

/// `entries` as [`InputFormat::Lines`](super::InputFormat::Lines):
/// `<type> <hex>[ <label>]` per line.
///
/// Labels are written as [`import`](super::import) reads them (control
/// characters as spaces, trimmed), so importing the text gives back entries
/// whose labels were already in that form unchanged.
pub fn to_lines(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str(e.signal.name());
        out.push(' ');
        out.push_str(&to_hex(&e.hash));
        if let Some(label) = e.label.as_deref().and_then(clean_label) {
            out.push(' ');
            out.push_str(&label);
        }
        out.push('\n');
    }
    out
}

/// `entries` as [`InputFormat::Csv`](super::InputFormat::Csv), with the
/// header `signal_type,signal_str,label`, fields quoted as RFC 4180 asks.
/// Labels are written as in [`to_lines`]; an entry without one has an
/// empty label.
pub fn to_csv(entries: &[Entry]) -> String {
    let mut out = String::from("signal_type,signal_str,label\n");
    for e in entries {
        out.push_str(e.signal.name());
        out.push(',');
        out.push_str(&to_hex(&e.hash));
        out.push(',');
        if let Some(label) = e.label.as_deref().and_then(clean_label) {
            if label.contains([',', '"', '\r', '\n']) {
                out.push('"');
                out.push_str(&label.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(&label);
            }
        }
        out.push('\n');
    }
    out
}

/// `entries` as [`InputFormat::Json`](super::InputFormat::Json): an array
/// of `{"signalType", "hashValue", "label"}` records (the label `null` when
/// there is none), one per line. Labels are written as in [`to_lines`].
pub fn to_json(entries: &[Entry]) -> String {
    let mut out = String::from("[");
    for (i, e) in entries.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        let mut record = Map::new();
        record.insert("signalType".to_owned(), Value::String(e.signal.name().to_owned()));
        record.insert("hashValue".to_owned(), Value::String(to_hex(&e.hash)));
        let label = e.label.as_deref().and_then(clean_label).map_or(Value::Null, Value::String);
        record.insert("label".to_owned(), label);
        out.push_str(&Value::Object(record).to_string());
    }
    out.push_str("\n]\n");
    out
}
