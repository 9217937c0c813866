//! The annotated item: it must be a function that returns the router.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Item, ItemFn, ReturnType, Type};

/// How the function returns its router.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Returns {
    /// `Router<S>` itself (or an alias of it).
    Router,
    /// `Result<Router<S>, E>` or `Option<Router<S>>` under any path
    /// (`io::Result<Router>`, `anyhow::Result<Router>`): the router is `map`ped.
    Wrapped,
}

/// The annotated function.
pub(crate) struct Function {
    pub(crate) item: ItemFn,
    /// The declared return type, if any.
    pub(crate) ty: Option<Type>,
    pub(crate) returns: Returns,
}

/// Reads the annotated item as a function that can carry the attribute.
pub(crate) fn read(item: TokenStream) -> Result<Function, syn::Error> {
    let item: Item = syn::parse2(item)?;
    let function = match item {
        Item::Fn(function) => function,
        other => return Err(syn::Error::new_spanned(head(&other), NOT_A_FUNCTION)),
    };
    let sig = &function.sig;
    if let Some(constness) = &sig.constness {
        return Err(syn::Error::new_spanned(
            constness,
            "`#[kamal_healthcheck]` cannot go on a `const fn`: installing the healthcheck calls \
             `Router::route_service`, which is not `const`; remove `const`",
        ));
    }
    let ty = match &sig.output {
        ReturnType::Type(_, ty) => Some((**ty).clone()),
        ReturnType::Default => None,
    };
    let returns = match ty.as_ref().and_then(last_segment).as_deref() {
        Some("Result" | "Option") => Returns::Wrapped,
        _ => Returns::Router,
    };
    Ok(Function {
        ty,
        item: function,
        returns,
    })
}

/// The error for a function that neither returns a router nor serves one.
pub(crate) fn neither(function: &ItemFn) -> syn::Error {
    let sig = &function.sig;
    let (fn_token, ident) = (&sig.fn_token, &sig.ident);
    let mut tokens = quote!(#fn_token #ident);
    sig.paren_token.surround(&mut tokens, |inner| {
        quote::ToTokens::to_tokens(&sig.inputs, inner)
    });
    syn::Error::new_spanned(
        tokens,
        format!(
            "`{ident}` neither returns a router nor serves one, so there is nowhere to install \
             the healthcheck; `#[kamal_healthcheck]` goes on the function that builds your axum \
             router (`fn app() -> Router`, or `Result<Router, E>`, `Option<Router>`) or on the \
             one that serves it (with `axum::serve(listener, app)` in its body, such as `main`)"
        ),
    )
}

const NOT_A_FUNCTION: &str = "`#[kamal_healthcheck]` goes on the function that builds your axum \
    router (a `fn` returning `Router`, `Result<Router, E>` or `Option<Router>`) or on the one \
    that serves it (`axum::serve(listener, app)` in its body, such as `main`)";

/// The tokens that name an item (`struct Config`), where an error about it goes.
fn head(item: &Item) -> TokenStream {
    match item {
        Item::Struct(item) => {
            let (keyword, ident) = (&item.struct_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::Enum(item) => {
            let (keyword, ident) = (&item.enum_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::Const(item) => {
            let (keyword, ident) = (&item.const_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::Static(item) => {
            let (keyword, ident) = (&item.static_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::Mod(item) => {
            let (keyword, ident) = (&item.mod_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::Trait(item) => {
            let (keyword, ident) = (&item.trait_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::Type(item) => {
            let (keyword, ident) = (&item.type_token, &item.ident);
            quote!(#keyword #ident)
        }
        Item::Impl(item) => {
            let (keyword, ty) = (&item.impl_token, &item.self_ty);
            quote!(#keyword #ty)
        }
        other => quote!(#other),
    }
}

/// Whether the return type is written `Router` (or `Router<S>`, `axum::Router`).
pub(crate) fn names_router(ty: Option<&Type>) -> bool {
    ty.and_then(last_segment).as_deref() == Some("Router")
}

fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .map(|segment| segment.ident.to_string()),
        Type::Group(group) => last_segment(&group.elem),
        Type::Paren(paren) => last_segment(&paren.elem),
        _ => None,
    }
}
