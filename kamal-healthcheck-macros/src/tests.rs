//! Unit tests of each stage: arguments, the model of the body, the checks, and the
//! whole attribute on `proc_macro2` tokens.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args;
use crate::checks;
use crate::model::{Model, StepKind};

fn model(body: &str) -> Model {
    Model::read(&syn::parse_str(body).expect("a block"))
}

/// The method calls of each returned chain, by kind.
fn returned(model: &Model) -> Vec<Vec<&'static str>> {
    model
        .returned
        .iter()
        .map(|chain| {
            chain
                .steps
                .iter()
                .map(|&step| match &model.steps[step].kind {
                    StepKind::Route { .. } => "route",
                    StepKind::Layer => "layer",
                    StepKind::RouteLayer => "route_layer",
                    StepKind::Fallback => "fallback",
                    StepKind::Merge(_) => "merge",
                    StepKind::Nest { .. } => "nest",
                    StepKind::Other => "other",
                })
                .collect()
        })
        .collect()
}

fn messages(result: Result<(), syn::Error>) -> Vec<String> {
    match result {
        Ok(_) => Vec::new(),
        Err(errors) => errors.into_iter().map(|error| error.to_string()).collect(),
    }
}

fn check(body: &str) -> Result<(), syn::Error> {
    let tokens: TokenStream = body.parse().unwrap();
    checks::check(tokens, &model(body), "/up", false)
}

mod arguments {
    use super::*;

    fn parse(tokens: TokenStream) -> (args::Args, Vec<String>) {
        let (args, result) = args::parse(tokens);
        (args, messages(result))
    }

    #[test]
    fn default_and_explicit_path() {
        let (args, errors) = parse(quote!());
        assert!(errors.is_empty());
        assert_eq!(args.path(), "/up");
        assert_eq!(args.krate().to_string(), ":: kamal_healthcheck");

        let (args, errors) = parse(quote!(path = "/healthz", crate = "my::reexport"));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(args.path(), "/healthz");
        assert_eq!(args.krate().to_string(), "my :: reexport");
    }

    #[test]
    fn every_mistake_is_reported() {
        let (_, errors) = parse(quote!(pth = "/x", path = "nope", path = "/a", crate = 1));
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[0].contains("did you mean `path`?"));
        assert!(errors[1].contains("must start with `/`"));
        assert!(errors[2].contains("more than once"));
        assert!(errors[3].contains("expected a string literal"));
    }

    #[test]
    fn a_positional_path_is_explained() {
        let (_, errors) = parse(quote!("/healthz"));
        assert_eq!(
            errors,
            ["the path is a named argument: write `#[kamal_healthcheck(path = \"/healthz\")]`"]
        );
    }
}

mod reading {
    use super::*;

    #[test]
    fn follows_lets_and_reassignments() {
        let model = model(
            "{
                let mut app = Router::new().route(\"/\", get(home));
                app = app.layer(TraceLayer::new_for_http());
                let app = app.with_state(state);
                app
            }",
        );
        assert_eq!(returned(&model), [["route", "layer", "other"]]);
    }

    #[test]
    fn every_return_point_is_a_chain() {
        let model = model(
            "{
                if missing { return Err(error); }
                let base = Router::new().route(\"/\", get(home));
                if let Some(extra) = extra { return Ok(base.merge(extra)); }
                match mode {
                    Mode::A => Ok(base.layer(a)),
                    Mode::B => { let b = base.fallback(b); Ok(b) }
                    _ => Err(other),
                }
            }",
        );
        assert_eq!(
            returned(&model),
            [
                vec!["route", "merge"],
                vec!["route", "layer"],
                vec!["route", "fallback"],
            ]
        );
    }

    #[test]
    fn reassignments_in_branches_and_loops_are_followed() {
        // An `if` without `else` may or may not have run.
        let read = model(
            "{
                let mut app = Router::new().layer(a);
                if https { app = app.layer(b); }
                app
            }",
        );
        assert_eq!(returned(&read), [vec!["layer", "layer"], vec!["layer"]]);
        // One `match` arm runs; an arm that does not assign keeps the value.
        let read = model(
            "{
                let mut app = Router::new();
                match mode { A => app = app.layer(a), B => { app = app.fallback(f); } _ => {} }
                app
            }",
        );
        assert_eq!(returned(&read), [vec!["layer"], vec!["fallback"], vec![]]);
        // A loop's body may run or not.
        let read = model(
            "{
                let mut app = Router::new();
                for route in routes { app = app.route(route, get(h)); }
                app.layer(a)
            }",
        );
        assert_eq!(returned(&read), [vec!["route", "layer"], vec!["layer"]]);
    }

    #[test]
    fn a_binding_made_inside_a_block_does_not_leak_out() {
        let model = model(
            "{
                let mut app = Router::new();
                if x { let mut app = other(); app = app.layer(b); }
                app
            }",
        );
        assert_eq!(returned(&model), [Vec::<&str>::new()]);
    }

    #[test]
    fn alternatives_stay_bounded() {
        let ifs: String = (0..40)
            .map(|i| format!("if c{i} {{ app = app.layer(l{i}); }}\n"))
            .collect();
        let model = model(&format!("{{ let mut app = Router::new(); {ifs} app }}"));
        assert!(model.returned.len() <= 64, "{}", model.returned.len());
        assert!(!model.returned.is_empty());
    }

    #[test]
    fn closures_async_blocks_and_macros_are_their_own() {
        let model = model(
            "{
                let handler = || { return Router::new().layer(x); };
                let task = async { return 1; };
                Router::new().fallback(|| async { return Router::new().route(\"/up\", y); })
            }",
        );
        assert_eq!(returned(&model), [["fallback"]]);
    }

    #[test]
    fn patterns_shadow_bindings() {
        let model = model(
            "{
                let app = Router::new().layer(a);
                match other { Some(app) => app, None => app.layer(b) }
            }",
        );
        // The first arm's `app` is the pattern's, not the router above.
        assert_eq!(returned(&model), [vec![], vec!["layer", "layer"]]);
    }

    #[test]
    fn a_router_with_thousands_of_routes_needs_no_deep_stack() {
        let routes: String = (0..5000)
            .map(|i| format!(".route(\"/r{i}\", get(h))"))
            .collect();
        let body = format!("{{ Router::new(){routes}.layer(a) }}");
        // syn parses the chain recursively (hence the big stack); reading it
        // must not recurse as well.
        let model = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(move || model(&body).returned[0].steps.len())
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(model, 5001);
    }
}

mod checking {
    use super::*;

    #[test]
    fn a_body_without_mistakes_passes() {
        let body = "{ Router::new().route(\"/\", get(home)).nest(\"/api\", api()).layer(a) }";
        assert!(messages(check(body)).is_empty());
    }

    /// Every `HealthCheckLayer` placed by hand is one error on it, wherever it
    /// stands: the attribute always installs its own, so none can disable it.
    #[test]
    fn every_hand_placed_layer_is_one_error() {
        let errors = messages(check(
            "{
                #[cfg(debug_assertions)]
                let app = Router::new().layer(HealthCheckLayer::with_path(HEALTH));
                let app = app.layer(from_fn(check_host));
                let wrap = |r: Router| r.layer(HealthCheckLayer::new().check(\"db\", ping));
                if x { return wrap(app); }
                Ok(app).map(|r| r.layer(auth))
            }",
        ));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().all(|error| error.contains("placed by hand")));
        assert!(errors[0].contains("give its path and checks to the attribute"));
    }

    #[test]
    fn a_mistake_in_a_shared_step_is_reported_once() {
        let errors = messages(check(
            "{
                let app = Router::new().route(\"/up\", get(mine));
                if x { return Some(app); }
                Some(app.route(\"/a\", get(a)))
            }",
        ));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("at the healthcheck path \"/up\""));
    }

    #[test]
    fn nested_routers_are_checked_at_their_prefix() {
        let body = "{ Router::new().nest(\"/api\", Router::new().route(\"/up\", get(api))) }";
        assert!(messages(check(body)).is_empty());
        let errors = messages(checks::check(
            body.parse().unwrap(),
            &model(body),
            "/api/up",
            true,
        ));
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("at the healthcheck path \"/api/up\""));
        // In a merged router too.
        let body = "{ Router::new().merge(Router::new().route(\"/up\", get(x))) }";
        assert_eq!(messages(check(body)).len(), 1);
    }
}

mod attribute {
    use super::*;

    fn expand(args: TokenStream, item: TokenStream) -> String {
        crate::attribute(args, item).to_string()
    }

    #[test]
    fn installs_the_route_after_the_body() {
        let out = expand(
            quote!(),
            quote!(
                fn app() -> Router {
                    Router::new()
                }
            ),
        );
        assert!(
            out.contains(
                ":: kamal_healthcheck :: __private :: install (\"/up\" , move || router . \
                 route_service (\"/up\" , :: kamal_healthcheck :: __private :: Route))"
            ),
            "{out}"
        );
        let out = expand(
            quote!(path = "/healthz"),
            quote!(
                async fn app() -> anyhow::Result<Router> {
                    Ok(Router::new())
                }
            ),
        );
        assert!(out.contains("async move"), "{out}");
        assert!(
            out.contains(
                ". map (| router | :: kamal_healthcheck :: __private :: install (\"/healthz\" , \
                 move || router . route_service (\"/healthz\""
            ),
            "{out}"
        );
    }

    #[test]
    fn on_a_mistake_emits_the_function_as_written_and_the_errors() {
        let item = quote!(
            fn app() -> Router {
                Router::new().route("/up", get(mine))
            }
        );
        let out = expand(quote!(pth = "/up"), item.clone());
        assert!(out.starts_with(&item.to_string()), "{out}");
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
        assert!(!out.contains("route_service"));
    }

    #[test]
    fn not_a_function_keeps_the_item() {
        let item = quote!(
            struct App;
        );
        let out = expand(quote!(), item.clone());
        assert!(out.starts_with(&item.to_string()));
        assert_eq!(out.matches("compile_error").count(), 1);
    }

    #[test]
    fn tokens_that_are_no_item_at_all_get_one_error() {
        let out = expand(quote!(), quote!(not an item));
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
    }
}

/// The attribute on every function in the source of this workspace's dependencies
/// (all of them, as `cargo metadata` lists them for this platform) must never
/// panic, and what it returns must parse as Rust again.
#[test]
fn never_panics_on_the_functions_of_every_dependency() {
    let result = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(sweep_dependencies)
        .unwrap()
        .join();
    let (functions, files) = result.expect("the sweep panicked outside the attribute");
    println!("expanded {functions} functions from {files} files without a panic");
    // Guards against a sweep that silently found nothing.
    assert!(files > 1_000, "only {files} source files found");
    assert!(functions > 20_000, "only {functions} functions found");
}

fn sweep_dependencies() -> (usize, usize) {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    let manifest_dir = env!("CARGO_MANIFEST_DIR");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let host = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV");
    let host = String::from_utf8(host.stdout).unwrap();
    let host = host
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("a host triple");
    let metadata = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--filter-platform",
            host,
        ])
        .current_dir(manifest_dir)
        .output()
        .expect("cargo metadata");
    assert!(metadata.status.success(), "cargo metadata failed");
    let metadata = String::from_utf8(metadata.stdout).unwrap();
    let packages: Vec<std::path::PathBuf> = metadata
        .split("\"manifest_path\":\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter_map(|manifest| std::path::Path::new(manifest).parent().map(Into::into))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(packages.len() > 50, "only {} packages", packages.len());

    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let (mut functions, mut files, mut panics) = (0, 0, Vec::new());
    for package in &packages {
        for file in rust_files(package) {
            let Ok(source) = std::fs::read_to_string(&file) else {
                continue;
            };
            let Ok(parsed) = syn::parse_file(&source) else {
                continue;
            };
            files += 1;
            for (function, context) in functions_in(&parsed.items) {
                functions += 1;
                let args = match functions % 3 {
                    0 => quote!(),
                    1 => quote!(path = "/healthz"),
                    // A check naming every usual argument name exercises captures.
                    _ => quote!(
                        check(db = async { (state, db, pool, app, config).ping().await }),
                        deadline = "1500ms",
                        cache_for = "0s",
                        gate = state.gate.clone(),
                    ),
                };
                match catch_unwind(AssertUnwindSafe(|| crate::attribute(args, function))) {
                    Ok(out) => {
                        if let Err(error) = reparse(out, context) {
                            panics.push(format!(
                                "{}: output does not parse: {error}",
                                file.display()
                            ));
                        }
                    }
                    Err(_) => panics.push(format!("{}: panicked", file.display())),
                }
            }
        }
    }
    std::panic::set_hook(previous_hook);
    assert!(
        panics.is_empty(),
        "{} failures:\n{}",
        panics.len(),
        panics.join("\n")
    );
    (functions, files)
}

fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|name| name != "target") {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }
    found
}

/// Where a function stands, and so where the attribute's output goes back.
#[derive(Clone, Copy)]
enum Context {
    Module,
    Impl,
    Trait,
}

/// Parses the attribute's output where it goes: among items, in an `impl` or in a trait.
fn reparse(out: TokenStream, context: Context) -> syn::Result<()> {
    match context {
        Context::Module => syn::parse2::<syn::File>(out).map(drop),
        Context::Impl => syn::parse2::<syn::ItemImpl>(quote!(impl T { #out })).map(drop),
        Context::Trait => syn::parse2::<syn::ItemTrait>(quote!(trait T { #out })).map(drop),
    }
}

/// Every function with a body, as the tokens an attribute on it would receive:
/// free functions, methods and default trait methods, in nested modules too.
fn functions_in(items: &[syn::Item]) -> Vec<(TokenStream, Context)> {
    use quote::ToTokens;

    let mut found = Vec::new();
    for item in items {
        match item {
            syn::Item::Fn(function) => found.push((function.to_token_stream(), Context::Module)),
            syn::Item::Impl(block) => {
                for item in &block.items {
                    if let syn::ImplItem::Fn(method) = item {
                        found.push((method.to_token_stream(), Context::Impl));
                    }
                }
            }
            syn::Item::Trait(block) => {
                for item in &block.items {
                    if let syn::TraitItem::Fn(method) = item {
                        if method.default.is_some() {
                            found.push((method.to_token_stream(), Context::Trait));
                        }
                    }
                }
            }
            syn::Item::Mod(module) => {
                if let Some((_, items)) = &module.content {
                    found.extend(functions_in(items));
                }
            }
            _ => {}
        }
    }
    found
}

/// A router function of `routes` routes and `layers` layers, half of them
/// `.layer(..)` calls between the routes and half in a `ServiceBuilder`.
pub(crate) fn large_router(routes: usize, layers: usize) -> TokenStream {
    let mut chain = quote!(Router::new());
    for i in 0..routes {
        let path = format!("/resource{i}/{{id}}");
        chain = quote!(#chain.route(#path, get(handler)));
        if i % (routes / (layers / 2)).max(1) == 0 {
            chain = quote!(#chain.layer(TimeoutLayer::new(Duration::from_secs(10))));
        }
    }
    let stack = (0..layers / 2).map(|_| quote!(.layer(CompressionLayer::new())));
    quote! {
        pub fn app(state: AppState) -> Router {
            let stack = ServiceBuilder::new() #(#stack)*;
            #chain.layer(stack).with_state(state)
        }
    }
}

/// How long the attribute takes on a router of 200 routes and 30 layers. Run it
/// in release, where the compiler's proc-macro build is optimised too:
/// `cargo test --release -p kamal-healthcheck-macros expansion_time -- --ignored --nocapture`
#[test]
#[ignore = "a measurement, not a check; run on demand"]
fn expansion_time_of_a_large_router() {
    let item = large_router(200, 30);
    let out = crate::attribute(quote!(), item.clone()).to_string();
    assert!(out.contains("route_service") && !out.contains("compile_error"));
    let mut times: Vec<std::time::Duration> = (0..200)
        .map(|_| {
            let (args, item) = (quote!(), item.clone());
            let start = std::time::Instant::now();
            std::hint::black_box(crate::attribute(args, item));
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "expansion of 200 routes and 30 layers ({} tokens in): median {:?}, max {:?}",
        item.into_iter().count(),
        times[times.len() / 2],
        times[times.len() - 1]
    );
}

mod serving {
    use super::*;
    use crate::serve;

    fn calls(body: TokenStream) -> usize {
        serve::calls(body)
    }

    #[test]
    fn finds_axum_serve_and_a_bare_serve_with_two_arguments() {
        assert_eq!(calls(quote!(axum::serve(listener, app).await)), 1);
        assert_eq!(calls(quote!(::axum::serve(l, app.into_make_service()))), 1);
        assert_eq!(calls(quote!(serve(listener, app).await)), 1);
        // Inside the `async` block `#[tokio::main]` writes, and in a macro.
        assert_eq!(
            calls(quote!(let body = async { axum::serve(l, a).await };)),
            1
        );
        assert_eq!(
            calls(quote!(tokio::select! { _ = axum::serve(l, a) => {} })),
            1
        );
        assert_eq!(calls(quote!(axum::serve(a, b); serve(c, d);)), 2);
    }

    #[test]
    fn leaves_other_serves_alone() {
        // A method (tonic's `Server::serve`), another crate's, another arity.
        assert_eq!(calls(quote!(server.serve(address, extra))), 0);
        assert_eq!(calls(quote!(warp::serve(routes, other))), 0);
        assert_eq!(calls(quote!(hyper::serve(a, b))), 0);
        assert_eq!(calls(quote!(serve(only_one))), 0);
        assert_eq!(calls(quote!(serve(a, b, c))), 0);
        assert_eq!(
            calls(quote!(
                fn serve() {}
            )),
            0
        );
    }

    #[test]
    fn wraps_the_app_and_keeps_the_conversion_asked_for() {
        let wrap = |service: TokenStream| {
            let service: syn::Expr = syn::parse2(service).unwrap();
            serve::wrap(&service, &quote!(LAYER), &quote!(::kamal_healthcheck)).to_string()
        };
        let layered = "Layer :: layer (& LAYER , app)";
        for service in [quote!(app), quote!(app.into_make_service())] {
            let out = wrap(service);
            assert!(
                out.contains(layered) && out.contains(":: into_make_service ("),
                "{out}"
            );
        }
        let out = wrap(quote!(
            app.into_make_service_with_connect_info::<SocketAddr>()
        ));
        assert!(
            out.contains("into_make_service_with_connect_info :: < SocketAddr > (")
                && out.contains(layered),
            "{out}"
        );
        // The function as written, so that its import stays in use.
        let out = wrap(quote!(ServiceExt::<Request>::into_make_service(app)));
        assert!(
            out.starts_with("ServiceExt :: < Request > :: into_make_service (")
                && out.contains(layered),
            "{out}"
        );
    }

    #[test]
    fn the_attribute_on_main_wraps_the_served_app() {
        let out = crate::attribute(
            quote!(),
            quote!(
                #[tokio::main]
                async fn main() {
                    let app = Router::new();
                    axum::serve(listener, app).await.unwrap();
                }
            ),
        )
        .to_string();
        assert!(
            out.contains(
                "Layer :: layer (& :: kamal_healthcheck :: HealthCheckLayer :: with_path (\"/up\") , app)"
            ),
            "{out}"
        );
        assert!(!out.contains("route_service"), "{out}");
    }

    #[test]
    fn checks_get_copies_of_locals_made_where_they_are_bound() {
        let out = crate::attribute(
            quote!(check(db = pool.ping())),
            quote!(
                async fn main() {
                    let pool = Pool::new();
                    let app = Router::new().with_state(pool);
                    axum::serve(listener, app).await.unwrap();
                }
            ),
        )
        .to_string();
        let bound = out.find("let pool = Pool :: new () ;").unwrap();
        let copied = out
            .find("let kamal_healthcheck_saved_pool = :: core :: clone :: Clone :: clone (& pool)")
            .unwrap();
        let moved = out.find("with_state (pool)").unwrap();
        assert!(bound < copied && copied < moved, "{out}");
    }

    /// An argument destructured in the signature is copied at the top, like a
    /// plain one; a `let` inside a closure is no local of the function.
    #[test]
    fn checks_may_use_destructured_arguments_but_not_closures_lets() {
        let out = crate::attribute(
            quote!(check(db = db.ping())),
            quote!(
                async fn serve(State { db, .. }: State) {
                    let app = Router::new().with_state(db);
                    axum::serve(listener, app).await.unwrap();
                }
            ),
        )
        .to_string();
        assert!(
            out.contains(
                "let kamal_healthcheck_saved_db = :: core :: clone :: Clone :: clone (& db)"
            ),
            "{out}"
        );
        let locals = crate::serve::locals(
            &syn::parse2(quote!({
                let pool = Pool::new();
                let task = || {
                    let hidden = 1;
                    hidden
                };
                axum::serve(listener, app).await;
            }))
            .unwrap(),
        );
        let names: Vec<String> = locals.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["pool", "task"]);
    }
}

/// `levels` routers, each merging the previous one, each changed under `flags`
/// feature-flag `if`s: every `if` doubles a router's alternatives, and each
/// alternative holds all of the previous router's.
fn merged_levels(levels: usize, flags: usize) -> TokenStream {
    let mut body = quote!(let mut r0 = Router::new(););
    for level in 0..levels {
        let this = quote::format_ident!("r{}", level);
        for flag in 0..flags {
            let route = format!("/l{level}f{flag}");
            body.extend(quote!(if flags.on(#flag) { #this = #this.route(#route, get(h)); }));
        }
        let next = quote::format_ident!("r{}", level + 1);
        body.extend(quote!(let mut #next = Router::new().merge(#this);));
    }
    let last = quote::format_ident!("r{}", levels);
    quote!(fn app(flags: Flags) -> Router { #body #last.layer(from_fn(check_host)) })
}

/// The analysis is linear in the body's size: five levels of merged routers with
/// six feature flags each (once 27 s for four levels, and no end for five).
#[test]
fn merged_routers_with_feature_flags_stay_fast() {
    for levels in [4, 5, 8] {
        let item = merged_levels(levels, 6);
        let start = std::time::Instant::now();
        let out = crate::attribute(quote!(), item).to_string();
        let elapsed = start.elapsed();
        assert!(out.contains("route_service"), "{out}");
        assert!(
            elapsed < std::time::Duration::from_secs(2),
            "{levels} levels: {elapsed:?}"
        );
    }
}
