// The attribute on a function that serves over a Unix socket, with a
// `Connected` type of the app's own held in a variable: the healthcheck goes
// around what the make-service makes, and the handlers still get the peer.
use std::sync::Arc;

use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::routing::get;
use axum::serve::IncomingStream;
use axum::Router;
use kamal_healthcheck::kamal_healthcheck;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

#[derive(Clone, Debug)]
struct Peer {
    uid: Option<u32>,
}

impl Connected<IncomingStream<'_, UnixListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, UnixListener>) -> Self {
        let uid = stream.io().peer_cred().ok().map(|cred| cred.uid());
        Self { uid }
    }
}

#[kamal_healthcheck]
async fn serve(listener: UnixListener) {
    let app = Router::new().route(
        "/peer",
        get(|ConnectInfo(peer): ConnectInfo<Peer>| async move { format!("{}", peer.uid.is_some()) }),
    );
    let make = app.into_make_service_with_connect_info::<Peer>();
    axum::serve(listener, make).await.unwrap();
}

async fn get_over(path: &std::path::Path, target: &str) -> String {
    let mut stream = UnixStream::connect(path).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: 7c7168a662c1:80\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = std::env::temp_dir().join(format!("kamal-healthcheck-uds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = Arc::new(dir.join("app.sock"));
    let _ = std::fs::remove_file(&*path);
    let listener = UnixListener::bind(&*path).unwrap();
    tokio::spawn(serve(listener));
    let up = get_over(&path, "/up").await;
    assert!(up.starts_with("HTTP/1.1 200 OK"), "{up}");
    assert!(up.ends_with("OK"), "{up}");
    let peer = get_over(&path, "/peer").await;
    assert!(peer.ends_with("true"), "{peer}");
    let _ = std::fs::remove_dir_all(&dir);
}
