// What `axum::serve(..)` gives, held in a variable, as axum's own is used:
// its `local_addr`, then `.with_graceful_shutdown(..)` and `.await`; the
// attribute's wrapper has both, and its parentheses draw no warning.
#![deny(warnings)]

use kamal_healthcheck::kamal_healthcheck;

#[kamal_healthcheck]
#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let server = axum::serve(listener, axum::Router::new());
    assert_eq!(server.local_addr()?, address);
    // The app's own shutdown future, done at once: the server stops.
    server.with_graceful_shutdown(async {}).await
}
