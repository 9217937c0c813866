//! The attribute's arguments, every one of them parsed here and kept with the
//! tokens it came from: `path`, `crate`, `deploy`, for readiness `check`,
//! `deadline`, `timeout`, `cache_for`, `error_details` and `gate`, and for the
//! function that serves `deploy_timeout`, `stop_timeout`, `signals` and
//! `self_probe`. What each argument means for the others (a deadline within
//! the timeout, a path that agrees with deploy.yml) is decided by
//! [`crate::check`].

use std::time::Duration;

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitBool, LitStr, Meta, Token};

use crate::errors::{Errors, Message};

/// Every argument name, in the order the docs list them.
const NAMES: [&str; 13] = [
    "path",
    "crate",
    "deploy",
    "check",
    "deadline",
    "timeout",
    "cache_for",
    "error_details",
    "gate",
    "deploy_timeout",
    "stop_timeout",
    "signals",
    "self_probe",
];

/// The arguments as written.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) path: Option<LitStr>,
    pub(crate) krate: Option<syn::Path>,
    /// `deploy = "config/deploy.yml"`.
    pub(crate) deploy: Option<LitStr>,
    pub(crate) checks: Vec<Check>,
    pub(crate) deadline: Option<(LitStr, Duration)>,
    /// `timeout = "10s"`: kamal-proxy's timeout for this deployment, which
    /// bounds the deadline.
    pub(crate) timeout: Option<(LitStr, Duration)>,
    pub(crate) cache_for: Option<(LitStr, Duration)>,
    pub(crate) error_details: Option<LitBool>,
    pub(crate) gate: Option<Expr>,
    /// `deploy_timeout = "30s"`: how long kamal-proxy gives a new container
    /// to answer a 2xx, when deploy.yml is not read.
    pub(crate) deploy_timeout: Option<(LitStr, Duration)>,
    /// `stop_timeout = "10s"`: how long `docker stop` waits before SIGKILL,
    /// when deploy.yml is not read.
    pub(crate) stop_timeout: Option<(LitStr, Duration)>,
    /// `signals = false`: the app handles SIGTERM and SIGINT itself.
    pub(crate) signals: Option<LitBool>,
    /// `self_probe = "healthcheck"`: `APP healthcheck` probes the app
    /// running beside it, for Docker's `HEALTHCHECK`.
    pub(crate) self_probe: Option<LitStr>,
    /// The first readiness argument, where an error about all of them goes.
    pub(crate) readiness: Option<TokenStream>,
}

/// `check(name = future)`: `future` is evaluated anew for every run of the check.
pub(crate) struct Check {
    pub(crate) name: Ident,
    pub(crate) future: Expr,
}

/// Parses the arguments, reporting every mistake into `errors`; the arguments
/// that could be read are returned either way.
pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Args {
    let mut args = Args::default();
    if let Some(TokenTree::Literal(literal)) = tokens.clone().into_iter().next() {
        errors.push(
            Message::new(
                "the path is a named argument",
                "`#[kamal_healthcheck]` takes `name = value` arguments only",
                format!("write `#[kamal_healthcheck(path = {literal})]`"),
            )
            .at(literal.span()),
        );
        return args;
    }
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(metas) => metas,
        Err(error) => {
            errors.push(
                Message::new(
                    error.to_string(),
                    "arguments are `name = value` pairs separated by commas",
                    "write them as `#[kamal_healthcheck(path = \"/healthz\", deadline = \"1s\")]`",
                )
                .at(error.span()),
            );
            return args;
        }
    };
    // Each argument given, with its first value as written.
    let mut seen: Vec<(String, String)> = Vec::new();
    for meta in metas {
        let key = meta
            .path()
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        if key != "check" && NAMES.contains(&key.as_str()) {
            if let Some((_, first)) = seen.iter().find(|(known, _)| *known == key) {
                errors.push(repeated(&meta, &key, first));
                continue;
            }
            let written = meta
                .to_token_stream()
                .to_string()
                .replace(" . ", ".")
                .replace(" (", "(")
                .replace("( ", "(")
                .replace(" )", ")");
            seen.push((key.clone(), written));
        }
        if let Err(error) = args.argument(&key, &meta) {
            errors.push(error);
        }
    }
    args
}

impl Args {
    /// Reads one argument named `key`.
    fn argument(&mut self, key: &str, meta: &Meta) -> Result<(), syn::Error> {
        match key {
            "path" => {
                let literal = string(meta, "path", "/healthz", "the path kamal-proxy probes")?;
                if let Some(reason) = crate::rules::path_problem(&literal.value()) {
                    return Err(invalid_path(&literal.value(), reason).at(literal.span()));
                }
                self.path = Some(literal);
            }
            "crate" => {
                let literal = string(
                    meta,
                    "crate",
                    "my_app::kamal_healthcheck",
                    "where `kamal_healthcheck` is, when renamed or re-exported",
                )?;
                let path = literal.parse::<syn::Path>().map_err(|_| {
                    Message::new(
                        "`crate` must be a path",
                        "it names where `kamal_healthcheck` is, when renamed or re-exported",
                        "write `crate = \"::kamal_healthcheck\"` or the path of a re-export",
                    )
                    .at(literal.span())
                })?;
                self.krate = Some(path);
            }
            "self_probe" => {
                let note = "the subcommand that probes the app running beside it";
                let literal = string(meta, "self_probe", "healthcheck", note)?;
                let command = literal.value();
                if command.is_empty() || command.contains(char::is_whitespace) {
                    return Err(Message::new(
                        "not a subcommand",
                        "`APP <self_probe>` runs the self-probe: one word, as a shell splits it",
                        "write a word, such as `self_probe = \"healthcheck\"`",
                    )
                    .at(literal.span()));
                }
                self.self_probe = Some(literal);
            }
            "deploy" => {
                let note = "Kamal's config file, read at compile time";
                self.deploy = Some(string(meta, "deploy", "config/deploy.yml", note)?);
            }
            "deploy_timeout" | "stop_timeout" => {
                let timeout = duration(meta, key)?;
                if timeout.1.is_zero() {
                    return Err(Message::new(
                        format!("a `{key}` of zero"),
                        format!("deploy.yml's `{key}` is a number of seconds above zero"),
                        format!("write deploy.yml's `{key}`, such as `{key} = \"30s\"`"),
                    )
                    .at(timeout.0.span()));
                }
                match key {
                    "deploy_timeout" => self.deploy_timeout = Some(timeout),
                    _ => self.stop_timeout = Some(timeout),
                }
            }
            "signals" => match value(meta) {
                Some(Expr::Lit(ExprLit {
                    lit: Lit::Bool(handled),
                    ..
                })) => self.signals = Some(handled.clone()),
                _ => {
                    return Err(Message::new(
                        "expected `true` or `false`",
                        "`signals` says whether SIGTERM and SIGINT stop the app gracefully",
                        "write `signals = false` for an app that handles them itself",
                    )
                    .on(meta));
                }
            },
            _ => return self.readiness_argument(key, meta),
        }
        Ok(())
    }

    /// Reads a readiness argument, or reports an unknown one.
    fn readiness_argument(&mut self, key: &str, meta: &Meta) -> Result<(), syn::Error> {
        match key {
            "check" => {
                let Meta::List(list) = meta else {
                    return Err(check_usage().on(meta));
                };
                let check = list.parse_args_with(parse_check)?;
                if self.checks.iter().any(|known| known.name == check.name) {
                    return Err(Message::new(
                        format!("a second check named `{}`", check.name),
                        "the 503 answer and the log name each check, so names must differ",
                        format!("rename this one: `check({}_2 = ..)`", check.name),
                    )
                    .on(&check.name));
                }
                self.checks.push(check);
            }
            "deadline" => {
                let deadline = duration(meta, "deadline")?;
                if deadline.1.is_zero() {
                    return Err(Message::new(
                        "a check deadline of zero",
                        "every check would time out before it starts",
                        "write `deadline = \"2s\"` (the default), or another above zero",
                    )
                    .at(deadline.0.span()));
                }
                self.deadline = Some(deadline);
            }
            "timeout" => {
                let timeout = duration(meta, "timeout")?;
                if timeout.1.is_zero() {
                    return Err(Message::new(
                        "a healthcheck timeout of zero",
                        "`proxy: healthcheck: timeout:` is a number of seconds above zero (5 \
                         unless set)",
                        "give deploy.yml's timeout, or leave `timeout` out",
                    )
                    .at(timeout.0.span()));
                }
                // It says how the deployment probes, not how the healthcheck
                // answers: not a readiness setting of its own.
                self.timeout = Some(timeout);
                return Ok(());
            }
            "cache_for" => self.cache_for = Some(duration(meta, "cache_for")?),
            "error_details" => match value(meta) {
                Some(Expr::Lit(ExprLit {
                    lit: Lit::Bool(show),
                    ..
                })) => self.error_details = Some(show.clone()),
                _ => {
                    return Err(Message::new(
                        "expected `true` or `false`",
                        "`error_details` says whether the 503 answer carries each check's error",
                        "write `error_details = true` (`false` is the default)",
                    )
                    .on(meta));
                }
            },
            "gate" => match value(meta) {
                Some(gate) => self.gate = Some(gate.clone()),
                None => {
                    return Err(Message::new(
                        "expected `gate = <a StartupGate>`",
                        "the gate holds the answer at `503 starting` until the app opens it",
                        "write `gate = state.startup.clone()`",
                    )
                    .on(meta));
                }
            },
            _ => return Err(unknown(meta)),
        }
        self.readiness.get_or_insert_with(|| meta.to_token_stream());
        Ok(())
    }
}

/// The error for the invalid healthcheck path `path`, `reason` saying why.
pub(crate) fn invalid_path(path: &str, reason: &str) -> Message {
    let help = match corrected(path) {
        Some(fixed) => format!(
            "write `path = {fixed:?}`, the path a request can carry, and the same \
             `proxy: healthcheck: path: {fixed}` in config/deploy.yml"
        ),
        None => "write a literal path, such as `path = \"/healthz\"`, and the same \
                 `proxy: healthcheck: path: /healthz` in config/deploy.yml"
            .to_owned(),
    };
    Message::new(
        "invalid healthcheck path",
        format!("{reason}; kamal-proxy's probe could never match it"),
        help,
    )
}

/// `path` made into one a request line can carry, when there is one to
/// guess: a leading `/`, without the query or fragment, whitespace or
/// control characters, `.` and `..` segments resolved, non-ASCII
/// percent-encoded as clients send it. `None` where the path holds a route
/// parameter (`{id}`, `:id`, `*rest`), whose literal no one can guess.
pub(crate) fn corrected(path: &str) -> Option<String> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path: String = path
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    if path.is_empty() {
        return Some(crate::rules::DEFAULT_PATH.to_owned());
    }
    let mut segments: Vec<String> = Vec::new();
    for segment in path.trim_start_matches('/').split('/') {
        match segment {
            "." => {}
            ".." => {
                segments.pop();
            }
            _ if segment.contains(['{', '}']) || segment.starts_with([':', '*']) => return None,
            _ => segments.push(
                segment
                    .chars()
                    .map(|c| match c.is_ascii() {
                        true => c.to_string(),
                        false => c
                            .to_string()
                            .bytes()
                            .map(|byte| format!("%{byte:02X}"))
                            .collect(),
                    })
                    .collect(),
            ),
        }
    }
    let fixed = format!("/{}", segments.join("/"));
    crate::rules::path_problem(&fixed)
        .is_none()
        .then_some(fixed)
}

fn unknown(meta: &Meta) -> syn::Error {
    let name = meta.path();
    let typed = quote::quote!(#name).to_string();
    let known = NAMES.map(|known| format!("`{known}`")).join(", ");
    let help = match NAMES.into_iter().find(|known| close(&typed, known)) {
        Some(known) => format!("did you mean `{known}`?"),
        None => "the arguments are described in the docs of `#[kamal_healthcheck]`".to_owned(),
    };
    Message::new(
        format!("unknown argument `{typed}`"),
        format!("`#[kamal_healthcheck]` takes {known}"),
        help,
    )
    .on(name)
}

fn repeated(meta: &Meta, name: &str, first: &str) -> syn::Error {
    Message::new(
        format!("`{name}` is given more than once"),
        "a second value would silently win over the first",
        format!("remove this one, or the first, `{first}`"),
    )
    .on(meta)
}

fn check_usage() -> Message {
    Message::new(
        "expected `check(name = future)`",
        "the future is made anew for each run of the check and gives `Result<(), E>`",
        "write `check(db = state.db.ping())`",
    )
}

/// The string literal of `name = "..."`; `example` is a value to show, `what`
/// says what the argument is.
fn string(meta: &Meta, name: &str, example: &str, what: &str) -> Result<LitStr, syn::Error> {
    let message = Message::new(
        format!("expected `{name} = \"...\"`"),
        format!("`{name}` is {what}, a string literal"),
        format!("write `{name} = \"{example}\"`"),
    );
    match value(meta) {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Str(literal),
            ..
        })) => Ok(literal.clone()),
        Some(other) => Err(message.on(other)),
        None => Err(message.on(meta)),
    }
}

/// `name = "1500ms"`: the literal and the duration it gives.
fn duration(meta: &Meta, name: &str) -> Result<(LitStr, Duration), syn::Error> {
    let message = Message::new(
        "expected a duration such as \"1500ms\"",
        format!("`{name}` is a whole number of `ms` or `s`, in a string"),
        format!("write `{name} = \"1500ms\"` or `{name} = \"2s\"`"),
    );
    let Some(Expr::Lit(ExprLit {
        lit: Lit::Str(literal),
        ..
    })) = value(meta)
    else {
        return Err(message.on(meta));
    };
    match parse_duration(&literal.value()) {
        Some(duration) => Ok((literal.clone(), duration)),
        None => Err(message.at(literal.span())),
    }
}

fn value(meta: &Meta) -> Option<&Expr> {
    match meta {
        Meta::NameValue(pair) => Some(&pair.value),
        _ => None,
    }
}

fn parse_check(input: syn::parse::ParseStream<'_>) -> syn::Result<Check> {
    // A malformed check is reported on all of it.
    let all = input.cursor().token_stream();
    let usage = |_: syn::Error| check_usage().on(&all);
    let name: Ident = input.parse().map_err(usage)?;
    input.parse::<Token![=]>().map_err(usage)?;
    let future: Expr = input.parse()?;
    if !input.is_empty() {
        return Err(usage(input.error("")));
    }
    Ok(Check { name, future })
}

/// `"1500ms"` or `"2s"`.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let (number, unit) = match text.strip_suffix("ms") {
        Some(number) => (number, 1),
        None => (text.strip_suffix('s')?, 1000),
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    number
        .parse::<u64>()
        .ok()?
        .checked_mul(unit)
        .map(Duration::from_millis)
}

/// Whether `typed` is probably a misspelling of `known`: at most two edits apart.
fn close(typed: &str, known: &str) -> bool {
    let typed: Vec<char> = typed.to_lowercase().chars().collect();
    let mut previous: Vec<usize> = (0..=typed.len()).collect();
    for (i, k) in known.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, t) in typed.iter().enumerate() {
            let substitution = previous[j] + usize::from(*t != k);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[typed.len()] <= 2
}

#[cfg(test)]
mod tests {
    use super::{corrected, parse_duration};
    use std::time::Duration;

    #[test]
    fn the_path_a_request_can_carry() {
        for (bad, fixed) in [
            ("", Some("/up")),
            ("up", Some("/up")),
            ("/up?full=1", Some("/up")),
            ("/up#top", Some("/up")),
            ("/health check", Some("/healthcheck")),
            ("/api/./health", Some("/api/health")),
            ("/api/v1/../health", Some("/api/health")),
            ("/santé", Some("/sant%C3%A9")),
            ("/users/{id}", None),
            ("/:id", None),
        ] {
            assert_eq!(corrected(bad).as_deref(), fixed, "{bad:?}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1500ms"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
        for bad in [
            "",
            "s",
            "ms",
            "2",
            "1.5s",
            "-1s",
            "2 s",
            "2m",
            "99999999999999999999s",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
