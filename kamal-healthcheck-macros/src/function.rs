//! The annotated item: it must be a function, which returns the router or
//! serves the app.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Ident, Item, ItemFn, ReturnType, Type};

use crate::errors::Message;

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
    /// How it returns a router; `None` when it cannot return one: no return
    /// type, or `()` in place of the router (`-> Result<(), E>`).
    pub(crate) returns: Option<Returns>,
    /// The names its arguments bind, which a check may use.
    pub(crate) inputs: Vec<Input>,
}

/// Reads the annotated item as a function that can carry the attribute.
pub(crate) fn read(item: TokenStream) -> Result<Function, syn::Error> {
    let item: Item = syn::parse2(item)?;
    let function = match item {
        Item::Fn(function) => function,
        other => {
            return Err(Message::new(
                "`#[kamal_healthcheck]` goes on a function",
                "it installs the healthcheck in the router a function returns, or around \
                 what it serves",
                "put it on `fn app() -> Router`, or on the function that calls \
                 `axum::serve`, such as `main`",
            )
            .on(head(&other)));
        }
    };
    let sig = &function.sig;
    if let Some(constness) = &sig.constness {
        return Err(Message::new(
            "`#[kamal_healthcheck]` cannot go on a `const fn`",
            "installing the healthcheck calls `Router::route_service`, which is not `const`",
            "remove `const`",
        )
        .on(constness));
    }
    let ty = match &sig.output {
        ReturnType::Type(_, ty) => Some((**ty).clone()),
        ReturnType::Default => None,
    };
    let returns = ty.as_ref().and_then(returns);
    Ok(Function {
        inputs: inputs(&function.sig),
        ty,
        item: function,
        returns,
    })
}

/// How a function of return type `ty` returns a router, if it can.
fn returns(ty: &Type) -> Option<Returns> {
    match ty {
        Type::Tuple(unit) if unit.elems.is_empty() => None,
        Type::Paren(inner) => returns(&inner.elem),
        Type::Group(inner) => returns(&inner.elem),
        Type::Path(path) => {
            let last = path.path.segments.last()?;
            if last.ident != "Result" && last.ident != "Option" {
                return Some(Returns::Router);
            }
            // `Result<(), E>`, `io::Result<()>`: no router inside.
            let first = match &last.arguments {
                syn::PathArguments::AngleBracketed(args) => args.args.first(),
                _ => None,
            };
            match first {
                Some(syn::GenericArgument::Type(inner)) if returns(inner).is_none() => None,
                _ => Some(Returns::Wrapped),
            }
        }
        _ => Some(Returns::Router),
    }
}

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

/// A name a check may use: an argument of the annotated function, or a local
/// variable of a function that serves the app.
#[derive(Clone)]
pub(crate) struct Input {
    pub(crate) name: Ident,
    /// Whether it is a reference, which no check can keep.
    pub(crate) borrowed: bool,
}

/// The names the function's arguments bind: plain ones (`state: AppState`) and
/// those of destructuring patterns (`AppState { db, .. }: AppState`).
fn inputs(sig: &syn::Signature) -> Vec<Input> {
    let mut found = Vec::new();
    for input in &sig.inputs {
        let syn::FnArg::Typed(typed) = input else {
            continue;
        };
        let reference = matches!(&*typed.ty, syn::Type::Reference(_));
        for binding in crate::syntax::bindings(&typed.pat) {
            found.push(Input {
                name: binding.ident.clone(),
                borrowed: reference || binding.by_ref.is_some(),
            });
        }
    }
    found
}
