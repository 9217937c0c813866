//! The parts of the example Kamal app that `main` (src/main.rs) puts together:
//! its settings, its database with the readiness check, and its start-up work.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use kamal_healthcheck::StartupGate;
use tokio::net::TcpStream;

/// The port the app listens on unless `PORT` is set: the Dockerfile's `EXPOSE`
/// and `proxy.app_port` in config/deploy.yml.
pub const DEFAULT_PORT: u16 = 80;

/// The app's settings, from its environment (`env:` in config/deploy.yml).
#[derive(Debug)]
pub struct Settings {
    /// `BIND_ADDRESS`: `0.0.0.0` unless set, as in a container, where kamal-proxy
    /// reaches the app from outside; `127.0.0.1` keeps a local run off the network.
    pub bind_address: String,
    /// `PORT`: [`DEFAULT_PORT`] unless set.
    pub port: u16,
    /// `DATABASE_ADDR`: where the database listens, `host:port`.
    pub database: Database,
    /// `ALLOWED_HOSTS`: the hosts the app serves, comma-separated (`localhost`
    /// unless set).
    pub allowed_hosts: AllowedHosts,
}

impl Settings {
    /// Reads the settings from the environment.
    pub fn from_env() -> io::Result<Self> {
        let var = |name| std::env::var(name).ok().filter(|value| !value.is_empty());
        let port = match var("PORT") {
            None => DEFAULT_PORT,
            Some(port) => port.parse().map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("PORT={port}: not a port"),
                )
            })?,
        };
        Ok(Self {
            bind_address: var("BIND_ADDRESS").unwrap_or_else(|| "0.0.0.0".to_owned()),
            port,
            database: Database::new(var("DATABASE_ADDR")),
            allowed_hosts: AllowedHosts::new(
                var("ALLOWED_HOSTS").as_deref().unwrap_or("localhost"),
            ),
        })
    }
}

/// The hosts the app serves.
#[derive(Clone, Debug)]
pub struct AllowedHosts(Arc<[String]>);

impl AllowedHosts {
    /// The hosts in `list`, comma-separated.
    pub fn new(list: &str) -> Self {
        Self(
            list.split(',')
                .map(str::trim)
                .filter(|host| !host.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    /// Whether `host` (a name or an address, without port) is one of them.
    pub fn contains(&self, host: &str) -> bool {
        self.0
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(host))
    }
}

/// The app's database, reached over TCP. A real app keeps its pool here (sqlx's
/// `PgPool`, say) and pings it with `SELECT 1`; any ping starts with a
/// connection, and that is what this one opens.
#[derive(Clone, Debug)]
pub struct Database {
    address: Option<String>,
}

impl Database {
    /// The database at `address` (`host:port`); without one, every connection fails.
    pub fn new(address: Option<String>) -> Self {
        Self { address }
    }

    /// Opens a connection.
    pub async fn connect(&self) -> io::Result<TcpStream> {
        match &self.address {
            Some(address) => TcpStream::connect(address.as_str()).await,
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                "DATABASE_ADDR is not set",
            )),
        }
    }

    /// The readiness check: whether the database takes a connection now.
    pub async fn ping(&self) -> io::Result<()> {
        self.connect().await.map(drop)
    }

    /// Waits for the database to take a connection, trying every second: after a
    /// reboot, its container may still be starting when the app's is.
    pub async fn connect_when_up(&self) -> TcpStream {
        let mut retry = tokio::time::interval(Duration::from_secs(1));
        let mut waiting = false;
        loop {
            retry.tick().await;
            match self.connect().await {
                Ok(connection) => return connection,
                Err(error) if !waiting => {
                    tracing::warn!(%error, "waiting for the database");
                    waiting = true;
                }
                Err(_) => {}
            }
        }
    }
}

/// The app's start-up work, done while it already serves: until it opens
/// `startup`, the healthcheck answers kamal-proxy's probe `503 starting`, so no
/// traffic comes to a half-started app.
pub async fn start_up(db: Database, startup: StartupGate) {
    let connection = db.connect_when_up().await;
    // A real app runs its migrations and warms its caches on `connection` here.
    startup.open();
    tracing::info!("started");
    // Released once the app is ready: the tests wait for it to close.
    drop(connection);
}
