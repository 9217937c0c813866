//! Writes the annotated function anew from the [`Plan`]: all the code the
//! attribute generates is written here.
//!
//! Names the expansion binds are made at [`Span::mixed_site`], so they can
//! neither clash with the user's names nor appear in an error about them.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{AttrStyle, Block, Ident, ItemFn};

use crate::check::{Form, Plan, Readiness};
use crate::function::{Function, Returns};
use crate::sites;

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
        Form::Serves { arguments } => {
            let body = serving(plan, arguments);
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
    let span = block.brace_token.span.join();
    let mut block = Group::new(Delimiter::Brace, Writing::new(plan).body());
    block.set_span(span);
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
fn serving(plan: &Plan, arguments: &[Ident]) -> TokenStream {
    let writing = Writing::new(plan);
    let saved: Vec<Ident> = arguments
        .iter()
        .filter(|name| writing.captured.contains(name))
        .cloned()
        .collect();
    let copies: TokenStream = saved
        .iter()
        .map(|name| copy(&saved_name(name), name))
        .collect();
    let body = writing.block(&plan.body, true, saved);
    quote!(#copies #body)
}

/// Writes the body from its sites ([`crate::sites`]), as written but for them:
/// each `.layer(..)` argument is handed to rustc first, which reports a
/// healthcheck placed by hand among them whatever it is called (`use .. as
/// ..`, a re-export, an alias); each `serve` call serves its app inside the
/// healthcheck; and the checks' variables are copied where they are bound and
/// before each statement that serves.
struct Writing<'a> {
    plan: &'a Plan,
    /// The names the checks use.
    captured: &'a [Ident],
}

impl<'a> Writing<'a> {
    fn new(plan: &'a Plan) -> Self {
        let captured = plan
            .readiness
            .as_ref()
            .map_or(&[][..], |readiness| &readiness.captured);
        Self { plan, captured }
    }

    /// The body's statements, for a function that returns the router.
    fn body(&self) -> TokenStream {
        self.block(&self.plan.body, true, Vec::new())
    }

    /// The statements of `block`. `visited` when it is the body or within a
    /// statement that serves: there the checks' variables are copied where
    /// they are bound, and, of those copied in it (`saved`), again before each
    /// statement that serves.
    fn block(&self, block: &sites::Block, visited: bool, mut saved: Vec<Ident>) -> TokenStream {
        let mut out = TokenStream::new();
        for stmt in &block.stmts {
            if stmt.serves > 0 {
                if let Some(ty) = &stmt.server_type {
                    out.extend(quote!(let _: ::core::marker::PhantomData<#ty>;));
                }
                for name in &saved {
                    out.extend(copy(&in_use(name), &saved_name(name)));
                }
            }
            let level = &stmt.tokens;
            out.extend(self.splice(stmt, level, 0..level.tokens.len()));
            if !visited {
                continue;
            }
            for (name, by_ref) in &stmt.bound {
                if *by_ref || !self.captured.contains(name) {
                    continue;
                }
                out.extend(copy(&saved_name(name), name));
                saved.retain(|known| known != name);
                saved.push(name.clone());
            }
        }
        out
    }

    /// `level`'s tokens in `range`, with its edits made; `stmt` is the
    /// statement they are of.
    fn splice(
        &self,
        stmt: &sites::Statement,
        level: &sites::Level,
        range: std::ops::Range<usize>,
    ) -> TokenStream {
        let mut out = TokenStream::new();
        let mut here = level.here.iter().peekable();
        let mut within = level.within.iter().peekable();
        let mut i = range.start;
        while i < range.end {
            while here.next_if(|(at, _)| *at < i).is_some() {}
            while within.next_if(|(at, _)| *at < i).is_some() {}
            let edit = here.next_if(|(at, _)| *at == i).map(|(_, edit)| edit);
            let inner = within.next_if(|(at, _)| *at == i).map(|(_, inner)| inner);
            let token = &level.tokens[i];
            let written = match (edit, token) {
                (Some(sites::Edit::Serve { name, comma, end }), _) => {
                    let path: TokenStream = level.tokens[i..=*name].iter().cloned().collect();
                    let TokenTree::Group(args) = &level.tokens[name + 1] else {
                        unreachable!("a call's arguments")
                    };
                    let whole;
                    let inner = match within.next_if(|(at, _)| *at == name + 1) {
                        Some((_, inner)) => inner,
                        None => {
                            whole = sites::Level {
                                tokens: args.stream().into_iter().collect(),
                                ..sites::Level::default()
                            };
                            &whole
                        }
                    };
                    let listener = self.splice(stmt, inner, 0..*comma);
                    let app = self.splice(stmt, inner, comma + 1..*end);
                    let first = inner.tokens[comma + 1].span();
                    let last = inner.tokens[end - 1].span();
                    let at = first.join(last).unwrap_or(first);
                    let mut replaced =
                        Group::new(Delimiter::Parenthesis, self.serve(path, listener, app, at));
                    // At the call's place, but the expansion's own: parentheses
                    // the user did not write draw no `unused_parens` warning
                    // (`let server = axum::serve(..);`).
                    replaced.set_span(Span::mixed_site().located_at(args.span()));
                    out.extend([TokenTree::Group(replaced)]);
                    i = name + 2;
                    continue;
                }
                (Some(sites::Edit::Block(k)), _) => {
                    let visited = stmt.serves > 0;
                    out.extend(self.block(&stmt.blocks[*k], visited, Vec::new()));
                    i += 1;
                    continue;
                }
                (Some(sites::Edit::Layer(span)), TokenTree::Group(group)) => {
                    let arg = match inner {
                        Some(inner) => self.splice(stmt, inner, 0..inner.tokens.len()),
                        None => group.stream(),
                    };
                    let value = name("layer");
                    let inspect = inspect(&self.plan.krate, &value, *span);
                    Some((
                        group,
                        quote!({
                            let #value = #arg;
                            #inspect
                            #value
                        }),
                    ))
                }
                (_, TokenTree::Group(group)) => {
                    inner.map(|inner| (group, self.splice(stmt, inner, 0..inner.tokens.len())))
                }
                _ => None,
            };
            match written {
                Some((group, stream)) => {
                    let mut inner = Group::new(group.delimiter(), stream);
                    inner.set_span(group.span());
                    out.extend([TokenTree::Group(inner)]);
                }
                None => out.extend([token.clone()]),
            }
            i += 1;
        }
        out
    }

    /// A `serve` call: `path` as written (its import stays in use), its
    /// listener, and its app, which begins at `at`.
    fn serve(
        &self,
        path: TokenStream,
        listener: TokenStream,
        app: TokenStream,
        at: Span,
    ) -> TokenStream {
        let (plan, krate) = (self.plan, &self.plan.krate);
        let (value, address) = (name("listener"), name("address"));
        let (serve, signal) = (name("serve"), name("signal"));
        let served = served(krate, &self.layer(), app, at, &address);
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
    }

    /// The layer a `serve` call's app is served inside.
    fn layer(&self) -> TokenStream {
        let krate = &self.plan.krate;
        match &self.plan.readiness {
            None => {
                let path = &self.plan.path;
                quote!(#krate::HealthCheckLayer::with_path(#path))
            }
            Some(readiness) => {
                let built = healthcheck_layer(self.plan, readiness);
                let copies = readiness.captured.iter().map(|name| {
                    let copy = in_use(name);
                    quote!(let #name = ::core::clone::Clone::clone(&#copy);)
                });
                quote!({ #(#copies)* #built })
            }
        }
    }
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
/// rustc, on `app`, which begins at `at`.
fn served(
    krate: &TokenStream,
    layer: &TokenStream,
    app: TokenStream,
    at: Span,
    address: &Ident,
) -> TokenStream {
    let (value, layer_name, serving) = (name("app"), name("healthcheck"), name("serving"));
    let inspect = inspect(krate, &value, at);
    // Its first service is asked whether the app answers the path itself (a
    // route the attribute cannot see), however the app is served.
    quote!({
        let #value = #app;
        #inspect
        let #layer_name = #layer;
        #serving.served::<_, ::axum::body::Body>(#layer_name, #value, #address)
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
fn saved_name(name: &Ident) -> Ident {
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

fn copy(to: &Ident, from: &Ident) -> TokenStream {
    quote!(let #to = ::core::clone::Clone::clone(&#from);)
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
