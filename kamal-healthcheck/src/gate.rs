//! The start-up gate: the answer stays `503 starting` until the app opens it.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::path::HealthCheckPath;

/// A handle the app opens when its start-up work (migrations, warm caches) is
/// done. Until then the healthcheck answers `503` with the body `starting`,
/// without running any check; normal requests are not affected. Clones share the
/// gate; opening it is one atomic store.
///
/// ```
/// use kamal_healthcheck::{HealthCheckLayer, StartupGate};
///
/// let gate = StartupGate::new();
/// let layer = HealthCheckLayer::new().gate(gate.clone());
/// assert!(!gate.is_open());
/// // ... run migrations, warm caches ...
/// gate.open();
/// assert!(gate.is_open());
/// ```
///
/// The first probe it turns away and its opening
/// after that are `INFO` events, the second with how long probes waited.
#[derive(Clone, Debug, Default)]
pub struct StartupGate(Arc<Gate>);

#[derive(Debug, Default)]
struct Gate {
    open: AtomicBool,
    /// When the first probe was turned away, and at which path.
    turned_away: OnceLock<(Instant, HealthCheckPath)>,
}

impl StartupGate {
    /// A closed gate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens the gate: from now on the healthcheck runs its checks, if any, and
    /// answers `200` when they pass.
    pub fn open(&self) {
        let _was_open = self.0.open.swap(true, Ordering::AcqRel);
        if let (false, Some((since, path))) = (_was_open, self.0.turned_away.get()) {
            crate::log::gate_opened(path.as_str(), since.elapsed());
        }
    }

    /// Whether [`open`](Self::open) has been called.
    pub fn is_open(&self) -> bool {
        self.0.open.load(Ordering::Acquire)
    }

    /// A probe at `path` was answered `starting`.
    pub(crate) fn turn_away(&self, _path: &HealthCheckPath) {
        if self.0.turned_away.get().is_none() {
            let mut first = false;
            self.0.turned_away.get_or_init(|| {
                first = true;
                (Instant::now(), _path.clone())
            });
            if first {
                crate::log::gate_closed(_path.as_str());
            }
        }
    }
}
