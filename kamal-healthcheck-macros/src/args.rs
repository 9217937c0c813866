//! The attribute's arguments: `path = "/healthz"`, `crate = "..."`, and the
//! readiness arguments ([`crate::readiness`]).

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Token};

use crate::path_rules::problem;
use crate::readiness::Readiness;

/// kamal-proxy's default healthcheck path.
pub(crate) const DEFAULT_PATH: &str = "/up";

const USAGE: &str = "`#[kamal_healthcheck]` takes `path = \"/healthz\"` (kamal-proxy's path, \"/up\" by default), `crate = \"...\"` (where `kamal_healthcheck` is renamed or re-exported), `deploy = \"config/deploy.yml\"` (Kamal's config, read at compile time), and for readiness `check(name = future)`, `deadline = \"2s\"`, `timeout = \"5s\"` (kamal-proxy's, when deploy.yml sets one), `cache_for = \"1s\"`, `error_details = true` and `gate = <StartupGate>`";

/// Every argument name, for suggestions.
const NAMES: [&str; 9] = [
    "path",
    "crate",
    "deploy",
    "check",
    "deadline",
    "timeout",
    "cache_for",
    "error_details",
    "gate",
];

/// The arguments, each kept with the tokens it came from for error spans.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) path: Option<LitStr>,
    pub(crate) krate: Option<syn::Path>,
    pub(crate) readiness: Readiness,
    /// `deploy = "config/deploy.yml"`.
    pub(crate) deploy: Option<LitStr>,
}

impl Args {
    /// The path the healthcheck answers.
    pub(crate) fn path(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| DEFAULT_PATH.to_owned(), LitStr::value)
    }

    /// The path by which the expansion names the runtime crate.
    pub(crate) fn krate(&self) -> TokenStream {
        match &self.krate {
            Some(path) => quote::quote!(#path),
            None => quote::quote!(::kamal_healthcheck),
        }
    }
}

/// Parses the arguments, reporting every mistake, not only the first. The arguments
/// that could be read are returned either way.
pub(crate) fn parse(tokens: TokenStream) -> (Args, Result<(), syn::Error>) {
    let mut args = Args::default();
    if let Some(proc_macro2::TokenTree::Literal(literal)) = tokens.clone().into_iter().next() {
        let error = syn::Error::new(
            literal.span(),
            format!("the path is a named argument: write `#[kamal_healthcheck(path = {literal})]`"),
        );
        return (args, Err(error));
    }
    let metas = match Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(metas) => metas,
        Err(error) => {
            let error = syn::Error::new(error.span(), format!("{error}; {USAGE}"));
            return (args, Err(error));
        }
    };
    let mut errors = Errors::default();
    for meta in metas {
        let name = meta.path();
        let key = name
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match key.as_str() {
            "path" => match string_value(&meta, "path = \"/healthz\"") {
                Ok(_) if args.path.is_some() => errors.push(repeated(&meta, "path")),
                Ok(literal) => {
                    if let Some(reason) = problem(&literal.value()) {
                        errors.push(syn::Error::new(
                            literal.span(),
                            format!(
                                "invalid healthcheck path: {reason}; kamal-proxy's probe could \
                                 never match it and every deploy would fail: use the path set \
                                 in `proxy: healthcheck: path:` of config/deploy.yml (\"/up\" \
                                 if it is not set)"
                            ),
                        ));
                    }
                    args.path = Some(literal);
                }
                Err(error) => errors.push(error),
            },
            "crate" => match string_value(&meta, "crate = \"my_app::kamal_healthcheck\"") {
                Ok(_) if args.krate.is_some() => errors.push(repeated(&meta, "crate")),
                Ok(literal) => match literal.parse::<syn::Path>() {
                    Ok(path) => args.krate = Some(path),
                    Err(_) => errors.push(syn::Error::new(
                        literal.span(),
                        format!(
                            "`crate` must be a path, like \"::kamal_healthcheck\", not {:?}",
                            literal.value()
                        ),
                    )),
                },
                Err(error) => errors.push(error),
            },
            "deploy" => match string_value(&meta, "deploy = \"config/deploy.yml\"") {
                Ok(_) if args.deploy.is_some() => errors.push(repeated(&meta, "deploy")),
                Ok(literal) => args.deploy = Some(literal),
                Err(error) => errors.push(error),
            },
            key if args.readiness.parse(key, &meta, &mut errors).is_some() => {}
            _ => {
                let hint = NAMES
                    .into_iter()
                    .find(|known| close(&key, known))
                    .map(|known| format!("did you mean `{known}`? "))
                    .unwrap_or_default();
                errors.push(syn::Error::new_spanned(
                    name,
                    format!("unknown argument `{}`; {hint}{USAGE}", quote::quote!(#name)),
                ));
            }
        }
    }
    (args, errors.finish())
}

/// The string literal of `name = "..."`, or an error on whatever stands there instead.
fn string_value(meta: &Meta, example: &str) -> Result<LitStr, syn::Error> {
    match meta {
        Meta::NameValue(pair) => match &pair.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(literal),
                ..
            }) => Ok(literal.clone()),
            other => Err(syn::Error::new_spanned(
                other,
                format!("expected a string literal: `{example}`"),
            )),
        },
        Meta::Path(_) | Meta::List(_) => Err(syn::Error::new_spanned(
            meta,
            format!("expected `{example}`"),
        )),
    }
}

fn repeated(meta: &Meta, name: &str) -> syn::Error {
    syn::Error::new_spanned(meta, format!("`{name}` is given more than once; keep one"))
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

/// Several errors, reported together.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    pub(crate) fn extend(&mut self, result: Result<(), syn::Error>) {
        if let Err(error) = result {
            self.push(error);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub(crate) fn finish(self) -> Result<(), syn::Error> {
        self.0.map_or(Ok(()), Err)
    }

    /// `item` as written, followed by the errors.
    pub(crate) fn with(self, mut item: TokenStream) -> TokenStream {
        if let Some(errors) = self.0 {
            item.extend(errors.to_compile_error());
        }
        item
    }
}
