//! Nanoseconds per request for the same app served four ways (see
//! `kamal_healthcheck_perf`), requests built and sent in-process with
//! `ready().call()` on a current-thread runtime.
//!
//! ```text
//! cargo bench -p kamal-healthcheck-perf --bench wall_clock
//! ```

use std::convert::Infallible;

use axum::extract::Request;
use axum::response::Response;
use divan::Bencher;
use kamal_healthcheck_perf::{self as apps, KINDS, request};
use tower::{Service, ServiceExt};

fn main() {
    // 2,000 samples of 200 requests each: the median is stable to about 1 %
    // here; command-line options (`--sample-count`, ...) still override these.
    divan::Divan::default()
        .sample_count(2_000)
        .sample_size(200)
        .config_with_args()
        .main();
}

fn bench<S>(bencher: Bencher, mut app: S, kind: &str)
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    bencher
        .with_inputs(|| request(kind))
        .bench_local_values(|request| {
            runtime.block_on(async { app.ready().await.unwrap().call(request).await.unwrap() })
        });
}

#[divan::bench(args = KINDS)]
fn bare(bencher: Bencher, kind: &str) {
    bench(bencher, apps::bare(), kind);
}

#[divan::bench(args = KINDS)]
fn attribute(bencher: Bencher, kind: &str) {
    bench(bencher, apps::annotated(), kind);
}

#[divan::bench(args = KINDS)]
fn layer(bencher: Bencher, kind: &str) {
    bench(bencher, apps::layered(), kind);
}

#[divan::bench(args = KINDS)]
fn checks(bencher: Bencher, kind: &str) {
    bench(bencher, apps::layered_with_checks(), kind);
}

#[divan::bench(args = KINDS)]
fn handwritten(bencher: Bencher, kind: &str) {
    bench(bencher, apps::handwritten(), kind);
}
