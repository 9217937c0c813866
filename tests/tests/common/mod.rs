//! Helpers shared by the logging tests: kept out of the test support library,
//! which the benchmark binaries link (the README they include would move
//! those binaries' code, and their instruction counts, for nothing).

use std::sync::{Arc, Mutex};

/// What a `fmt` subscriber writes, kept for a test to read as text.
#[derive(Clone, Default)]
pub struct Written(Arc<Mutex<Vec<u8>>>);

impl Written {
    /// What tracing-subscriber's `fmt`, as an app's usual subscriber, writes
    /// on this thread while the guard lives (no colours, no timestamps).
    pub fn by_fmt() -> (Self, tracing::subscriber::DefaultGuard) {
        let written = Self::default();
        let writer = written.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .without_time()
            .finish();
        (written, tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for Written {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The sample log line holding `marker`, from the README or, for a line that
/// moved there, the crate docs docs.rs shows (kamal-healthcheck/src/lib.rs),
/// after its timestamp (which `fmt` writes in a format of its own; tests leave
/// it out).
pub fn readme_line(marker: &str) -> &'static str {
    let line = include_str!("../../../README.md")
        .lines()
        .chain(include_str!("../../../kamal-healthcheck/src/lib.rs").lines())
        .find(|line| line.contains(marker) && line.contains("Z "))
        .expect("a sample line in the README or the crate docs");
    line.split_once("Z ").expect("a timestamp").1
}
