#!/usr/bin/env bash
# What kamal-healthcheck costs at build time.
#
#   bash perf/build-cost.sh [runs, default 5] [all | clean | large | syn2]
#
# 1. Clean debug build of a typical axum + tokio (`macros`) app, built and served
#    in `main` (a `TraceLayer`, `tracing-subscriber`, a host check, three routes),
#    three ways: without a healthcheck or a stop; with the same healthcheck and
#    stop written by hand (a `from_fn` answering `/up`, `with_graceful_shutdown`
#    on SIGTERM and SIGINT, tokio's `signal` feature); and with
#    `#[kamal_healthcheck]` on `main`, the form the README leads with. All three
#    resolve against this workspace's Cargo.lock, so the rest of the tree is the
#    same. The three builds run in turn, round after round; the median of each
#    is reported, of the wall time and of the CPU time (user + system), and the
#    median of the rounds' own ratios.
#    With `syn2`: the same, the apps' lockfiles pinned to tokio 1.47 and
#    tokio-macros 2.5, which build syn 2: an app whose lock has no syn 3 yet,
#    which the attribute's macro crate then brings in.
# 2. Rebuild of a crate holding one router function of 200 routes and 30 layers,
#    without and with the attribute (dependencies already built, incremental
#    compilation off so that the crate is compiled whole): what the attribute's
#    expansion and the code it adds cost the compiler.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
part=${2:-all}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

app() { # name, with (0: without, 1: with the attribute, 2: by hand)
  local dir="$work/$1" with=$2 tokio='"macros", "rt-multi-thread", "net"'
  [ "$with" = 2 ] && tokio="$tokio, \"signal\""
  mkdir -p "$dir/src"
  cp "$repo/Cargo.lock" "$dir/Cargo.lock"
  {
    printf '[package]\nname = "%s"\nversion = "0.0.0"\nedition = "2024"\n\n[dependencies]\n' "$1"
    printf 'axum = "0.8"\ntokio = { version = "1", features = [%s] }\n' "$tokio"
    printf 'tower-http = { version = "0.7", features = ["trace"] }\n'
    printf 'tracing-subscriber = { version = "0.3", default-features = false, features = ["fmt", "std"] }\n'
    if [ "$with" = 1 ]; then
      printf 'kamal-healthcheck = { path = "%s/kamal-healthcheck" }\n' "$repo"
      # Built as cargo builds it from crates.io: a path dependency would be
      # compiled incrementally, which costs a clean build about a fifth more.
      printf '\n[profile.dev.package.kamal-healthcheck]\nincremental = false\n'
      printf '\n[profile.dev.package.kamal-healthcheck-macros]\nincremental = false\n'
    fi
    printf '\n[workspace]\n'
  } >"$dir/Cargo.toml"
}

main_rs() { # with (0: without, 1: with the attribute, 2: by hand)
  cat <<RUST
use axum::{Router, extract::{Path, Request}, http::StatusCode, middleware::{self, Next}, response::{IntoResponse, Response}, routing::{get, post}};
use tower_http::trace::TraceLayer;
$([ "$1" = 1 ] && echo 'use kamal_healthcheck::kamal_healthcheck;')

async fn allowed_hosts_only(request: Request, next: Next) -> Response {
    match request.headers().get("host") {
        Some(host) if host == "example.com" => next.run(request).await,
        _ => StatusCode::BAD_REQUEST.into_response(),
    }
}

async fn user(Path(id): Path<u32>) -> String { format!("user {id}") }
$([ "$1" = 2 ] && cat <<'HAND'

async fn healthcheck(request: Request, next: Next) -> Response {
    if request.uri().path() == "/up" {
        return "OK".into_response();
    }
    next.run(request).await
}

async fn shutdown_signal() {
    let ctrl_c = async { tokio::signal::ctrl_c().await.expect("Ctrl-C") };
    let terminate = async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM")
            .recv()
            .await;
    };
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
}
HAND
)

$([ "$1" = 1 ] && echo '#[kamal_healthcheck]')
#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt::init();
    let app = Router::new()
        .route("/", get(|| async { "home" }))
        .route("/users/{id}", get(user))
        .route("/users", post(|| async { StatusCode::CREATED }))
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn(allowed_hosts_only))$([ "$1" = 2 ] && printf '\n        .layer(middleware::from_fn(healthcheck))');
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    axum::serve(listener, app)$([ "$1" = 2 ] && printf '.with_graceful_shutdown(shutdown_signal())').await
}
RUST
}

large_rs() { # with (0/1)
  echo 'use std::time::Duration;'
  echo 'use axum::{Router, routing::get, middleware::{self, Next}, extract::Request, response::Response};'
  [ "$1" = 1 ] && echo 'use kamal_healthcheck::kamal_healthcheck;'
  echo 'async fn handler() -> &'"'"'static str { "ok" }'
  echo 'async fn pass(request: Request, next: Next) -> Response { next.run(request).await }'
  [ "$1" = 1 ] && echo '#[kamal_healthcheck]'
  echo 'pub fn app() -> Router {'
  echo '    let _ = Duration::from_secs(1);'
  echo '    Router::new()'
  for i in $(seq 0 199); do
    echo "        .route(\"/resource$i/{id}\", get(handler))"
    if [ $((i % 7)) = 0 ] && [ "$i" -le 196 ]; then echo '        .layer(middleware::from_fn(pass))'; fi
  done
  echo '}'
}

# Runs a command; prints its wall seconds and the CPU seconds (user + system)
# of it and its children.
seconds() {
  /usr/bin/time -o "$work/time" -f "%e %U %S" "$@" >"$work/last.log" 2>&1 || {
    cat "$work/last.log" >&2; exit 1; }
  awk '{print $1, $2 + $3}' "$work/time"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Builds the crates `$1<variant>`, for each variant after the first two
# arguments, `$runs` rounds of one build each, after `$2 <crate dir>` prepares
# each build; each round starts one variant further on, so that none is always
# built first. Each build's wall and CPU seconds go to one line of
# `$work/times.$1<variant>`.
measure() {
  local prefix=$1 prepare=$2 run v dir t
  shift 2
  local variants=("$@") i
  for v in "$@"; do : >"$work/times.$prefix$v"; done
  for run in $(seq "$runs"); do
    for i in $(seq 0 $(($# - 1))); do
      v=${variants[$(((run - 1 + i) % $#))]}
      dir="$work/$prefix$v"
      "$prepare" "$dir"
      t=$(cd "$dir" && seconds cargo build -q --offline)
      echo "$t" >>"$work/times.$prefix$v"
      echo "build $run, $prefix$v: ${t% *} s wall, ${t#* } s CPU" >&2
    done
  done
}
# The median of column $2 (1: wall, 2: CPU) of variant $1's builds.
med() { cut -d' ' -f"$2" "$work/times.$1" | median; }
# One table row: variant $1 against variant $2, column $3 (1: wall, 2: CPU):
# both medians, the ratio of the medians and the median of the rounds' ratios.
row() {
  local label=$4 a b r
  a=$(med "$1" "$3"); b=$(med "$2" "$3")
  r=$(paste -d' ' "$work/times.$1" "$work/times.$2" |
    awk -v c="$3" '{print $c / $(c + 2)}' | median)
  awk -v l="$label" -v a="$a" -v b="$b" -v r="$r" \
    'BEGIN {printf "| %s | %.1f s | %.1f s | %.3fx | %.3fx |\n", l, a, b, a / b, r}'
}
clean() { rm -rf "$1/target"; }
touch_lib() { touch "$1/src/lib.rs"; }

if [ "$part" != large ]; then
app without 0; main_rs 0 >"$work/without/src/main.rs"
app hand 2; main_rs 2 >"$work/hand/src/main.rs"
app with 1; main_rs 1 >"$work/with/src/main.rs"
if [ "$part" = syn2 ]; then
  for v in without hand with; do
    (cd "$work/$v" && cargo update -q -p tokio --precise 1.47.1 && cargo update -q -p tokio-macros --precise 2.5.0)
  done
fi
# Fetch once, so that no run includes a download.
for v in without hand with; do (cd "$work/$v" && cargo fetch -q); done

measure "" clean without hand with
echo "| clean debug build of a typical app, $runs rounds | build | against | ratio of the medians | median of the rounds' ratios |"
echo "|---|---:|---:|---:|---:|"
row with without 1 "wall: the attribute against no healthcheck"
row hand without 1 "wall: by hand against no healthcheck"
row with hand 1 "wall: the attribute against by hand"
row with without 2 "CPU: the attribute against no healthcheck"
row hand without 2 "CPU: by hand against no healthcheck"
row with hand 2 "CPU: the attribute against by hand"

fi

# 2: the large router, in a lib crate.
[ "$part" = clean ] || [ "$part" = syn2 ] && exit 0
export CARGO_INCREMENTAL=0
for v in without with; do
  app "large-$v" "$([ $v = with ] && echo 1 || echo 0)"
  sed -i 's/^\[dependencies\]/[lib]\npath = "src\/lib.rs"\n\n[dependencies]/' "$work/large-$v/Cargo.toml"
  large_rs "$([ $v = with ] && echo 1 || echo 0)" >"$work/large-$v/src/lib.rs"
  (cd "$work/large-$v" && cargo build -q --offline)
done
measure large- touch_lib without with
without=$(med large-without 1); with=$(med large-with 1)
echo "| rebuild of one router fn, 200 routes + 29 layers | without | with | difference |"
echo "|---|---:|---:|---:|"
awk -v n="$runs" -v a="$without" -v b="$with" 'BEGIN {printf "| median of %s | %.2f s | %.2f s | %+.2f s |\n", n, a, b, b - a}'
