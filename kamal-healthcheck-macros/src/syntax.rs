//! Small readings of syntax that the model, the checks and the expansion share:
//! token sequences, the names a pattern binds, a call's path.

use proc_macro2::{TokenStream, TokenTree};
use syn::{Expr, ExprCall, Lit, LitStr, Pat, PatIdent};

/// Every sequence of tokens in `tokens`, each group's contents its own, in no
/// particular order: a search looks at a token and its neighbours in one.
pub(crate) fn sequences(tokens: TokenStream) -> impl Iterator<Item = Vec<TokenTree>> {
    let mut pending = vec![tokens];
    std::iter::from_fn(move || {
        let level: Vec<TokenTree> = pending.pop()?.into_iter().collect();
        for token in &level {
            if let TokenTree::Group(group) = token {
                pending.push(group.stream());
            }
        }
        Some(level)
    })
}

/// Every name a pattern binds, with how (`ref`, `mut`): `state`,
/// `AppState { db, .. }`, `(a, Some(b))`, `x @ 1..`.
pub(crate) fn bindings(pat: &Pat) -> Vec<&PatIdent> {
    let mut found = Vec::new();
    let mut pending = vec![pat];
    while let Some(pat) = pending.pop() {
        match pat {
            Pat::Ident(binding) => {
                found.push(binding);
                pending.extend(binding.subpat.as_ref().map(|(_, sub)| &**sub));
            }
            Pat::Type(typed) => pending.push(&typed.pat),
            Pat::Reference(reference) => pending.push(&reference.pat),
            Pat::Paren(paren) => pending.push(&paren.pat),
            Pat::Guard(guarded) => pending.push(&guarded.pat),
            Pat::Or(or) => pending.extend(&or.cases),
            Pat::Slice(slice) => pending.extend(&slice.elems),
            Pat::Tuple(tuple) => pending.extend(&tuple.elems),
            Pat::TupleStruct(tuple) => pending.extend(&tuple.elems),
            Pat::Struct(fields) => pending.extend(fields.fields.iter().map(|f| &*f.pat)),
            _ => {}
        }
    }
    found.reverse();
    found
}

/// The name a pattern binds, when it binds exactly one as a whole.
pub(crate) fn single_binding(pat: &Pat) -> Option<&syn::Ident> {
    match pat {
        Pat::Ident(binding) if binding.subpat.is_none() => Some(&binding.ident),
        Pat::Type(typed) => single_binding(&typed.pat),
        _ => None,
    }
}

pub(crate) fn string_literal(expr: &Expr) -> Option<LitStr> {
    match expr {
        Expr::Lit(literal) => match &literal.lit {
            Lit::Str(string) => Some(string.clone()),
            _ => None,
        },
        Expr::Group(inner) => string_literal(&inner.expr),
        Expr::Paren(inner) => string_literal(&inner.expr),
        _ => None,
    }
}

/// The segments of a call's function path: `["Router", "new"]`, `["Ok"]`.
pub(crate) fn function_path(call: &ExprCall) -> Option<Vec<String>> {
    match &*call.func {
        Expr::Path(func) if func.qself.is_none() => Some(
            func.path
                .segments
                .iter()
                .map(|segment| segment.ident.to_string())
                .collect(),
        ),
        _ => None,
    }
}
