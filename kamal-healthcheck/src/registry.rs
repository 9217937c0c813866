//! What the healthchecks of this process note about themselves, for one
//! another: the checks a router function's attribute offers to the
//! attribute on the function that serves (on the same runtime). Each is
//! noted once, at start-up.

use std::sync::{Arc, Weak};

use crate::readiness::Readiness;

/// The tokio runtime the caller runs on, if any: what ties a router function's
/// checks to the serving form that serves its router (each `#[tokio::test]`
/// has a runtime of its own, so tests running side by side stay apart).
pub(crate) type Runtime = Option<tokio::runtime::Id>;

/// The runtime the caller runs on (see [`Runtime`]).
pub(crate) fn runtime() -> Runtime {
    tokio::runtime::Handle::try_current()
        .ok()
        .map(|handle| handle.id())
}

/// The checks of a route the attribute installed in a router function, for
/// a serving form.
struct Offer {
    path: String,
    readiness: Weak<Readiness>,
    /// Built outside any runtime: any runtime's serving form may take it.
    runtime: Runtime,
}

/// A serving form: `axum::serve(..)` in a function with the attribute.
struct Serving {
    path: String,
    runtime: Runtime,
    alive: Weak<()>,
}

static OFFERED: std::sync::Mutex<Vec<Offer>> = std::sync::Mutex::new(Vec::new());
static SERVING: std::sync::Mutex<Vec<Serving>> = std::sync::Mutex::new(Vec::new());

/// Offers the checks of a route installed at `path` to the serving form.
pub(crate) fn offer(path: &str, readiness: &Arc<Readiness>) {
    let mut offered = crate::outcome::lock(&OFFERED);
    offered.retain(|offer| offer.readiness.strong_count() > 0);
    offered.push(Offer {
        path: path.to_owned(),
        readiness: Arc::downgrade(readiness),
        runtime: runtime(),
    });
}

/// Whether `offer` is one a serving form at `path` on `runtime` may take.
fn takes(offer: &Offer, path: &str, runtime: &Runtime) -> bool {
    offer.path == path
        && offer.readiness.strong_count() > 0
        && (offer.runtime.is_none() || offer.runtime == *runtime)
}

/// Notes a serving form at `path`; it counts while the token lives.
pub(crate) fn serving(path: &str) -> Arc<()> {
    let alive = Arc::new(());
    let mut serving = crate::outcome::lock(&SERVING);
    serving.retain(|serving| serving.alive.strong_count() > 0);
    serving.push(Serving {
        path: path.to_owned(),
        runtime: runtime(),
        alive: Arc::downgrade(&alive),
    });
    alive
}

/// What a serving form without checks of its own answers with.
pub(crate) enum Pairing {
    /// No router function offered checks at its path.
    Alone,
    /// The checks of the one router function on its runtime, for the one
    /// serving form there.
    Takes(Arc<Readiness>),
    /// Router functions' checks, and serving forms, that cannot be told
    /// apart: how many of each.
    Ambiguous { offers: usize, servings: usize },
}

/// Pairs the serving form at `path` with the checks a router function
/// offered there, on this runtime: paired when there is one of each, so that
/// each app answers with the checks of the router it serves.
pub(crate) fn pair(path: &str) -> Pairing {
    let runtime = runtime();
    let offered = crate::outcome::lock(&OFFERED);
    let offers: Vec<&Offer> = offered
        .iter()
        .filter(|offer| takes(offer, path, &runtime))
        .collect();
    if offers.is_empty() {
        return Pairing::Alone;
    }
    let servings = crate::outcome::lock(&SERVING)
        .iter()
        .filter(|serving| {
            serving.path == path && serving.runtime == runtime && serving.alive.strong_count() > 0
        })
        .count();
    if let ([offer], 1) = (offers.as_slice(), servings)
        && let Some(readiness) = offer.readiness.upgrade()
    {
        return Pairing::Takes(readiness);
    }
    Pairing::Ambiguous {
        offers: offers.len(),
        servings,
    }
}
