//! Reads the function body into a small model of the routers it returns (or
//! serves).
//!
//! For every value the function can return (each `return`, the tail expression,
//! each branch of an `if` or `match`) the model keeps the chain of calls that built
//! the router, in the order they apply, following `let` bindings and reassignments
//! back to where the router was made: where its routes are, and which routers it
//! merges and nests at which prefix. Calls the model does not know are kept as
//! [`StepKind::Other`], never guessed at. Closures, `async` blocks, macros and
//! nested items are not read: what they return is not what the function returns.
//!
//! Steps live in an arena and chains share their beginnings (a chain is its
//! last step and the chain before it), so a step shared by several returned
//! values (a `let` used in two branches) is one step, a mistake in it is
//! reported once, and the reading stays linear in the body: a branch that may
//! add one route copies no chain.

use std::rc::Rc;

use syn::{Block, Expr, ExprMethodCall, Ident, LitStr, Pat, Stmt};

use crate::serve::Recogniser;
use crate::syntax::{bindings, function_path, string_literal};

/// Index of a [`Step`] in [`Model::steps`].
pub(crate) type StepId = usize;

/// What the function body does to the routers it returns (or serves).
#[derive(Default)]
pub(crate) struct Model {
    pub(crate) steps: Vec<Step>,
    /// One chain per value the function can return (after `Ok(..)`/`Some(..)` are
    /// taken off; `Err(..)` and `None` return no router and have no chain), or
    /// per service it serves.
    pub(crate) returned: Vec<Chain>,
    /// The `?`s that return from the function itself (not from a closure or
    /// an `async` block in it).
    pub(crate) tries: Vec<syn::token::Question>,
}

/// What the function body says about serving the app, and its sites.
pub(crate) struct Serving {
    /// How many `serve` calls the body holds: with any, the function serves
    /// the app, and the routers of the [`Model`] are what it serves.
    pub(crate) calls: usize,
    /// The names bound by `let` in the blocks that hold a `serve` call: the
    /// local variables a check written at the call may use.
    pub(crate) locals: Vec<Ident>,
    /// Calls of a bare `serve` with two arguments that the recogniser cannot
    /// tell are axum's.
    pub(crate) unresolved: Vec<proc_macro2::Span>,
    /// The body's tokens, with where the expansion edits them.
    pub(crate) body: crate::sites::Block,
}

/// A value built by a chain of method calls on a root expression: its last
/// step and the chain before it.
#[derive(Clone, Default)]
pub(crate) struct Chain(Option<Rc<Link>>);

pub(crate) struct Link {
    step: StepId,
    before: Chain,
}

impl Chain {
    fn then(&self, step: StepId) -> Self {
        Self(Some(Rc::new(Link {
            step,
            before: self.clone(),
        })))
    }

    /// The steps, in the order they apply.
    pub(crate) fn steps(&self) -> Vec<StepId> {
        let mut steps = Vec::new();
        let mut link = &self.0;
        while let Some(current) = link {
            steps.push(current.step);
            link = &current.before.0;
        }
        steps.reverse();
        steps
    }

    fn same(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

/// One method call of a chain.
pub(crate) struct Step {
    pub(crate) kind: StepKind,
}

pub(crate) enum StepKind {
    /// `.route(path, ..)` or `.route_service(path, ..)`.
    Route { path: Option<LitStr> },
    /// `.merge(router)`, with the chains of the merged router.
    Merge(Vec<Chain>),
    /// `.nest(path, router)` or `.nest_service(path, service)`.
    Nest {
        path: Option<LitStr>,
        routers: Vec<Chain>,
    },
    /// Any other call, by its method's name (`layer`, `fallback`,
    /// `with_state`, ...): no rule reads more of it (the unit tests read the
    /// name).
    Other(#[cfg_attr(not(test), allow(dead_code))] String),
}

/// Reads `body`, the block of the annotated function: the routers it
/// returns or, when it calls `axum::serve`, the services it serves (the app
/// before its conversion into a make-service), read inside `async` blocks
/// too; and the facts about its serving, with its sites. `body` is left as it
/// was.
pub(crate) fn read(body: &mut Block) -> (Model, Serving) {
    let recogniser = Recogniser::new(body);
    let sites = crate::sites::read(body, &recogniser);
    let calls = sites.calls;
    let mut reader = Reader {
        serving: calls > 0,
        serve: &recogniser,
        model: Model::default(),
    };
    let (tail, _) = reader.block(body, &mut Env::default());
    let mut model = reader.model;
    // A function that serves returns no router; one that does not has no
    // locals a check may use at a `serve` call, and its bare `serve`s are
    // what it may have meant.
    let serves = calls > 0;
    if !serves {
        model.returned.extend(tail);
    }
    let serving = Serving {
        calls,
        locals: if serves {
            sites.body.locals()
        } else {
            Vec::new()
        },
        unresolved: if serves { Vec::new() } else { sites.bare },
        body: sites.body,
    };
    (model, serving)
}

/// Bindings in scope, the latest last: each name with the chains its value may
/// have been built by (`None` where a pattern binds it to something unknown), and
/// whether the entry is a binding (`let`, a pattern) or an assignment to an
/// earlier binding. A block's entries are taken off when it ends, so nothing is
/// copied to enter a block or a branch.
#[derive(Default)]
struct Env(Vec<(String, Option<Vec<Chain>>, Entry)>);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    Binding,
    Assignment,
}

/// Assignments a block or branch made to names bound outside it, the last per name.
type Updates = Vec<(String, Vec<Chain>)>;

/// At most this many alternatives per value: every `if` that may reassign a
/// router doubles them, and the checks need the order of steps, not every path.
const MAX_ALTERNATIVES: usize = 64;

impl Env {
    fn get(&self, name: &str) -> Option<&Vec<Chain>> {
        self.0
            .iter()
            .rev()
            .find(|(bound, ..)| bound == name)
            .and_then(|(_, value, _)| value.as_ref())
    }

    fn insert(&mut self, name: String, value: Vec<Chain>) {
        self.0.push((name, Some(value), Entry::Binding));
    }

    fn assign(&mut self, name: String, value: Vec<Chain>) {
        self.0
            .push((name, Some(alternatives(value)), Entry::Assignment));
    }

    fn remove(&mut self, name: String) {
        self.0.push((name, None, Entry::Binding));
    }

    /// Takes off the entries after the first `len`, and returns the
    /// assignments they made to names bound before them.
    fn leave(&mut self, len: usize) -> Updates {
        let mut shadowed: Vec<&str> = Vec::new();
        let mut updates: Updates = Vec::new();
        for (name, value, entry) in &self.0[len..] {
            match entry {
                Entry::Binding => shadowed.push(name),
                Entry::Assignment if shadowed.contains(&name.as_str()) => {}
                Entry::Assignment => {
                    let value = value.clone().unwrap_or_default();
                    match updates.iter_mut().find(|(known, _)| known == name) {
                        Some(update) => update.1 = value,
                        None => updates.push((name.clone(), value)),
                    }
                }
            }
        }
        self.0.truncate(len);
        updates
    }

    /// What names assigned in some of `branches` (one of which runs) may hold
    /// after them: a branch that did not assign a name leaves its value as it is.
    fn merge(&self, branches: &[Updates]) -> Updates {
        let mut merged: Updates = Vec::new();
        for (name, _) in branches.iter().flatten() {
            if merged.iter().any(|(known, _)| known == name) {
                continue;
            }
            let mut value = Vec::new();
            for branch in branches {
                match branch.iter().find(|(assigned, _)| assigned == name) {
                    Some((_, assigned)) => value.extend(assigned.iter().cloned()),
                    None => value.extend(self.get(name).into_iter().flatten().cloned()),
                }
            }
            merged.push((name.clone(), alternatives(value)));
        }
        merged
    }

    fn apply(&mut self, updates: Updates) {
        for (name, value) in updates {
            self.assign(name, value);
        }
    }
}

/// `value` without repeated chains, and at most [`MAX_ALTERNATIVES`] of them.
fn alternatives(value: Vec<Chain>) -> Vec<Chain> {
    let mut kept: Vec<Chain> = Vec::with_capacity(value.len().min(MAX_ALTERNATIVES));
    for chain in value {
        if kept.len() == MAX_ALTERNATIVES {
            break;
        }
        if !kept.iter().any(|known| known.same(&chain)) {
            kept.push(chain);
        }
    }
    kept
}

struct Reader<'a> {
    model: Model,
    /// Whether the chains sought are the served ones, not the returned ones.
    serving: bool,
    /// What names `axum::serve` in the body.
    serve: &'a Recogniser,
}

impl Reader<'_> {
    /// Reads a block in its own scope; returns the chains of its tail value and
    /// the assignments it made to names bound outside it.
    fn block(&mut self, block: &Block, env: &mut Env) -> (Vec<Chain>, Updates) {
        let len = env.0.len();
        let mut tail = Vec::new();
        for (i, stmt) in block.stmts.iter().enumerate() {
            match stmt {
                Stmt::Local(local) => {
                    let value = match &local.init {
                        Some(init) => {
                            let value = self.value(&init.expr, env);
                            if let Some((_, diverge)) = &init.diverge {
                                self.value(diverge, env);
                            }
                            value
                        }
                        None => Vec::new(),
                    };
                    unbind(&local.pat, env);
                    if let Some(name) = crate::syntax::single_binding(&local.pat) {
                        env.insert(name.to_string(), value);
                    }
                }
                Stmt::Expr(expr, semi) => {
                    let (value, updates) = self.flow(expr, env);
                    env.apply(updates);
                    if semi.is_none() && i + 1 == block.stmts.len() {
                        tail = value;
                    }
                }
                Stmt::Item(_) | Stmt::Macro(_) => {}
            }
        }
        (tail, env.leave(len))
    }

    /// [`value`](Self::value) of an expression in statement position, with the
    /// assignments its blocks make to outer names: merged over the branches of
    /// an `if` or `match` (one of which runs), and over a loop's body and its
    /// absence (it may run no time).
    fn flow(&mut self, expr: &Expr, env: &mut Env) -> (Vec<Chain>, Updates) {
        match expr {
            Expr::Block(block) => self.block(&block.block, env),
            Expr::Unsafe(block) => self.block(&block.block, env),
            Expr::If(branch) => {
                let len = env.0.len();
                self.condition(&branch.cond, env);
                let (mut value, then) = self.block(&branch.then_branch, env);
                env.leave(len);
                let otherwise = match &branch.else_branch {
                    Some((_, otherwise)) => {
                        let (other, updates) = self.flow(otherwise, env);
                        value.extend(other);
                        updates
                    }
                    None => Vec::new(),
                };
                (value, env.merge(&[then, otherwise]))
            }
            Expr::Match(choice) => {
                self.value(&choice.expr, env);
                let (mut value, mut arms) = (Vec::new(), Vec::new());
                for arm in &choice.arms {
                    let len = env.0.len();
                    unbind(&arm.pat, env);
                    if let Pat::Guard(guarded) = &arm.pat {
                        self.value(&guarded.guard, env);
                    }
                    let (arm_value, updates) = self.flow(&arm.body, env);
                    env.leave(len);
                    value.extend(arm_value);
                    arms.push(updates);
                }
                (value, env.merge(&arms))
            }
            Expr::ForLoop(each) => {
                self.value(&each.expr, env);
                let len = env.0.len();
                unbind(&each.pat, env);
                let (_, body) = self.block(&each.body, env);
                env.leave(len);
                (Vec::new(), env.merge(&[body, Vec::new()]))
            }
            Expr::While(repeat) => {
                let len = env.0.len();
                self.condition(&repeat.cond, env);
                let (_, body) = self.block(&repeat.body, env);
                env.leave(len);
                (Vec::new(), env.merge(&[body, Vec::new()]))
            }
            Expr::Loop(repeat) => {
                let (_, body) = self.block(&repeat.body, env);
                (Vec::new(), env.merge(&[body, Vec::new()]))
            }
            Expr::Assign(assign) => {
                let value = self.value(&assign.right, env);
                let updates = match &*assign.left {
                    Expr::Path(path) => path
                        .path
                        .get_ident()
                        .map(|name| vec![(name.to_string(), value)])
                        .unwrap_or_default(),
                    _ => Vec::new(),
                };
                (Vec::new(), updates)
            }
            _ => (self.value(expr, env), Vec::new()),
        }
    }

    /// The chains `expr` may evaluate to, recording every `return` inside it.
    fn value(&mut self, expr: &Expr, env: &mut Env) -> Vec<Chain> {
        match expr {
            Expr::MethodCall(call) => self.method_chain(call, env),
            Expr::Path(path) => {
                if let Some(ident) = path.path.get_ident() {
                    if let Some(value) = env.get(&ident.to_string()) {
                        return value.clone();
                    }
                }
                if path.path.is_ident("None") {
                    return Vec::new();
                }
                self.root(expr, env)
            }
            Expr::Call(call) => {
                if self.serving {
                    if let Some((listener, app)) = self.serve.call(call) {
                        self.value(listener, env);
                        let served = self.value(app, env);
                        self.model.returned.extend(served);
                        return Vec::new();
                    }
                }
                if let Some(name) = function_path(call).and_then(|mut path| path.pop()) {
                    // `Ok(router)` and `Some(router)` return the router inside;
                    // `Err(..)` returns none.
                    if (name == "Ok" || name == "Some") && call.args.len() == 1 {
                        return self.value(&call.args[0], env);
                    }
                    if name == "Err" {
                        self.read_all(call.args.iter(), env);
                        return Vec::new();
                    }
                }
                self.root(expr, env)
            }
            Expr::Paren(inner) => self.value(&inner.expr, env),
            Expr::Group(inner) => self.value(&inner.expr, env),
            Expr::Try(inner) => {
                self.model.tries.push(inner.question_token);
                self.value(&inner.expr, env)
            }
            Expr::Await(inner) => self.value(&inner.base, env),
            Expr::Block(_)
            | Expr::Unsafe(_)
            | Expr::If(_)
            | Expr::Match(_)
            | Expr::ForLoop(_)
            | Expr::While(_)
            | Expr::Loop(_) => {
                let (value, updates) = self.flow(expr, env);
                env.apply(updates);
                value
            }
            Expr::Return(ret) => {
                if let Some(returned) = &ret.expr {
                    let value = self.value(returned, env);
                    if !self.serving {
                        self.model.returned.extend(value);
                    }
                }
                Vec::new()
            }
            // `#[tokio::main]` puts the body of `main` in an `async` block.
            Expr::Async(block) if self.serving => {
                self.block(&block.block, env);
                self.root(expr, env)
            }
            Expr::TryBlock(block) => {
                self.block(&block.block, env);
                Vec::new()
            }
            // Their own scope: what they return is not what the function returns.
            Expr::Closure(_) | Expr::Async(_) | Expr::Const(_) | Expr::Macro(_) => {
                self.root(expr, env)
            }
            Expr::Let(binding) => {
                self.value(&binding.expr, env);
                Vec::new()
            }
            Expr::Tuple(tuple) => {
                self.read_all(tuple.elems.iter(), env);
                vec![Chain::default()]
            }
            Expr::Struct(literal) => {
                self.read_all(literal.fields.iter().map(|field| &field.expr), env);
                self.read_all(literal.rest.as_deref(), env);
                self.root(expr, env)
            }
            Expr::Reference(inner) => self.value(&inner.expr, env),
            _ => {
                self.read_all(children(expr), env);
                Vec::new()
            }
        }
    }

    /// Reads an `if`/`while` condition; `let` patterns in it shadow outer names.
    fn condition(&mut self, cond: &Expr, scope: &mut Env) {
        self.value(cond, scope);
        let mut pending = vec![cond];
        while let Some(expr) = pending.pop() {
            match expr {
                Expr::Let(binding) => unbind(&binding.pat, scope),
                Expr::Binary(both) => pending.extend([&*both.left, &*both.right]),
                _ => {}
            }
        }
    }

    fn read_all<'e>(&mut self, exprs: impl IntoIterator<Item = &'e Expr>, env: &mut Env) {
        for expr in exprs {
            self.value(expr, env);
        }
    }

    /// A chain of method calls, read from its root outwards without recursion, so
    /// a router with hundreds of routes costs no stack.
    fn method_chain(&mut self, outermost: &ExprMethodCall, env: &mut Env) -> Vec<Chain> {
        let mut calls = vec![outermost];
        let mut receiver = &*outermost.receiver;
        while let Expr::MethodCall(call) = receiver {
            calls.push(call);
            receiver = &*call.receiver;
        }
        let mut chains = self.value(receiver, env);
        for call in calls.into_iter().rev() {
            let step = self.step(call, env);
            for chain in &mut chains {
                *chain = chain.then(step);
            }
        }
        chains
    }

    fn step(&mut self, call: &ExprMethodCall, env: &mut Env) -> StepId {
        let method = call.method.to_string();
        let args: Vec<&Expr> = call.args.iter().collect();
        let literal = |i: usize| args.get(i).and_then(|arg| string_literal(arg));
        let kind = match (method.as_str(), args.as_slice()) {
            ("route" | "route_service", [_, handler]) => {
                self.value(handler, env);
                StepKind::Route { path: literal(0) }
            }
            ("layer" | "route_layer" | "fallback" | "fallback_service", [argument]) => {
                self.value(argument, env);
                StepKind::Other(method)
            }
            ("merge", [router]) => StepKind::Merge(self.value(router, env)),
            ("nest" | "nest_service", [_, router]) => StepKind::Nest {
                path: literal(0),
                routers: self.value(router, env),
            },
            _ => {
                self.read_all(args.iter().copied(), env);
                StepKind::Other(method)
            }
        };
        self.model.steps.push(Step { kind });
        self.model.steps.len() - 1
    }

    /// The root of a chain: any expression, whose own calls are read for the
    /// `return`s they may hold.
    fn root(&mut self, expr: &Expr, env: &mut Env) -> Vec<Chain> {
        if let Expr::Call(call) = expr {
            self.read_all(call.args.iter(), env);
        }
        vec![Chain::default()]
    }
}

/// Removes the names `pat` binds from `env`: they shadow whatever was bound before.
fn unbind(pat: &Pat, env: &mut Env) {
    for binding in bindings(pat) {
        env.remove(binding.ident.to_string());
    }
}

/// The direct subexpressions of expressions the reader does not model, read only
/// for the `return`s they may hold.
fn children(expr: &Expr) -> Vec<&Expr> {
    let mut found: Vec<&Expr> = Vec::new();
    match expr {
        Expr::Array(array) => found.extend(&array.elems),
        Expr::Binary(binary) => found.extend([&*binary.left, &*binary.right]),
        Expr::Break(jump) => found.extend(jump.expr.as_deref()),
        Expr::Cast(cast) => found.push(&cast.expr),
        Expr::Field(field) => found.push(&field.base),
        Expr::Index(index) => found.extend([&*index.expr, &*index.index]),
        Expr::Range(range) => found.extend(
            range
                .start
                .as_deref()
                .into_iter()
                .chain(range.end.as_deref()),
        ),
        Expr::RawAddr(addr) => found.push(&addr.expr),
        Expr::Repeat(repeat) => found.extend([&*repeat.expr, &*repeat.len]),
        Expr::Unary(unary) => found.push(&unary.expr),
        Expr::Yield(value) => found.extend(value.expr.as_deref()),
        _ => {}
    }
    found
}
