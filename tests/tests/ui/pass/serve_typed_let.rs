// What `axum::serve(..)` gives, held in a variable whose type is written out
// as axum names it: the attribute's server takes its place, so the written
// type, which would no longer match, is left to inference (and still named,
// so its imports stay in use).
#![deny(warnings)]

use axum::Router;
use axum::serve::{Serve, WithGracefulShutdown};
use kamal_healthcheck::kamal_healthcheck;
use tokio::net::TcpListener;

#[kamal_healthcheck]
async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let server: Serve<TcpListener, Router, Router> = axum::serve(listener, Router::new());
    server.await
}

#[kamal_healthcheck]
async fn serve_with_own_shutdown(listener: TcpListener) -> std::io::Result<()> {
    let server: WithGracefulShutdown<TcpListener, Router, Router, std::future::Ready<()>> =
        axum::serve(listener, Router::new()).with_graceful_shutdown(std::future::ready(()));
    server.await
}

fn main() {
    let _ = (serve, serve_with_own_shutdown);
}
