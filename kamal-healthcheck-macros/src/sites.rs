//! The body's tokens, printed once and searched once: where its `serve` calls
//! are, where its `.layer(..)` arguments are, and the blocks whose statements
//! the serving form edits one by one. The expansion writes from this plain
//! data and finds nothing again.
//!
//! Each statement is printed with the blocks the serving form may edit (an
//! `async` block, a block, and those of what is awaited, spawned or called:
//! [`blocks_in`]) emptied to a marker, and those blocks are read on their own:
//! so every token of the body is printed and searched once, however deep the
//! blocks are nested.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Expr, Ident, Stmt};

use crate::serve::Recogniser;

/// A block of the body, statement by statement.
pub(crate) struct Block {
    pub(crate) stmts: Vec<Statement>,
}

pub(crate) struct Statement {
    /// Its tokens, each of [`blocks`](Self::blocks) in it as its marker.
    pub(crate) tokens: Level,
    /// The blocks within it that are read on their own, in order.
    pub(crate) blocks: Vec<Block>,
    /// How many `serve` calls it holds, its blocks' included: with any, the
    /// blocks within it are the serving form's to edit too.
    pub(crate) serves: usize,
    /// The names its `let` binds, each with whether it binds by reference.
    pub(crate) bound: Vec<(Ident, bool)>,
    /// `let server: Serve<..> = axum::serve(..);`: its type is no longer what
    /// the call returns, so it is taken out of the tokens; it is kept here,
    /// unless it holds a `_`, to be named in a statement of its own (its
    /// imports stay in use).
    pub(crate) server_type: Option<TokenStream>,
}

/// A sequence of tokens, with the edits to make in it.
#[derive(Default)]
pub(crate) struct Level {
    pub(crate) tokens: Vec<TokenTree>,
    /// At a token of this sequence, in order.
    pub(crate) here: Vec<(usize, Edit)>,
    /// Within a group of this sequence, in order.
    pub(crate) within: Vec<(usize, Level)>,
}

pub(crate) enum Edit {
    /// A `serve` call, its path from here to `name`: its arguments are the
    /// group after `name`, the listener before their token `comma`, the app
    /// after it up to `end`.
    Serve {
        name: usize,
        comma: usize,
        end: usize,
    },
    /// The group here holds the argument of a `.layer(..)` call (or of
    /// `.route_layer(..)`, `into_make_service(..)`), which begins at this span.
    Layer(Span),
    /// The marker of the statement's block of this index.
    Block(usize),
}

/// The body, read.
pub(crate) struct Sites {
    pub(crate) body: Block,
    /// How many `serve` calls the body holds.
    pub(crate) calls: usize,
    /// Calls `serve(a, b)` of a bare `serve` that is not known to be axum's.
    pub(crate) bare: Vec<Span>,
}

/// Reads `body`, which is left as it was.
pub(crate) fn read(body: &mut syn::Block, serve: &Recogniser) -> Sites {
    let mut reading = Reading {
        serve,
        calls: 0,
        bare: Vec::new(),
    };
    let body = reading.block(&mut body.stmts);
    Sites {
        body,
        calls: reading.calls,
        bare: reading.bare,
    }
}

impl Block {
    /// The names bound by `let` in this block and in the blocks within it that
    /// hold a `serve` call: the local variables a check may use.
    pub(crate) fn locals(&self) -> Vec<Ident> {
        let mut found: Vec<Ident> = Vec::new();
        let mut pending = vec![self];
        while let Some(block) = pending.pop() {
            for stmt in &block.stmts {
                for (name, _) in &stmt.bound {
                    if !found.contains(name) {
                        found.push(name.clone());
                    }
                }
            }
            for stmt in block.stmts.iter().rev().filter(|stmt| stmt.serves > 0) {
                pending.extend(stmt.blocks.iter().rev());
            }
        }
        found
    }
}

#[cfg(test)]
thread_local! {
    /// How many tokens [`Reading::level`] has looked at, on this thread.
    pub(crate) static SEARCHED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

struct Reading<'a> {
    serve: &'a Recogniser,
    calls: usize,
    bare: Vec<Span>,
}

const MARKER: &str = "__kamal_healthcheck_block_";

impl Reading<'_> {
    fn block(&mut self, stmts: &mut [Stmt]) -> Block {
        Block {
            stmts: stmts.iter_mut().map(|stmt| self.statement(stmt)).collect(),
        }
    }

    fn statement(&mut self, stmt: &mut Stmt) -> Statement {
        // The blocks within, taken out (a marker in their place) and read first.
        let mut taken: Vec<Vec<Stmt>> = blocks_in(stmt)
            .into_iter()
            .enumerate()
            .map(|(k, block)| {
                let marker = Ident::new(&format!("{MARKER}{k}"), Span::call_site());
                let marker = Stmt::Item(syn::Item::Verbatim(marker.into_token_stream()));
                std::mem::replace(&mut block.stmts, vec![marker])
            })
            .collect();
        let blocks: Vec<Block> = taken.iter_mut().map(|stmts| self.block(stmts)).collect();
        let within: usize = blocks
            .iter()
            .flat_map(|block| &block.stmts)
            .map(|stmt| stmt.serves)
            .sum();
        let (calls, bare) = (self.calls, self.bare.len());
        let mut tokens = self.level(stmt.to_token_stream().into_iter().collect());
        let serves = within + self.calls - calls;
        let mut server_type = None;
        let named = match &*stmt {
            Stmt::Local(local) if serves > 0 => match &local.pat {
                syn::Pat::Type(typed) => {
                    server(&typed.ty).map(|named| (named, (*typed.pat).clone()))
                }
                _ => None,
            },
            _ => None,
        };
        if let (Some((named, untyped)), Stmt::Local(local)) = (named, &mut *stmt) {
            // Printed and searched again without the type: only the
            // statement's own tokens, its blocks being markers.
            server_type = named;
            let typed = std::mem::replace(&mut local.pat, untyped);
            self.calls = calls;
            self.bare.truncate(bare);
            tokens = self.level(stmt.to_token_stream().into_iter().collect());
            if let Stmt::Local(local) = stmt {
                local.pat = typed;
            }
        }
        for (block, stmts) in blocks_in(stmt).into_iter().zip(taken) {
            block.stmts = stmts;
        }
        let bound = match stmt {
            Stmt::Local(local) => crate::syntax::bindings(&local.pat)
                .into_iter()
                .map(|binding| (binding.ident.clone(), binding.by_ref.is_some()))
                .collect(),
            _ => Vec::new(),
        };
        Statement {
            tokens,
            blocks,
            serves,
            bound,
            server_type,
        }
    }

    /// Searches `tokens` and the groups within them.
    fn level(&mut self, tokens: Vec<TokenTree>) -> Level {
        let mut level = Level::default();
        #[cfg(test)]
        SEARCHED.with(|searched| searched.set(searched.get() + tokens.len()));
        if let [TokenTree::Ident(ident)] = tokens.as_slice() {
            let text = ident.to_string();
            if let Some(k) = text.strip_prefix(MARKER).and_then(|k| k.parse().ok()) {
                level.here.push((0, Edit::Block(k)));
                level.tokens = tokens;
                return level;
            }
        }
        for (i, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Ident(ident) => {
                    if let Some(call) = self.serve.token_call(&tokens, i) {
                        self.calls += 1;
                        let (name, comma, end) = (i, call.comma, call.end);
                        level
                            .here
                            .push((call.start, Edit::Serve { name, comma, end }));
                    } else if ident == "serve" && bare_call(&tokens, i) {
                        self.bare.push(ident.span());
                    }
                }
                TokenTree::Group(group) => {
                    let inner = self.level(group.stream().into_iter().collect());
                    if let Some(span) = layer_argument(&tokens, i, &inner.tokens) {
                        level.here.push((i, Edit::Layer(span)));
                    }
                    if !inner.here.is_empty() || !inner.within.is_empty() {
                        level.within.push((i, inner));
                    }
                }
                _ => {}
            }
        }
        level.tokens = tokens;
        level
    }
}

/// `serve(..)` at `i`, not a method or a path's last segment.
fn bare_call(tokens: &[TokenTree], i: usize) -> bool {
    let preceded = i > 0
        && matches!(&tokens[i - 1], TokenTree::Punct(punct) if punct.as_char() == '.' || punct.as_char() == ':');
    let called = matches!(tokens.get(i + 1), Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Parenthesis);
    called && !preceded
}

/// The span of the argument that the group at `i`, holding `inner`, gives to
/// `.layer(..)`, `.route_layer(..)` or `into_make_service(..)`, if it is one.
fn layer_argument(tokens: &[TokenTree], i: usize, inner: &[TokenTree]) -> Option<Span> {
    let TokenTree::Group(group) = &tokens[i] else {
        return None;
    };
    let called = i >= 2
        && group.delimiter() == Delimiter::Parenthesis
        && match (&tokens[i - 2], &tokens[i - 1]) {
            (TokenTree::Punct(dot), TokenTree::Ident(method)) if dot.as_char() == '.' => {
                method == "layer" || method == "route_layer"
            }
            (TokenTree::Punct(colon), TokenTree::Ident(function)) if colon.as_char() == ':' => {
                function == "into_make_service" || function == "into_make_service_with_connect_info"
            }
            _ => false,
        };
    let (first, last) = (inner.first()?, inner.last()?);
    if !called {
        return None;
    }
    // A comma: one argument only if it is one expression (a turbofish's).
    let comma = inner
        .iter()
        .any(|token| matches!(token, TokenTree::Punct(punct) if punct.as_char() == ','));
    if comma && syn::parse2::<Expr>(group.stream()).is_err() {
        return None;
    }
    Some(first.span().join(last.span()).unwrap_or(first.span()))
}

/// Whether `ty` names axum's server (`Serve`, `WithGracefulShutdown`): then
/// `Some` of the type to name, unless it holds a `_`, which only the value
/// could have inferred.
fn server(ty: &syn::Type) -> Option<Option<TokenStream>> {
    let tokens = ty.to_token_stream();
    let names = |name: &str| {
        crate::syntax::sequences(tokens.clone())
            .flatten()
            .any(|token| matches!(token, TokenTree::Ident(ident) if ident == name))
    };
    if !names("Serve") && !names("WithGracefulShutdown") {
        return None;
    }
    Some((!names("_")).then_some(tokens))
}

/// The blocks of `stmt` that are read on their own: `async` blocks (where
/// `#[tokio::main]` puts the body), blocks, and those of what is awaited,
/// spawned or called, in the order they are written.
fn blocks_in(stmt: &mut Stmt) -> Vec<&mut syn::Block> {
    fn within<'e>(expr: &'e mut Expr, found: &mut Vec<&'e mut syn::Block>) {
        match expr {
            Expr::Async(inner) => found.push(&mut inner.block),
            Expr::Block(inner) => found.push(&mut inner.block),
            Expr::Await(inner) => within(&mut inner.base, found),
            Expr::MethodCall(call) => {
                within(&mut call.receiver, found);
                for arg in &mut call.args {
                    within(arg, found);
                }
            }
            // `tokio::spawn(async move { .. })`.
            Expr::Call(call) => {
                for arg in &mut call.args {
                    within(arg, found);
                }
            }
            Expr::Paren(inner) => within(&mut inner.expr, found),
            _ => {}
        }
    }
    let mut found = Vec::new();
    let expr = match stmt {
        Stmt::Local(local) => local.init.as_mut().map(|init| &mut *init.expr),
        Stmt::Expr(expr, _) => Some(expr),
        _ => None,
    };
    if let Some(expr) = expr {
        within(expr, &mut found);
    }
    found
}
