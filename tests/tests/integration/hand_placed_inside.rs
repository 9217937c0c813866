//! A `HealthCheckLayer` placed by hand where the attribute on the function
//! that serves cannot tell it by name or type (inside `tower::make::Shared`,
//! in an `option_layer`): the attribute's healthcheck answers the probe
//! first, so that layer's checks never run and a database that is down still
//! gets `200`. The app says so, as an `ERROR`, at its first connection. Over
//! TCP, with a real subscriber.

use axum::Router;
use axum::routing::get;
use kamal_healthcheck::HealthCheckLayer as Health;
use kamal_healthcheck::kamal_healthcheck;
use kamal_healthcheck_tests::events::Event;
use kamal_healthcheck_tests::{Pool, one_error_after_a_probe};
use tokio::net::TcpListener;
use tower::Layer;

fn routes() -> Router {
    Router::new().route("/", get(|| async { "home" }))
}

#[kamal_healthcheck]
async fn serve_shared(listener: TcpListener, pool: Pool) {
    let app = Health::new()
        .check("db", move || {
            let pool = pool.clone();
            async move { pool.ping().await }
        })
        .layer(routes());
    axum::serve(listener, tower::make::Shared::new(app))
        .await
        .unwrap();
}

#[kamal_healthcheck]
async fn serve_option_layer(listener: TcpListener, pool: Pool) {
    let health = Health::new().check("db", move || {
        let pool = pool.clone();
        async move { pool.ping().await }
    });
    let app = routes().layer(tower::util::option_layer(Some(health)));
    axum::serve(listener, app).await.unwrap();
}

/// The `ERROR`s logged once the attribute's healthcheck has answered the
/// probe `200`, whatever the database says.
async fn errors_after_a_probe<F>(serve: fn(TcpListener, Pool) -> F) -> Vec<Event>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    one_error_after_a_probe(|listener| serve(listener, Pool::default()), "/up").await
}

#[tokio::test]
async fn inside_shared_it_is_an_error_that_says_what_to_do() {
    let errors = errors_after_a_probe(serve_shared).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    let message = &errors[0].message;
    assert!(
        message.starts_with(
            "a HealthCheckLayer inside the app served by #[kamal_healthcheck] answers /up (503 \
             Service Unavailable)"
        ),
        "{message}"
    );
    assert!(
        message.contains("that layer's checks never run"),
        "{message}"
    );
    assert!(
        message.ends_with(
            "give its checks to the attribute (`#[kamal_healthcheck(check(db = ..))]`) and \
             remove the layer"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn in_an_option_layer_it_is_an_error_too() {
    let errors = errors_after_a_probe(serve_option_layer).await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .message
            .starts_with("a HealthCheckLayer inside the app served by #[kamal_healthcheck]"),
        "{}",
        errors[0].message
    );
}
