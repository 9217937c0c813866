//! Writes the annotated function with the healthcheck installed.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{AttrStyle, ItemFn};

use crate::function::{Function, Returns};

/// The function, its body run as before and the healthcheck route added to the
/// router it returns, after everything the body did to it: `Router::layer` wraps
/// only the routes that exist when it is called, so nothing the body added sees a
/// request for `path`, and normal requests pay nothing for it.
///
/// With readiness arguments, `checked` builds the `HealthCheckLayer` whose checks
/// the route runs; it is evaluated first, while the arguments it clones are there.
/// `tracking` (an `include_bytes!` of deploy.yml, or nothing) goes at the top of
/// the body.
pub(crate) fn expand(
    function: &Function,
    path: &str,
    krate: &TokenStream,
    tracking: TokenStream,
    checked: Option<TokenStream>,
) -> TokenStream {
    let Function { item, ty, returns } = function;
    let Some(ty) = ty else {
        unreachable!("a function without a return type is expanded in its serving form");
    };
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
        ..
    } = item;
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
    // Inner attributes (`#![allow(..)]` at the top of the body) stay at the top of
    // the function's body, where they apply to all of it.
    let (outer, inner): (Vec<_>, Vec<_>) = attrs
        .iter()
        .partition(|attr| matches!(attr.style, AttrStyle::Outer));
    let (setup, route) = match checked {
        None => (quote!(), quote!(#krate::__private::Route)),
        Some(layer) => (
            // `check(queue = async { .. })` is awaited in an `async move` block of
            // its own; the lint about that is not the user's to fix.
            quote!(
                #[allow(clippy::redundant_async_block)]
                let kamal_healthcheck_layer = #layer;
            ),
            quote!(#krate::__private::CheckedRoute::from_layer(&kamal_healthcheck_layer)),
        ),
    };
    // Spanned on the return type, so a type without `route_service` is reported there.
    // Through `install`, so that axum's panic on a route already at the path (a
    // `.route(..)` with a constant path, say) comes with what to do about it.
    let add = quote_spanned!(ty.span()=> move || router.route_service(#path, #route));
    let install = match returns {
        Returns::Router => quote!(#krate::__private::install(#path, #add)),
        Returns::Wrapped => {
            quote!(router.map(|router| #krate::__private::install(#path, #add)))
        }
    };
    quote! {
        #(#outer)*
        #vis #sig {
            #(#inner)*
            #tracking
            #setup
            #[allow(clippy::redundant_closure_call)]
            let router: #ty = #body;
            #install
        }
    }
}

/// The function that serves the app, as written, with the service of each
/// `axum::serve` call inside the healthcheck: `HealthCheckLayer` at `path`, or
/// the one `checked` builds (evaluated at the call, where the local variables
/// its checks clone are in scope). Nothing the function serves can see the probe
/// first, and normal requests pay one path comparison.
///
/// The variables the checks use (those `checked` names) are copied as soon as
/// they are bound, and the checks are given those copies, so the body may move
/// them.
pub(crate) fn expand_serving(
    function: &Function,
    path: &str,
    krate: &TokenStream,
    tracking: TokenStream,
    checked: Option<(TokenStream, Vec<syn::Ident>)>,
) -> TokenStream {
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
        ..
    } = &function.item;
    let (outer, inner): (Vec<_>, Vec<_>) = attrs
        .iter()
        .partition(|attr| matches!(attr.style, AttrStyle::Outer));
    let (layer, captured) = match checked {
        None => (
            quote!(#krate::HealthCheckLayer::with_path(#path)),
            Vec::new(),
        ),
        Some((layer, captured)) => {
            let saved = captured.iter().map(crate::serve::saved);
            let layer = quote!({
                #(let #captured = ::core::clone::Clone::clone(&#saved);)*
                #[allow(clippy::redundant_async_block)]
                let kamal_healthcheck_layer = #layer;
                kamal_healthcheck_layer
            });
            (layer, captured)
        }
    };
    let mut block = (**block).clone();
    // Every name the arguments bind, destructured ones included, as the checks
    // may use them.
    let arguments: Vec<syn::Ident> = sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(typed) => Some(crate::model::bindings(&typed.pat)),
            syn::FnArg::Receiver(_) => None,
        })
        .flatten()
        .map(|binding| binding.ident.clone())
        .collect();
    crate::serve::save(&mut block, &captured, &arguments);
    let stmts = &block.stmts;
    let body = crate::serve::rewrite(quote!(#(#stmts)*), &|service| {
        crate::serve::wrap(service, &layer, krate)
    });
    quote! {
        #(#outer)*
        #vis #sig {
            #(#inner)*
            #tracking
            #body
        }
    }
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
