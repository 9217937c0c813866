//! Every rule that relates what was read, from the arguments, the function,
//! the model of its body, its serving facts and deploy.yml to a [`Plan`] of
//! what to install, or the errors that say why it cannot: each one on the
//! tokens at fault, all of them reported together. The plan is plain data;
//! no token is written here.
//!
//! As serde_derive keeps them apart: what one argument alone decides is
//! checked where it is parsed (`args`: an unknown, malformed or repeated
//! argument, a path no request can match, a zero deadline or timeout, two
//! checks of one name), and what one file alone decides where it is read
//! (`deploy`: unreadable YAML, ERB where a value is needed, destinations
//! that disagree on the path). The cross-checks live here: the form the
//! function has (it returns a router or serves one) and `?`s it cannot
//! return, the attribute written twice, a `path`, timeout or stop argument
//! that disagrees with deploy.yml, a check deadline that does not end before
//! the timeout in force, a check that uses `self` or a borrowed input, the
//! stop arguments on a function that does not serve, and a route of the
//! app's own at the healthcheck path. (A healthcheck placed by hand is
//! decided by its type, which only rustc knows: see `expand::inspect`.)

use std::path::PathBuf;
use std::time::Duration;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Expr, Ident, LitBool, LitStr};

use crate::args::Args;
use crate::deploy::Deploy;
use crate::errors::{Errors, Message};
use crate::function::{Function, Input, Returns};
use crate::model::{Chain, Model, Serving, StepKind};

use crate::rules::{
    DEFAULT_DEADLINE, DEFAULT_PATH, DEPLOY_TIMEOUT, PROXY_TIMEOUT as KAMAL_TIMEOUT, STOP_TIMEOUT,
};

/// What the expansion installs.
pub(crate) struct Plan {
    /// The path the healthcheck answers.
    pub(crate) path: String,
    /// How the expansion names the runtime crate.
    pub(crate) krate: TokenStream,
    /// The files read (deploy.yml and its destinations'), which the build
    /// reruns for when one changes.
    pub(crate) tracked: Vec<PathBuf>,
    pub(crate) form: Form,
    /// Readiness checks and settings, if any were given.
    pub(crate) readiness: Option<Readiness>,
    /// `self_probe = ".."`: the subcommand that runs the self-probe, first
    /// thing in the function that serves.
    pub(crate) self_probe: Option<String>,
    /// When the function serves and handles SIGTERM and SIGINT: `docker
    /// stop`'s timeout, which the stop's deadline ends before.
    pub(crate) stop_timeout: Option<Duration>,
    /// How long kamal-proxy gives a new container to become healthy.
    pub(crate) deploy_timeout: Duration,
    /// What deploy.yml and each destination say of a container's stop and
    /// deploy, by role, when the attribute reads deploy.yml: the app picks
    /// its own at start-up.
    pub(crate) deployments: Option<Vec<crate::deploy::Deployment>>,
    /// The body, with where the expansion edits it.
    pub(crate) body: crate::sites::Block,
}

/// What was read of `deploy = ".."`.
pub(crate) enum DeployYml<'a> {
    /// No `deploy` argument.
    NotRead,
    Read(&'a Deploy),
    /// The file could not be read or used: its error is reported already.
    Unreadable,
}

/// Where the healthcheck goes.
pub(crate) enum Form {
    /// In the router the function returns.
    Returns(Returns),
    /// Around what the function's `serve` calls serve: the names the
    /// function's arguments bind, which the checks may use.
    Serves { arguments: Vec<Ident> },
}

/// The readiness settings, checked.
pub(crate) struct Readiness {
    /// kamal-proxy's timeout, when not the default.
    pub(crate) timeout: Option<Duration>,
    pub(crate) deadline: Option<(Span, Duration)>,
    pub(crate) cache_for: Option<(Span, Duration)>,
    pub(crate) error_details: Option<LitBool>,
    pub(crate) gate: Option<Expr>,
    pub(crate) checks: Vec<Check>,
    /// Every name the checks use, once each: each is cloned into the checks.
    pub(crate) captured: Vec<Ident>,
}

/// A check, with the names of the function's inputs its future uses.
pub(crate) struct Check {
    pub(crate) name: Ident,
    pub(crate) future: Expr,
    pub(crate) captured: Vec<Ident>,
}

/// Why there is no plan: the errors went to `errors`, and the function is
/// emitted beside them as written, or as a stand-in for it.
pub(crate) enum Refused {
    /// As written: rustc then reports what is the user's to fix in the
    /// user's terms.
    AsWritten,
    /// Its signature with a body that is not the user's: rustc would report
    /// the body's `?`s again, in the terms of the expansion.
    StandIn,
}

/// Applies every rule; the errors go to `errors`.
pub(crate) fn plan(
    args: Args,
    function: &Function,
    model: &Model,
    serving: Serving,
    deploy: DeployYml<'_>,
    errors: &mut Errors,
) -> Result<Plan, Refused> {
    attribute_written_twice(function, errors);
    let form = match form(function, &serving) {
        Ok(form) => form,
        Err(error) => {
            errors.push(error);
            return Err(Refused::AsWritten);
        }
    };
    if matches!(form, Form::Returns(Returns::Router)) && !model.tries.is_empty() {
        question_marks(function, model, errors);
        return Err(Refused::StandIn);
    }
    let krate = match &args.krate {
        Some(path) => path.to_token_stream(),
        None => quote::quote!(::kamal_healthcheck),
    };
    let deploy = match deploy {
        DeployYml::Unreadable => return Err(Refused::AsWritten),
        DeployYml::Read(deploy) => Some(deploy),
        DeployYml::NotRead => None,
    };
    let deployed = deployed(&args, deploy, errors);
    routes_at_path(model, &deployed.path, errors);
    let readiness = readiness(&args, function, &serving, deployed.timeout, errors);
    let stop_timeout = stop_timeout(&args, &form, deployed.stop_timeout, errors);
    let self_probe = self_probe(&args, function, &form, errors);
    let deploy_timeout = deployed
        .deploy_timeout
        .or(args.deploy_timeout.as_ref().map(|(_, timeout)| *timeout))
        .unwrap_or(DEPLOY_TIMEOUT);
    if !errors.is_empty() {
        return Err(Refused::AsWritten);
    }
    Ok(Plan {
        path: deployed.path,
        krate,
        tracked: deployed.files,
        form,
        readiness,
        self_probe,
        stop_timeout,
        deploy_timeout,
        deployments: deployed.deployments,
        body: serving.body,
    })
}

/// `self_probe = ".."`: on the function that serves, below `#[tokio::main]`
/// if it has one, so that the self-probe runs before the runtime starts.
fn self_probe(
    args: &Args,
    function: &Function,
    form: &Form,
    errors: &mut Errors,
) -> Option<String> {
    let literal = args.self_probe.as_ref()?;
    let written = format!("self_probe = {:?}", literal.value());
    if let Form::Returns(_) = form {
        errors.push(
            Message::new(
                "this function does not serve the app",
                "the self-probe is the first thing `main` does when the binary is run as \
                 `APP healthcheck`, before the app starts",
                format!("move `{written}` to the attribute on `main`, or remove it"),
            )
            .at(literal.span()),
        );
        return None;
    }
    let tokio_main_below = function.item.attrs.iter().any(|attr| {
        let segments: Vec<String> = attr
            .path()
            .segments
            .iter()
            .map(|segment| segment.ident.to_string())
            .collect();
        segments == ["tokio", "main"]
    });
    if tokio_main_below {
        errors.push(
            Message::new(
                "the self-probe would run after the runtime starts",
                "`#[tokio::main]` below `#[kamal_healthcheck]` starts tokio's runtime \
                 before the function's first statement, and `APP healthcheck` should start \
                 nothing of the app",
                "put `#[kamal_healthcheck(..)]` below `#[tokio::main]`",
            )
            .at(literal.span()),
        );
        return None;
    }
    Some(literal.value())
}

/// `docker stop`'s timeout, when the function serves and handles the
/// signals (`signals = false` says it does not): deploy.yml's (`deployed`),
/// the argument's, or Docker's 10 s. The stop arguments on a function that
/// only builds the router are errors, as it serves nothing.
fn stop_timeout(
    args: &Args,
    form: &Form,
    deployed: Option<Duration>,
    errors: &mut Errors,
) -> Option<Duration> {
    let handled = args.signals.as_ref().is_none_or(|signals| signals.value);
    if let Form::Returns(_) = form {
        let given = [
            args.signals
                .as_ref()
                .map(|signals| (signals.span(), format!("signals = {}", signals.value))),
            args.stop_timeout.as_ref().map(|(literal, _)| {
                let written = format!("stop_timeout = {:?}", literal.value());
                (literal.span(), written)
            }),
        ];
        for (span, written) in given.into_iter().flatten() {
            errors.push(
                Message::new(
                    "this function does not serve the app",
                    "`signals` and `stop_timeout` are about stopping the server, which the \
                     function that calls `axum::serve` does",
                    format!(
                        "move `{written}` to the attribute on the function that calls \
                         `axum::serve` (such as `main`), or remove it"
                    ),
                )
                .at(span),
            );
        }
        return None;
    }
    if !handled {
        if let Some((literal, _)) = &args.stop_timeout {
            errors.push(
                Message::new(
                    "`stop_timeout` with `signals = false`",
                    "with `signals = false` the app stops itself, so no deadline is kept",
                    format!(
                        "remove `stop_timeout = {:?}`, or `signals = false`",
                        literal.value()
                    ),
                )
                .at(literal.span()),
            );
        }
        return None;
    }
    let given = args.stop_timeout.as_ref().map(|(_, timeout)| *timeout);
    Some(deployed.or(given).unwrap_or(STOP_TIMEOUT))
}

/// The attribute written twice on one function: each would install a
/// healthcheck, and axum would panic on the second route at the path.
fn attribute_written_twice(function: &Function, errors: &mut Errors) {
    for attr in &function.item.attrs {
        let named = attr
            .path()
            .segments
            .last()
            .is_some_and(|last| last.ident == "kamal_healthcheck");
        if named {
            errors.push(
                Message::new(
                    "`#[kamal_healthcheck]` is written twice on this function",
                    "each would install its own healthcheck, and only one can answer the probe",
                    "remove this one, and give its arguments to the other \
                     `#[kamal_healthcheck(..)]`",
                )
                .on(attr),
            );
        }
    }
}

/// A `?` in a function that returns `Router`, which has no error to return:
/// one error on each `?`. The function is then emitted with a body that is
/// not the user's ([`Refused::StandIn`]), since rustc would report the `?`
/// again in the body as written (or, in the expansion's closure, in terms of
/// that closure).
fn question_marks(function: &Function, model: &Model, errors: &mut Errors) {
    let ty = function.ty.as_ref().map(ToTokens::to_token_stream);
    for question in &model.tries {
        errors.push(
            Message::new(
                "`?` in a function that returns `Router`",
                format!(
                    "`?` returns the error from the function, and `{}` has no place for one",
                    quote::quote!(#ty).to_string().replace(' ', "")
                ),
                "return `Result<Router, E>` (the attribute maps the router inside), or handle \
                 the error here",
            )
            .on(question),
        );
    }
}

/// Where the healthcheck goes: around what the function serves, if it calls
/// `serve`, else in the router it returns.
fn form(function: &Function, serving: &Serving) -> Result<Form, syn::Error> {
    let sig = &function.item.sig;
    if serving.calls > 0 {
        // Every name the arguments bind, destructured ones included, as the
        // checks may use them.
        let arguments = function
            .inputs
            .iter()
            .map(|input| input.name.clone())
            .collect();
        return Ok(Form::Serves { arguments });
    }
    match function.returns {
        Some(returns) => Ok(Form::Returns(returns)),
        None => {
            let (fn_token, ident) = (&sig.fn_token, &sig.ident);
            let mut tokens = quote::quote!(#fn_token #ident);
            sig.paren_token
                .surround(&mut tokens, |inner| sig.inputs.to_tokens(inner));
            tokens.extend(sig.output.to_token_stream());
            let headline = format!("`{ident}` neither returns a router nor serves one");
            let help = "put the attribute on the function that returns the `Router`, or on the \
                        one that calls `axum::serve`";
            match serving.unresolved.first() {
                // A bare `serve` the attribute cannot see is axum's: said on it.
                Some(serve) => Err(Message::new(
                    headline,
                    "this `serve` is not `axum::serve` as far as the attribute can see: a \
                     function of the app's own, or imported outside this function",
                    format!("{help}; if this is axum's, write `axum::serve(..)`"),
                )
                .at(*serve)),
                None => Err(Message::new(
                    headline,
                    "the healthcheck goes in the router a function returns, or around what \
                     `axum::serve` serves",
                    help,
                )
                .on(tokens)),
            }
        }
    }
}

/// What deploy.yml (or the arguments) say about the path and timeout.
struct Deployed<'a> {
    path: String,
    /// The files read, which the build reruns for.
    files: Vec<PathBuf>,
    /// deploy.yml's timeout, with the `deploy` literal.
    timeout: Option<(&'a LitStr, Duration)>,
    /// deploy.yml's `deploy_timeout` and `stop_timeout`, when read and set.
    deploy_timeout: Option<Duration>,
    stop_timeout: Option<Duration>,
    deployments: Option<Vec<crate::deploy::Deployment>>,
}

/// The healthcheck path, and deploy.yml's timeout. With `deploy`, the path
/// comes from deploy.yml, and a `path` that disagrees with it is an error.
fn deployed<'a>(args: &'a Args, deploy: Option<&Deploy>, errors: &mut Errors) -> Deployed<'a> {
    let (Some(file), Some(deploy)) = (&args.deploy, deploy) else {
        return Deployed {
            path: args
                .path
                .as_ref()
                .map_or_else(|| DEFAULT_PATH.to_owned(), LitStr::value),
            files: Vec::new(),
            timeout: None,
            deploy_timeout: None,
            stop_timeout: None,
            deployments: None,
        };
    };
    let name = file.value();
    if let Some(path) = args
        .path
        .as_ref()
        .filter(|path| path.value() != deploy.path)
    {
        let probed = match &deploy.path_at {
            Some(at) => format!("{name} sets `{at}` to {:?}", deploy.path),
            None => format!(
                "{name} sets no healthcheck path, so kamal-proxy probes Kamal's default {:?}",
                deploy.path
            ),
        };
        errors.push(
            Message::new(
                "this is not the path kamal-proxy probes",
                probed,
                format!(
                    "remove `path = {:?}`: the attribute reads {:?} from {name}",
                    path.value(),
                    deploy.path
                ),
            )
            .at(path.span()),
        );
    }
    for (key, given, read) in [
        (
            "deploy_timeout",
            &args.deploy_timeout,
            deploy.deploy_timeout,
        ),
        ("stop_timeout", &args.stop_timeout, deploy.stop_timeout),
    ] {
        let Some((literal, given)) = given else {
            continue;
        };
        let written = format!("{key} = {:?}", literal.value());
        let (set, help) = match read {
            Some(read) if read == *given => continue,
            Some(read) => (
                format!("{name} sets `{key}` to {read:?}, not {given:?}"),
                format!("remove `{written}`: the attribute takes {read:?} from {name}"),
            ),
            None => (
                format!("{name} sets no `{key}`, so Kamal uses its default"),
                format!(
                    "add `{key}: {}` to {name} and remove `{written}`",
                    given.as_secs().max(1)
                ),
            ),
        };
        errors.push(
            Message::new(format!("this is not the `{key}` Kamal uses"), set, help)
                .at(literal.span()),
        );
    }
    Deployed {
        files: deploy.files.clone(),
        timeout: deploy.timeout.map(|timeout| (file, timeout)),
        deploy_timeout: deploy.deploy_timeout,
        stop_timeout: deploy.stop_timeout,
        deployments: Some(deploy.deployments.clone()),
        path: deploy.path.clone(),
    }
}

/// The readiness settings, if any were given, with every name each check
/// uses; `deployed` is deploy.yml's timeout.
fn readiness(
    args: &Args,
    function: &Function,
    serving: &Serving,
    deployed: Option<(&LitStr, Duration)>,
    errors: &mut Errors,
) -> Option<Readiness> {
    let timeout = deadline_within_timeout(args, deployed, errors);
    args.readiness.as_ref()?;
    // What the checks may use: the function's arguments, and when it serves
    // the app, the local variables in scope at the `serve` call too.
    let mut inputs = function.inputs.clone();
    inputs.extend(serving.locals.iter().map(|name| Input {
        name: name.clone(),
        borrowed: false,
    }));
    let mut checks = Vec::new();
    let mut captured: Vec<Ident> = Vec::new();
    for check in &args.checks {
        match captures(&check.future, &inputs) {
            Ok(names) => {
                for name in &names {
                    if !captured.contains(name) {
                        captured.push(name.clone());
                    }
                }
                checks.push(Check {
                    name: check.name.clone(),
                    future: check.future.clone(),
                    captured: names,
                });
            }
            Err(error) => errors.push(error),
        }
    }
    let span = |(literal, value): &(LitStr, Duration)| (literal.span(), *value);
    Some(Readiness {
        timeout,
        deadline: args.deadline.as_ref().map(span),
        cache_for: args.cache_for.as_ref().map(span),
        error_details: args.error_details.clone(),
        gate: args.gate.clone(),
        checks,
        captured,
    })
}

/// Checks that the deadline ends before kamal-proxy's timeout: the one
/// deploy.yml sets, or `timeout`, or Kamal's 5 s; the error names the one in
/// force and where it came from. Returns the timeout to give the layer, if not
/// the default.
fn deadline_within_timeout(
    args: &Args,
    deployed: Option<(&LitStr, Duration)>,
    errors: &mut Errors,
) -> Option<Duration> {
    let (timeout, source, at) = match (deployed, &args.timeout) {
        (Some((file, value)), given) => {
            let name = file.value();
            if let Some((literal, given)) = given.as_ref().filter(|(_, given)| *given != value) {
                errors.push(
                    Message::new(
                        "this is not the timeout kamal-proxy uses",
                        format!(
                            "{name} sets `proxy.healthcheck.timeout` to {value:?}, not {given:?}"
                        ),
                        format!(
                            "make the two the same, or leave `timeout` out to read it from {name}"
                        ),
                    )
                    .at(literal.span()),
                );
            }
            (value, format!("set in {name}"), Some(file.span()))
        }
        (None, Some((literal, value))) => (
            *value,
            "given by `timeout`".to_owned(),
            Some(literal.span()),
        ),
        (None, None) => (KAMAL_TIMEOUT, "Kamal's default".to_owned(), None),
    };
    let (span, deadline, default) = match &args.deadline {
        Some((literal, deadline)) => (Some(literal.span()), *deadline, ""),
        None => (None, DEFAULT_DEADLINE, ", the deadline the default"),
    };
    // Without checks, the default deadline bounds nothing.
    let bounds = span.is_some() || !args.checks.is_empty();
    let problem = crate::rules::deadline_problem(deadline, timeout).filter(|_| bounds);
    if let Some((headline, note)) = problem {
        let raise = if at.is_none() {
            "; if deploy.yml sets a longer timeout, give it with `timeout = \"10s\"`"
        } else {
            ""
        };
        let message = Message::new(
            headline,
            format!("{note}; the timeout is {source}{default}"),
            format!("give a `deadline` below {timeout:?}{raise}"),
        );
        match (span.or(at), &args.readiness) {
            (Some(span), _) => errors.push(message.at(span)),
            (None, Some(first)) => errors.push(message.on(first)),
            (None, None) => {}
        }
    }
    (timeout != KAMAL_TIMEOUT).then_some(timeout)
}

/// The inputs a check's future uses, each cloned into the check.
fn captures(future: &Expr, inputs: &[Input]) -> Result<Vec<Ident>, syn::Error> {
    let later = "checks run on later probes, after this function has returned";
    let mut captured: Vec<Ident> = Vec::new();
    for token in crate::syntax::sequences(future.to_token_stream()).flatten() {
        let TokenTree::Ident(ident) = token else {
            continue;
        };
        if ident == "self" {
            return Err(Message::new(
                "a check cannot use `self`",
                later,
                "take what the check needs as an argument, `fn app(state: AppState)`, and \
                 write `check(db = state.db.ping())` (it is cloned for the check)",
            )
            .at(ident.span()));
        }
        let Some(input) = inputs.iter().find(|input| input.name == ident) else {
            continue;
        };
        if input.borrowed {
            return Err(Message::new(
                format!("a check cannot borrow `{ident}`"),
                later,
                format!(
                    "take `{ident}` by value: `{ident}: T` instead of `{ident}: &T` (it is \
                     cloned for the check)"
                ),
            )
            .at(ident.span()));
        }
        if !captured.contains(&input.name) {
            captured.push(input.name.clone());
        }
    }
    Ok(captured)
}

/// Routes of the app's own at the healthcheck path, in every router the body
/// returns or serves, at the prefix each is nested under.
fn routes_at_path(model: &Model, path: &str, errors: &mut Errors) {
    let mut pending: Vec<(&Chain, Option<String>)> = model
        .returned
        .iter()
        .map(|chain| (chain, Some(String::new())))
        .collect();
    // Steps reported, and merge or nest steps entered: a router merged into
    // every alternative of the routers around it (feature-flag `if`s at each
    // level) is entered once per prefix, which keeps the steps visited linear in
    // the body (the look-ups are lists: a body has a few hundred steps at most).
    let mut reported: Vec<usize> = Vec::new();
    let mut entered: Vec<(usize, Option<String>)> = Vec::new();
    while let Some((chain, prefix)) = pending.pop() {
        for step in chain.steps() {
            match &model.steps[step].kind {
                StepKind::Route { path: Some(route) }
                | StepKind::Nest {
                    path: Some(route), ..
                } if prefix
                    .as_ref()
                    .is_some_and(|p| format!("{p}{}", route.value()) == path)
                    && !reported.contains(&step) =>
                {
                    reported.push(step);
                    errors.push(route_at_path(path).on(route));
                }
                _ => {}
            }
            let key = (step, prefix.clone());
            if entered.contains(&key) {
                continue;
            }
            match &model.steps[step].kind {
                StepKind::Merge(routers) => {
                    entered.push(key);
                    pending.extend(routers.iter().map(|router| (router, prefix.clone())));
                }
                StepKind::Nest {
                    path: nest,
                    routers,
                } => {
                    entered.push(key);
                    let nested = prefix
                        .as_ref()
                        .zip(nest.as_ref())
                        .map(|(prefix, nest)| format!("{prefix}{}", nest.value()));
                    pending.extend(routers.iter().map(|router| (router, nested.clone())));
                }
                _ => {}
            }
        }
    }
}

fn route_at_path(path: &str) -> Message {
    Message::new(
        format!("a route at the healthcheck path {path:?}"),
        format!(
            "`#[kamal_healthcheck]` answers {path:?} ahead of every route: this one never runs"
        ),
        "remove the route and move what it checks into the attribute, \
         `#[kamal_healthcheck(check(db = ..))]`",
    )
}
