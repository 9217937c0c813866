//! Writes the annotated function anew from the [`Plan`]: all the code the
//! attribute generates is written here.
//!
//! Names the expansion binds are made at [`Span::mixed_site`], so they can
//! neither clash with the user's names nor appear in an error about them.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{AttrStyle, Block, Expr, Ident, ItemFn, Stmt};

use crate::check::{Form, Plan, Readiness};
use crate::function::{Function, Returns};
use crate::serve::Recogniser;

/// The function with the healthcheck installed.
pub(crate) fn expand(function: &Function, plan: &Plan) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
        ..
    } = &function.item;
    // Inner attributes (`#![allow(..)]` at the top of the body) stay at the top of
    // the function's body, where they apply to all of it.
    let (outer, inner): (Vec<_>, Vec<_>) = attrs
        .iter()
        .partition(|attr| matches!(attr.style, AttrStyle::Outer));
    let tracking = tracking(&plan.tracked);
    let body = match &plan.form {
        Form::Returns(returns) => returning(function, block, plan, *returns),
        Form::Serves {
            arguments,
            recogniser,
        } => {
            let body = serving(block, plan, arguments, recogniser);
            // From the first statement: the settings in force for the
            // container, chosen at start-up, and the stop, which listens for
            // signals from then on, so that none is lost before the app
            // serves, and counts the function as running until it returns.
            let start = start_serving(plan, &function.item.sig.ident.to_string());
            // `APP healthcheck` probes the app and exits, before anything.
            let self_probe = plan.self_probe.as_ref().map(|command| {
                let (krate, path) = (&plan.krate, &plan.path);
                quote!(#krate::self_probe(#command, #path);)
            });
            quote!(#self_probe #start #body)
        }
    };
    quote! {
        #(#outer)*
        #vis #sig {
            #(#inner)*
            #tracking
            #body
        }
    }
}

/// The function's signature with a body that is not the user's, emitted
/// beside the errors in its place (see [`crate::check::Refused::StandIn`]).
pub(crate) fn stand_in(function: &Function) -> TokenStream {
    let ItemFn {
        attrs, vis, sig, ..
    } = &function.item;
    let outer = attrs
        .iter()
        .filter(|attr| matches!(attr.style, AttrStyle::Outer));
    quote! {
        #(#outer)*
        #[allow(unused_variables)]
        #vis #sig {
            ::core::unreachable!()
        }
    }
}

/// What makes the build rerun when one of `files` changes: rustc tracks the
/// files it includes.
pub(crate) fn tracking(files: &[std::path::PathBuf]) -> TokenStream {
    let absolute = files.iter().map(|file| file.display().to_string());
    quote!(#(const _: &[u8] = ::core::include_bytes!(#absolute);)*)
}

fn name(text: &str) -> Ident {
    Ident::new(text, Span::mixed_site())
}

/// The body of a function that returns the router: the body runs as before,
/// and the healthcheck route is added to the router it returns, after
/// everything the body did to it: `Router::layer` wraps only the routes that
/// exist when it is called, so nothing the body added sees a request for the
/// path, and normal requests pay nothing for it.
fn returning(function: &Function, block: &Block, plan: &Plan, returns: Returns) -> TokenStream {
    let Some(ty) = &function.ty else {
        unreachable!("a function without a return type returns no router");
    };
    let Plan { path, krate, .. } = plan;
    let sig = &function.item.sig;
    let block = inspect_layers(block.to_token_stream(), krate);
    // The body runs in a closure (an `async` block for an `async fn`) so that its
    // `return`s and `?`s keep their meaning; its type is the declared return type.
    // `impl Trait` may name a function's return type, but not a closure's or a
    // binding's: there it is left to inference (`Result<Router, _>`).
    let ty = &inferred(ty);
    let body = if sig.asyncness.is_some() {
        quote!(async move #block.await)
    } else {
        quote!((move || -> #ty #block)())
    };
    let (router, layer) = (name("router"), name("layer"));
    // The checks' layer is built first, while the arguments it clones are there.
    let (setup, route) = match &plan.readiness {
        None => (quote!(), quote!(#krate::__private::Route)),
        Some(readiness) => {
            let built = healthcheck_layer(plan, readiness);
            (
                quote!(let #layer = #built;),
                quote!(#krate::__private::CheckedRoute::from_layer(&#layer)),
            )
        }
    };
    // Spanned on the return type, so a type without `route_service` is reported there.
    // Through `install`, so that axum's panic on a route already at the path (a
    // `.route(..)` with a constant path, say) comes with what to do about it.
    let add = quote_spanned!(ty.span()=> move || #router.route_service(#path, #route));
    let install = match returns {
        Returns::Router => quote!(#krate::__private::install(#path, #add)),
        Returns::Wrapped => {
            quote!(#router.map(|#router| #krate::__private::install(#path, #add)))
        }
    };
    quote! {
        #setup
        #[allow(clippy::redundant_closure_call)]
        let #router: #ty = #body;
        #install
    }
}

/// The body of a function that serves the app: as written, with the app of
/// each `serve` call inside the healthcheck, so that nothing the function
/// serves sees the probe first, and normal requests pay one path comparison.
///
/// The checks are built at each call, from copies of the variables they use:
/// each variable is copied as soon as it is bound (at the top of the body for
/// the arguments), and copied again for each statement that holds `serve`
/// calls, so that the body may move it and several tasks may each serve.
fn serving(block: &Block, plan: &Plan, arguments: &[Ident], serve: &Recogniser) -> TokenStream {
    let krate = &plan.krate;
    let captured: &[Ident] = plan
        .readiness
        .as_ref()
        .map_or(&[], |readiness| &readiness.captured);
    let mut block = block.clone();
    let saved_arguments: Vec<Stmt> = arguments
        .iter()
        .filter(|name| captured.contains(name))
        .map(|name| copy(&saved(name), quote!(#name)))
        .collect();
    let mut top = true;
    serve.each_block(&mut block, &mut |block| {
        let mut saved_here: Vec<&Ident> = Vec::new();
        let mut stmts = Vec::with_capacity(block.stmts.len());
        if std::mem::take(&mut top) {
            stmts.extend(saved_arguments.iter().cloned());
            saved_here.extend(arguments.iter().filter(|name| captured.contains(name)));
        }
        for mut stmt in std::mem::take(&mut block.stmts) {
            if serve.count(stmt.to_token_stream()) > 0 {
                stmts.extend(untyped_server(&mut stmt));
                for name in &saved_here {
                    let saved = saved(name);
                    stmts.push(copy(&in_use(name), quote!(#saved)));
                }
            }
            let bound: Vec<&Ident> = match &stmt {
                Stmt::Local(local) => crate::syntax::bindings(&local.pat)
                    .into_iter()
                    .filter(|binding| binding.by_ref.is_none())
                    .map(|binding| &binding.ident)
                    .filter_map(|bound| captured.iter().find(|name| *name == bound))
                    .collect(),
                _ => Vec::new(),
            };
            stmts.push(stmt);
            for name in bound {
                stmts.push(copy(&saved(name), quote!(#name)));
                saved_here.retain(|known| *known != name);
                saved_here.push(name);
            }
        }
        block.stmts = stmts;
    });
    let layer = || match &plan.readiness {
        None => {
            let path = &plan.path;
            quote!(#krate::HealthCheckLayer::with_path(#path))
        }
        Some(readiness) => {
            let built = healthcheck_layer(plan, readiness);
            let copies = readiness.captured.iter().map(|name| {
                let copy = in_use(name);
                quote!(let #name = ::core::clone::Clone::clone(&#copy);)
            });
            quote!({ #(#copies)* #built })
        }
    };
    let stmts = &block.stmts;
    let body = inspect_layers(quote!(#(#stmts)*), krate);
    rewrite(serve, body, &|path, listener, app| {
        let (value, address) = (name("listener"), name("address"));
        let (serve, signal) = (name("serve"), name("signal"));
        let served = served(krate, &layer(), app, &address);
        // With the signals handled: the same server, stopped when the
        // process's stop begins; the app's own `.with_graceful_shutdown(..)`
        // after it is the wrapper's.
        let call = match plan.stop_timeout {
            None => quote!(#path(#value, #served)),
            Some(_) => quote!(#krate::__private::Stopping::new(
                #path(#value, #served),
                |#serve, #signal| #serve.with_graceful_shutdown(#signal),
                |#serve| #serve.local_addr(),
            )),
        };
        quote!({
            let #value = #listener;
            // Said at start-up: what kamal-proxy probes, and where.
            let #address = {
                #[allow(unused_imports)]
                use #krate::__private::NotASocket as _;
                #krate::__private::ListenerAddress(
                    &::axum::serve::Listener::local_addr(&#value),
                )
                .socket()
            };
            #call
        })
    })
}

/// `let server: Serve<..> = axum::serve(..);` without its type: the
/// attribute's server takes the place of axum's `Serve` (or
/// `WithGracefulShutdown`), so the type as written would no longer match;
/// it is left to inference. The type is still named, in a statement of its
/// own, so that its imports stay in use (unless it holds a `_`, which only
/// the value could have inferred). Called on statements that hold a `serve`
/// call; returns that statement, if any.
fn untyped_server(stmt: &mut Stmt) -> Option<Stmt> {
    let Stmt::Local(local) = stmt else {
        return None;
    };
    let syn::Pat::Type(typed) = &local.pat else {
        return None;
    };
    let ty = typed.ty.to_token_stream();
    let names = |name: &str| {
        fn has(tokens: TokenStream, name: &str) -> bool {
            tokens.into_iter().any(|token| match token {
                TokenTree::Ident(ident) => ident == name,
                TokenTree::Group(group) => has(group.stream(), name),
                _ => false,
            })
        }
        has(ty.clone(), name)
    };
    if !names("Serve") && !names("WithGracefulShutdown") {
        return None;
    }
    let named: Option<Stmt> =
        (!names("_")).then(|| syn::parse_quote!(let _: ::core::marker::PhantomData<#ty>;));
    local.pat = (*typed.pat).clone();
    named
}

/// `let serving = Serving::start(..);`, the function's first statement: the
/// settings the attribute read (the path, whether the stop is on, the
/// timeouts, and deploy.yml's with each destination's, from which the
/// container's own are chosen at start-up), given to the runtime crate's one
/// constructor for the form (see its `expansion::deployment`).
fn start_serving(plan: &Plan, function: &str) -> TokenStream {
    let krate = &plan.krate;
    let optional = |duration: Option<std::time::Duration>| match duration {
        Some(duration) => {
            let duration = duration_tokens(duration);
            quote!(::core::option::Option::Some(#duration))
        }
        None => quote!(::core::option::Option::None),
    };
    let signals = plan.stop_timeout.is_some();
    // Without the stop (`signals = false`) its timeout is unused.
    let stop_timeout = duration_tokens(plan.stop_timeout.unwrap_or(crate::rules::STOP_TIMEOUT));
    let deploy_timeout = duration_tokens(plan.deploy_timeout);
    let deployments = plan.deployments.iter().flatten().map(|deployment| {
        let crate::deploy::Deployment {
            destination,
            service,
            app_port,
            ..
        } = deployment;
        let roles = deployment.roles.iter().map(|role| {
            let (name, proxied) = (&role.name, role.proxied);
            let stop_timeout = optional(role.stop_timeout);
            quote!(#krate::__private::Role {
                name: #name,
                proxied: #proxied,
                stop_timeout: #stop_timeout,
            })
        });
        let deploy_timeout = optional(deployment.deploy_timeout);
        let stop_timeout = optional(deployment.stop_timeout);
        let drain_timeout = optional(deployment.drain_timeout);
        quote!(#krate::__private::Deployment {
            destination: #destination,
            service: #service,
            app_port: #app_port,
            deploy_timeout: #deploy_timeout,
            stop_timeout: #stop_timeout,
            drain_timeout: #drain_timeout,
            roles: &[#(#roles),*],
        })
    });
    let (serving, running) = (name("serving"), name("running"));
    let (table, path) = (name("DEPLOYMENTS"), &plan.path);
    quote!(let (#serving, #running) = {
        const #table: &[#krate::__private::Deployment] = &[#(#deployments),*];
        #krate::__private::Serving::start(
            #function,
            #path,
            #signals,
            #stop_timeout,
            #deploy_timeout,
            #table,
        )
    };)
}

fn duration_tokens(duration: std::time::Duration) -> TokenStream {
    let millis = duration.as_millis() as u64;
    quote!(::core::time::Duration::from_millis(#millis))
}

/// The make-service `serve` is given instead of `app`: the same one, each
/// service it makes inside the healthcheck, said at start-up to listen on
/// `address`. A `HealthCheck` placed around `app` by hand is reported by
/// rustc, on `app`.
fn served(krate: &TokenStream, layer: &TokenStream, app: &Expr, address: &Ident) -> TokenStream {
    let (value, layer_name, serving) = (name("app"), name("healthcheck"), name("serving"));
    let inspect = inspect(krate, &value, app.span());
    // Its first service is asked whether the app answers the path itself (a
    // route the attribute cannot see), however the app is served.
    quote!({
        let #value = #app;
        #inspect
        let #layer_name = #layer;
        #serving.served::<_, _, ::axum::body::Body>(#layer_name, #value, #address)
    })
}

/// Asks rustc whether `value` is a healthcheck placed by hand; an error goes
/// on `span`, the user's tokens that made the value.
fn inspect(krate: &TokenStream, value: &Ident, span: Span) -> TokenStream {
    // The import is the expansion's (unused when the error is reported); the
    // call is the user's tokens', where rustc puts the error.
    let at = respan(krate.clone(), span);
    let call = quote_spanned!(span=>
        #at::__private::AllowedBesideTheAttribute::allowed(
            #at::__private::Inspect::of(&#value).subject()
        )
    );
    quote!({
        #[allow(unused_imports)]
        use #krate::__private::NotHandPlaced as _;
        #call;
    })
}

/// `tokens`, every one of them at `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut inner = Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = TokenTree::Group(inner);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// The copy of `name` kept for the checks from where it is bound.
fn saved(name: &Ident) -> Ident {
    Ident::new(
        &format!("__kamal_healthcheck_saved_{name}"),
        Span::mixed_site(),
    )
}

/// The copy of `name` made for the `serve` calls of one statement; located at
/// the user's `name`, so that a check that names a variable not in scope at
/// the call is reported there, under that name.
fn in_use(name: &Ident) -> Ident {
    Ident::new(
        &name.to_string(),
        Span::mixed_site().located_at(name.span()),
    )
}

fn copy(to: &Ident, from: TokenStream) -> Stmt {
    syn::parse_quote!(let #to = ::core::clone::Clone::clone(&#from);)
}

/// The `HealthCheckLayer` the readiness settings describe, at `plan`'s path
/// (for the log: the route is registered at the path itself). Each check
/// clones the names it uses, once when it is made and again for each run.
fn healthcheck_layer(plan: &Plan, readiness: &Readiness) -> TokenStream {
    let Plan { path, krate, .. } = plan;
    let millis = |duration: std::time::Duration| duration.as_millis() as u64;
    let mut layer = quote!(#krate::HealthCheckLayer::with_path(#path));
    if let Some(timeout) = readiness.timeout {
        let millis = millis(timeout);
        layer = quote!(#layer.proxy_timeout(::core::time::Duration::from_millis(#millis)));
    }
    if let Some((span, deadline)) = readiness.deadline {
        let millis = millis(deadline);
        layer =
            quote_spanned!(span=> #layer.deadline(::core::time::Duration::from_millis(#millis)));
    }
    if let Some((span, cache_for)) = readiness.cache_for {
        let millis = millis(cache_for);
        layer =
            quote_spanned!(span=> #layer.cache_for(::core::time::Duration::from_millis(#millis)));
    }
    if let Some(show) = &readiness.error_details {
        layer = quote!(#layer.error_details(#show));
    }
    if let Some(gate) = &readiness.gate {
        layer = quote_spanned!(gate.span()=> #layer.gate(#krate::StartupGate::clone(&(#gate))));
    }
    for check in &readiness.checks {
        let (name, future, captured) = (check.name.to_string(), &check.future, &check.captured);
        let clones = quote!(#(let #captured = ::core::clone::Clone::clone(&#captured);)*);
        layer = quote_spanned!(future.span()=> #layer.check(#name, {
            #clones
            move || {
                #clones
                async move { (#future).await }
            }
        }));
    }
    // `check(queue = async { .. })` is awaited in an `async move` block of its
    // own; the lint about that is not the user's to fix.
    let value = name("layer");
    quote!({
        #[allow(clippy::redundant_async_block)]
        let #value = #layer;
        #value
    })
}

/// `tokens` with the argument of every `.layer(..)` and `.route_layer(..)`
/// call, and of `into_make_service(..)` written as a function, handed to
/// rustc first, which reports a healthcheck placed by hand among them
/// whatever it is called (`use .. as ..`, a re-export, an alias).
fn inspect_layers(tokens: TokenStream, krate: &TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = TokenStream::new();
    for (i, token) in tokens.iter().enumerate() {
        let TokenTree::Group(group) = token else {
            token.to_tokens(&mut out);
            continue;
        };
        let stream = inspect_layers(group.stream(), krate);
        let called = i >= 2
            && group.delimiter() == Delimiter::Parenthesis
            && match (&tokens[i - 2], &tokens[i - 1]) {
                (TokenTree::Punct(dot), TokenTree::Ident(method)) if dot.as_char() == '.' => {
                    method == "layer" || method == "route_layer"
                }
                (TokenTree::Punct(colon), TokenTree::Ident(function)) if colon.as_char() == ':' => {
                    function == "into_make_service"
                        || function == "into_make_service_with_connect_info"
                }
                _ => false,
            };
        // Only a call's argument is parsed, once.
        let parsed = called.then(|| syn::parse2::<Expr>(stream.clone()));
        let stream = match parsed {
            Some(Ok(arg)) => {
                let value = name("layer");
                let inspect = inspect(krate, &value, arg.span());
                quote!({
                    let #value = #arg;
                    #inspect
                    #value
                })
            }
            _ => stream,
        };
        let mut inner = Group::new(group.delimiter(), stream);
        inner.set_span(group.span());
        inner.to_tokens(&mut out);
    }
    out
}

/// `ty` with every `impl Trait` in it replaced by `_`.
fn inferred(ty: &syn::Type) -> syn::Type {
    use syn::Type;
    match ty {
        Type::ImplTrait(_) => syn::parse_quote!(_),
        Type::Path(path) => {
            let mut path = path.clone();
            for segment in &mut path.path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &mut segment.arguments {
                    for arg in &mut args.args {
                        if let syn::GenericArgument::Type(inner) = arg {
                            *inner = inferred(inner);
                        }
                    }
                }
            }
            Type::Path(path)
        }
        Type::Paren(inner) => inferred(&inner.elem),
        Type::Group(inner) => inferred(&inner.elem),
        other => other.clone(),
    }
}

/// `tokens` with every `serve` call replaced by what `replace` writes for it
/// (the arguments, from its listener and its app).
fn rewrite(
    serve: &Recogniser,
    tokens: TokenStream,
    replace: &dyn Fn(TokenStream, &Expr, &Expr) -> TokenStream,
) -> TokenStream {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if let Some(call) = serve.token_call(&tokens, i) {
            // The path, as written (its import stays in use), was copied
            // already: the call, path and all, is what `replace` writes, in
            // parentheses so that a method may follow it.
            let path: TokenStream = out
                .drain(out.len() - (i - call.start)..)
                .chain([tokens[i].clone()])
                .collect();
            let mut replaced = Group::new(
                Delimiter::Parenthesis,
                replace(path, &call.listener, &call.app),
            );
            // At the call's place, but the expansion's own: parentheses the
            // user did not write draw no `unused_parens` warning
            // (`let server = axum::serve(..);`).
            replaced.set_span(Span::mixed_site().located_at(tokens[i + 1].span()));
            out.push(TokenTree::Group(replaced));
            i += 2;
            continue;
        }
        match &tokens[i] {
            TokenTree::Group(group) => {
                let mut inner =
                    Group::new(group.delimiter(), rewrite(serve, group.stream(), replace));
                inner.set_span(group.span());
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other.clone()),
        }
        i += 1;
    }
    out.into_iter().collect()
}
