// A function that serves the app on two listeners (say, the public port and an
// internal one): each `axum::serve` call gets the healthcheck.
use axum::Router;
use axum::routing::get;
use kamal_healthcheck::kamal_healthcheck;
use kamal_healthcheck_tests::probe;
use tokio::net::TcpListener;

#[kamal_healthcheck]
async fn serve(public: TcpListener, internal: TcpListener) {
    let app = Router::new().route("/", get(|| async { "home" }));
    let admin = Router::new().route("/metrics", get(|| async { "0" }));
    let public = tokio::spawn(async move { axum::serve(public, app).await });
    let internal = tokio::spawn(async move { axum::serve(internal, admin).await });
    let _ = tokio::join!(public, internal);
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let public = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let internal = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addresses = [public.local_addr().unwrap(), internal.local_addr().unwrap()];
    tokio::spawn(serve(public, internal));
    for address in addresses {
        let up = probe(address, "GET", "/up").await;
        assert_eq!((up.status, up.body.as_str()), (200, "OK"), "{address}");
    }
}
