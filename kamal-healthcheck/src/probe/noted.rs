//! What the healthchecks of this process note for `probe`, and nothing else
//! needs: the paths they answer (for `probe` to find the one an app answers)
//! and the paths the attribute on a function that serves answers around what
//! it serves (for its report). Each is noted once, at start-up; without the
//! `probe` feature nothing is noted.

use std::sync::{Arc, Mutex};

use crate::path::DEFAULT_PATH;
use crate::registry::{Runtime, runtime};

/// The paths other than [`DEFAULT_PATH`] that a healthcheck of this process
/// answers (a layer's, an attribute's route). Layers are made at start-up: a
/// short list.
static ANSWERED: Mutex<Vec<Arc<str>>> = Mutex::new(Vec::new());

/// The paths `#[kamal_healthcheck]` on a function that serves answers in
/// this process, around what it serves, with the tokio runtime it runs on
/// (`None` outside one: any runtime's): noted when that function starts.
/// Each `#[tokio::test]` has a runtime of its own, so a test that serves
/// does not change what another test's probe reports.
static SERVED: Mutex<Vec<(String, Runtime)>> = Mutex::new(Vec::new());

/// Notes that a healthcheck answers `path`.
pub(crate) fn answered_here(path: &str) {
    if path == DEFAULT_PATH {
        return;
    }
    let mut answered = crate::outcome::lock(&ANSWERED);
    if !answered.iter().any(|known| &**known == path) {
        answered.push(path.into());
    }
}

/// The paths noted by [`answered_here`], in the order they were first noted.
pub(crate) fn answered_paths() -> Vec<Arc<str>> {
    crate::outcome::lock(&ANSWERED).clone()
}

/// Notes that the function that serves, now running, answers `path` ahead
/// of everything it serves.
pub(crate) fn serves(path: &str) {
    let noted = (path.to_owned(), runtime());
    let mut served = crate::outcome::lock(&SERVED);
    if !served.contains(&noted) {
        served.push(noted);
    }
}

/// Whether a function that serves with the attribute answers `path`, on
/// this runtime.
pub(crate) fn served_around(path: &str) -> bool {
    let here = runtime();
    crate::outcome::lock(&SERVED)
        .iter()
        .any(|(known, on)| known == path && (on.is_none() || *on == here))
}
