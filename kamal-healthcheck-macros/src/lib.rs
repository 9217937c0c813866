//! The `#[kamal_healthcheck]` attribute; use it through the `kamal-healthcheck` crate,
//! which re-exports it and documents it.
//!
//! An attribute goes through four stages, one module each: its arguments are
//! parsed ([`args`]), the annotated item is read as a function ([`function`]), the
//! function body is read into a model of the routers it returns ([`model`]), every
//! check runs over that model ([`checks`]), and the function is written anew with
//! the healthcheck installed ([`expand`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod args;
mod checks;
#[cfg(feature = "deploy-yml")]
mod deploy;
mod expand;
mod function;
mod model;
// The runtime crate's file (a symlink), so both crates accept the same paths.
mod path_rules;
mod probe;
mod readiness;
mod serve;
mod tokens;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// Installs kamal-proxy's healthcheck in the axum `Router` the function returns,
/// ahead of everything the function added to it. See the `kamal-healthcheck` crate.
#[proc_macro_attribute]
pub fn kamal_healthcheck(
    args: proc_macro::TokenStream,
    item: proc_macro::TokenStream,
) -> proc_macro::TokenStream {
    attribute(args.into(), item.into()).into()
}

/// kamal-proxy's probe as config/deploy.yml sets it: a `kamal_healthcheck::Probe`
/// of its healthcheck path and timeout, read at compile time. See the
/// `kamal-healthcheck` crate.
#[proc_macro]
pub fn deploy_probe(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    match probe::expand(input.into()) {
        Ok(tokens) => tokens,
        Err(error) => error.to_compile_error(),
    }
    .into()
}

/// The attribute on `proc_macro2` tokens. On any mistake it returns the function
/// as written with the errors beside it, so callers see those errors only.
fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = args::Errors::default();
    let (args, parsed) = args::parse(args);
    errors.extend(parsed);
    let function = match function::read(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            errors.push(error);
            return errors.with(item);
        }
    };
    // A function with `axum::serve(..)` in its body serves the app: the
    // healthcheck goes around what it serves. Otherwise it must return a router.
    let block = &function.item.block;
    let body = block.to_token_stream();
    let serving = serve::calls(body.clone()) > 0;
    if !serving && function.ty.is_none() {
        errors.push(function::neither(&function.item));
        return errors.with(item);
    }
    let model = if serving {
        model::Model::read_served(block)
    } else {
        model::Model::read(block)
    };
    let (path, explicit, tracking, deployed_timeout) = match deployed_path(&args) {
        Ok(found) => found,
        Err(error) => {
            errors.push(error);
            return errors.with(item);
        }
    };
    // A `?` in a function that returns `Router` is the user's mistake, which
    // rustc reports in the user's terms on the function as written; in the
    // closure the expansion runs the body in, it would speak of that closure.
    if !serving && function::names_router(function.ty.as_ref()) && !model.tries.is_empty() {
        return errors.with(item);
    }
    // Every mistake the checks find is reported with the others; the function
    // is then emitted as written.
    errors.extend(checks::check(body, &model, &path, explicit));
    let readiness = &args.readiness;
    let timeout = match readiness.check_timeout(deployed_timeout) {
        Ok(timeout) => timeout,
        Err(error) => {
            errors.push(error);
            None
        }
    };
    // What the checks may use: the function's arguments, and when it serves
    // the app, the local variables in scope at the `serve` call too.
    let mut inputs = readiness::inputs(&function.item.sig);
    if serving {
        inputs.extend(
            serve::locals(block)
                .into_iter()
                .map(readiness::Input::local),
        );
    }
    let route = if readiness.is_empty() {
        Ok(None)
    } else {
        readiness
            .layer(&args.krate(), &inputs, &path, timeout)
            .map(Some)
    };
    match route {
        Ok(_) if !errors.is_empty() => errors.with(item),
        Ok(checked) if serving => {
            expand::expand_serving(&function, &path, &args.krate(), tracking, checked)
        }
        Ok(checked) => expand::expand(
            &function,
            &path,
            &args.krate(),
            tracking,
            checked.map(|(layer, _)| layer),
        ),
        Err(error) => {
            errors.push(error);
            errors.with(item)
        }
    }
}

/// What deploy.yml sets: the healthcheck timeout, if any, with the `deploy` literal.
type DeployedTimeout<'a> = Option<(&'a syn::LitStr, std::time::Duration)>;

/// The healthcheck path, whether the attribute sets it, what the expansion must
/// include so that the build reruns when deploy.yml changes, and deploy.yml's
/// timeout. With `deploy`, the path comes from deploy.yml, and a `path` that
/// disagrees with it is an error.
fn deployed_path(
    args: &args::Args,
) -> Result<(String, bool, TokenStream, DeployedTimeout<'_>), syn::Error> {
    let Some(file) = &args.deploy else {
        return Ok((args.path(), args.path.is_some(), TokenStream::new(), None));
    };
    #[cfg(not(feature = "deploy-yml"))]
    {
        Err(needs_deploy_yml(file, "`deploy`"))
    }
    #[cfg(feature = "deploy-yml")]
    {
        let deploy = deploy::read(file)?;
        let name = file.value();
        let mut errors = args::Errors::default();
        if let Some(path) = &args.path {
            if path.value() != deploy.path {
                let probed = match &deploy.path_at {
                    Some(at) => format!("{name} sets `{at}` to {:?}", deploy.path),
                    None => format!(
                        "{name} sets no healthcheck path, so kamal-proxy probes Kamal's \
                         default {:?}",
                        deploy.path
                    ),
                };
                errors.push(syn::Error::new(
                    path.span(),
                    format!(
                        "this is not the path kamal-proxy probes: {probed}; make the two the \
                         same, or leave `path` out and the attribute takes it from {name}"
                    ),
                ));
            }
        }
        errors.finish()?;
        let tracking = deploy.tracking();
        let timeout = deploy.timeout.map(|timeout| (file, timeout));
        Ok((deploy.path, true, tracking, timeout))
    }
}

/// The error on `file` when `what` reads deploy.yml and the feature that does
/// it is off.
#[cfg(not(feature = "deploy-yml"))]
fn needs_deploy_yml(file: &syn::LitStr, what: &str) -> syn::Error {
    syn::Error::new(
        file.span(),
        format!(
            "{what} reads Kamal's config/deploy.yml at compile time, which needs the \
             `deploy-yml` feature: kamal-healthcheck = {{ version = \"0.1\", features = \
             [\"deploy-yml\"] }}"
        ),
    )
}

#[cfg(test)]
mod tests;
