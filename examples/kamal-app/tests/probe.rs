//! The built app, probed over TCP as kamal-proxy probes it during a deploy, at
//! the path and within the timeout config/deploy.yml sets (`deploy_probe!`);
//! and the Dockerfile, deploy.yml and the app agreeing on the port.
//!
//! The database is a socket on 127.0.0.1 that the test controls: bound but not
//! listening, it refuses connections (down); listening, it takes them (up).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use kamal_healthcheck::Probe;
use kamal_healthcheck::deploy_probe;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// The `Host` of kamal-proxy's probe: the container's short id and the app port.
const CONTAINER_HOST: &str = "7c7168a662c1:80";
/// The host the app serves in the tests.
const APP_HOST: &str = "app.example.com";

/// kamal-proxy's probe as config/deploy.yml sets it up: its path and timeout.
const PROBED: &str = "/healthz";
const PROXY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The probe over TCP below is the one config/deploy.yml sets up.
#[test]
fn deploy_yml_sets_up_the_probe_sent_over_tcp() {
    assert_eq!(
        format!("{:?}", deploy_probe!("config/deploy.yml")),
        format!("{:?}", Probe::new().path(PROBED).timeout(PROXY_TIMEOUT)),
    );
}

/// The app's binary, listening on a free port of 127.0.0.1; killed when dropped.
struct App {
    process: Child,
    address: SocketAddr,
}

impl App {
    /// Starts the app with its database at `database`, and waits for it to log
    /// the address it listens on.
    fn start(database: SocketAddr) -> Self {
        let mut process = with_settings(
            &mut Command::new(env!("CARGO_BIN_EXE_kamal-app-example")),
            database,
        )
        .spawn()
        .expect("the app starts");
        let mut log = BufReader::new(process.stdout.take().unwrap()).lines();
        let address = loop {
            let line = log
                .next()
                .expect("the app exits before it listens")
                .unwrap();
            eprintln!("app: {line}");
            if let Some((_, address)) = line.split_once(" listening address=") {
                break address.trim().parse().unwrap();
            }
        };
        // The rest of the log, with the test's output (shown when a test fails).
        std::thread::spawn(move || {
            log.map_while(Result::ok)
                .for_each(|line| eprintln!("app: {line}"))
        });
        Self { process, address }
    }

    /// kamal-proxy's probe, over TCP: `GET` of deploy.yml's healthcheck path
    /// with the headers kamal-proxy sends, within its timeout.
    async fn probe(&self) -> (u16, String) {
        let exchange = get(self.address, PROBED, CONTAINER_HOST);
        match tokio::time::timeout(PROXY_TIMEOUT, exchange).await {
            Ok(answer) => answer,
            Err(_) => panic!("no answer within kamal-proxy's timeout, {PROXY_TIMEOUT:?}"),
        }
    }
}

/// `command` with the app's settings for the tests: on 127.0.0.1, any free
/// port, its database at `database`, its log piped.
fn with_settings(command: &mut Command, database: SocketAddr) -> &mut Command {
    command
        .env("BIND_ADDRESS", "127.0.0.1")
        .env("PORT", "0")
        .env("DATABASE_ADDR", database.to_string())
        .env("ALLOWED_HOSTS", APP_HOST)
        .stdout(Stdio::piped())
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// `GET path` with the headers of kamal-proxy's probe (Go's client adds
/// `Accept-Encoding`) and `host` as `Host`; the status and the body.
async fn get(address: SocketAddr, path: &str, host: &str) -> (u16, String) {
    let mut stream = tokio::io::BufReader::new(TcpStream::connect(address).await.unwrap());
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: kamal-proxy\r\nAccept-Encoding: gzip\r\n\r\n"
    );
    stream
        .get_mut()
        .write_all(request.as_bytes())
        .await
        .unwrap();
    let mut status_line = String::new();
    stream.read_line(&mut status_line).await.unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .expect("an HTTP status line")
        .parse()
        .unwrap();
    let mut length = 0;
    loop {
        let mut header = String::new();
        stream.read_line(&mut header).await.unwrap();
        match header.trim_end().split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
                length = value.trim().parse().unwrap();
            }
            Some(_) => {}
            None => break,
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.unwrap();
    (status, String::from_utf8(body).unwrap())
}

/// A free address on 127.0.0.1 for the database, which refuses connections
/// until it listens.
fn database() -> (TcpSocket, SocketAddr) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(([127, 0, 0, 1], 0).into()).unwrap();
    let address = socket.local_addr().unwrap();
    (socket, address)
}

/// Takes the connection of the app's start-up work and waits for the app to
/// release it, which it does once it has opened its start-up gate.
async fn wait_for_start_up(database: &TcpListener) {
    let (mut connection, _) = database.accept().await.unwrap();
    let mut rest = Vec::new();
    connection.read_to_end(&mut rest).await.unwrap();
}

#[tokio::test]
async fn starting_until_the_database_is_up_then_ready() {
    let (database, address) = database();
    let app = App::start(address);
    assert_eq!(app.probe().await, (503, "starting\n".to_owned()));

    let database = database.listen(8).unwrap();
    wait_for_start_up(&database).await;
    assert_eq!(app.probe().await, (200, "OK".to_owned()));
}

/// The binary is its own healthcheck, as the Dockerfile's `HEALTHCHECK CMD
/// ["kamal-app-example", "healthcheck"]` runs it: it probes the app beside it
/// at deploy.yml's path and says what it found, exiting 0 on a `2xx` only.
/// (The address is given: this test's other apps run beside it.)
#[tokio::test]
async fn the_binary_is_its_own_healthcheck() {
    let (database, address) = database();
    let app = App::start(address);
    let self_probe = || {
        let output = Command::new(env!("CARGO_BIN_EXE_kamal-app-example"))
            .args(["healthcheck", &app.address.to_string()])
            .output()
            .expect("the self-probe runs");
        let line = String::from_utf8(output.stdout).unwrap();
        (line.trim_end().to_owned(), output.status.code())
    };
    let at = format!("(GET /healthz at {})", app.address);
    assert_eq!(self_probe(), (format!("503 starting {at}"), Some(1)));
    let database = database.listen(8).unwrap();
    wait_for_start_up(&database).await;
    assert_eq!(self_probe(), (format!("200 OK {at}"), Some(0)));
    assert!(
        read("Dockerfile").contains("\nHEALTHCHECK CMD [\"kamal-app-example\", \"healthcheck\"]\n")
    );
}

#[tokio::test]
async fn unready_while_the_database_is_down() {
    let (database, address) = database();
    let database = database.listen(8).unwrap();
    let app = App::start(address);
    wait_for_start_up(&database).await;

    drop(database);
    assert_eq!(app.probe().await, (503, "db: failed\n".to_owned()));
}

#[tokio::test]
async fn the_host_allow_list_guards_everything_but_the_healthcheck() {
    let (database, address) = database();
    let database = database.listen(8).unwrap();
    let app = App::start(address);
    wait_for_start_up(&database).await;
    assert_eq!(app.probe().await.0, 200);

    let home = get(app.address, "/", APP_HOST).await;
    assert_eq!(home, (200, "Hello from a Kamal app\n".to_owned()));
    // kamal-proxy's `Host` anywhere but at the healthcheck path, Kamal's default
    // `/up` included, meets the allow-list.
    for path in ["/", "/up"] {
        let refused = get(app.address, path, CONTAINER_HOST).await;
        assert_eq!(refused, (400, "unknown host\n".to_owned()), "{path}");
    }
}

/// kamal-proxy targets `proxy.app_port`; the image exposes a port and the app
/// listens on its default one: all three must be the same.
#[test]
fn the_dockerfile_deploy_yml_and_the_app_agree_on_the_port() {
    let deploy = read("config/deploy.yml");
    let proxy = section(&deploy, "proxy");
    let app_port = value(&proxy, "app_port").expect("proxy.app_port");
    let dockerfile = read("Dockerfile");
    let exposed: Vec<&str> = dockerfile
        .lines()
        .filter_map(|line| line.strip_prefix("EXPOSE "))
        .collect();
    assert_eq!(exposed, [app_port]);
    assert_eq!(kamal_app_example::DEFAULT_PORT.to_string(), app_port);
    assert!(
        !dockerfile.contains("PORT="),
        "the image runs the app on its default port"
    );
}

fn read(file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The lines of the block under the top-level `key:` in `yaml`, unindented by
/// one level.
fn section(yaml: &str, key: &str) -> String {
    let heading = format!("{key}:");
    yaml.lines()
        .skip_while(|line| line.trim_end() != heading)
        .skip(1)
        .take_while(|line| line.starts_with(' ') || line.starts_with('#') || line.is_empty())
        .filter_map(|line| line.strip_prefix("  "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The value of the top-level `key: value` in `yaml`.
fn value<'y>(yaml: &'y str, key: &str) -> Option<&'y str> {
    yaml.lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':').map(str::trim))
}

/// In a container Kamal started, the log that `kamal deploy` prints when the
/// container never becomes healthy says what kamal-proxy probes, with the
/// destination. Read as Kamal reads it: the process's output.
#[test]
fn under_kamal_the_log_says_what_is_probed() {
    let (_database, database) = database();
    let mut process = Command::new(env!("CARGO_BIN_EXE_kamal-app-example"))
        .env("BIND_ADDRESS", "127.0.0.1")
        .env("PORT", "0")
        .env("DATABASE_ADDR", database.to_string())
        .env("ALLOWED_HOSTS", APP_HOST)
        .env("KAMAL_CONTAINER_NAME", "app-web-0123abcd")
        .env("KAMAL_DESTINATION", "production")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the app starts");
    // The start-up line comes as the listener is bound.
    let line = BufReader::new(process.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .find(|line| line.contains(" INFO kamal_healthcheck: "));
    let _ = process.kill();
    let _ = process.wait();
    let line = line.expect("the start-up line");
    assert!(
        line.contains(
            "kamal-proxy probes GET /healthz here; the healthcheck answers it ahead of the app \
             path=\"/healthz\" address=\"127.0.0.1:"
        ),
        "{line}"
    );
    assert!(line.contains("checks=\"db\""), "{line}");
    assert!(line.contains("destination=\"production\""), "{line}");
}
