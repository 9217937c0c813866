//! The `#[kamal_healthcheck]` attribute and `deploy_probe!`; use them through
//! the `kamal-healthcheck` crate, which re-exports and documents them.
//!
//! An attribute goes one way through the crate, each stage a job of its own:
//! - parse: its arguments (`args`), each checked on its own;
//! - read: the annotated item as a function, with the names its arguments
//!   bind (`function`); its body, into a model of the routers it returns or
//!   serves (`model`), and its tokens, printed and searched once, with where
//!   its `serve` calls and layers are (`sites`; both find `serve` calls with
//!   `serve`); and deploy.yml with its destinations (`deploy`);
//! - check: every rule over what was read, giving a plain-data plan or the
//!   errors (`check`);
//! - expand: every token the attribute writes, from the function and the
//!   plan (`expand`).
//!
//! Errors are collected and shaped as rustc's in `errors`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod args;
mod check;
mod deploy;
mod errors;
mod expand;
mod function;
mod model;
// The runtime crate's file (a symlink): the rules and defaults both apply.
mod probe;
mod rules;
mod serve;
mod sites;
mod syntax;

use proc_macro2::TokenStream;

/// Installs kamal-proxy's healthcheck ahead of everything the annotated
/// function adds. See the `kamal-healthcheck` crate.
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

/// The attribute on `proc_macro2` tokens: parse, read, check, expand. On any
/// mistake it returns the function as written with the errors beside it, so
/// callers see those errors only.
fn attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = errors::Errors::default();
    let args = args::parse(args, &mut errors);
    let mut function = match function::read(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            errors.push(error);
            return errors.emit(item);
        }
    };
    let (model, serving) = model::read(&mut function.item.block);
    let deploy = args
        .deploy
        .as_ref()
        .map(|file| deploy::read(file, "`deploy`", deploy::Which::All));
    let deploy = match &deploy {
        None => check::DeployYml::NotRead,
        Some(Ok(deploy)) => check::DeployYml::Read(deploy),
        Some(Err(error)) => {
            errors.push(error.clone());
            check::DeployYml::Unreadable
        }
    };
    match check::plan(args, &function, &model, serving, deploy, &mut errors) {
        Ok(plan) if errors.is_empty() => expand::expand(&function, &plan),
        Err(check::Refused::StandIn) => errors.emit(expand::stand_in(&function)),
        _ => errors.emit(item),
    }
}

#[cfg(test)]
mod tests;
