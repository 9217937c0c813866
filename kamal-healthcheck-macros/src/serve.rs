//! The one recogniser of `axum::serve(listener, app)` calls, for the model and
//! the expansion alike, and the walk over the blocks that hold them.
//!
//! A call is recognised by what its name refers to: `axum::serve`,
//! `::axum::serve` and `axum::serve::serve` as written, or a name the function
//! body imports from there (`use axum::serve;`, `use axum::serve as run;`). A
//! bare `serve` imported elsewhere cannot be told from a function of the app's
//! own that is also called `serve`, so it is not taken for axum's. Calls are
//! found in the body's tokens, so also inside `async` blocks (where
//! `#[tokio::main]` puts the body) and macros.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::{Block, Expr, Item, Stmt, Token, UseTree};

/// What names `axum::serve` in a function body.
#[derive(Clone, Debug, Default)]
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

    /// How many `serve` calls `tokens` holds.
    pub(crate) fn count(&self, tokens: TokenStream) -> usize {
        crate::syntax::sequences(tokens)
            .map(|level| {
                (0..level.len())
                    .filter(|&i| self.token_call(&level, i).is_some())
                    .count()
            })
            .sum()
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

/// A `serve` call recognised in tokens: `tokens[start..=i]` is its path.
pub(crate) struct TokenCall {
    pub(crate) start: usize,
    pub(crate) listener: Expr,
    pub(crate) app: Expr,
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
        let args = syn::parse::Parser::parse2(
            Punctuated::<Expr, Token![,]>::parse_terminated,
            group.stream(),
        )
        .ok()?;
        let mut args = args.into_iter();
        match (args.next(), args.next(), args.next()) {
            (Some(listener), Some(app), None) => Some(TokenCall {
                start,
                listener,
                app,
            }),
            _ => None,
        }
    }

    /// Calls `visit` on `block` and on every block within it that holds a `serve`
    /// call (`async` blocks, where `#[tokio::main]` puts the body; blocks; what is
    /// awaited or spawned), outer blocks first. `visit` may change the block's
    /// statements; the blocks within are those of the changed statements.
    pub(crate) fn each_block(&self, block: &mut Block, visit: &mut dyn FnMut(&mut Block)) {
        visit(block);
        for stmt in &mut block.stmts {
            if self.count(stmt.to_token_stream()) == 0 {
                continue;
            }
            let expr = match stmt {
                Stmt::Local(local) => local.init.as_mut().map(|init| &mut *init.expr),
                Stmt::Expr(expr, _) => Some(expr),
                _ => None,
            };
            if let Some(expr) = expr {
                self.blocks_in(expr, visit);
            }
        }
    }

    fn blocks_in(&self, expr: &mut Expr, visit: &mut dyn FnMut(&mut Block)) {
        match expr {
            Expr::Async(inner) => self.each_block(&mut inner.block, visit),
            Expr::Block(inner) => self.each_block(&mut inner.block, visit),
            Expr::Await(inner) => self.blocks_in(&mut inner.base, visit),
            Expr::MethodCall(call) => {
                self.blocks_in(&mut call.receiver, visit);
                for arg in &mut call.args {
                    self.blocks_in(arg, visit);
                }
            }
            // `tokio::spawn(async move { .. })`.
            Expr::Call(call) => {
                for arg in &mut call.args {
                    self.blocks_in(arg, visit);
                }
            }
            Expr::Paren(inner) => self.blocks_in(&mut inner.expr, visit),
            _ => {}
        }
    }
}
