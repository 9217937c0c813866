//! The one recogniser of `axum::serve(listener, app)` calls, in the syntax
//! tree (for the model) and in tokens (for the body's sites).
//!
//! A call is recognised by what its name refers to: `axum::serve`,
//! `::axum::serve` and `axum::serve::serve` as written, or a name the function
//! body imports from there (`use axum::serve;`, `use axum::serve as run;`). A
//! bare `serve` imported elsewhere cannot be told from a function of the app's
//! own that is also called `serve`, so it is not taken for axum's. Calls are
//! found in the body's tokens, so also inside `async` blocks (where
//! `#[tokio::main]` puts the body) and macros.

use proc_macro2::{Delimiter, TokenTree};
use syn::{Block, Expr, Item, Stmt, UseTree};

/// What names `axum::serve` in a function body.
pub(crate) struct Recogniser {
    /// The names the body imports `axum::serve` as.
    imported: Vec<String>,
}

impl Recogniser {
    /// The recogniser for `body`, with the names its `use` items give
    /// `axum::serve`.
    pub(crate) fn new(body: &Block) -> Self {
        let mut imported = Vec::new();
        let mut pending: Vec<&Block> = vec![body];
        while let Some(block) = pending.pop() {
            for stmt in &block.stmts {
                if let Stmt::Item(Item::Use(item)) = stmt {
                    imports(&item.tree, &mut Vec::new(), &mut imported);
                }
                if let Stmt::Item(Item::Fn(_)) = stmt {
                    continue;
                }
                if let Stmt::Expr(Expr::Block(inner), _) = stmt {
                    pending.push(&inner.block);
                }
            }
        }
        Self { imported }
    }

    /// Whether the path `segments` (without arguments) names `axum::serve`.
    fn names_serve(&self, segments: &[String]) -> bool {
        match segments {
            [name] => self.imported.contains(name),
            [axum, serve] => axum == "axum" && serve == "serve",
            [axum, module, serve] => axum == "axum" && module == "serve" && serve == "serve",
            _ => false,
        }
    }

    /// A `serve` call recognised in a syntax tree, with its two arguments.
    pub(crate) fn call<'e>(&self, call: &'e syn::ExprCall) -> Option<(&'e Expr, &'e Expr)> {
        if !self.names_serve(&crate::syntax::function_path(call)?) {
            return None;
        }
        match (call.args.len(), call.args.first(), call.args.last()) {
            (2, Some(listener), Some(app)) => Some((listener, app)),
            _ => None,
        }
    }
}

/// Adds to `found` the names `tree` imports `axum::serve` as; `path` is the
/// path that leads to `tree`.
fn imports(tree: &UseTree, path: &mut Vec<String>, found: &mut Vec<String>) {
    let is_serve = |path: &[String], name: &syn::Ident| {
        let mut full: Vec<String> = path.to_vec();
        full.push(name.to_string());
        full == ["axum", "serve"] || full == ["axum", "serve", "serve"]
    };
    match tree {
        UseTree::Path(inner) => {
            path.push(inner.ident.to_string());
            imports(&inner.tree, path, found);
            path.pop();
        }
        UseTree::Name(name) if is_serve(path, &name.ident) => found.push(name.ident.to_string()),
        UseTree::Rename(rename) if is_serve(path, &rename.ident) => {
            found.push(rename.rename.to_string());
        }
        UseTree::Group(group) => {
            for tree in &group.items {
                imports(tree, path, found);
            }
        }
        _ => {}
    }
}

/// A `serve` call recognised in tokens: `tokens[start..=i]` is its path, and
/// in its arguments, the listener comes before the token `comma`, the app
/// after it, up to `end`.
pub(crate) struct TokenCall {
    pub(crate) start: usize,
    pub(crate) comma: usize,
    pub(crate) end: usize,
}

impl Recogniser {
    /// The `serve` call whose name is `tokens[i]`, if it is one.
    pub(crate) fn token_call(&self, tokens: &[TokenTree], i: usize) -> Option<TokenCall> {
        let TokenTree::Ident(ident) = &tokens[i] else {
            return None;
        };
        let Some(TokenTree::Group(group)) = tokens.get(i + 1) else {
            return None;
        };
        if group.delimiter() != Delimiter::Parenthesis {
            return None;
        }
        let punct = |at: usize, c: char| matches!(tokens.get(at), Some(TokenTree::Punct(punct)) if punct.as_char() == c);
        // The path back from the name: `ident ::` pairs, and a leading `::`.
        let mut segments = vec![ident.to_string()];
        let mut start = i;
        while start >= 3 && punct(start - 1, ':') && punct(start - 2, ':') {
            let TokenTree::Ident(segment) = &tokens[start - 3] else {
                break;
            };
            segments.insert(0, segment.to_string());
            start -= 3;
        }
        if start >= 1 && punct(start - 1, '.') {
            // A method, `.serve(..)`, is some other type's.
            return None;
        }
        if !self.names_serve(&segments) {
            return None;
        }
        // The listener is what parses as an expression before a comma (one in
        // a turbofish is not yet its end), the app what follows, up to a
        // trailing comma.
        let args: Vec<TokenTree> = group.stream().into_iter().collect();
        let expression = |tokens: &[TokenTree]| {
            !tokens.is_empty() && syn::parse2::<Expr>(tokens.iter().cloned().collect()).is_ok()
        };
        let is_comma =
            |token: &TokenTree| matches!(token, TokenTree::Punct(punct) if punct.as_char() == ',');
        let end = match args.last() {
            Some(last) if is_comma(last) => args.len() - 1,
            _ => args.len(),
        };
        let comma = (0..end)
            .filter(|&at| is_comma(&args[at]))
            .find(|&at| expression(&args[..at]))?;
        expression(&args[comma + 1..end]).then_some(TokenCall { start, comma, end })
    }
}
