//! examples/kamal-app in real Docker, as Kamal runs it: an image of the
//! binary and the libraries it links, nothing else (no shell, no curl; built
//! `FROM scratch`, no registry needed), run with `--network none` and Kamal's
//! variables; a stand-in database and kamal-proxy's probe come from second
//! containers that join its network namespace, so nothing leaves the
//! machine. Each check reads Docker's own interfaces: the health status and
//! its log (`docker inspect`), `docker stop`'s exit code, `docker logs`.
//!
//! `#[ignore]`d in a plain `cargo test --workspace`, where Docker may be
//! missing; `.ci/run` starts a daemon and runs it with `--ignored`, where a
//! missing daemon fails. Everything it makes is removed, failed or not.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Runs `docker args`; its stdout, or a panic with its stderr.
fn docker(args: &[&str]) -> String {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs");
    assert!(
        status.success(),
        "docker {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&stderr)
    );
    String::from_utf8(stdout).unwrap().trim_end().to_owned()
}

/// What the test made, removed when it ends.
struct Made {
    name: String,
    dir: PathBuf,
}

impl Drop for Made {
    fn drop(&mut self) {
        for container in ["app", "db"] {
            let _ = Command::new("docker")
                .args(["rm", "-f", &format!("{}-{container}", self.name)])
                .output();
        }
        let _ = Command::new("docker")
            .args(["rmi", "-f", &self.name])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The binaries built beside this test's: the app and the test's tool.
fn built(name: &str) -> PathBuf {
    let tool = Path::new(env!("CARGO_BIN_EXE_container_tool"));
    let path = tool.parent().unwrap().join(name);
    assert!(path.exists(), "{} is built", path.display());
    path
}

/// An image of `binaries` and the libraries `ldd` names for them, with the
/// example's `HEALTHCHECK` and `CMD`, built `FROM scratch`.
fn image(made: &Made, binaries: &[PathBuf]) {
    let rootfs = made.dir.join("rootfs");
    std::fs::create_dir_all(rootfs.join("usr/local/bin")).unwrap();
    for binary in binaries {
        let name = binary.file_name().unwrap();
        std::fs::copy(binary, rootfs.join("usr/local/bin").join(name)).unwrap();
        let ldd = Command::new("ldd").arg(binary).output().unwrap();
        for library in String::from_utf8(ldd.stdout)
            .unwrap()
            .split_whitespace()
            .filter(|word| word.starts_with('/'))
        {
            let to = rootfs.join(library.trim_start_matches('/'));
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(library, to).unwrap();
        }
    }
    // The example's own lines: what a user ships.
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/kamal-app/Dockerfile"
    ))
    .unwrap();
    let kept: Vec<&str> = example
        .lines()
        .filter(|line| line.starts_with("HEALTHCHECK ") || line.starts_with("CMD "))
        .collect();
    assert_eq!(kept.len(), 2, "the example's HEALTHCHECK and CMD");
    std::fs::write(
        made.dir.join("Dockerfile"),
        format!("FROM scratch\nCOPY rootfs/ /\n{}\n", kept.join("\n")),
    )
    .unwrap();
    let output = Command::new("docker")
        .args(["build", "-q", "-t", &made.name])
        .arg(&made.dir)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("docker build runs");
    assert!(
        output.status.success(),
        "docker build: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Waits, 30 s at most, for `check` to hold, reading what `read` gives.
fn until(what: &str, read: impl Fn() -> String, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = read();
        if check(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "{what}: still {now:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
#[ignore = "needs a Docker daemon; .ci/run starts one"]
fn the_example_app_in_real_docker() {
    let name = format!("kamal-healthcheck-test-{}", std::process::id());
    let made = Made {
        dir: std::env::temp_dir().join(&name),
        name: name.clone(),
    };
    image(
        &made,
        &[built("kamal-app-example"), built("container_tool")],
    );
    let (app, db) = (format!("{name}-app"), format!("{name}-db"));
    let started = Instant::now();
    let id = docker(&[
        "run",
        "-d",
        "--name",
        &app,
        "--network",
        "none",
        "-e",
        "KAMAL_CONTAINER_NAME=kamal-app-web-0123abcd",
        "-e",
        "KAMAL_VERSION=0123abcd",
        "-e",
        "KAMAL_HOST=192.0.2.10",
        "-e",
        "DATABASE_ADDR=127.0.0.1:5432",
        "-e",
        "ALLOWED_HOSTS=app.example.com",
        // The example's HEALTHCHECK, checked every second here.
        "--health-interval",
        "1s",
        "--health-retries",
        "2",
        &name,
    ]);
    let short_id = &id[..12];
    let inspect = |format: &str| docker(&["inspect", "-f", format, &app]);
    let health = || inspect("{{.State.Health.Status}}");
    let health_log = || inspect("{{json .State.Health.Log}}");
    let logs = || {
        let output = Command::new("docker")
            .args(["logs", "--timestamps", &app])
            .output()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };
    let in_namespace = |args: &[&str]| {
        let mut run = vec!["run", "--rm", "--network"];
        let network = format!("container:{app}");
        run.push(&network);
        run.extend([name.as_str(), "container_tool"]);
        run.extend(args);
        docker(&run)
    };

    // Without its database the app is not ready: Docker's health log has
    // the self-probe's line.
    until("the health log", health_log, |log| {
        log.contains("503 starting (GET /healthz at 127.0.0.1:80)")
    });
    // The database comes up in the app's namespace: healthy.
    docker(&[
        "run",
        "-d",
        "--name",
        &db,
        "--network",
        &format!("container:{app}"),
        &name,
        "container_tool",
        "listen",
        "5432",
    ]);
    until("healthy", health, |status| status == "healthy");
    assert!(health_log().contains("200 OK (GET /healthz at 127.0.0.1:80)"));

    // Under Kamal, with no probe of kamal-proxy's a third into
    // deploy_timeout (30 s), the watch says so, though the self-probe has
    // been asking every second.
    let watch = until("the watch's ERROR", logs, |log| {
        log.contains("no probe has reached the app")
    });
    assert!(watch.contains(" ERROR kamal_healthcheck: "), "{watch}");
    assert!(started.elapsed() >= Duration::from_secs(10));

    // kamal-proxy's probe, from a second container in the namespace: the
    // container's short id and port as Host.
    let host = format!("{short_id}:80");
    let probed = in_namespace(&["get", "127.0.0.1:80", "/healthz", &host, "kamal-proxy"]);
    assert_eq!(probed, "HTTP/1.1 200 OK\nOK", "{probed}");
    let home = in_namespace(&["get", "127.0.0.1:80", "/", &host, "kamal-proxy"]);
    assert!(home.starts_with("HTTP/1.1 400 Bad Request"), "{home}");

    // The database goes: unhealthy, with the failed check in the health log.
    docker(&["rm", "-f", &db]);
    until("unhealthy", health, |status| status == "unhealthy");
    assert!(health_log().contains("503 db: failed (GET /healthz at 127.0.0.1:80)"));

    // `docker stop`: exit code 0 within a second, the stop's two lines.
    let stopping = Instant::now();
    docker(&["stop", &app]);
    let took = stopping.elapsed();
    assert!(took < Duration::from_secs(1), "docker stop took {took:?}");
    assert_eq!(inspect("{{.State.ExitCode}}"), "0");
    let log = logs();
    assert!(log.contains("SIGTERM received"), "{log}");
    assert!(log.contains("the app has stopped,"), "{log}");
}
