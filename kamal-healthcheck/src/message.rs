//! The runtime crate's messages in rustc's shape, written by one helper: a
//! headline that names the fault, then `= note:` (the consequence) and
//! `= help:` (the fix), each on a line of its own.

use std::fmt;

/// A message: its [`Display`](fmt::Display) is the three lines.
pub(crate) struct Message<'a> {
    pub(crate) headline: &'a str,
    pub(crate) note: &'a str,
    pub(crate) help: Option<&'a str>,
}

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n= note: {}", self.headline, self.note)?;
        if let Some(help) = self.help {
            write!(f, "\n= help: {help}")?;
        }
        Ok(())
    }
}

/// The three lines, as a string.
pub(crate) fn message(headline: &str, note: &str, help: &str) -> String {
    Message {
        headline,
        note,
        help: Some(help),
    }
    .to_string()
}
