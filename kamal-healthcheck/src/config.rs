//! What a layer with readiness checks was configured with: the checks, their
//! deadline, kamal-proxy's timeout, the cache period and the gate.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::gate::StartupGate;
use crate::path::HealthCheckPath;
use crate::rules::{DEFAULT_DEADLINE, PROXY_TIMEOUT};

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

pub(crate) const DEFAULT_CACHE_FOR: Duration = Duration::from_secs(1);

/// A named check: a function that starts one run of it.
pub(crate) struct Check {
    pub(crate) name: Cow<'static, str>,
    pub(crate) start: Box<dyn Fn() -> BoxFuture<Result<(), String>> + Send + Sync>,
}

/// What a layer was configured with.
#[derive(Clone)]
pub(crate) struct Config {
    /// The healthcheck path, for the log.
    pub(crate) path: HealthCheckPath,
    pub(crate) checks: Vec<Arc<Check>>,
    pub(crate) deadline: Duration,
    /// kamal-proxy's timeout, when the layer was told it.
    pub(crate) timeout: Option<Duration>,
    pub(crate) cache_for: Duration,
    pub(crate) error_details: bool,
    pub(crate) gate: Option<StartupGate>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            path: HealthCheckPath::Static(crate::rules::DEFAULT_PATH),
            checks: Vec::new(),
            deadline: DEFAULT_DEADLINE,
            timeout: None,
            cache_for: DEFAULT_CACHE_FOR,
            error_details: false,
            gate: None,
        }
    }
}

impl Config {
    pub(crate) fn add_check<F, Fut, E>(&mut self, name: Cow<'static, str>, check: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display,
    {
        let start = move || -> BoxFuture<Result<(), String>> {
            let run = check();
            Box::pin(async move { run.await.map_err(|error| error.to_string()) })
        };
        self.checks.push(Arc::new(Check {
            name,
            start: Box::new(start),
        }));
    }

    pub(crate) fn has_checks(&self) -> bool {
        !self.checks.is_empty()
    }

    /// The checks' names, in the order they were added.
    pub(crate) fn names(&self) -> Vec<&str> {
        self.checks
            .iter()
            .map(|check| check.name.as_ref())
            .collect()
    }

    /// The checks' names, in the order they were added.
    pub(crate) fn check_names(&self) -> impl Iterator<Item = &str> {
        self.checks.iter().map(|check| check.name.as_ref())
    }

    /// Why the checks' deadline does not fit in kamal-proxy's timeout, if it
    /// does not: the message names the timeout in force and where it came from.
    pub(crate) fn deadline_problem(&self) -> Option<String> {
        let timeout = self.timeout.unwrap_or(PROXY_TIMEOUT);
        if !self.has_checks() {
            return None;
        }
        let (headline, note) = crate::rules::deadline_problem(self.deadline, timeout)?;
        let help = match self.timeout {
            Some(_) => format!("give a `.deadline(..)` below {timeout:?}"),
            None => format!(
                "give a `.deadline(..)` below {timeout:?} (Kamal's default timeout), or, when \
                 deploy.yml sets a longer `proxy: healthcheck: timeout:`, give it with \
                 `.proxy_timeout(..)`"
            ),
        };
        Some(crate::message::message(
            &format!("HealthCheckLayer: {headline}"),
            &note,
            &help,
        ))
    }
}
