//! The attribute's errors read as rustc's: a short headline that names the
//! fault, then `= note:` (what it would do, in at most 200 characters) and
//! `= help:` (the fix: the edit to make, with the code to write in
//! backticks). Read
//! from every `.stderr` snapshot of the UI tests, so a new diagnostic is held
//! to it as soon as it has a case.

use std::path::Path;

/// Each error of a snapshot: its headline and the lines under it.
fn errors(stderr: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix("error") {
            let headline = rest.split_once(": ").map_or("", |(_, text)| text);
            found.push((headline.to_owned(), String::new()));
        } else if let Some((_, body)) = found.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    found
}

#[test]
fn every_error_has_a_short_headline_a_note_and_a_help() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/fail");
    let mut lengths = Vec::new();
    let mut faults = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "stderr") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (headline, body) in errors(&std::fs::read_to_string(&path).unwrap()) {
            let length = headline.chars().count();
            lengths.push(length);
            if length > 80 {
                faults.push(format!("{name}: {length} characters: {headline}"));
            }
            if !body.contains("= note: ") || !body.contains("= help: ") {
                faults.push(format!("{name}: no note or no help under: {headline}"));
            }
            for line in body.lines().map(str::trim_start) {
                if let Some(help) = line.strip_prefix("= help: ") {
                    // The edit to make, with the code to write.
                    if !help.contains('`') {
                        faults.push(format!("{name}: a help without code to write: {help}"));
                    }
                }
                if let Some(note) = line.strip_prefix("= note: ") {
                    if note.chars().count() > 200 {
                        faults.push(format!("{name}: a note over 200 characters: {note}"));
                    }
                    if note.starts_with("help:") {
                        faults.push(format!("{name}: a help written as a note: {note}"));
                    }
                }
            }
        }
    }
    assert!(lengths.len() >= 40, "only {} errors found", lengths.len());
    lengths.sort_unstable();
    let median = lengths[lengths.len() / 2];
    println!(
        "{} errors; headlines: median {median}, longest {} characters",
        lengths.len(),
        lengths[lengths.len() - 1]
    );
    assert!(median <= 60, "median headline of {median} characters");
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}
