//! The stop, as `docker stop` does it to an app deployed with Kamal: the app
//! (`src/bin/stopping.rs`, `#[kamal_healthcheck(stop_timeout = "2s")]` on the
//! function that serves) runs as PID 1 of a PID namespace of its own
//! (`unshare --pid --fork`, as root), where, as in a container, a signal it
//! does not handle is not delivered, and gets SIGTERM from outside. Every wait
//! is for an event (a line on stdout, the process's exit), bounded.
//!
//! Skipped, saying so, where `unshare` cannot make a PID namespace (not root).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// The app as PID 1: the `unshare` process, the app's own PID outside the
/// namespace, its stdout lines as they come, and its stderr (the log).
struct App {
    unshare: Child,
    pid: u32,
    address: SocketAddr,
    lines: Receiver<String>,
    log: Option<ChildStderr>,
}

impl App {
    /// Starts the app in `mode`, serving; `None` where no PID namespace can
    /// be made.
    fn start(mode: &str) -> Option<App> {
        Self::launch(mode, &[]).map(App::serving)
    }

    /// Starts the app in `mode` with `envs`, without waiting for it to serve.
    fn launch(mode: &str, envs: &[(&str, &str)]) -> Option<App> {
        let made = Command::new("unshare")
            .args(["--pid", "--fork", "true"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !made {
            eprintln!("skipped: `unshare --pid --fork` cannot make a PID namespace here");
            return None;
        }
        let mut unshare = Command::new("unshare")
            .args(["--pid", "--fork", env!("CARGO_BIN_EXE_stopping")])
            .env("MODE", mode)
            .env("RUST_LOG", "info")
            .env_remove("KAMAL_CONTAINER_NAME")
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("unshare starts");
        let stdout = unshare.stdout.take().unwrap();
        let log = unshare.stderr.take();
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut app = App {
            pid: 0,
            address: "127.0.0.1:0".parse().unwrap(),
            unshare,
            lines,
            log,
        };
        // The app is the one child of `unshare`, PID 1 inside, once forked.
        let id = app.unshare.id();
        let until = Instant::now() + Duration::from_secs(5);
        while app.pid == 0 && Instant::now() < until {
            let children = std::fs::read_to_string(format!("/proc/{id}/task/{id}/children"));
            match children.unwrap_or_default().trim().parse() {
                Ok(pid) => app.pid = pid,
                Err(_) => std::thread::sleep(Duration::from_millis(1)),
            }
        }
        assert_ne!(app.pid, 0, "unshare has forked the app");
        let status = std::fs::read_to_string(format!("/proc/{}/status", app.pid)).unwrap();
        let nspid = status
            .lines()
            .find(|line| line.starts_with("NSpid:"))
            .unwrap();
        assert!(
            nspid.ends_with("\t1"),
            "the app is PID 1 of its namespace: {nspid}"
        );
        Some(app)
    }

    /// Waits for the app to listen and answer a request.
    fn serving(mut self) -> App {
        let line = self.line("listening on ");
        self.address = line["listening on ".len()..].parse().unwrap();
        let home = self.send("/").join().unwrap().expect("the app answers");
        assert!(home.starts_with("HTTP/1.1 200"), "{home}");
        self
    }

    /// The next stdout line that starts with `prefix`, within 5 s.
    fn line(&self, prefix: &str) -> String {
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.starts_with(prefix) => return line,
                Ok(_) => {}
                Err(error) => panic!("no line {prefix:?} from the app: {error:?}"),
            }
        }
    }

    fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &self.pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Whether the app's process has exited, within `within`.
    fn exits_within(&self, within: Duration) -> bool {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if !std::path::Path::new(&format!("/proc/{}", self.pid)).exists()
                || std::fs::read_to_string(format!("/proc/{}/stat", self.pid))
                    .is_ok_and(|stat| stat.contains(") Z "))
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    /// The app, once it has exited within `within`; else a panic with its
    /// log, saying how long after `after` it still ran.
    fn exited(self, within: Duration, after: &str) -> App {
        if !self.exits_within(within) {
            self.fail(&format!("still running {within:?} after {after}"));
        }
        self
    }

    /// Panics with `message` and the app's log so far.
    fn fail(mut self, message: &str) -> ! {
        let _ = Command::new("kill")
            .args(["-KILL", &self.pid.to_string()])
            .status();
        let mut log = String::new();
        let _ = self.log.take().unwrap().read_to_string(&mut log);
        panic!("{message}; the app's log:\n{log}");
    }

    /// Waits for `unshare` (which exits with the app, with its status),
    /// checks that the app exited with `code`, and returns the log.
    fn finish_with(mut self, code: i32) -> String {
        let mut log = String::new();
        self.log.take().unwrap().read_to_string(&mut log).unwrap();
        let status = self.unshare.wait().unwrap();
        assert_eq!(
            status.code(),
            Some(code),
            "the app exited with {status}; its log:\n{log}"
        );
        log
    }

    /// Waits for the app, which exits with status 0, and returns the log.
    fn finish(self) -> String {
        self.finish_with(0)
    }

    /// A request on a connection of its own, answered on another thread.
    fn send(&self, path: &str) -> std::thread::JoinHandle<std::io::Result<String>> {
        let address = self.address;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
        std::thread::spawn(move || {
            let mut stream = TcpStream::connect(address)?;
            stream.set_read_timeout(Some(Duration::from_secs(5)))?;
            stream.write_all(request.as_bytes())?;
            let mut response = String::new();
            stream.read_to_string(&mut response)?;
            Ok(response)
        })
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if self.pid != 0 {
            let _ = Command::new("kill")
                .args(["-KILL", &self.pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
    }
}

/// The one log line that holds `text`.
fn logged<'a>(log: &'a str, text: &str) -> &'a str {
    let found: Vec<&str> = log.lines().filter(|line| line.contains(text)).collect();
    assert_eq!(found.len(), 1, "one line with {text:?} in the log:\n{log}");
    found[0]
}

/// Starts the app in `mode`, idle, sends it `signal`, and returns its log
/// once it has stopped (within 0.5 s) and its function has returned, with
/// how long it took.
fn stopped_by(mode: &str, signal: &str) -> Option<(String, Duration)> {
    let app = App::start(mode)?;
    let sent = Instant::now();
    app.signal(signal);
    let app = app.exited(Duration::from_millis(500), "the signal");
    let took = sent.elapsed();
    app.line("returned");
    Some((app.finish(), took))
}

#[test]
fn an_idle_app_stops_within_half_a_second_of_sigterm() {
    let Some((log, took)) = stopped_by("handled", "TERM") else {
        return;
    };
    let begins = logged(&log, "SIGTERM received");
    assert!(begins.contains(" INFO "), "{begins}");
    // Outside a container Kamal started, no `docker stop` is spoken of.
    assert!(
        begins.contains("cuts what still runs after 1s "),
        "{begins}"
    );
    assert!(!begins.contains("docker stop"), "{begins}");
    let stopped = logged(&log, "the app has stopped");
    assert!(
        stopped.contains(" INFO ") && stopped.contains("cut=0"),
        "{stopped}"
    );
    eprintln!("stopped {took:?} after SIGTERM");
}

#[test]
fn a_request_in_flight_is_answered_before_the_app_stops() {
    let Some(app) = App::start("handled") else {
        return;
    };
    // The server the attribute stops still has axum's `local_addr`.
    assert_eq!(app.line("served at "), format!("served at {}", app.address));
    let response = app.send("/slow");
    app.line("slow started");
    app.signal("TERM");
    let response = response
        .join()
        .unwrap()
        .expect("the request in flight is answered");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("slow"), "{response}");
    assert!(app.exits_within(Duration::from_secs(1)));
    let log = app.finish();
    let stopped = logged(&log, "the app has stopped");
    assert!(
        stopped.contains("after the signal") && stopped.contains("cut=0"),
        "{stopped}"
    );
}

/// Starts the app in `mode`, sends it a request that never ends and SIGTERM,
/// and returns its log once the deadline (1 s, before the SIGKILL that a
/// `stop_timeout` of 2 s says) has cut it, and the unanswered response.
fn cut_at_the_deadline(mode: &str, path: &str) -> Option<(String, std::io::Result<String>)> {
    let app = App::start(mode)?;
    let response = app.send(path);
    app.line(&format!("{} started", &path[1..]));
    let sent = Instant::now();
    app.signal("TERM");
    let app = app.exited(Duration::from_millis(1800), "the signal");
    let took = sent.elapsed();
    assert!(
        took >= Duration::from_millis(950),
        "cut before the deadline: {took:?}"
    );
    Some((app.finish(), response.join().unwrap()))
}

#[test]
fn a_request_that_never_ends_is_cut_at_the_deadline_before_sigkill() {
    let Some((log, response)) = cut_at_the_deadline("handled", "/hang") else {
        return;
    };
    assert!(response.unwrap_or_default().is_empty());
    let stopped = logged(&log, "the app has stopped at the deadline");
    assert!(
        stopped.contains("cutting 1 connection with a request still running"),
        "{stopped}"
    );
    assert!(stopped.contains("cut=1"), "{stopped}");
}

#[test]
fn a_second_signal_cuts_at_once() {
    let Some(app) = App::start("handled") else {
        return;
    };
    let response = app.send("/hang");
    app.line("hang started");
    app.signal("TERM");
    let log_line = Instant::now();
    app.signal("INT");
    let app = app.exited(Duration::from_millis(500), "the signal");
    assert!(log_line.elapsed() < Duration::from_millis(900));
    drop(response);
    let log = app.finish();
    logged(&log, "the app has stopped at SIGINT");
}

#[test]
fn an_own_shutdown_future_that_awaits_only_ctrl_c_stops_on_sigterm_too() {
    let Some((log, _)) = stopped_by("ctrl_c", "TERM") else {
        return;
    };
    logged(&log, "SIGTERM received");
}

#[test]
fn the_app_s_own_ctrl_c_still_stops_it() {
    // Both the app's future and the attribute hear it; either may say so.
    let Some((log, _)) = stopped_by("ctrl_c", "INT") else {
        return;
    };
    let begins = log
        .lines()
        .filter(|line| {
            line.contains("SIGINT received") || line.contains("own shutdown future completed")
        })
        .count();
    assert_eq!(begins, 1, "{log}");
}

/// tonic's server, as the crate docs give it `stop_signal()`.
#[test]
fn a_tonic_server_stops_with_one_call() {
    let Some((log, _)) = stopped_by("tonic", "TERM") else {
        return;
    };
    logged(&log, "SIGTERM received");
}

#[test]
fn hand_placed_layer_users_stop_with_one_call() {
    let Some((log, _)) = stopped_by("layer", "TERM") else {
        return;
    };
    logged(&log, "SIGTERM received");
}

#[test]
fn hand_placed_layer_users_are_cut_at_the_deadline_too() {
    // The process ends where the deadline cuts it: serving never returns.
    let Some((log, _)) = cut_at_the_deadline("layer", "/hang") else {
        return;
    };
    logged(&log, "the app has stopped at the deadline");
}

/// What every test above would see without the attribute's handling: PID 1
/// that handles no signal ignores SIGTERM, here as in a container.
#[test]
fn with_signals_false_pid_1_ignores_sigterm() {
    let Some(app) = App::start("unhandled") else {
        return;
    };
    app.signal("TERM");
    match app.lines.recv_timeout(Duration::from_millis(700)) {
        Err(RecvTimeoutError::Timeout) => {}
        other => panic!("the app said {other:?} after SIGTERM"),
    }
    assert!(
        !app.exits_within(Duration::ZERO),
        "SIGTERM was delivered to PID 1"
    );
}

/// Under Kamal (`KAMAL_CONTAINER_NAME` set) the stop's first line speaks of
/// `docker stop`'s SIGKILL; outside it (above), it does not.
#[test]
fn under_kamal_the_stop_line_names_docker_stop_s_sigkill() {
    let Some(app) = App::launch("handled", &[("KAMAL_CONTAINER_NAME", "shop-web-3d4f1e2a")]) else {
        return;
    };
    let app = app.serving();
    app.signal("TERM");
    let app = app.exited(Duration::from_millis(500), "the signal");
    let log = app.finish();
    let begins = logged(&log, "SIGTERM received");
    assert!(
        begins.contains("cuts what still runs after 1s, before docker stop's SIGKILL at 2s"),
        "{begins}"
    );
}

/// axum's documented `shutdown_signal()` with cleanup after it: the app's
/// own future runs to its end (it tells the worker to stop) whichever
/// listener of the signal wakes first, so the app exits at once, as it does
/// without the attribute (the control, run beside it). Twenty times each.
#[test]
fn axum_s_documented_shutdown_with_cleanup_runs_to_its_end_every_time() {
    for run in 0..20 {
        for mode in ["documented", "documented_bare"] {
            let Some(app) = App::start(mode) else {
                return;
            };
            app.signal("TERM");
            let app = app.exited(
                Duration::from_millis(500),
                &format!("SIGTERM ({mode}, run {run})"),
            );
            app.line("worker stopped");
            let log = app.finish();
            if mode == "documented" {
                logged(&log, "SIGTERM received");
                logged(&log, "the app has stopped,");
            }
        }
    }
}

/// A request blocked on tokio's blocking pool keeps its connection open and
/// would keep the runtime from ending: the process ends at the deadline.
#[test]
fn a_blocking_call_in_flight_is_cut_at_the_deadline() {
    let Some((log, response)) = cut_at_the_deadline("handled", "/block") else {
        return;
    };
    assert!(response.unwrap_or_default().is_empty());
    let stopped = logged(&log, "the app has stopped at the deadline");
    assert!(
        stopped.contains("cutting 1 connection with a request still running"),
        "{stopped}"
    );
}

/// SIGTERM while the function blocks its thread before it serves (a
/// synchronous migration of 5 s): the stop listens from the function's first
/// statement, so the signal is received, and the process ends at the
/// deadline, saying that the app had not begun to serve.
#[test]
fn a_sigterm_during_long_work_before_serving_ends_the_process_at_the_deadline() {
    let Some(app) = App::launch("migrating", &[("MIGRATE_MS", "5000")]) else {
        return;
    };
    app.line("migrating");
    let sent = Instant::now();
    app.signal("TERM");
    let app = app.exited(Duration::from_millis(1800), "the signal");
    assert!(sent.elapsed() >= Duration::from_millis(950));
    let log = app.finish();
    logged(&log, "SIGTERM received");
    logged(
        &log,
        "the app has stopped at the deadline, 1.0", // 1.0..s
    );
    logged(&log, "`migrating` had not begun to serve");
}

/// SIGTERM during short work before serving (0.6 s): kept, and acted on
/// when the server starts, which stops at once.
#[test]
fn a_sigterm_during_short_work_before_serving_stops_the_server_as_it_starts() {
    let Some(app) = App::launch("migrating", &[("MIGRATE_MS", "600")]) else {
        return;
    };
    app.line("migrating");
    let sent = Instant::now();
    app.signal("TERM");
    app.line("listening on");
    let app = app.exited(Duration::from_millis(900), "the signal");
    assert!(
        sent.elapsed() < Duration::from_millis(950),
        "cut, not stopped"
    );
    app.line("returned");
    let log = app.finish();
    logged(&log, "SIGTERM received");
    logged(&log, "the app has stopped,");
}

/// The server beside work that never ends (`try_join!`), or in a task while
/// the function waits for Ctrl-C: the servers stop, the function does not
/// return; "the app has stopped" is not written, and the process ends at the
/// deadline, saying which function had not returned.
#[test]
fn a_function_that_awaits_something_else_is_ended_at_the_deadline() {
    for mode in ["joined", "spawned"] {
        let Some(app) = App::start(mode) else {
            return;
        };
        let sent = Instant::now();
        app.signal("TERM");
        let app = app.exited(Duration::from_millis(1800), &format!("SIGTERM ({mode})"));
        assert!(sent.elapsed() >= Duration::from_millis(950), "{mode}");
        let log = app.finish();
        let stopped = logged(&log, "the app has stopped at the deadline");
        assert!(
            stopped.contains(&format!("`{mode}` had not returned")),
            "{stopped}"
        );
        assert!(!log.contains("the app has stopped,"), "{log}");
    }
}

/// Two servers in one `join!`: one stop, said once when both have returned.
#[test]
fn two_servers_stop_as_one_app() {
    let Some((log, _)) = stopped_by("two", "TERM") else {
        return;
    };
    logged(&log, "SIGTERM received");
    logged(&log, "the app has stopped");
}

/// The app's own shutdown future panics after the signal: as with plain
/// axum, the request in flight is answered and the process exits with 0.
#[test]
fn a_panic_in_the_app_s_own_shutdown_future_still_drains() {
    let Some(app) = App::start("panicking") else {
        return;
    };
    let response = app.send("/slow");
    app.line("slow started");
    app.signal("TERM");
    let response = response.join().unwrap().expect("answered");
    assert!(response.ends_with("slow"), "{response}");
    let app = app.exited(Duration::from_secs(1), "the signal");
    app.line("returned");
    let log = app.finish();
    assert!(log.contains("the cleanup failed"), "{log}");
}

/// Once every function and server the stop knows of has returned, a signal
/// is not ignored: the process ends at the deadline, or at once at a second
/// signal, with the status it would have had without a handler (128 + the
/// first signal's number).
#[test]
fn a_signal_after_the_app_has_returned_ends_the_process() {
    for second in [false, true] {
        let Some(app) = App::launch("returns_at_once", &[]) else {
            return;
        };
        app.line("returned");
        app.signal("INT");
        if second {
            app.signal("TERM");
        }
        let within = if second { 500 } else { 1800 };
        let app = app.exited(Duration::from_millis(within), "SIGINT");
        app.finish_with(130);
    }
}

/// deploy.yml with roles and a destination (`config/lifecycle/`): each
/// container stops with its own role's and destination's timeout, as Kamal
/// chose it when it started the container, and says the figures in force;
/// the watch's timeout is the destination's too, and the start-up line says
/// when kamal-proxy does not serve the role.
#[test]
fn each_container_stops_with_its_role_s_and_destination_s_timeout() {
    // Container name, destination; the deadline and the stop timeout in the
    // stop's line; the deploy timeout in the start-up line; proxied.
    let cases = [
        ("shop-web-3d4f", "", "9s", "10s", "60000", true),
        ("shop-jobs-3d4f", "", "2s", "3s", "60000", false),
        ("shop-web-staging-3d4f", "staging", "3s", "4s", "6000", true),
        (
            "shop-workers-staging-3d4f",
            "staging",
            "4s",
            "5s",
            "6000",
            false,
        ),
    ];
    for (container, destination, deadline, stop_timeout, deploy_timeout, proxied) in cases {
        let mut envs = vec![
            ("KAMAL_CONTAINER_NAME", container),
            ("KAMAL_VERSION", "3d4f"),
        ];
        if !destination.is_empty() {
            envs.push(("KAMAL_DESTINATION", destination));
        }
        let Some(app) = App::launch("deployed", &envs) else {
            return;
        };
        let app = app.serving();
        app.signal("TERM");
        let app = app.exited(
            Duration::from_millis(500),
            &format!("SIGTERM ({container})"),
        );
        let log = app.finish();
        let begins = logged(&log, "SIGTERM received");
        let said = format!(
            "cuts what still runs after {deadline}, before docker stop's SIGKILL at {stop_timeout}"
        );
        assert!(begins.contains(&said), "{container}: {begins}");
        let started = logged(&log, "ahead of the app path=");
        assert!(
            started.contains(&format!("deploy_timeout_ms={deploy_timeout}")),
            "{container}: {started}"
        );
        assert_eq!(
            started.contains("kamal-proxy does not serve this role"),
            !proxied,
            "{container}: {started}"
        );
        // Nothing is said at start-up of a listener on another port than
        // `proxy.app_port` (the watch says it, if no probe comes).
        assert!(!log.contains(" ERROR "), "{container}: {log}");
    }
}
