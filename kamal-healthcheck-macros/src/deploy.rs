//! `deploy = "config/deploy.yml"`: what Kamal's configuration says about the
//! healthcheck, read at compile time (feature `deploy-yml`), so that the path
//! the app answers and the path kamal-proxy probes cannot drift apart.

use std::path::PathBuf;
use std::time::Duration;

use syn::LitStr;

// Everything that reads the files, with the feature only.
#[cfg(feature = "deploy-yml")]
pub(crate) mod yml;

/// What deploy.yml says about the healthcheck.
#[derive(Debug, PartialEq)]
pub(crate) struct Deploy {
    /// The file, resolved against the crate's manifest directory.
    pub(crate) file: PathBuf,
    /// `proxy.healthcheck.path` (and the role-level ones, which must agree), or
    /// Kamal's default.
    pub(crate) path: String,
    /// Where the path was found (`proxy.healthcheck.path`), `None` for the default.
    pub(crate) path_at: Option<String>,
    /// `proxy.healthcheck.timeout`, if set.
    pub(crate) timeout: Option<Duration>,
    /// `deploy_timeout`, if set in the file (a destination may set its own:
    /// see `deployments`).
    pub(crate) deploy_timeout: Option<Duration>,
    /// `stop_timeout` at the top of the file, if set (a role or a destination
    /// may set its own: see `deployments`).
    pub(crate) stop_timeout: Option<Duration>,
    /// What the app needs to know at start-up, for the file and for each
    /// Kamal destination beside it (`config/deploy.staging.yml`) merged over
    /// it, when they were read: the app picks its own by `KAMAL_DESTINATION`
    /// and its role by `KAMAL_CONTAINER_NAME`. The destinations' paths agree
    /// with the file's, and their probe timeouts are taken into `timeout`.
    pub(crate) deployments: Vec<Deployment>,
    /// Every file read, for the build to rerun when one changes.
    pub(crate) files: Vec<PathBuf>,
}

/// One configuration as `kamal deploy [-d destination]` reads it: what
/// decides, for a container, its stop and its deploy.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Deployment {
    /// The destination, empty for the file alone.
    pub(crate) destination: String,
    /// `service`, which starts its containers' names.
    pub(crate) service: String,
    /// `proxy.app_port`, 80 unless set.
    pub(crate) app_port: u16,
    /// `deploy_timeout`, `stop_timeout` (at the top) and `drain_timeout`,
    /// each if set.
    pub(crate) deploy_timeout: Option<Duration>,
    pub(crate) stop_timeout: Option<Duration>,
    pub(crate) drain_timeout: Option<Duration>,
    /// The roles under `servers`.
    pub(crate) roles: Vec<Role>,
}

/// A role under `servers`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Role {
    pub(crate) name: String,
    /// Whether kamal-proxy serves it: in Kamal 2 only the primary role
    /// (`primary_role`, `web` unless set) is proxied, unless a role sets
    /// `proxy:` (`proxy: false` turns it off).
    pub(crate) proxied: bool,
    /// Its own `stop_timeout`, if set.
    pub(crate) stop_timeout: Option<Duration>,
}

/// Reads the deploy.yml named by `literal`, relative to the crate being built
/// (with the `deploy-yml` feature); `what` names the reader (`` `deploy` ``,
/// `` `deploy_probe!` ``) for the error when the `deploy-yml` feature is off.
pub(crate) fn read(literal: &LitStr, what: &str, which: Which<'_>) -> Result<Deploy, syn::Error> {
    #[cfg(feature = "deploy-yml")]
    {
        let _ = what;
        yml::read(literal, which)
    }
    #[cfg(not(feature = "deploy-yml"))]
    {
        let _ = which;
        Err(crate::errors::Message::new(
            format!("{what} needs the `deploy-yml` feature"),
            "it reads Kamal's config/deploy.yml at compile time",
            "kamal-healthcheck = { version = \"0.1\", features = [\"deploy-yml\"] }",
        )
        .at(literal.span()))
    }
}

/// Which configurations to read.
#[derive(Clone, Copy)]
pub(crate) enum Which<'a> {
    /// The named file and every Kamal destination beside it, each merged
    /// over it (the attribute: one build serves every destination).
    All,
    /// The named file alone (`deploy_probe!` without a destination).
    Base,
    /// That destination's file merged over the named one (`kamal deploy -d`).
    Destination(#[cfg_attr(not(feature = "deploy-yml"), allow(dead_code))] &'a LitStr),
}
