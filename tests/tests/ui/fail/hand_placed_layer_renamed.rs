// A hand-placed healthcheck under another name (a renamed import, a crate
// alias, a re-export, a type alias) is found by its type, on its tokens.
use axum::{Router, routing::get};
use kamal_healthcheck::HealthCheckLayer as Health;
use kamal_healthcheck::kamal_healthcheck;
use kamal_healthcheck as kh;

mod reexport {
    pub use kamal_healthcheck::HealthCheckLayer as Probe;
}

type Alias = kamal_healthcheck::HealthCheckLayer;

#[kamal_healthcheck]
#[tokio::main]
async fn main() {
    let app = Router::new()
        .route("/", get(|| async { "home" }))
        .layer(Health::new().check("db", || async { Ok::<(), String>(()) }));
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    axum::serve(listener, app).await.unwrap();
}

#[kamal_healthcheck]
fn crate_alias() -> Router {
    Router::new().layer(kh::HealthCheckLayer::new())
}

#[kamal_healthcheck]
fn reexported() -> Router {
    Router::new().layer(reexport::Probe::new())
}

#[kamal_healthcheck]
fn aliased() -> Router {
    Router::new().route_layer(Alias::with_path("/healthz"))
}

#[kamal_healthcheck]
async fn served_wrapped(listener: tokio::net::TcpListener) {
    use axum::ServiceExt;
    use tower::Layer;
    let app = Health::new().layer(Router::new());
    axum::serve(listener, ServiceExt::<axum::extract::Request>::into_make_service(app))
        .await
        .unwrap();
}
