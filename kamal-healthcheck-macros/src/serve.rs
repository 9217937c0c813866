//! The attribute on the function that serves the app: its `axum::serve(listener,
//! service)` calls, found in the body's tokens (inside `async` blocks too, as
//! `#[tokio::main]` writes them), and each rewritten to serve the same app with
//! the healthcheck outermost in front of it.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Block, Expr, GenericArgument, Ident, Pat, Stmt, Token};

/// Where each `serve` call of `tokens` is: the span of its `serve`.
pub(crate) fn calls(tokens: TokenStream) -> Vec<Span> {
    let mut found = Vec::new();
    let mut pending = vec![tokens];
    while let Some(tokens) = pending.pop() {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        for (i, token) in tokens.iter().enumerate() {
            if let TokenTree::Group(group) = token {
                pending.push(group.stream());
            }
            if arguments(&tokens, i).is_some() {
                found.push(tokens[i].span());
            }
        }
    }
    found
}

/// The listener and service of a `serve(listener, service)` call whose `serve`
/// is `tokens[i]`: `axum::serve`, or a bare `serve` (imported with
/// `use axum::serve`); not a method (`.serve(..)`) nor another path's `serve`.
fn arguments(tokens: &[TokenTree], i: usize) -> Option<(Expr, Expr)> {
    let TokenTree::Ident(ident) = &tokens[i] else {
        return None;
    };
    if ident != "serve" {
        return None;
    }
    let Some(TokenTree::Group(group)) = tokens.get(i + 1) else {
        return None;
    };
    if group.delimiter() != Delimiter::Parenthesis {
        return None;
    }
    let punct = |at: usize, c: char| matches!(tokens.get(at), Some(TokenTree::Punct(punct)) if punct.as_char() == c);
    let qualified = i >= 1 && punct(i - 1, ':');
    if qualified {
        // Only `axum::serve` (or `::axum::serve`).
        let axum = i >= 3
            && punct(i - 2, ':')
            && matches!(&tokens[i - 3], TokenTree::Ident(name) if name == "axum");
        if !axum {
            return None;
        }
    } else if i >= 1 && punct(i - 1, '.') {
        return None;
    }
    let args = syn::parse::Parser::parse2(
        Punctuated::<Expr, Token![,]>::parse_terminated,
        group.stream(),
    )
    .ok()?;
    let mut args = args.into_iter();
    match (args.next(), args.next(), args.next()) {
        (Some(listener), Some(service), None) => Some((listener, service)),
        _ => None,
    }
}

/// `tokens` with the service of every `serve` call wrapped by `wrap`.
pub(crate) fn rewrite(tokens: TokenStream, wrap: &dyn Fn(&Expr) -> TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = TokenStream::new();
    let mut i = 0;
    while i < tokens.len() {
        if let Some((listener, service)) = arguments(&tokens, i) {
            let TokenTree::Group(group) = &tokens[i + 1] else {
                unreachable!("`arguments` checked that a group follows");
            };
            tokens[i].to_tokens(&mut out);
            let wrapped = wrap(&service);
            let mut args = Group::new(Delimiter::Parenthesis, quote!(#listener, #wrapped));
            args.set_span(group.span());
            args.to_tokens(&mut out);
            i += 2;
            continue;
        }
        match &tokens[i] {
            TokenTree::Group(group) => {
                let mut inner = Group::new(group.delimiter(), rewrite(group.stream(), wrap));
                inner.set_span(group.span());
                inner.to_tokens(&mut out);
            }
            other => other.to_tokens(&mut out),
        }
        i += 1;
    }
    out
}

/// How `axum::serve` is given the app: the app itself, and the conversion into
/// a make-service that was written (or `into_make_service` for the app itself).
pub(crate) struct Served<'e> {
    pub(crate) app: &'e Expr,
    /// `into_make_service_with_connect_info::<T>`'s `T`, when it is that one.
    connect_info: Option<GenericArgument>,
    /// The function written to convert it (`ServiceExt::<Request>::into_make_service`),
    /// kept as written so that its imports stay in use.
    function: Option<&'e Expr>,
}

/// Reads the service argument of `axum::serve`: `app`,
/// `app.into_make_service()`, `app.into_make_service_with_connect_info::<T>()`,
/// or `ServiceExt::<Request>::into_make_service(app)` (and `..._with_connect_info::<T>(app)`).
pub(crate) fn served(service: &Expr) -> Served<'_> {
    match service {
        Expr::MethodCall(call) if call.args.is_empty() => {
            let generic = || {
                call.turbofish
                    .as_ref()
                    .and_then(|turbofish| turbofish.args.first().cloned())
            };
            match call.method.to_string().as_str() {
                "into_make_service" => Served {
                    app: &call.receiver,
                    connect_info: None,
                    function: None,
                },
                "into_make_service_with_connect_info" if generic().is_some() => Served {
                    app: &call.receiver,
                    connect_info: generic(),
                    function: None,
                },
                _ => itself(service),
            }
        }
        Expr::Call(call) if call.args.len() == 1 => {
            let Expr::Path(path) = &*call.func else {
                return itself(service);
            };
            let Some(last) = path.path.segments.last() else {
                return itself(service);
            };
            let generic = match &last.arguments {
                syn::PathArguments::AngleBracketed(args) => args.args.first().cloned(),
                _ => None,
            };
            match last.ident.to_string().as_str() {
                "into_make_service" => Served {
                    app: &call.args[0],
                    connect_info: None,
                    function: Some(&call.func),
                },
                "into_make_service_with_connect_info" if generic.is_some() => Served {
                    app: &call.args[0],
                    connect_info: generic,
                    function: Some(&call.func),
                },
                _ => itself(service),
            }
        }
        Expr::Paren(inner) => served(&inner.expr),
        Expr::Group(inner) => served(&inner.expr),
        _ => itself(service),
    }
}

/// The app given as it is.
fn itself(app: &Expr) -> Served<'_> {
    Served {
        app,
        connect_info: None,
        function: None,
    }
}

/// The service `axum::serve` gets instead of `service`: the same app inside
/// `layer` (a `HealthCheckLayer` expression), as the make-service that was
/// asked for (`ConnectInfo` keeps reaching the handlers: axum adds it to each
/// request, which the healthcheck passes on as it is).
pub(crate) fn wrap(service: &Expr, layer: &TokenStream, krate: &TokenStream) -> TokenStream {
    let Served {
        app,
        connect_info,
        function,
    } = served(service);
    let span = service.span();
    let wrapped = quote_spanned!(span=> #krate::__private::Layer::layer(&#layer, #app));
    if let Some(function) = function {
        return quote!(#function(#wrapped));
    }
    let service_ext = quote_spanned!(span=> ::axum::ServiceExt::<::axum::extract::Request>);
    match connect_info {
        Some(info) => quote_spanned!(span=>
            #service_ext::into_make_service_with_connect_info::<#info>(#wrapped)
        ),
        None => quote_spanned!(span=> #service_ext::into_make_service(#wrapped)),
    }
}

/// The name of the copy of `name` kept for the checks.
pub(crate) fn saved(name: &Ident) -> Ident {
    format_ident!("kamal_healthcheck_saved_{}", name)
}

/// Keeps a copy of each of `names` (the variables the checks use) as soon as it
/// is bound, so that the body may move the variable before the `serve` call
/// where the checks are built: at the top of the body for the function's
/// arguments, and after each `let` of one of them in the blocks that hold the
/// `serve` call.
pub(crate) fn save(block: &mut Block, names: &[Ident], arguments: &[Ident]) {
    save_in(block, names);
    let copies = arguments
        .iter()
        .filter(|name| names.contains(name))
        .map(copy);
    block.stmts.splice(0..0, copies.collect::<Vec<_>>());
}

fn copy(name: &Ident) -> Stmt {
    let saved = saved(name);
    syn::parse_quote!(let #saved = ::core::clone::Clone::clone(&#name);)
}

fn save_in(block: &mut Block, names: &[Ident]) {
    let mut stmts = Vec::with_capacity(block.stmts.len());
    for mut stmt in std::mem::take(&mut block.stmts) {
        if !calls(stmt.to_token_stream()).is_empty() {
            let expr = match &mut stmt {
                Stmt::Local(local) => local.init.as_mut().map(|init| &mut *init.expr),
                Stmt::Expr(expr, _) => Some(expr),
                _ => None,
            };
            if let Some(expr) = expr {
                save_in_expr(expr, names);
            }
        }
        let bound = match &stmt {
            Stmt::Local(local) => bound_name(&local.pat)
                .filter(|name| names.contains(name))
                .cloned(),
            _ => None,
        };
        stmts.push(stmt);
        stmts.extend(bound.as_ref().map(copy));
    }
    block.stmts = stmts;
}

/// Into the blocks where a `serve` call may stand: `async` blocks (where
/// `#[tokio::main]` puts the body), plain blocks, and what is awaited.
fn save_in_expr(expr: &mut Expr, names: &[Ident]) {
    match expr {
        Expr::Async(inner) => save_in(&mut inner.block, names),
        Expr::Block(inner) => save_in(&mut inner.block, names),
        Expr::Await(inner) => save_in_expr(&mut inner.base, names),
        Expr::MethodCall(call) => save_in_expr(&mut call.receiver, names),
        _ => {}
    }
}

fn bound_name(pat: &Pat) -> Option<&Ident> {
    match pat {
        Pat::Ident(binding) if binding.subpat.is_none() => Some(&binding.ident),
        Pat::Type(typed) => bound_name(&typed.pat),
        _ => None,
    }
}
