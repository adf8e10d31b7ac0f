//! [`InputFormat::Csv`](super::InputFormat::Csv): a CSV export with a
//! header row naming its columns (ThreatExchange datasets,
//! `signal_type,signal_str,…`; HMA, `indicator,indicator_id,…`).
//!
//! The reader is prescan's own, not the `csv` crate's: it refuses what that
//! crate reads leniently (text after a closing quote, a quote that is never
//! closed, which swallows the rest of the input there), each as one bad
//! record with its line, and goes on at the next line. Measured beside the
//! crate in `benches/import.rs`.

use std::borrow::Cow;

use super::{Collector, Location, MAX_LINE_BYTES, Reader, too_long};
use crate::error::{Error, Result};

/// Header names of the signal type column, in order of preference.
pub(super) const TYPE_COLUMNS: [&str; 2] = ["signal_type", "type"];
/// Header names of the hash column.
pub(super) const HASH_COLUMNS: [&str; 5] = ["signal_str", "indicator", "hash", "hash_value", "signal_value"];
/// Header names of the label column.
const LABEL_COLUMNS: [&str; 4] = ["indicator_id", "id", "label", "tags"];

/// Where the columns are, once the header is read.
#[derive(Debug, Clone, Copy)]
struct Columns {
    hash: usize,
    signal: Option<usize>,
    label: Option<usize>,
}

/// Reads CSV a window of text at a time: records whole, the header first.
#[derive(Debug, Default)]
pub(super) struct CsvFormat {
    columns: Option<Columns>,
}

impl Reader for CsvFormat {
    fn fork(&self) -> Option<Box<dyn Reader + Send>> {
        let columns = self.columns?;
        Some(Box::new(CsvFormat { columns: Some(columns) }))
    }

    fn feed(&mut self, text: &str, line: usize, eof: bool, c: &mut Collector<'_>) -> Result<usize> {
        let mut reader = CsvReader { text, pos: 0, line, eof };
        let columns = match self.columns {
            Some(columns) => columns,
            None => {
                if !reader.skip_comments() {
                    return Ok(reader.pos);
                }
                let Some(header) = reader.next() else {
                    return Ok(reader.pos);
                };
                let columns = header_columns(header, c)?;
                self.columns = Some(columns);
                columns
            }
        };
        for record in reader.by_ref() {
            let location = Location::Line(record.line);
            let fields = match record.fields {
                Ok(f) => f,
                Err(reason) => {
                    c.reject(location, reason)?;
                    continue;
                }
            };
            let Some(hash) = fields.get(columns.hash) else {
                let reason =
                    format!("{} fields, but the hash is column {} of the header", fields.len(), columns.hash + 1);
                c.reject(location, reason)?;
                continue;
            };
            let given = columns.signal.and_then(|i| fields.get(i)).map(|f| &**f);
            let Some(signal) = c.signal(location, given)? else {
                continue;
            };
            let label = columns.label.and_then(|i| fields.get(i)).map(|f| &**f);
            c.add(location, signal, hash, label)?;
        }
        Ok(reader.pos)
    }
}

/// The columns a header names, or why it cannot be read.
fn header_columns(header: CsvRecord<'_>, c: &Collector<'_>) -> Result<Columns> {
    let location = format!("line {}", header.line);
    let names: Vec<String> = match header.fields {
        Ok(fields) => fields.iter().map(|f| f.trim().to_ascii_lowercase()).collect(),
        Err(reason) => return Err(Error::BadEntry { location, reason: format!("bad CSV header: {reason}") }),
    };
    let column = |candidates: &[&str]| candidates.iter().find_map(|c| names.iter().position(|n| n == c));
    let Some(hash) = column(&HASH_COLUMNS) else {
        return Err(Error::BadEntry {
            location,
            reason: format!("the CSV header names no hash column (one of {})", HASH_COLUMNS.join(", ")),
        });
    };
    let signal = column(&TYPE_COLUMNS);
    if signal.is_none() && c.options.signal_type.is_none() {
        return Err(Error::BadOption {
            option: "signal_type".to_owned(),
            reason: "the CSV has no signal_type or type column: give the signal type in the import options".to_owned(),
        });
    }
    Ok(Columns { hash, signal, label: column(&LABEL_COLUMNS) })
}

/// One CSV record: the line it starts on, and its fields or why it is
/// malformed. A field is the input's own text unless quoting changed it.
#[derive(Debug)]
pub(super) struct CsvRecord<'a> {
    pub(super) line: usize,
    pub(super) fields: std::result::Result<Vec<Cow<'a, str>>, String>,
}

/// An RFC 4180 reader over a window of the input: fields separated by
/// commas, records by `\n` or `\r\n`; a field in double quotes may hold
/// commas, line breaks and doubled quotes. A quote inside an unquoted field
/// is kept as text; text after a closing quote (other than spaces) makes the
/// record malformed.
///
/// Unless `eof`, more input follows `text`: a record that reaches the end
/// of the window is not read (the iterator ends, `pos` at its start) until
/// the window holds it whole, or enough of it to refuse it.
pub(super) struct CsvReader<'a> {
    pub(super) text: &'a str,
    /// Byte offset of the next record.
    pub(super) pos: usize,
    /// Line number of `pos`, from 1.
    pub(super) line: usize,
    /// Whether `text` runs to the end of the input.
    pub(super) eof: bool,
}

/// Where the CSV reader is within a record.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CsvState {
    /// At the start of a field.
    FieldStart,
    /// Inside an unquoted field.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field: the end of the field, or
    /// the first of a doubled quote.
    QuoteInQuoted,
    /// After a malformed part: skipping to the end of the line.
    Skip,
}

impl<'a> CsvReader<'a> {
    /// The rest of the text.
    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    /// The next physical line, without its `\n`, when the window holds it
    /// whole (or the input ends within it).
    fn next_line(&self) -> Option<&'a str> {
        let rest = self.rest();
        match rest.find('\n') {
            Some(i) => rest.get(..i),
            None => self.eof.then_some(rest),
        }
    }

    /// Moves past the current physical line.
    fn skip_line(&mut self) {
        let rest = self.rest();
        match rest.find('\n') {
            Some(i) => {
                self.pos += i + 1;
                self.line += 1;
            }
            None => self.pos = self.text.len(),
        }
    }

    /// Skips blank lines and `#` comment lines; false when the window ends
    /// before a line that is neither.
    fn skip_comments(&mut self) -> bool {
        while self.pos < self.text.len() {
            let Some(line) = self.next_line() else { return false };
            let line = line.trim();
            if !line.is_empty() && !line.starts_with('#') {
                return true;
            }
            self.skip_line();
        }
        self.eof
    }

    /// Skips blank lines; false when the window ends before a line that is
    /// not.
    fn skip_blank(&mut self) -> bool {
        while self.pos < self.text.len() {
            let Some(line) = self.next_line() else { return false };
            if !line.trim().is_empty() {
                return true;
            }
            self.skip_line();
        }
        self.eof
    }

    /// The record starting at line `start_line` (whose text from there is
    /// `rest`) has a quoted field, opened at `opened` (line, field), that is
    /// not closed `where_`: refuses it, and goes on at the line after its
    /// first, so that one stray quote costs one record, not the rest of
    /// the input. `None` when the window does not yet hold that first line.
    fn unterminated(
        &mut self,
        rest: &str,
        start_line: usize,
        opened: (usize, usize),
        where_: &str,
    ) -> Option<CsvRecord<'a>> {
        let first_line = match rest.find('\n') {
            Some(i) => i + 1,
            None if self.eof => rest.len(),
            None => {
                self.line = start_line;
                return None;
            }
        };
        self.pos += first_line;
        self.line = start_line + 1;
        let reason = format!(
            "the quote opening field {} on line {} is never closed {where_}: line {start_line} is skipped, \
             and reading goes on at line {}",
            opened.1,
            opened.0,
            start_line + 1
        );
        Some(CsvRecord { line: start_line, fields: Err(reason) })
    }
}

impl<'a> Iterator for CsvReader<'a> {
    type Item = CsvRecord<'a>;

    fn next(&mut self) -> Option<CsvRecord<'a>> {
        if !self.skip_blank() || self.pos >= self.text.len() {
            return None;
        }
        let start_line = self.line;
        let rest = self.rest();
        // A record whose line has no quote, as nearly all have, is that
        // line split at its commas: what the state machine below gives it,
        // without going through it a character at a time.
        if let Some(end) = rest.find('\n')
            && end <= MAX_LINE_BYTES
            && let Some(line) = rest.get(..end)
            && !line.contains('"')
        {
            let line = line.strip_suffix('\r').unwrap_or(line);
            self.pos += end + 1;
            self.line += 1;
            return Some(CsvRecord { line: start_line, fields: Ok(line.split(',').map(Cow::Borrowed).collect()) });
        }
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut state = CsvState::FieldStart;
        let mut error: Option<String> = None;
        let mut consumed = None;
        // Where the quoted field being read opened: (line, field number).
        let mut opened = (start_line, 1);
        for (i, ch) in rest.char_indices() {
            if i > MAX_LINE_BYTES && error.is_none() {
                if state == CsvState::Quoted {
                    // Most likely a quote that is never closed, which would
                    // swallow the rest of the input: skip this record's
                    // first line alone and read on from the next.
                    return self.unterminated(rest, start_line, opened, "within 64 KiB");
                }
                error = Some(too_long("record", i));
                fields.clear();
                field.clear();
            }
            let keep = error.is_none();
            if ch == '\n' {
                if state == CsvState::Quoted {
                    self.line += 1;
                    if keep {
                        field.push(ch);
                    }
                    continue;
                }
                consumed = Some(i + 1);
                break;
            }
            if ch == '\r' && state != CsvState::Quoted && rest.as_bytes().get(i + 1) == Some(&b'\n') {
                continue;
            }
            match state {
                CsvState::Skip => {}
                CsvState::FieldStart | CsvState::Unquoted if ch == ',' => {
                    if keep {
                        fields.push(Cow::Owned(std::mem::take(&mut field)));
                    }
                    state = CsvState::FieldStart;
                }
                CsvState::FieldStart if ch == '"' => {
                    opened = (self.line, fields.len() + 1);
                    state = CsvState::Quoted;
                }
                CsvState::FieldStart | CsvState::Unquoted => {
                    if keep {
                        field.push(ch);
                    }
                    state = CsvState::Unquoted;
                }
                CsvState::Quoted if ch == '"' => state = CsvState::QuoteInQuoted,
                CsvState::Quoted => {
                    if keep {
                        field.push(ch);
                    }
                }
                CsvState::QuoteInQuoted => match ch {
                    '"' => {
                        if keep {
                            field.push('"');
                        }
                        state = CsvState::Quoted;
                    }
                    ',' => {
                        if keep {
                            fields.push(Cow::Owned(std::mem::take(&mut field)));
                        }
                        state = CsvState::FieldStart;
                    }
                    ' ' | '\t' | '\r' => {}
                    _ => {
                        if error.is_none() {
                            error = Some(format!("text after the closing quote of field {}", fields.len() + 1));
                        }
                        state = CsvState::Skip;
                    }
                },
            }
        }
        let consumed = match consumed {
            Some(n) => n,
            // The window ends inside the record: wait for the rest.
            None if !self.eof => {
                self.line = start_line;
                return None;
            }
            None => {
                if error.is_none() && state == CsvState::Quoted {
                    return self.unterminated(rest, start_line, opened, "before the end of the input");
                }
                rest.len()
            }
        };
        self.pos += consumed;
        self.line += 1;
        let fields = match error {
            Some(reason) => Err(reason),
            None => {
                fields.push(Cow::Owned(field));
                Ok(fields)
            }
        };
        Some(CsvRecord { line: start_line, fields })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)] // tests: a panic is a failure
mod tests {
    use super::*;

    fn csv(text: &str) -> Vec<(usize, std::result::Result<Vec<String>, String>)> {
        CsvReader { text, pos: 0, line: 1, eof: true }
            .map(|r| (r.line, r.fields.map(|f| f.into_iter().map(Cow::into_owned).collect())))
            .collect()
    }

    fn strings(fields: &[&str]) -> std::result::Result<Vec<String>, String> {
        Ok(fields.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn csv_reader_follows_rfc_4180() {
        let got = csv("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\r\n\n\"multi\nline\",2,3\nlast,,\"\"");
        assert_eq!(
            got,
            vec![
                (1, strings(&["a", "b", "c"])),
                (2, strings(&["x, y", "say \"hi\"", ""])),
                (4, strings(&["multi\nline", "2", "3"])),
                (6, strings(&["last", "", ""])),
            ]
        );
    }

    #[test]
    fn csv_reader_reports_malformed_records_and_goes_on() {
        let got = csv("\"ab\"cd,1\nok,2\n\"open,3\nx\n");
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].0, 1);
        assert!(got[0].1.as_ref().is_err_and(|e| e.contains("closing quote")));
        assert_eq!(got[1], (2, strings(&["ok", "2"])));
        assert_eq!(got[2].0, 3);
        assert!(got[2].1.as_ref().is_err_and(|e| e.contains("field 1 on line 3 is never closed")), "{got:?}");
        // One stray quote costs its line, not the rest of the input.
        assert_eq!(got[3], (4, strings(&["x"])));
    }

    #[test]
    fn csv_reader_keeps_a_quote_inside_an_unquoted_field() {
        assert_eq!(csv("5\" print,x\n"), vec![(1, strings(&["5\" print", "x"]))]);
    }

    #[test]
    fn csv_reader_refuses_an_overlong_record() {
        let text = format!("a,{}\nb,c\n", "x".repeat(MAX_LINE_BYTES + 10));
        let got = csv(&text);
        assert!(got[0].1.as_ref().is_err_and(|e| e.contains("over the limit")));
        assert_eq!(got[1], (2, strings(&["b", "c"])));
    }

    #[test]
    fn csv_reader_waits_for_a_record_the_window_cuts() {
        let text = "a,\"b\nc\",d\ne,f\n";
        for cut in 0..text.len() {
            let window = &text[..cut];
            let mut reader = CsvReader { text: window, pos: 0, line: 1, eof: false };
            let got: Vec<usize> = reader.by_ref().map(|r| r.line).collect();
            // Only records whose line break is inside the window are read.
            let whole = if cut >= 14 {
                vec![1, 3]
            } else if cut >= 10 {
                vec![1]
            } else {
                vec![]
            };
            assert_eq!(got, whole, "cut at {cut}");
            assert_eq!(reader.pos, [0, 10, 14][whole.len()], "cut at {cut}");
        }
    }
}
