//! The ordering mistakes the attribute can see in the model, each reported once,
//! on the tokens at fault, with what goes wrong at deploy time and how to fix it.

use crate::args::Errors;
use crate::model::{Chain, Guard, LayerId, LayerKind, Model, StepKind};

/// What the expansion must do, once the body has passed every check.
pub(crate) struct Plan {
    /// Whether to register the healthcheck route. Not when every returned router
    /// already has a hand-placed, outermost `HealthCheckLayer` at the same path.
    pub(crate) install: bool,
}

/// Runs every check over the model; `path` is the attribute's healthcheck path,
/// `explicit` whether the attribute states it.
pub(crate) fn check(model: &Model, path: &str, explicit: bool) -> Result<Plan, syn::Error> {
    let mut checker = Checker {
        model,
        path,
        explicit,
        errors: Errors::default(),
        reported: Vec::new(),
    };
    let mut pending: Vec<(&Chain, Option<String>)> = model
        .returned
        .iter()
        .map(|chain| (chain, Some(String::new())))
        .collect();
    // A merged or nested router is checked once per prefix, however many
    // alternatives of the routers around it hold it: with feature-flag `if`s
    // at every level, checking it again for each would grow exponentially.
    let mut entered: Vec<(usize, Option<String>)> = Vec::new();
    while let Some((chain, prefix)) = pending.pop() {
        checker.router(chain, prefix.as_deref());
        for &step in &chain.steps {
            let key = (step, prefix.clone());
            if entered.contains(&key) {
                continue;
            }
            match &model.steps[step].kind {
                StepKind::Merge(_) | StepKind::Nest { .. } => entered.push(key),
                _ => continue,
            }
            match &model.steps[step].kind {
                StepKind::Merge(routers) => {
                    pending.extend(routers.iter().map(|router| (router, prefix.clone())));
                }
                StepKind::Nest { path, routers } => {
                    let nested = prefix
                        .as_ref()
                        .zip(path.as_ref())
                        .map(|(prefix, path)| format!("{prefix}{}", path.value()));
                    pending.extend(routers.iter().map(|router| (router, nested.clone())));
                }
                _ => {}
            }
        }
    }
    let install = !model
        .returned
        .iter()
        .all(|chain| checker.answered_first(chain));
    checker.errors.finish().map(|()| Plan {
        install: install || model.returned.is_empty(),
    })
}

struct Checker<'m> {
    model: &'m Model,
    path: &'m str,
    explicit: bool,
    errors: Errors,
    /// Which (check, step or layer) have been reported: shared steps are checked
    /// once per chain that holds them, and reported once.
    reported: Vec<(Check, usize)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    NotOutermost,
    Bypass,
    RouteLayer,
    RouteAtPath,
    OtherPath,
}

impl Checker<'_> {
    fn report(&mut self, check: Check, at: usize, tokens: &dyn quote::ToTokens, message: String) {
        if !self.reported.contains(&(check, at)) {
            self.reported.push((check, at));
            self.errors.push(syn::Error::new_spanned(tokens, message));
        }
    }

    /// Checks one router chain; `prefix` is where it is nested, `None` if unknown.
    fn router(&mut self, chain: &Chain, prefix: Option<&str>) {
        let model = self.model;
        for (i, &step) in chain.steps.iter().enumerate() {
            match &model.steps[step].kind {
                StepKind::Route { path: Some(route) }
                | StepKind::Nest {
                    path: Some(route), ..
                } if prefix.is_some_and(|p| format!("{p}{}", route.value()) == self.path) => {
                    let message = route_at_path(self.path);
                    self.report(Check::RouteAtPath, step, route, message);
                }
                StepKind::RouteLayer(layers) => {
                    for &layer in layers {
                        if let LayerKind::HealthCheck { .. } = model.layers[layer].kind {
                            let message = route_layer(self.path);
                            let tokens = &model.layers[layer].tokens;
                            self.report(Check::RouteLayer, layer, tokens, message);
                        }
                    }
                }
                StepKind::Layer(layers) => {
                    for (j, &layer) in layers.iter().enumerate() {
                        if let LayerKind::HealthCheck { path } = &model.layers[layer].kind {
                            self.other_path(layer, path.as_deref());
                            self.ahead(chain, i, &layers[..j], layer);
                            self.bypasses(chain, i, prefix);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// A hand-placed `HealthCheckLayer` at another path than the attribute's.
    fn other_path(&mut self, layer: LayerId, path: Option<&str>) {
        let Some(path) = path.filter(|&path| path != self.path) else {
            return;
        };
        let attribute = if self.explicit {
            format!("the attribute answers {:?}", self.path)
        } else {
            format!(
                "`#[kamal_healthcheck]` answers {:?} (its default)",
                self.path
            )
        };
        let message = format!(
            "this `HealthCheckLayer` answers {path:?}, but {attribute}, and kamal-proxy \
             probes one path only; give the attribute the path set in `proxy: healthcheck: \
             path:` of config/deploy.yml (`#[kamal_healthcheck(path = \"...\")]`) and remove \
             this layer: the attribute installs the healthcheck itself"
        );
        self.report(
            Check::OtherPath,
            layer,
            &self.model.layers[layer].tokens,
            message,
        );
    }

    /// Layers that run before the `HealthCheckLayer` at `layer`, in `.layer(..)`
    /// step `i` of `chain` behind `before` in the same stack. The error goes on the
    /// first of them to run that is recognisably a guard (host check, HTTPS
    /// redirect, auth, rate limit), or else on the first of them to run.
    fn ahead(&mut self, chain: &Chain, i: usize, before: &[LayerId], layer: LayerId) {
        let model = self.model;
        // A later `.layer(..)` wraps everything before it, so the last one runs first.
        let mut in_order = chain.steps[i + 1..]
            .iter()
            .rev()
            .filter_map(|&step| match &model.steps[step].kind {
                StepKind::Layer(layers) => Some(layers.as_slice()),
                _ => None,
            })
            .chain([before])
            .flatten()
            .copied();
        let first = in_order.clone().next();
        let guard = in_order.find(|&ahead| matches!(model.layers[ahead].kind, LayerKind::Guard(_)));
        if let Some(outer) = guard.or(first) {
            let message = not_outermost(&model.layers[outer].kind, self.path);
            self.report(
                Check::NotOutermost,
                layer,
                &model.layers[outer].tokens,
                message,
            );
        }
    }

    /// Calls after `.layer(..)` step `i` that let requests for the healthcheck path
    /// reach something the layer does not wrap.
    fn bypasses(&mut self, chain: &Chain, i: usize, prefix: Option<&str>) {
        let model = self.model;
        for &step in &chain.steps[i + 1..] {
            let what = match &model.steps[step].kind {
                StepKind::Fallback => {
                    "this fallback is added after `HealthCheckLayer`, so the layer does not wrap it"
                }
                StepKind::Merge(_) => {
                    "the routes and fallback of this router are merged after `HealthCheckLayer`, so the layer does not wrap them"
                }
                StepKind::Route { path: Some(route) }
                    if prefix
                        .is_some_and(|p| matches(&format!("{p}{}", route.value()), self.path)) =>
                {
                    "this route matches the healthcheck path and is added after `HealthCheckLayer`, so the layer does not wrap it"
                }
                StepKind::Nest {
                    path: Some(route), ..
                } if prefix
                    .is_some_and(|p| self.path.starts_with(&format!("{p}{}/", route.value()))) =>
                {
                    "this router is nested over the healthcheck path after `HealthCheckLayer`, so the layer does not wrap it"
                }
                _ => continue,
            };
            let message = format!(
                "{what}: axum sends {path:?} here and kamal-proxy's probe gets this answer \
                 (a 404, say) instead of the healthcheck's, so the container never becomes \
                 healthy and the deploy fails with \"target failed to become healthy\"; apply \
                 `HealthCheckLayer` after this call, or remove it: `#[kamal_healthcheck]` \
                 answers {path:?} ahead of everything in this function",
                path = self.path
            );
            self.report(Check::Bypass, step, &model.steps[step].tokens, message);
        }
    }

    /// Whether `chain` answers the healthcheck path with a hand-placed
    /// `HealthCheckLayer` ahead of everything else in it.
    fn answered_first(&self, chain: &Chain) -> bool {
        let model = self.model;
        let Some(last) = chain
            .steps
            .iter()
            .rposition(|&step| matches!(&model.steps[step].kind, StepKind::Layer(layers) if !layers.is_empty()))
        else {
            return false;
        };
        let StepKind::Layer(layers) = &model.steps[chain.steps[last]].kind else {
            return false;
        };
        let first = &model.layers[layers[0]].kind;
        *first
            == (LayerKind::HealthCheck {
                path: Some(self.path.to_owned()),
            })
            && !chain.steps[last + 1..]
                .iter()
                .any(|&step| self.reported.contains(&(Check::Bypass, step)))
    }
}

/// Whether the axum route `pattern` matches the request path `path`.
fn matches(pattern: &str, path: &str) -> bool {
    let mut segments = path.split('/');
    for part in pattern.split('/') {
        if part.starts_with("{*") && part.ends_with('}') {
            return true;
        }
        let Some(segment) = segments.next() else {
            return false;
        };
        let parameter = part.starts_with('{') && part.ends_with('}') && !part.starts_with("{{");
        if !(parameter && !segment.is_empty() || part == segment) {
            return false;
        }
    }
    segments.next().is_none()
}

fn not_outermost(outer: &LayerKind, path: &str) -> String {
    let why = match outer {
        LayerKind::Guard(Guard::Host) => {
            "it validates the `Host` header, and kamal-proxy's probe carries the container's \
             own address (`7c7168a662c1:80`, say), so it is rejected"
        }
        LayerKind::Guard(Guard::HttpsRedirect) => {
            "it redirects plain HTTP to HTTPS, and kamal-proxy probes the container over plain \
             HTTP: the redirect never leads to a healthy answer"
        }
        LayerKind::Guard(Guard::Auth) => {
            "it requires credentials, and kamal-proxy's probe carries none, so it gets a 401"
        }
        LayerKind::Guard(Guard::RateLimit) => {
            "it limits the request rate, and kamal-proxy probes every second, so a 429 fails \
             the probe"
        }
        LayerKind::HealthCheck { .. } | LayerKind::Other => {
            "whatever it rejects or redirects fails the probe"
        }
    };
    format!(
        "this layer runs before `HealthCheckLayer` and sees kamal-proxy's probe (`GET {path}`, \
         plain HTTP, `Host` = the container's address) first: {why}, the container never \
         becomes healthy and the deploy fails with \"target failed to become healthy\"; make \
         `HealthCheckLayer` the outermost layer (the last `.layer(..)` call, the first layer \
         of a `ServiceBuilder`), or remove it: `#[kamal_healthcheck]` answers {path:?} ahead \
         of everything in this function"
    )
}

fn route_layer(path: &str) -> String {
    format!(
        "`route_layer` wraps only the routes that match, and no route matches {path:?}, so \
         this `HealthCheckLayer` never sees kamal-proxy's probe, which gets a 404, and the \
         deploy fails with \"target failed to become healthy\"; remove it: \
         `#[kamal_healthcheck]` answers {path:?} ahead of everything in this function"
    )
}

fn route_at_path(path: &str) -> String {
    format!(
        "this route is at the healthcheck path {path:?}, which `#[kamal_healthcheck]` answers \
         itself, ahead of every route: this one would never run; remove it, or move the healthcheck with \
         `#[kamal_healthcheck(path = \"/...\")]` and the same `proxy: healthcheck: path:` in \
         config/deploy.yml"
    )
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn route_patterns() {
        assert!(matches("/up", "/up"));
        assert!(matches("/{page}", "/up"));
        assert!(matches("/{*rest}", "/up"));
        assert!(matches("/{*rest}", "/a/b/up"));
        assert!(!matches("/{page}", "/a/up"));
        assert!(!matches("/upload", "/up"));
        assert!(!matches("/up/{id}", "/up"));
        assert!(matches("/health/{kind}", "/health/live"));
    }
}
