//! Searches over raw tokens, for what the attribute finds wherever it stands
//! (inside closures, `async` blocks and macros too): `axum::serve` calls, a
//! hand-placed `HealthCheckLayer`, the names a check uses.

use proc_macro2::{TokenStream, TokenTree};

/// Every sequence of tokens in `tokens`, each group's contents its own, in no
/// particular order: a search looks at a token and its neighbours in one.
pub(crate) fn levels(tokens: TokenStream) -> impl Iterator<Item = Vec<TokenTree>> {
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
