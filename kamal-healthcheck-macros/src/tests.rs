//! Unit tests of each stage: arguments, the model of the body, the checks, and the
//! whole attribute on `proc_macro2` tokens.

use proc_macro2::TokenStream;
use quote::quote;

use crate::args;
use crate::errors::Errors;
use crate::model::{Model, StepKind};

fn model(body: &str) -> Model {
    crate::model::read(&mut syn::parse_str(body).expect("a block")).0
}

/// The method calls of each returned chain, by kind (`route`, `merge`,
/// `nest`) or by name.
fn returned(model: &Model) -> Vec<Vec<&str>> {
    model
        .returned
        .iter()
        .map(|chain| {
            chain
                .steps()
                .into_iter()
                .map(|step| match &model.steps[step].kind {
                    StepKind::Route { .. } => "route",
                    StepKind::Merge(_) => "merge",
                    StepKind::Nest { .. } => "nest",
                    StepKind::Other(method) => method.as_str(),
                })
                .collect()
        })
        .collect()
}

fn messages(errors: Errors) -> Vec<String> {
    match errors.finish() {
        Ok(()) => Vec::new(),
        Err(errors) => errors.into_iter().map(|error| error.to_string()).collect(),
    }
}

/// The errors of every rule, for a router function with `args` and `body`.
fn check_with(args: TokenStream, body: &str) -> Vec<String> {
    let item: TokenStream = format!("fn app() -> Router {body}").parse().unwrap();
    let mut errors = Errors::default();
    let args = args::parse(args, &mut errors);
    let mut function = crate::function::read(item).unwrap();
    let (model, serving) = crate::model::read(&mut function.item.block);
    let _ = crate::check::plan(
        args,
        &function,
        &model,
        serving,
        crate::check::DeployYml::NotRead,
        &mut errors,
    );
    messages(errors)
}

fn check(body: &str) -> Vec<String> {
    check_with(quote!(), body)
}

mod arguments {
    use super::*;

    fn parse(tokens: TokenStream) -> (args::Args, Vec<String>) {
        let mut errors = Errors::default();
        let args = args::parse(tokens, &mut errors);
        (args, messages(errors))
    }

    #[test]
    fn default_and_explicit_path() {
        let (args, errors) = parse(quote!());
        assert!(errors.is_empty());
        assert!(args.path.is_none() && args.krate.is_none());

        let (args, errors) = parse(quote!(path = "/healthz", crate = "my::reexport"));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(args.path.unwrap().value(), "/healthz");
        let krate = args.krate.unwrap();
        assert_eq!(quote!(#krate).to_string(), "my :: reexport");
    }

    #[test]
    fn every_mistake_is_reported() {
        let (_, errors) = parse(quote!(pth = "/x", path = "nope", path = "/a", crate = 1));
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[0].starts_with("unknown argument `pth`"));
        assert!(errors[0].ends_with("= help: did you mean `path`?"));
        assert!(errors[1].contains("must start with `/`"));
        assert!(errors[2].contains("more than once"));
        assert!(errors[3].starts_with("expected `crate = \"...\"`"));
    }

    /// Every argument but `check` may be given once: a second one would
    /// silently win over the first.
    #[test]
    fn every_repeated_argument_is_refused() {
        for (name, value) in [
            ("path", quote!("/a")),
            ("crate", quote!("a")),
            ("deploy", quote!("a.yml")),
            ("deadline", quote!("1s")),
            ("timeout", quote!("5s")),
            ("cache_for", quote!("1s")),
            ("error_details", quote!(true)),
            ("gate", quote!(gate)),
            ("deploy_timeout", quote!("30s")),
            ("stop_timeout", quote!("10s")),
            ("signals", quote!(false)),
        ] {
            let name = quote::format_ident!("{}", name);
            let (_, errors) = parse(quote!(#name = #value, #name = #value));
            assert_eq!(errors.len(), 1, "{name}: {errors:?}");
            assert!(
                errors[0].starts_with(&format!("`{name}` is given more than once")),
                "{errors:?}"
            );
        }
        let (args, errors) = parse(quote!(check(a = a()), check(b = b())));
        assert!(errors.is_empty() && args.checks.len() == 2, "{errors:?}");
    }

    #[test]
    fn an_unknown_argument_lists_the_known_ones() {
        let (_, errors) = parse(quote!(interval = "1s"));
        assert_eq!(
            errors,
            ["unknown argument `interval`\n\
              = note: `#[kamal_healthcheck]` takes `path`, `crate`, `deploy`, `check`, \
              `deadline`, `timeout`, `cache_for`, `error_details`, `gate`, `deploy_timeout`, \
              `stop_timeout`, `signals`, `self_probe`\n\
              = help: the arguments are described in the docs of `#[kamal_healthcheck]`"]
        );
    }

    #[test]
    fn a_positional_path_is_explained() {
        let (_, errors) = parse(quote!("/healthz"));
        assert_eq!(
            errors,
            ["the path is a named argument\n\
              = note: `#[kamal_healthcheck]` takes `name = value` arguments only\n\
              = help: write `#[kamal_healthcheck(path = \"/healthz\")]`"]
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
        assert_eq!(returned(&model), [["route", "layer", "with_state"]]);
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
            .spawn(move || model(&body).returned[0].steps().len())
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
        assert!(check(body).is_empty());
    }

    /// A layer is not refused by its name: an app's own type may be called
    /// `HealthCheckLayer`. rustc decides by the type (see `expand::inspect`).
    #[test]
    fn a_layer_is_not_refused_by_its_name() {
        let errors = check(
            "{
                let app = Router::new().layer(HealthCheckLayer::with_path(HEALTH));
                let wrap = |r: Router| r.layer(mine::HealthCheckLayer::new());
                wrap(app)
            }",
        );
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn a_mistake_in_a_shared_step_is_reported_once() {
        let errors = check(
            "{
                let app = Router::new().route(\"/up\", get(mine));
                if x { return Some(app); }
                Some(app.route(\"/a\", get(a)))
            }",
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("at the healthcheck path \"/up\""));
    }

    #[test]
    fn nested_routers_are_checked_at_their_prefix() {
        let body = "{ Router::new().nest(\"/api\", Router::new().route(\"/up\", get(api))) }";
        assert!(check(body).is_empty());
        let errors = check_with(quote!(path = "/api/up"), body);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("at the healthcheck path \"/api/up\""));
        // In a merged router too.
        let body = "{ Router::new().merge(Router::new().route(\"/up\", get(x))) }";
        assert_eq!(check(body).len(), 1);
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
    fn the_serving_form_stops_on_signals_unless_told_not_to() {
        let serve = quote!(
            async fn main() {
                axum::serve(listener, app).await
            }
        );
        let out = expand(quote!(), serve.clone());
        assert!(
            out.contains(":: kamal_healthcheck :: __private :: Stopping :: new"),
            "{out}"
        );
        // Docker's 10 s unless set.
        assert!(out.contains("from_millis (10000u64)"), "{out}");
        let out = expand(
            quote!(stop_timeout = "30s", deploy_timeout = "1m"),
            serve.clone(),
        );
        assert!(out.contains("compile_error"), "{out}");
        let out = expand(
            quote!(stop_timeout = "30s", deploy_timeout = "90s"),
            serve.clone(),
        );
        assert!(out.contains("from_millis (30000u64)"), "{out}");
        assert!(out.contains("from_millis (90000u64)"), "{out}");
        let out = expand(quote!(signals = false), serve);
        assert!(!out.contains("Stopping"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[cfg(feature = "deploy-yml")]
    #[test]
    fn deploy_yml_gives_the_stop_and_deploy_timeouts() {
        let dir = std::env::temp_dir().join(format!("kh-lifecycle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("deploy.yml"),
            "deploy_timeout: 60\nstop_timeout: 20\nservers:\n  web:\n    hosts: [a]\n",
        )
        .unwrap();
        let deploy = crate::deploy::yml::read_from(&dir, "deploy.yml").unwrap();
        assert_eq!(
            deploy.deploy_timeout,
            Some(std::time::Duration::from_secs(60))
        );
        assert_eq!(
            deploy.stop_timeout,
            Some(std::time::Duration::from_secs(20))
        );
        std::fs::remove_dir_all(&dir).unwrap();
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
///
/// It takes half a minute, so it runs when asked (`.ci/run` asks):
/// `cargo test -p kamal-healthcheck-macros --lib -- --ignored --exact tests::never_panics_on_the_functions_of_every_dependency`
#[test]
#[ignore = "expands every function of the dependency tree; run by .ci/run"]
fn never_panics_on_the_functions_of_every_dependency() {
    let result = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(sweep_dependencies)
        .unwrap()
        .join();
    let (functions, files) = result.expect("the sweep panicked outside the attribute");
    println!("expanded {functions} functions from {files} files without a panic");
}

/// Returns how many functions and files it expanded; fails on a panic, on an
/// output that does not parse, and when this crate's own files (which the
/// workspace's metadata always lists) were not among those swept.
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
    // A panic's message is printed where it happens (the panic hook stays the
    // process's): with none, nothing is.
    let own = std::path::Path::new(manifest_dir)
        .join("src")
        .join("args.rs");
    let mut swept_own = 0;
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
                if file == own {
                    swept_own += 1;
                }
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
    assert!(swept_own > 0, "the sweep did not reach {}", own.display());
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
    use crate::serve::Recogniser;

    /// How many `serve` calls a function body holds that imports what
    /// `imports` says and then does `body`.
    fn calls(imports: TokenStream, body: TokenStream) -> usize {
        let block: syn::Block = syn::parse2(quote!({ #imports #body })).unwrap();
        crate::sites::read(&mut block.clone(), &Recogniser::new(&block)).calls
    }

    #[test]
    fn finds_axum_serve_by_its_path_or_an_import_in_the_body() {
        assert_eq!(calls(quote!(), quote!(axum::serve(listener, app).await)), 1);
        assert_eq!(
            calls(quote!(), quote!(::axum::serve(l, app.into_make_service()))),
            1
        );
        assert_eq!(calls(quote!(), quote!(axum::serve::serve(l, app))), 1);
        assert_eq!(
            calls(
                quote!(
                    use axum::serve;
                ),
                quote!(serve(l, app).await)
            ),
            1
        );
        assert_eq!(
            calls(
                quote!(
                    use axum::{Router, serve as run};
                ),
                quote!(run(l, app))
            ),
            1
        );
        assert_eq!(
            calls(
                quote!(
                    use axum::serve::serve;
                ),
                quote!(serve(l, app))
            ),
            1
        );
        // Inside the `async` block `#[tokio::main]` writes, and in a macro.
        assert_eq!(
            calls(
                quote!(),
                quote!(let body = async { axum::serve(l, a).await };)
            ),
            1
        );
        assert_eq!(
            calls(
                quote!(),
                quote!(tokio::select! { _ = axum::serve(l, a) => {} })
            ),
            1
        );
    }

    /// The body's tokens are searched once, however deep the blocks that
    /// serve are nested: each block is read on its own, a marker in its place
    /// in the statement around it (one token more per block).
    #[test]
    fn the_body_is_searched_once_at_any_depth() {
        fn tokens(stream: TokenStream) -> usize {
            stream
                .into_iter()
                .map(|token| match token {
                    proc_macro2::TokenTree::Group(group) => 1 + tokens(group.stream()),
                    _ => 1,
                })
                .sum()
        }
        let depth = 40;
        let mut body = quote!(axum::serve(listener, app.clone()).await.unwrap(););
        for level in 0..depth {
            let name = quote::format_ident!("pool{}", level);
            body = quote!(
                let #name = Pool::new();
                tokio::spawn(async move { #body }).await.unwrap();
                axum::serve(listener, app.layer(from_fn(check))).await.unwrap();
            );
        }
        let block: syn::Block = syn::parse2(quote!({ #body })).unwrap();
        let before = crate::sites::SEARCHED.with(std::cell::Cell::get);
        let sites = crate::sites::read(&mut block.clone(), &Recogniser::new(&block));
        let searched = crate::sites::SEARCHED.with(std::cell::Cell::get) - before;
        assert_eq!(sites.calls, depth + 1);
        let inner = match quote!(#block).into_iter().next() {
            Some(proc_macro2::TokenTree::Group(group)) => tokens(group.stream()),
            _ => unreachable!(),
        };
        assert_eq!(searched, inner + depth);
        // Every local of every block that serves, for the checks.
        assert_eq!(sites.body.locals().len(), depth);
        // Each of the calls is written once.
        let out = crate::attribute(
            quote!(check(db = pool0.ping())),
            quote!(async fn main() { #body }),
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert_eq!(out.matches("served :: <").count(), depth + 1);
        // Each layer's argument, and each app served, handed to rustc first.
        assert_eq!(
            out.matches("AllowedBesideTheAttribute").count(),
            depth + (depth + 1)
        );
    }

    #[test]
    fn leaves_other_serves_alone() {
        // A bare `serve` the body does not import: the app's own, say.
        assert_eq!(calls(quote!(), quote!(serve(app, 3000).await)), 0);
        // A method (tonic's `Server::serve`), another crate's, another arity.
        assert_eq!(calls(quote!(), quote!(server.serve(address, extra))), 0);
        assert_eq!(calls(quote!(), quote!(warp::serve(routes, other))), 0);
        assert_eq!(calls(quote!(), quote!(hyper::serve(a, b))), 0);
        assert_eq!(
            calls(
                quote!(
                    use axum::serve;
                ),
                quote!(serve(only_one))
            ),
            0
        );
        assert_eq!(
            calls(
                quote!(
                    use axum::serve;
                ),
                quote!(serve(a, b, c))
            ),
            0
        );
        assert_eq!(
            calls(
                quote!(
                    use my::serve;
                ),
                quote!(serve(a, b))
            ),
            0
        );
    }

    #[test]
    fn the_attribute_on_main_serves_the_app_inside_the_healthcheck() {
        let out = crate::attribute(
            quote!(),
            quote!(
                #[tokio::main]
                async fn main() {
                    let app = Router::new();
                    axum::serve(listener, app.into_make_service())
                        .await
                        .unwrap();
                }
            ),
        )
        .to_string();
        assert!(
            out.contains("axum :: serve (listener , { let app = app . into_make_service () ;"),
            "{out}"
        );
        assert!(
            out.contains(
                "let healthcheck = :: kamal_healthcheck :: HealthCheckLayer :: with_path (\"/up\") ;"
            ) && out.contains("serving . served :: < _ , :: axum :: body :: Body > (healthcheck , app , address)")
                && out.contains(":: kamal_healthcheck :: __private :: Serving :: start (\"main\" , \"/up\" , true ,"),
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
            .find(
                "let __kamal_healthcheck_saved_pool = :: core :: clone :: Clone :: clone (& pool)",
            )
            .unwrap();
        let moved = out.find("with_state (pool)").unwrap();
        // Copied again for the statement that serves.
        let again = out
            .find(
                "let pool = :: core :: clone :: Clone :: clone (& __kamal_healthcheck_saved_pool)",
            )
            .unwrap();
        let served = out.find("axum :: serve (").unwrap();
        assert!(
            bound < copied && copied < moved && moved < again && again < served,
            "{out}"
        );
    }

    /// An argument destructured in the signature is copied at the top, like a
    /// plain one; a `let` inside a closure is no local of the function, and a
    /// tuple pattern binds locals too.
    #[test]
    fn checks_may_use_destructured_arguments_and_tuples_but_not_closures_lets() {
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
                "let __kamal_healthcheck_saved_db = :: core :: clone :: Clone :: clone (& db)"
            ),
            "{out}"
        );
        let (_, serving) = crate::model::read(
            &mut syn::parse_str(
                "{
                let (pool, jobs) = (Pool::new(), Jobs::new());
                let task = || {
                    let hidden = 1;
                    hidden
                };
                axum::serve(listener, app).await;
            }",
            )
            .unwrap(),
        );
        let names: Vec<String> = serving.locals.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["pool", "jobs", "task"]);
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

/// `routes` routes, each added under a feature flag by a reassignment.
fn flagged_routes(routes: usize) -> TokenStream {
    let ifs = (0..routes).map(|i| {
        let path = format!("/r{i}");
        quote!(if flags.on(#i) { r = r.route(#path, get(h)); })
    });
    quote!(fn app(flags: Flags) -> Router { let mut r = Router::new(); #(#ifs)* r })
}

/// Reading is linear in the body: each flag may add a route, and no branch
/// copies the chains or the bindings before it (500 such routes once took
/// 10.5 s and 289 MB).
#[test]
fn routes_added_under_flags_stay_linear() {
    let time = |routes: usize| {
        let item = flagged_routes(routes);
        let start = std::time::Instant::now();
        let out = crate::attribute(quote!(), item).to_string();
        assert!(out.contains("route_service"), "{out}");
        start.elapsed()
    };
    let (small, large) = (time(250), time(1000));
    println!("250 flagged routes: {small:?}; 1000: {large:?}");
    // Four times the routes, at most about four times the time (a quadratic
    // reading takes sixteen); the bound leaves room for a loaded machine.
    assert!(
        large < small * 10 + std::time::Duration::from_millis(50),
        "{small:?} then {large:?}"
    );
}
