//! The attribute's readiness arguments: `check(name = future)`, `deadline`,
//! `cache_for`, `error_details` and `gate`, and what a check may capture of the
//! annotated function's arguments.

use std::time::Duration;

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, FnArg, Ident, Lit, LitBool, LitStr, Meta, Token, Type};

use crate::args::Errors;

/// kamal-proxy gives each probe 5 seconds unless deploy.yml says otherwise.
const KAMAL_TIMEOUT: Duration = Duration::from_secs(5);
/// The checks' deadline unless set.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(2);

/// The readiness arguments, as written.
#[derive(Default)]
pub(crate) struct Readiness {
    pub(crate) checks: Vec<Check>,
    deadline: Option<(LitStr, Duration)>,
    /// `timeout = "10s"`: kamal-proxy's timeout for this deployment. Not a
    /// readiness setting of its own: it bounds the deadline.
    pub(crate) timeout: Option<(LitStr, Duration)>,
    cache_for: Option<(LitStr, Duration)>,
    error_details: Option<LitBool>,
    gate: Option<Expr>,
    /// The first readiness argument, where an error about all of them goes.
    first: Option<TokenStream>,
}

/// `check(name = future)`: `future` is evaluated anew for every run of the check.
pub(crate) struct Check {
    name: Ident,
    future: Expr,
}

impl Readiness {
    /// Reads `meta` if it is a readiness argument; `None` if it is not one.
    pub(crate) fn parse(&mut self, key: &str, meta: &Meta, errors: &mut Errors) -> Option<()> {
        match key {
            "check" => match meta {
                Meta::List(list) => match list.parse_args_with(parse_check) {
                    Ok(check) => {
                        if self.checks.iter().any(|known| known.name == check.name) {
                            errors.push(syn::Error::new_spanned(
                                &check.name,
                                format!(
                                    "a second check named `{}`: the failure report names each \
                                     check, so names must differ",
                                    check.name
                                ),
                            ));
                        }
                        self.checks.push(check);
                    }
                    Err(error) => errors.push(error),
                },
                _ => errors.push(syn::Error::new_spanned(meta, CHECK_USAGE)),
            },
            "deadline" => {
                if let Some(deadline) = self.duration(meta, "deadline", errors) {
                    if deadline.1.is_zero() {
                        errors.push(syn::Error::new(
                            deadline.0.span(),
                            "a deadline of \"0s\" times every check out before it starts; give \
                             one above zero (2s unless set)",
                        ));
                    }
                    self.deadline = Some(deadline);
                }
            }
            "timeout" => {
                if let Some(timeout) = self.duration(meta, "timeout", errors) {
                    if timeout.1.is_zero() {
                        errors.push(syn::Error::new(
                            timeout.0.span(),
                            "a timeout of \"0s\": kamal-proxy's `proxy: healthcheck: timeout:` \
                             is a number of seconds above zero (5 unless set)",
                        ));
                    }
                    self.timeout = Some(timeout);
                }
                // It says how the deployment probes, not how the healthcheck answers.
                return Some(());
            }
            "cache_for" => self.cache_for = self.duration(meta, "cache_for", errors),
            "error_details" => match value(meta) {
                Some(Expr::Lit(ExprLit {
                    lit: Lit::Bool(show),
                    ..
                })) => self.error_details = Some(show.clone()),
                _ => errors.push(syn::Error::new_spanned(
                    meta,
                    "expected `error_details = true` (or `false`, the default)",
                )),
            },
            "gate" => match value(meta) {
                Some(gate) => self.gate = Some(gate.clone()),
                None => errors.push(syn::Error::new_spanned(
                    meta,
                    "expected `gate = <a StartupGate>`, e.g. `gate = state.startup.clone()`",
                )),
            },
            _ => return None,
        }
        self.first.get_or_insert_with(|| meta.to_token_stream());
        Some(())
    }

    fn duration(&self, meta: &Meta, name: &str, errors: &mut Errors) -> Option<(LitStr, Duration)> {
        let usage = format!("expected `{name} = \"1500ms\"` (a whole number of `ms` or `s`)");
        let Some(Expr::Lit(ExprLit {
            lit: Lit::Str(literal),
            ..
        })) = value(meta)
        else {
            errors.push(syn::Error::new_spanned(meta, usage));
            return None;
        };
        match parse_duration(&literal.value()) {
            Some(duration) => Some((literal.clone(), duration)),
            None => {
                errors.push(syn::Error::new(literal.span(), usage));
                None
            }
        }
    }

    /// Checks that the deadline ends before kamal-proxy's timeout: the one
    /// deploy.yml sets (`deployed`: the file's literal, its name and the value),
    /// or `timeout`, or Kamal's 5 s; the error names the one in force and where
    /// it came from. Returns the timeout to give the layer, if not the default.
    pub(crate) fn check_timeout(
        &self,
        deployed: Option<(&LitStr, Duration)>,
    ) -> Result<Option<Duration>, syn::Error> {
        let mut errors = Errors::default();
        let (timeout, source, at) = match (deployed, &self.timeout) {
            (Some((file, value)), given) => {
                let name = file.value();
                if let Some((literal, given)) = given.as_ref().filter(|(_, given)| *given != value)
                {
                    errors.push(syn::Error::new(
                        literal.span(),
                        format!(
                            "this is not the timeout kamal-proxy uses: {name} sets \
                             `proxy.healthcheck.timeout` to {value:?}, not {given:?}; make the \
                             two the same, or leave `timeout` out and the attribute takes it \
                             from {name}"
                        ),
                    ));
                }
                let source = format!("the healthcheck timeout of {value:?} in {name}");
                (value, source, Some(file))
            }
            (None, Some((literal, value))) => {
                let source = format!("the healthcheck timeout of {value:?} given by `timeout`");
                (*value, source, Some(literal))
            }
            (None, None) => (
                KAMAL_TIMEOUT,
                "kamal-proxy's healthcheck timeout of 5s (Kamal's default; when \
                 `proxy: healthcheck: timeout:` in config/deploy.yml sets a longer one, give \
                 it here as `timeout = \"10s\"`, or read it with `deploy = \
                 \"config/deploy.yml\"`)"
                    .to_owned(),
                None,
            ),
        };
        let (literal, deadline, default) = match &self.deadline {
            Some((literal, deadline)) => (Some(literal), *deadline, ""),
            None => (None, DEFAULT_DEADLINE, " (the default)"),
        };
        // Without checks, the default deadline bounds nothing.
        let bounds = literal.is_some() || !self.checks.is_empty();
        if bounds && deadline >= timeout && !timeout.is_zero() {
            let message = format!(
                "a check deadline of {deadline:?}{default} does not end before {source}: \
                 kamal-proxy would give up on the probe before the checks are done; give a \
                 `deadline` below {timeout:?}"
            );
            match literal.or(at) {
                Some(literal) => errors.push(syn::Error::new(literal.span(), message)),
                None => errors.push(self.error(&message)),
            }
        }
        errors.finish()?;
        Ok((timeout != KAMAL_TIMEOUT).then_some(timeout))
    }

    /// Whether any readiness argument was given.
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// An error about the readiness arguments as a whole.
    pub(crate) fn error(&self, message: &str) -> syn::Error {
        syn::Error::new_spanned(self.first.clone().unwrap_or_default(), message)
    }

    /// The `HealthCheckLayer` the readiness arguments describe, and the names of
    /// `inputs` its checks use (each once): it is built where those names hold
    /// what the checks need, at the top of the function or at the `serve` call.
    pub(crate) fn layer(
        &self,
        krate: &TokenStream,
        inputs: &[Input],
        path: &str,
        timeout: Option<Duration>,
    ) -> Result<(TokenStream, Vec<Ident>), syn::Error> {
        // The route is registered at `path`; the layer only carries the
        // readiness settings, and the path for the log.
        let mut layer = quote!(#krate::HealthCheckLayer::with_path(#path));
        if let Some(timeout) = timeout {
            let millis = timeout.as_millis() as u64;
            layer = quote!(#layer.timeout(::core::time::Duration::from_millis(#millis)));
        }
        if let Some((literal, deadline)) = &self.deadline {
            let millis = deadline.as_millis() as u64;
            layer = quote_spanned!(literal.span()=> #layer.deadline(::core::time::Duration::from_millis(#millis)));
        }
        if let Some((literal, cache_for)) = &self.cache_for {
            let millis = cache_for.as_millis() as u64;
            layer = quote_spanned!(literal.span()=> #layer.cache_for(::core::time::Duration::from_millis(#millis)));
        }
        if let Some(show) = &self.error_details {
            layer = quote!(#layer.error_details(#show));
        }
        if let Some(gate) = &self.gate {
            layer = quote_spanned!(gate.span()=> #layer.gate(&(#gate)));
        }
        let mut errors = Errors::default();
        let mut used: Vec<Ident> = Vec::new();
        for check in &self.checks {
            match captures(&check.future, inputs) {
                Ok(captured) => {
                    for name in &captured {
                        if !used.contains(name) {
                            used.push(name.clone());
                        }
                    }
                    let (name, future) = (check.name.to_string(), &check.future);
                    let clones =
                        quote!(#(let #captured = ::core::clone::Clone::clone(&#captured);)*);
                    layer = quote_spanned!(future.span()=> #layer.check(#name, {
                        #clones
                        move || {
                            #clones
                            async move { (#future).await }
                        }
                    }));
                }
                Err(error) => errors.push(error),
            }
        }
        errors.finish().map(|()| (layer, used))
    }
}

const CHECK_USAGE: &str = "expected `check(name = future)`, e.g. `check(db = state.db.ping())`: the future is made anew \
     for each run of the check and must give `Result<(), E>`";

fn parse_check(input: syn::parse::ParseStream<'_>) -> syn::Result<Check> {
    // A malformed check is reported on all of it.
    let all = input.cursor().token_stream();
    let usage = |_: syn::Error| syn::Error::new_spanned(&all, CHECK_USAGE);
    let name: Ident = input.parse().map_err(usage)?;
    input.parse::<Token![=]>().map_err(usage)?;
    let future: Expr = input.parse()?;
    if !input.is_empty() {
        return Err(usage(input.error("")));
    }
    Ok(Check { name, future })
}

fn value(meta: &Meta) -> Option<&Expr> {
    match meta {
        Meta::NameValue(pair) => Some(&pair.value),
        _ => None,
    }
}

/// `"1500ms"` or `"2s"`.
fn parse_duration(text: &str) -> Option<Duration> {
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

/// A name a check may use: an argument of the annotated function, or a local
/// variable of a function that serves the app.
pub(crate) struct Input {
    name: Ident,
    /// Whether it is a reference, which no check can keep.
    borrowed: bool,
}

impl Input {
    /// A local variable, owned where it is bound.
    pub(crate) fn local(name: Ident) -> Self {
        Self {
            name,
            borrowed: false,
        }
    }
}

/// The names the function's arguments bind: plain ones (`state: AppState`) and
/// those of destructuring patterns (`AppState { db, .. }: AppState`).
pub(crate) fn inputs(sig: &syn::Signature) -> Vec<Input> {
    let mut found = Vec::new();
    for input in &sig.inputs {
        let FnArg::Typed(typed) = input else {
            continue;
        };
        let reference = matches!(&*typed.ty, Type::Reference(_));
        for binding in crate::model::bindings(&typed.pat) {
            found.push(Input {
                name: binding.ident.clone(),
                borrowed: reference || binding.by_ref.is_some(),
            });
        }
    }
    found
}

/// The arguments a check's future uses, each cloned into the check.
fn captures(future: &Expr, inputs: &[Input]) -> Result<Vec<Ident>, syn::Error> {
    let mut captured: Vec<Ident> = Vec::new();
    for token in crate::tokens::levels(future.to_token_stream()).flatten() {
        let TokenTree::Ident(ident) = token else {
            continue;
        };
        if ident == "self" {
            return Err(syn::Error::new(
                ident.span(),
                "a check cannot use `self`: checks run on later probes, after this call has \
                 returned; take what the check needs as an argument of this function (it is \
                 cloned for the check)",
            ));
        }
        let Some(input) = inputs.iter().find(|input| input.name == ident) else {
            continue;
        };
        if input.borrowed {
            return Err(syn::Error::new(
                ident.span(),
                format!(
                    "a check cannot borrow `{ident}`: checks run on later probes, after this \
                     call has returned; take `{ident}` by value (it is cloned for the check)"
                ),
            ));
        }
        if !captured.contains(&input.name) {
            captured.push(input.name.clone());
        }
    }
    Ok(captured)
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

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
