//! The attribute on the function that serves the app: its `axum::serve(listener,
//! service)` calls, found in the body's tokens (inside `async` blocks too, as
//! `#[tokio::main]` writes them), and each rewritten to serve the same app with
//! the healthcheck outermost in front of it.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Block, Expr, GenericArgument, Ident, Stmt, Token};

/// How many `serve` calls `tokens` holds.
pub(crate) fn calls(tokens: TokenStream) -> usize {
    crate::tokens::levels(tokens)
        .map(|level| {
            (0..level.len())
                .filter(|&i| arguments(&level, i).is_some())
                .count()
        })
        .sum()
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
    let converted = match service {
        Expr::MethodCall(call) if call.args.is_empty() => {
            let generic = call
                .turbofish
                .as_ref()
                .and_then(|turbofish| turbofish.args.first().cloned());
            conversion(&call.method, generic, &call.receiver, None)
        }
        Expr::Call(call) if call.args.len() == 1 => match &*call.func {
            Expr::Path(path) => path.path.segments.last().and_then(|last| {
                let generic = match &last.arguments {
                    syn::PathArguments::AngleBracketed(args) => args.args.first().cloned(),
                    _ => None,
                };
                conversion(&last.ident, generic, &call.args[0], Some(&call.func))
            }),
            _ => None,
        },
        Expr::Paren(inner) => return served(&inner.expr),
        Expr::Group(inner) => return served(&inner.expr),
        _ => None,
    };
    converted.unwrap_or(Served {
        app: service,
        connect_info: None,
        function: None,
    })
}

/// `app` converted by `name` (with `generic`, written as the method's turbofish
/// or the function's last path segment's), if `name` is one of the two
/// make-service conversions `axum::serve` takes.
fn conversion<'e>(
    name: &Ident,
    generic: Option<GenericArgument>,
    app: &'e Expr,
    function: Option<&'e Expr>,
) -> Option<Served<'e>> {
    let connect_info = match name.to_string().as_str() {
        "into_make_service" => None,
        "into_make_service_with_connect_info" => Some(generic?),
        _ => return None,
    };
    Some(Served {
        app,
        connect_info,
        function,
    })
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

/// The names bound by `let` in the blocks that hold a `serve` call, before or
/// after it: the local variables a check written at the call may use.
pub(crate) fn locals(block: &Block) -> Vec<Ident> {
    let mut found = Vec::new();
    each_let(&mut block.clone(), &mut |name| {
        if !found.contains(name) {
            found.push(name.clone());
        }
        None
    });
    found
}

/// Keeps a copy of each of `names` (the variables the checks use) as soon as it
/// is bound, so that the body may move the variable before the `serve` call
/// where the checks are built: at the top of the body for the function's
/// arguments, and after each `let` of one of them in the blocks that hold the
/// `serve` call (those [`locals`] finds).
pub(crate) fn save(block: &mut Block, names: &[Ident], arguments: &[Ident]) {
    each_let(block, &mut |name| names.contains(name).then(|| copy(name)));
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

/// Calls `after` with the name of each `let` (of one name) in `block` and in
/// the blocks within it that hold a `serve` call, and puts the statement it
/// returns, if any, right after that `let`.
fn each_let(block: &mut Block, after: &mut dyn FnMut(&Ident) -> Option<Stmt>) {
    let mut stmts = Vec::with_capacity(block.stmts.len());
    for mut stmt in std::mem::take(&mut block.stmts) {
        if calls(stmt.to_token_stream()) > 0 {
            let expr = match &mut stmt {
                Stmt::Local(local) => local.init.as_mut().map(|init| &mut *init.expr),
                Stmt::Expr(expr, _) => Some(expr),
                _ => None,
            };
            if let Some(expr) = expr {
                each_let_in(expr, after);
            }
        }
        let inserted = match &stmt {
            Stmt::Local(local) => crate::model::single_binding(&local.pat).and_then(&mut *after),
            _ => None,
        };
        stmts.push(stmt);
        stmts.extend(inserted);
    }
    block.stmts = stmts;
}

/// Into the blocks where a `serve` call may stand: `async` blocks (where
/// `#[tokio::main]` puts the body), plain blocks, and what is awaited.
fn each_let_in(expr: &mut Expr, after: &mut dyn FnMut(&Ident) -> Option<Stmt>) {
    match expr {
        Expr::Async(inner) => each_let(&mut inner.block, after),
        Expr::Block(inner) => each_let(&mut inner.block, after),
        Expr::Await(inner) => each_let_in(&mut inner.base, after),
        Expr::MethodCall(call) => each_let_in(&mut call.receiver, after),
        _ => {}
    }
}
