//! What deploy.yml says of the container the app runs in, chosen when the
//! app starts: `#[kamal_healthcheck(deploy = "..")]` reads deploy.yml and
//! each destination's file at compile time into [`Deployment`]s, and the app
//! picks its own by `KAMAL_DESTINATION` (`kamal deploy -d staging`) and its
//! role by `KAMAL_CONTAINER_NAME` (`<service>-<role>[-<destination>]-<version>`),
//! which Kamal sets in every container it starts; [`Serving`] is what the
//! attribute on the function that serves starts with them. Not public API:
//! only the attribute's expansion names it.

use std::time::Duration;

/// One configuration: deploy.yml alone (`destination` empty), or a
/// destination's file merged over it.
#[derive(Debug)]
pub struct Deployment {
    /// The destination, empty for deploy.yml alone.
    pub destination: &'static str,
    /// `service`, which starts the containers' names.
    pub service: &'static str,
    /// `proxy.app_port`.
    pub app_port: u16,
    /// `deploy_timeout`, if set.
    pub deploy_timeout: Option<Duration>,
    /// `stop_timeout` at the top, if set.
    pub stop_timeout: Option<Duration>,
    /// `drain_timeout`, if set.
    pub drain_timeout: Option<Duration>,
    /// The roles under `servers`.
    pub roles: &'static [Role],
}

/// A role under `servers`.
#[derive(Debug)]
pub struct Role {
    /// Its name.
    pub name: &'static str,
    /// Whether kamal-proxy serves it.
    pub proxied: bool,
    /// Its own `stop_timeout`, if set.
    pub stop_timeout: Option<Duration>,
}

/// The settings in force for this container.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InForce {
    /// `docker stop`'s timeout for this container: the role's or the
    /// deployment's `stop_timeout` when set, else Docker's 10 s for a role
    /// kamal-proxy serves and `drain_timeout` (30 s unless set) for one it
    /// does not (Kamal 2.12, `configuration/role.rb`).
    pub(crate) stop_timeout: Duration,
    /// How long kamal-proxy gives a new container to become healthy.
    pub(crate) deploy_timeout: Duration,
    /// Whether kamal-proxy serves the container's role (so probes it).
    pub(crate) proxied: bool,
    /// The container port kamal-proxy targets, when deploy.yml was read.
    pub(crate) app_port: Option<u16>,
}

/// Kamal's `drain_timeout` unless deploy.yml sets it.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

impl InForce {
    /// The settings in force: without `deployments` (deploy.yml not read),
    /// the timeouts given; with them, those of the deployment and role the
    /// container runs, read from its environment. Made at the function's
    /// first statement, it also notes when the process started, which the
    /// watch of the deploy counts from.
    pub(crate) fn new(
        stop_timeout: Duration,
        deploy_timeout: Duration,
        deployments: &[Deployment],
    ) -> Self {
        crate::waiting::started();
        let var = |name| std::env::var(name).unwrap_or_default();
        Self::of(
            stop_timeout,
            deploy_timeout,
            deployments,
            &var("KAMAL_DESTINATION"),
            &var("KAMAL_CONTAINER_NAME"),
            &var("KAMAL_VERSION"),
        )
    }

    fn of(
        stop_timeout: Duration,
        deploy_timeout: Duration,
        deployments: &[Deployment],
        destination: &str,
        container: &str,
        version: &str,
    ) -> Self {
        let chosen = deployments
            .iter()
            .find(|deployment| deployment.destination == destination)
            .or_else(|| deployments.first());
        let Some(deployment) = chosen else {
            return Self {
                stop_timeout,
                deploy_timeout,
                proxied: true,
                app_port: None,
            };
        };
        let role = role_of(container, deployment.service, version, destination)
            .and_then(|name| deployment.roles.iter().find(|role| role.name == name));
        // A container whose role cannot be told counts as proxied.
        let proxied = role.is_none_or(|role| role.proxied);
        let set = role
            .and_then(|role| role.stop_timeout)
            .or(deployment.stop_timeout);
        let stop_timeout = match set {
            Some(set) => set,
            None if proxied => crate::rules::STOP_TIMEOUT,
            None => deployment.drain_timeout.unwrap_or(DRAIN_TIMEOUT),
        };
        Self {
            stop_timeout,
            deploy_timeout: deployment
                .deploy_timeout
                .unwrap_or(crate::rules::DEPLOY_TIMEOUT),
            proxied,
            app_port: Some(deployment.app_port),
        }
    }
}

/// What `#[kamal_healthcheck]` on the function that serves starts at the
/// function's first statement, from the settings the attribute read: the
/// settings in force for the container (`InForce`), the stop (which
/// listens for signals from now on and counts the function as running until
/// the guard that [`start`](Self::start) gives with it is dropped), and,
/// with the `probe` feature, the note that the function answers its path
/// around what it serves. Each `serve` call's app is made by
/// [`served`](Self::served); `Copy`, so that a `serve` call in a task
/// (`tokio::spawn(async move { .. })`) takes its own.
#[derive(Clone, Copy, Debug)]
pub struct Serving {
    path: &'static str,
    in_force: InForce,
}

impl Serving {
    /// Starts the function `function`, which answers `path`; the stop only
    /// with `signals` (`signals = false` turns it off). The timeouts are the
    /// arguments' or Kamal's defaults, overridden by `deployments` when
    /// deploy.yml was read. The stop counts the function as running while
    /// the guard given with it lives.
    pub fn start(
        function: &'static str,
        path: &'static str,
        signals: bool,
        stop_timeout: Duration,
        deploy_timeout: Duration,
        deployments: &[Deployment],
    ) -> (Self, Option<crate::stop::Running>) {
        let in_force = InForce::new(stop_timeout, deploy_timeout, deployments);
        let running =
            signals.then(|| crate::stop::Running::function(function, in_force.stop_timeout));
        #[cfg(feature = "probe")]
        crate::probe::noted::serves(path);
        (Self { path, in_force }, running)
    }

    /// What a `serve` call of the function is given: `app` inside `layer`,
    /// said at start-up to listen on `address` (see
    /// [`Served::listening`](crate::expansion::serving::Served::listening)).
    /// `B` is the body of the requests the app takes.
    ///
    /// # Panics
    ///
    /// As [`Served::new`](crate::expansion::serving::Served::new), at the
    /// caller's line.
    #[track_caller]
    pub fn served<S, B>(
        &self,
        layer: crate::layer::HealthCheckLayer,
        app: S,
        address: Option<std::net::SocketAddr>,
    ) -> crate::expansion::serving::Served<S, B> {
        debug_assert_eq!(layer.path(), self.path);
        crate::expansion::serving::Served::new(layer, app).listening(
            address,
            self.in_force.app_port,
            self.in_force.deploy_timeout,
            self.in_force.proxied,
        )
    }
}

/// The role in a Kamal container's name, `<service>-<role>[-<destination>]-<version>`.
fn role_of<'a>(name: &'a str, service: &str, version: &str, destination: &str) -> Option<&'a str> {
    let rest = name.strip_prefix(service)?.strip_prefix('-')?;
    let rest = match version {
        "" => rest,
        version => rest.strip_suffix(version)?.strip_suffix('-')?,
    };
    Some(match destination {
        "" => rest,
        destination => rest
            .strip_suffix(destination)
            .and_then(|rest| rest.strip_suffix('-'))
            .unwrap_or(rest),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_in_a_container_name() {
        assert_eq!(
            role_of("shop-web-3d4f1e2a", "shop", "3d4f1e2a", ""),
            Some("web")
        );
        assert_eq!(
            role_of("shop-jobs-staging-3d4f1e2a", "shop", "3d4f1e2a", "staging"),
            Some("jobs")
        );
        // Service and role names may hold dashes.
        assert_eq!(
            role_of("my-shop-bg-jobs-3d4f1e2a", "my-shop", "3d4f1e2a", ""),
            Some("bg-jobs")
        );
        assert_eq!(role_of("other-web-3d4f1e2a", "shop", "3d4f1e2a", ""), None);
    }

    const fn secs(n: u64) -> Option<Duration> {
        Some(Duration::from_secs(n))
    }

    /// deploy.yml: `stop_timeout: 30`, `deploy_timeout: 60`, a `jobs` role
    /// with `stop_timeout: 3`; staging: `stop_timeout: 4`, `deploy_timeout:
    /// 6`, `drain_timeout: 5` and a `workers` role of its own.
    const DEPLOYMENTS: &[Deployment] = &[
        Deployment {
            destination: "",
            service: "shop",
            app_port: 80,
            deploy_timeout: secs(60),
            stop_timeout: secs(30),
            drain_timeout: None,
            roles: &[
                Role {
                    name: "web",
                    proxied: true,
                    stop_timeout: None,
                },
                Role {
                    name: "jobs",
                    proxied: false,
                    stop_timeout: secs(3),
                },
            ],
        },
        Deployment {
            destination: "staging",
            service: "shop",
            app_port: 3000,
            deploy_timeout: secs(6),
            stop_timeout: None,
            drain_timeout: secs(5),
            roles: &[
                Role {
                    name: "web",
                    proxied: true,
                    stop_timeout: secs(4),
                },
                Role {
                    name: "workers",
                    proxied: false,
                    stop_timeout: None,
                },
            ],
        },
    ];

    fn in_force(destination: &str, container: &str) -> (Duration, Duration, bool, Option<u16>) {
        let given = Duration::from_secs(99);
        let it = InForce::of(given, given, DEPLOYMENTS, destination, container, "3d4f");
        (it.stop_timeout, it.deploy_timeout, it.proxied, it.app_port)
    }

    #[test]
    fn each_container_gets_its_role_s_and_destination_s_settings() {
        let s = Duration::from_secs;
        assert_eq!(
            in_force("", "shop-web-3d4f"),
            (s(30), s(60), true, Some(80))
        );
        assert_eq!(
            in_force("", "shop-jobs-3d4f"),
            (s(3), s(60), false, Some(80))
        );
        assert_eq!(
            in_force("staging", "shop-web-staging-3d4f"),
            (s(4), s(6), true, Some(3000))
        );
        // A role only the destination declares, without a proxy: stopped
        // with `drain_timeout`.
        assert_eq!(
            in_force("staging", "shop-workers-staging-3d4f"),
            (s(5), s(6), false, Some(3000))
        );
        // Outside Kamal: deploy.yml's own settings, counted as proxied.
        assert_eq!(in_force("", ""), (s(30), s(60), true, Some(80)));
        // Without deploy.yml: the settings given.
        let given = InForce::of(s(2), s(9), &[], "", "", "");
        assert_eq!((given.stop_timeout, given.deploy_timeout), (s(2), s(9)));
    }
}
