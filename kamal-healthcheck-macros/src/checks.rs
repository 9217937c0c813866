//! The mistakes the attribute can see, each reported once, on the tokens at
//! fault, with what goes wrong at deploy time and how to fix it: a
//! `HealthCheckLayer` placed by hand in the function, and a route of the app's
//! own at the healthcheck path (also under a `nest` prefix, or in a merged
//! router).

use proc_macro2::{TokenStream, TokenTree};

use crate::args::Errors;
use crate::model::{Chain, Model, StepKind};

/// Runs every check over the body's tokens and its model; `path` is the
/// attribute's healthcheck path, `explicit` whether the attribute states it.
pub(crate) fn check(
    body: TokenStream,
    model: &Model,
    path: &str,
    explicit: bool,
) -> Result<(), syn::Error> {
    let mut errors = Errors::default();
    hand_placed(body, path, explicit, &mut errors);
    routes_at_path(model, path, &mut errors);
    errors.finish()
}

/// Every `HealthCheckLayer` named in the body, wherever it stands (in a
/// closure, a macro, behind `#[cfg]`, given a constant path): the attribute
/// installs the healthcheck itself, and a layer placed by hand beside it is at
/// best redundant, and at worst answers with other settings, or never sees the
/// probe while guards ahead of it do.
fn hand_placed(body: TokenStream, path: &str, explicit: bool, errors: &mut Errors) {
    let default = if explicit { "" } else { " (its default)" };
    for token in crate::tokens::levels(body).flatten() {
        let TokenTree::Ident(ident) = token else {
            continue;
        };
        if ident != "HealthCheckLayer" {
            continue;
        }
        errors.push(syn::Error::new(
            ident.span(),
            format!(
                "a `HealthCheckLayer` placed by hand beside `#[kamal_healthcheck]`, which \
                 answers {path:?}{default} itself, ahead of everything this function adds: \
                 this layer is redundant at best; at worst it answers kamal-proxy's probe with \
                 settings the attribute does not have (another path, checks of its own), or \
                 middleware added after it sees the probe first and turns it away; remove it, \
                 and give its path and checks to the attribute: `#[kamal_healthcheck(path = \
                 \"...\", check(db = ...))]`"
            ),
        ));
    }
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
        for &step in &chain.steps {
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
                    errors.push(syn::Error::new_spanned(route, route_at_path(path)));
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

fn route_at_path(path: &str) -> String {
    format!(
        "this route is at the healthcheck path {path:?}, which `#[kamal_healthcheck]` answers \
         itself, ahead of every route: this one would never run; remove it, or move the \
         healthcheck with `#[kamal_healthcheck(path = \"/...\")]` and the same `proxy: \
         healthcheck: path:` in config/deploy.yml"
    )
}
