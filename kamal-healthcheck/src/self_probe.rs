//! The container's own health: the app's binary, run as `APP healthcheck`,
//! probes the app running beside it in the same container, for Docker's
//! `HEALTHCHECK` (which gates the deploy of a Kamal role that kamal-proxy does
//! not serve) in an image that has no curl.
//!
//! It starts no runtime and initializes nothing of the app: plain blocking
//! I/O from `std`, bounded by a timeout, then `std::process::exit`.
//!
//! Its functions are `#[inline]`: compiled in the app that calls
//! [`self_probe`], not in this crate, so that an app without it compiles none
//! of it (a sixth of what this crate compiled, in rustc's size estimate).

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How long the whole self-probe may take: well below Docker's default
/// `--timeout` of 30 s, and kamal-proxy's 5 s per probe.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The environment variable that names the address to probe, where the app
/// has several listeners or the self-probe cannot find them.
pub const ADDRESS_VAR: &str = "KAMAL_HEALTHCHECK_ADDRESS";

/// When the process was started as `APP <command> [ADDRESS]`, probes the
/// healthcheck of the app running in the same container (a `GET` of `path`,
/// over plain HTTP), prints one line, the status and the body's first line
/// (`200 OK`, `503 db: failed`) or why no answer came, with the path and the
/// address, and exits: with status 0 on a `2xx`, 1 otherwise, within 5 s.
/// Started otherwise, it returns at once, having done nothing.
///
/// Call it first in `main`, before anything of the app starts (a logger, a
/// database pool, the runtime), so that Docker's `HEALTHCHECK CMD ["app",
/// "healthcheck"]` (the exec form: no shell needed) costs the app nothing:
/// in a synchronous `main`, it starts no runtime at all. The command's name
/// is the app's to choose, so that it never takes a subcommand the app
/// already has. `#[kamal_healthcheck(self_probe = "healthcheck")]` on `main`
/// does the same.
///
/// The address: the argument after the command, else the environment
/// variable `KAMAL_HEALTHCHECK_ADDRESS`, else the one TCP listener of the
/// other processes running this same executable (the app, PID 1 of its
/// container), read from `/proc` on Linux; a listener on `0.0.0.0` or `[::]`
/// is reached on loopback. With several listeners (a metrics port beside the
/// app's), or where none can be found, it names them and says to give the
/// address.
///
/// Its request says who sent it (`User-Agent: kamal-healthcheck
/// (self-probe)`): the watch of the deploy does not take it for
/// kamal-proxy's probe.
///
/// ```no_run
/// use axum::{Router, ServiceExt, extract::Request};
/// use kamal_healthcheck::HealthCheckLayer;
/// use tower::Layer;
///
/// fn main() -> std::io::Result<()> {
///     // Dockerfile: HEALTHCHECK CMD ["app", "healthcheck"]
///     kamal_healthcheck::self_probe("healthcheck", kamal_healthcheck::DEFAULT_PATH);
///     tokio::runtime::Runtime::new()?.block_on(async {
///         let app = HealthCheckLayer::new().layer(Router::new());
///         let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
///         axum::serve(listener, ServiceExt::<Request>::into_make_service(app))
///             .with_graceful_shutdown(kamal_healthcheck::stop_signal())
///             .await
///     })
/// }
/// ```
#[inline]
pub fn self_probe(command: &str, path: &str) {
    let mut args = std::env::args_os().skip(1);
    if args.next().is_none_or(|first| first != command) {
        return;
    }
    let given = args
        .next()
        .map(|address| address.to_string_lossy().into_owned())
        .or_else(|| std::env::var(ADDRESS_VAR).ok());
    let (line, healthy) = match address(given) {
        Ok(address) => probe(address, path),
        Err(why) => (why, false),
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    std::process::exit(if healthy { 0 } else { 1 });
}

/// The address to probe: the one given, or the one listener found.
#[inline]
fn address(given: Option<String>) -> Result<SocketAddr, String> {
    if let Some(given) = given {
        return given.parse().map_err(|_| {
            format!("no answer: {given:?} is not an address (write it as 127.0.0.1:3000)")
        });
    }
    let listeners = listeners_of_this_executable();
    match listeners.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!(
            "no answer: no listener of this app was found (is it running in this container, \
             and is /proc readable?); give the address: `healthcheck 127.0.0.1:3000` or \
             {ADDRESS_VAR}"
        )),
        several => {
            let each: Vec<String> = several.iter().map(ToString::to_string).collect();
            Err(format!(
                "no answer: the app listens on {}; give the one to probe: `healthcheck \
                 ADDRESS` or {ADDRESS_VAR}",
                each.join(", ")
            ))
        }
    }
}

/// Sends the probe to `address` and says what came back, and whether it is
/// a `2xx`.
#[inline]
fn probe(address: SocketAddr, path: &str) -> (String, bool) {
    let target = reachable(address);
    let at = format!("GET {path} at {target}");
    match exchange(target, path) {
        Ok((status, body)) => {
            let line = match body.is_empty() {
                true => format!("{status} ({at})"),
                false => format!("{status} {body} ({at})"),
            };
            (line, (200..300).contains(&status))
        }
        Err(error) => (format!("no answer: {error} ({at})"), false),
    }
}

/// Where a listener on every address is reached from inside the container.
#[inline]
fn reachable(address: SocketAddr) -> SocketAddr {
    match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), address.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), address.port())
        }
        _ => address,
    }
}

/// One `GET` over plain HTTP/1.1; the status and the body's first line.
#[inline]
fn exchange(address: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let started = Instant::now();
    let left = || {
        TIMEOUT
            .saturating_sub(started.elapsed())
            .max(Duration::from_millis(1))
    };
    let mut stream = TcpStream::connect_timeout(&address, left())?;
    stream.set_write_timeout(Some(left()))?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nUser-Agent: {AGENT}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    let mut buffer = [0; 4096];
    // The answer is short; the first 64 KiB are plenty to read its status.
    while response.len() < 65_536 {
        stream.set_read_timeout(Some(left()))?;
        match stream.read(&mut buffer)? {
            0 => break,
            read => response.extend_from_slice(&buffer[..read]),
        }
    }
    parse(&String::from_utf8_lossy(&response))
}

/// The self-probe's `User-Agent`.
pub(crate) const AGENT: &str = "kamal-healthcheck (self-probe)";

/// The status and the body's first line of an HTTP/1.1 response.
#[inline]
fn parse(response: &str) -> std::io::Result<(u16, String)> {
    let invalid = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP response");
    let (head, body) = response.split_once("\r\n\r\n").ok_or_else(invalid)?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(invalid)?;
    let chunked = lines.any(|line| {
        line.to_ascii_lowercase()
            .replace(' ', "")
            .starts_with("transfer-encoding:chunked")
    });
    let mut body = body.lines();
    if chunked {
        // The first chunk's size line.
        body.next();
    }
    Ok((status, body.next().unwrap_or_default().trim().to_owned()))
}

/// The TCP listeners of the other processes that run this executable: the
/// app, beside which the self-probe runs. Linux only (`/proc`); elsewhere,
/// none.
#[inline]
fn listeners_of_this_executable() -> Vec<SocketAddr> {
    let Ok(exe) = std::fs::read_link("/proc/self/exe") else {
        return Vec::new();
    };
    let me = std::process::id().to_string();
    let mut sockets = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let pid = entry.file_name();
        let Some(pid) = pid
            .to_str()
            .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        if pid == me || std::fs::read_link(format!("/proc/{pid}/exe")).ok() != Some(exe.clone()) {
            continue;
        }
        for fd in std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let Ok(link) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let link = link.to_string_lossy();
            if let Some(inode) = link
                .strip_prefix("socket:[")
                .and_then(|rest| rest.strip_suffix(']'))
            {
                sockets.push(inode.to_owned());
            }
        }
    }
    let mut found = Vec::new();
    for (table, v6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            let (Some(local), Some(state), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            if *state != "0A" || !sockets.iter().any(|socket| socket == inode) {
                continue;
            }
            if let Some(address) = hex_address(local, v6) {
                if !found.contains(&address) {
                    found.push(address);
                }
            }
        }
    }
    found
}

/// `0100007F:1F90` (IPv4) or its 32-digit IPv6 twin, as `/proc/net/tcp*`
/// writes a local address: the address in 32-bit words of the machine's byte
/// order, then the port.
#[inline]
fn hex_address(text: &str, v6: bool) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let mut bytes = Vec::with_capacity(16);
    for i in 0..ip.len() / 8 {
        // Each word is the address's bytes read as a number in the
        // machine's byte order.
        let word = u32::from_str_radix(ip.get(i * 8..i * 8 + 8)?, 16).ok()?;
        bytes.extend_from_slice(&word.to_ne_bytes());
    }
    let ip = match (v6, bytes.as_slice()) {
        (false, [a, b, c, d]) => IpAddr::V4(Ipv4Addr::new(*a, *b, *c, *d)),
        (true, _) if bytes.len() == 16 => {
            let octets: [u8; 16] = bytes.try_into().ok()?;
            IpAddr::V6(Ipv6Addr::from(octets))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_proc_net_tcp_writes_them() {
        if cfg!(target_endian = "little") {
            assert_eq!(
                hex_address("0100007F:1F90", false),
                Some("127.0.0.1:8080".parse().unwrap())
            );
            assert_eq!(
                hex_address("00000000:0050", false),
                Some("0.0.0.0:80".parse().unwrap())
            );
            assert_eq!(
                hex_address("00000000000000000000000001000000:0BB8", true),
                Some("[::1]:3000".parse().unwrap())
            );
        }
        assert_eq!(
            hex_address("00000000000000000000000000000000:0BB8", true),
            Some("[::]:3000".parse().unwrap())
        );
    }

    #[test]
    fn the_status_and_the_first_line_of_the_body() {
        let answer =
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\n\r\ndb: failed\n";
        assert_eq!(parse(answer).unwrap(), (503, "db: failed".to_owned()));
        let chunked = "HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n9\r\nnot found\r\n0\r\n\r\n";
        assert_eq!(parse(chunked).unwrap(), (404, "not found".to_owned()));
        assert!(parse("garbage").is_err());
    }

    #[test]
    fn a_listener_on_every_address_is_reached_on_loopback() {
        assert_eq!(
            reachable("0.0.0.0:80".parse().unwrap()),
            "127.0.0.1:80".parse().unwrap()
        );
        assert_eq!(
            reachable("[::]:3000".parse().unwrap()),
            "[::1]:3000".parse().unwrap()
        );
        let own: SocketAddr = "10.0.0.2:80".parse().unwrap();
        assert_eq!(reachable(own), own);
    }
}
