//! What the Docker tests (`tests/docker.rs`) run in containers beside the
//! app, whose image holds no shell and no client: `container_tool listen
//! PORT` is a stand-in database (it accepts connections on 127.0.0.1:PORT
//! and holds them), and `container_tool get ADDRESS PATH HOST USER_AGENT`
//! sends one `GET` over plain HTTP/1.1 and prints the status line and the
//! body. Only `std`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["listen", port] => {
            let listener = TcpListener::bind(("127.0.0.1", port.parse().expect("a port")))
                .expect("the port is free");
            let mut held = Vec::new();
            for connection in listener.incoming().flatten() {
                held.push(connection);
            }
        }
        ["get", address, path, host, agent] => {
            let mut stream = TcpStream::connect(address).expect("the app listens");
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            write!(
                stream,
                "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {agent}\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut response = String::new();
            let _ = stream.read_to_string(&mut response);
            let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
            println!("{}", head.lines().next().unwrap_or_default());
            println!("{body}");
        }
        _ => {
            eprintln!("usage: container_tool listen PORT | get ADDRESS PATH HOST USER_AGENT");
            std::process::exit(2);
        }
    }
}
