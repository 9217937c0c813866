//! Kamal's config/deploy.yml and its destinations' files, read (feature
//! `deploy-yml`): one parser per kind of value.

use std::path::PathBuf;
use std::time::Duration;

use syn::LitStr;

use super::{Deploy, Deployment, Role, Which};
use crate::errors::Message;
/// Kamal's default healthcheck path, used when deploy.yml sets none.
use crate::rules::DEFAULT_PATH as KAMAL_DEFAULT_PATH;

/// Reads the deploy.yml named by `literal`, relative to the crate being built;
/// a healthcheck path there that no request can match is an error too.
pub(crate) fn read(literal: &LitStr, which: Which<'_>) -> Result<Deploy, syn::Error> {
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let deploy = match which {
        Which::All => read_with_destinations(&base, &literal.value()),
        Which::Base => read_from(&base, &literal.value()),
        Which::Destination(destination) => {
            read_destination(&base, &literal.value(), &destination.value())
        }
    }
    .map_err(|message| message.at(literal.span()))?;
    match invalid_path(literal, &deploy) {
        Some(error) => Err(error),
        None => Ok(deploy),
    }
}

/// The text of `name` under `base`, and the file's path.
fn text_of(base: &std::path::Path, name: &str) -> Result<(PathBuf, String), Message> {
    let file = base.join(name);
    let text = std::fs::read_to_string(&file).map_err(|error| {
        Message::new(
            "cannot read Kamal's config file",
            format!(
                "{name}: {} at {}",
                error.kind(),
                normalized(&file).display()
            ),
            "name the file from this crate's Cargo.toml, such as `deploy = \"config/deploy.yml\"` \
             or `deploy = \"../config/deploy.yml\"`; in a Docker build, `COPY` it in too",
        )
    })?;
    Ok((file, text))
}

/// `path` with its `.` and `..` segments resolved as written, and the part of
/// it that exists through its symbolic links, for an error to show the file
/// that was tried where it really is.
fn normalized(path: &std::path::Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    let mut rest = Vec::new();
    let mut existing = out.as_path();
    while let Some(parent) = existing.parent() {
        if let Ok(real) = existing.canonicalize() {
            return real.join(rest.into_iter().rev().collect::<PathBuf>());
        }
        rest.extend(existing.file_name());
        existing = parent;
    }
    out
}

/// What one configuration (a file, or a destination's merged over it) says.
fn deploy_of(file: PathBuf, config: &yaml_rust2::Yaml) -> Result<Deploy, Message> {
    let (path, timeout) = healthcheck_of(config)?;
    let deployment = deployment_of(config)?;
    Ok(Deploy {
        deploy_timeout: deployment.deploy_timeout,
        stop_timeout: deployment.stop_timeout,
        path_at: path.as_ref().map(|(at, _)| at.clone()),
        path: path.map_or_else(|| KAMAL_DEFAULT_PATH.to_owned(), |(_, path)| path),
        timeout,
        deployments: vec![deployment],
        files: vec![file.clone()],
        file,
    })
}

/// Reads `name` under `base`, alone.
pub(crate) fn read_from(base: &std::path::Path, name: &str) -> Result<Deploy, Message> {
    let (file, text) = text_of(base, name)?;
    deploy_of(file, &load(&text).map_err(|problem| problem.in_file(name))?)
        .map_err(|problem| problem.in_file(name))
}

/// The destinations' files beside `name` (`config/deploy.yml`:
/// `config/deploy.staging.yml`, ...), by destination, sorted. Kamal names
/// them with `sub_ext(".staging.yml")`: always `.yml`, whatever the file's
/// own extension (`config/deploy.yaml` has `config/deploy.staging.yml`).
fn destinations_of(base: &std::path::Path, name: &str) -> Vec<(String, String)> {
    let file = std::path::Path::new(name);
    let Some(stem) = file.file_stem().and_then(|stem| stem.to_str()) else {
        return Vec::new();
    };
    let ext = "yml";
    let dir = file.parent().unwrap_or(std::path::Path::new(""));
    let Ok(entries) = std::fs::read_dir(base.join(dir)) else {
        return Vec::new();
    };
    let mut found: Vec<(String, String)> = entries
        .flatten()
        .filter_map(|entry| {
            let file_name = entry.file_name().into_string().ok()?;
            let destination = file_name
                .strip_prefix(stem)?
                .strip_prefix('.')?
                .strip_suffix(ext)?
                .strip_suffix('.')?;
            (!destination.is_empty() && !destination.contains('.')).then(|| {
                let named = dir.join(&file_name).display().to_string();
                (destination.to_owned(), named)
            })
        })
        .collect();
    found.sort();
    found
}

/// `name` merged with `destination`'s file over it, as `kamal deploy -d
/// destination` reads them.
fn read_destination(
    base: &std::path::Path,
    name: &str,
    destination: &str,
) -> Result<Deploy, Message> {
    let (file, text) = text_of(base, name)?;
    let config = load(&text).map_err(|problem| problem.in_file(name))?;
    let Some((_, named)) = destinations_of(base, name)
        .into_iter()
        .find(|(found, _)| found == destination)
    else {
        return Err(Message::new(
            format!("no Kamal destination `{destination}`"),
            format!(
                "`kamal deploy -d {destination}` reads its own file beside {name}, and there is none"
            ),
            "name a destination whose file exists, or leave `destination` out",
        ));
    };
    let (destination_file, text) = text_of(base, &named)?;
    let over = load(&text).map_err(|problem| problem.in_file(&named))?;
    let mut deploy =
        deploy_of(file, &merged(&config, &over)).map_err(|problem| problem.in_file(&named))?;
    deploy.files.push(destination_file);
    Ok(deploy)
}

/// `name` and every destination beside it, each merged over it: their
/// healthcheck paths must agree (one build answers one path), the strictest
/// timeout is the one a deadline must fit in, and each destination's
/// settings for a container's stop and deploy are kept, for the app to pick
/// its own at start-up.
fn read_with_destinations(base: &std::path::Path, name: &str) -> Result<Deploy, Message> {
    let (file, text) = text_of(base, name)?;
    let config = load(&text).map_err(|problem| problem.in_file(name))?;
    let mut deploy = deploy_of(file, &config).map_err(|problem| problem.in_file(name))?;
    let mut paths = vec![(name.to_owned(), deploy.path.clone())];
    for (destination, named) in destinations_of(base, name) {
        let (destination_file, text) = text_of(base, &named)?;
        let over = load(&text).map_err(|problem| problem.in_file(&named))?;
        let merged = deploy_of(destination_file.clone(), &merged(&config, &over))
            .map_err(|problem| problem.in_file(&named))?;
        paths.push((named, merged.path));
        // The probe's timeout a deadline must fit in: the strictest.
        deploy.timeout = match (deploy.timeout, merged.timeout) {
            (Some(known), Some(this)) => Some(known.min(this)),
            (known, this) => known.or(this),
        };
        deploy
            .deployments
            .extend(merged.deployments.into_iter().map(|deployment| Deployment {
                destination: destination.clone(),
                ..deployment
            }));
        deploy.files.push(destination_file);
    }
    if paths.iter().any(|(_, path)| *path != deploy.path) {
        let each: Vec<String> = paths
            .iter()
            .map(|(named, path)| format!("{named}: {path:?}"))
            .collect();
        return Err(Message::new(
            "Kamal's destinations probe different healthcheck paths",
            format!("one build answers one path, and {}", each.join(", ")),
            "set the same `proxy: healthcheck: path:` in every destination, or in the base \
             file only",
        ));
    }
    Ok(deploy)
}

/// `over` merged into `base` as Kamal merges a destination's file over
/// deploy.yml: mappings key by key, recursively; anything else replaced.
fn merged(base: &yaml_rust2::Yaml, over: &yaml_rust2::Yaml) -> yaml_rust2::Yaml {
    use yaml_rust2::Yaml;
    match (base, over) {
        (Yaml::Hash(base), Yaml::Hash(over)) => {
            let mut out = base.clone();
            for (key, value) in over {
                let value = match base.get(key) {
                    Some(known) => merged(known, value),
                    None => value.clone(),
                };
                out.insert(key.clone(), value);
            }
            Yaml::Hash(out)
        }
        (_, Yaml::BadValue | Yaml::Null) => base.clone(),
        (_, over) => over.clone(),
    }
}

/// A key (`proxy.healthcheck.path`) and the value found there.
type Found = (String, String);

/// A deploy.yml's text as YAML, read as Kamal reads it (see
/// [`read_without_erb`]).
fn load(text: &str) -> Result<yaml_rust2::Yaml, Message> {
    use yaml_rust2::{Yaml, YamlLoader};

    // Kamal evaluates ERB before it reads the YAML. A file that is not YAML as
    // written is read again with its ERB tags taken out: `<% .. %>` lines (a
    // loop, an `if`) removed, `<%= .. %>` values replaced by a marker, so that a
    // healthcheck value that is ERB is still recognised as such.
    let documents = match YamlLoader::load_from_str(text) {
        Ok(documents) => documents,
        Err(error) if text.contains("<%") => read_without_erb(text).map_err(|problem| {
            problem.unwrap_or_else(|| {
                Message::new(
                    "not readable as YAML",
                    format!(
                        "{error}, with its ERB (`<% %>`, which only Kamal evaluates) or \
                             without"
                    ),
                    "write the `proxy:` and `servers:` sections and the lines around them as \
                     plain YAML, with ERB only in values (`password: <%= ENV[\"PW\"] %>`)",
                )
            })
        })?,
        Err(error) => {
            return Err(Message::new(
                "not readable as YAML",
                error.to_string(),
                "fix the YAML where the note says; `kamal config` reads it the same way",
            ));
        }
    };
    Ok(documents
        .into_iter()
        .next()
        .unwrap_or_else(|| Yaml::Hash(Default::default())))
}

/// The healthcheck path (with where it was found) and timeout in a deploy.yml's text.
#[cfg(test)]
fn parse(text: &str) -> Result<(Option<Found>, Option<Duration>), Message> {
    healthcheck_of(&load(text)?)
}

/// `proxy.app_port`: the container port kamal-proxy targets, 80 unless set.
fn app_port(config: &yaml_rust2::Yaml) -> Result<u16, Message> {
    use yaml_rust2::Yaml;
    match field(field(config, "proxy"), "app_port") {
        Yaml::BadValue | Yaml::Null => Some(80),
        Yaml::Integer(port) => u16::try_from(*port).ok().filter(|port| *port > 0),
        Yaml::String(port) => {
            erb("proxy.app_port", port)?;
            port.parse().ok().filter(|port: &u16| *port > 0)
        }
        _ => None,
    }
    .map_or_else(
        || {
            Err(Message::new(
                "`proxy.app_port` is not a port",
                "kamal-proxy sends the app's traffic and its probe to that container port",
                "write a port number: `app_port: 3000` (80 unless set)",
            ))
        },
        Ok,
    )
}

/// The healthcheck path (with where it was found) and timeout of a deploy.yml.
fn healthcheck_of(config: &yaml_rust2::Yaml) -> Result<(Option<Found>, Option<Duration>), Message> {
    use yaml_rust2::Yaml;

    // `proxy.healthcheck` at the top, and under each role of `servers`.
    fn healthcheck(node: &Yaml) -> &Yaml {
        field(field(node, "proxy"), "healthcheck")
    }
    let mut sections = vec![("proxy.healthcheck".to_owned(), healthcheck(config))];
    if let Some(roles) = field(config, "servers").as_hash() {
        for (role, settings) in roles {
            let role = role.as_str().unwrap_or("?");
            sections.push((
                format!("servers.{role}.proxy.healthcheck"),
                healthcheck(settings),
            ));
        }
    }

    let mut path: Option<Found> = None;
    let mut timeout: Option<Duration> = None;
    for (at, section) in sections {
        let found = field(section, "path");
        if !found.is_badvalue() && !found.is_null() {
            let value = found.as_str().ok_or_else(|| {
                Message::new(
                    format!("`{at}.path` is not a string"),
                    "kamal-proxy probes the path written there",
                    "write the path as a string: `path: /up`",
                )
            })?;
            erb(&format!("{at}.path"), value)?;
            match &path {
                Some((first_at, first)) if first != value => {
                    return Err(Message::new(
                        "two healthcheck paths for one app",
                        format!("`{first_at}` is {first:?} but `{at}.path` is {value:?}"),
                        format!("write `path: {first}` in both, or leave one out"),
                    ));
                }
                Some(_) => {}
                None => path = Some((format!("{at}.path"), value.to_owned())),
            }
        }
        let found = field(section, "timeout");
        let at = format!("{at}.timeout");
        if let Some(this) = seconds(
            &at,
            found,
            "kamal-proxy waits that many seconds for each probe",
        )? {
            // The strictest timeout is the one a deadline must fit in.
            timeout = Some(timeout.map_or(this, |known| known.min(this)));
        }
    }
    Ok((path, timeout))
}

/// What one configuration says of a container's stop and deploy (see
/// [`Deployment`]); its destination is filled in by the caller.
fn deployment_of(config: &yaml_rust2::Yaml) -> Result<Deployment, Message> {
    use yaml_rust2::Yaml;
    let primary = field(config, "primary_role").as_str().unwrap_or("web");
    let mut roles = Vec::new();
    if let Some(servers) = field(config, "servers").as_hash() {
        for (role, settings) in servers {
            let Some(name) = role.as_str() else { continue };
            let proxied = match field(settings, "proxy") {
                Yaml::BadValue | Yaml::Null => name == primary,
                Yaml::Boolean(on) => *on,
                _ => true,
            };
            let at = format!("servers.{name}.stop_timeout");
            roles.push(Role {
                name: name.to_owned(),
                proxied,
                stop_timeout: seconds(&at, field(settings, "stop_timeout"), STOP)?,
            });
        }
    }
    Ok(Deployment {
        destination: String::new(),
        service: field(config, "service")
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        app_port: app_port(config)?,
        deploy_timeout: seconds("deploy_timeout", field(config, "deploy_timeout"), DEPLOY)?,
        stop_timeout: seconds("stop_timeout", field(config, "stop_timeout"), STOP)?,
        drain_timeout: seconds("drain_timeout", field(config, "drain_timeout"), DRAIN)?,
        roles,
    })
}

/// What Kamal does with each timeout, for the error about one.
const DEPLOY: &str = "kamal-proxy gives a new container that many seconds to become healthy";
const STOP: &str = "`docker stop` sends SIGKILL that many seconds after SIGTERM";
const DRAIN: &str = "kamal-proxy waits that many seconds for requests in flight";

/// A number of seconds at `at` (`deploy_timeout: 60`, `"60s"`), if set.
/// `note` says what Kamal does with it, for the error.
fn seconds(at: &str, found: &yaml_rust2::Yaml, note: &str) -> Result<Option<Duration>, Message> {
    use yaml_rust2::Yaml;
    let seconds = match found {
        Yaml::Integer(seconds) => Some(*seconds as f64),
        Yaml::Real(seconds) => seconds.parse::<f64>().ok(),
        Yaml::String(text) => {
            erb(at, text)?;
            text.trim_end_matches('s').parse::<f64>().ok()
        }
        Yaml::BadValue | Yaml::Null => return Ok(None),
        _ => None,
    };
    match seconds {
        Some(seconds) if seconds > 0.0 && seconds.is_finite() => {
            Ok(Some(Duration::from_secs_f64(seconds)))
        }
        _ => Err(Message::new(
            format!("`{at}` is not a number of seconds"),
            note,
            format!(
                "write a number above zero: `{}: 30`",
                at.rsplit('.').next().unwrap_or(at)
            ),
        )),
    }
}

/// `key` of a mapping, also where a merge key (`<<: *defaults`) brings it in,
/// as YAML 1.1 and Kamal's reader (Ruby's Psych) have it; `BadValue` if absent.
fn field<'a>(node: &'a yaml_rust2::Yaml, key: &str) -> &'a yaml_rust2::Yaml {
    use yaml_rust2::Yaml;
    static ABSENT: Yaml = Yaml::BadValue;
    let Yaml::Hash(hash) = node else {
        return &ABSENT;
    };
    if let Some(value) = hash.get(&Yaml::String(key.to_owned())) {
        return value;
    }
    match hash.get(&Yaml::String("<<".to_owned())) {
        Some(merged @ Yaml::Hash(_)) => field(merged, key),
        Some(Yaml::Array(merged)) => merged
            .iter()
            .map(|node| field(node, key))
            .find(|value| !value.is_badvalue())
            .unwrap_or(&ABSENT),
        _ => &ABSENT,
    }
}

/// Reads a file whose ERB made it unreadable as YAML: with its ERB tags taken
/// out; then, where a condition chose between two versions of a section
/// (`<% if .. %>` .. `<% else %>` ..), with the first version of each
/// top-level section only; then with only the sections the healthcheck is
/// read from (`proxy`, `servers`) and those that define anchors they may use.
/// The error, if any, is the one to report instead of the YAML reader's: a
/// condition that chooses between two healthcheck sections.
fn read_without_erb(text: &str) -> Result<Vec<yaml_rust2::Yaml>, Option<Message>> {
    use yaml_rust2::YamlLoader;

    let plain = without_erb(text);
    if let Ok(documents) = YamlLoader::load_from_str(&plain) {
        return Ok(documents);
    }
    let sections = sections(&plain);
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let mut first = String::new();
    for (key, lines) in &sections {
        match seen.iter().find(|(known, _)| known == key) {
            Some((_, earlier))
                if matches!(
                    *key,
                    "proxy" | "servers" | "deploy_timeout" | "stop_timeout"
                ) && read_of(key, earlier) != read_of(key, lines) =>
            {
                return Err(Some(Message::new(
                    format!("`{key}` is under an ERB condition"),
                    "the file has two versions of it, and only Kamal knows which one is read",
                    "keep the healthcheck settings out of `<% if %>`, or give the attribute \
                     `path` and `timeout` instead of `deploy`",
                )));
            }
            Some(_) if !key.is_empty() => {}
            _ => {
                seen.push((key, lines));
                first.push_str(lines);
            }
        }
    }
    if let Ok(documents) = YamlLoader::load_from_str(&first) {
        return Ok(documents);
    }
    let mut needed = String::new();
    let mut kept: Vec<&str> = Vec::new();
    for (key, lines) in &sections {
        let wanted = matches!(
            *key,
            "proxy" | "servers" | "deploy_timeout" | "stop_timeout"
        ) || lines.contains('&');
        if wanted && !kept.contains(key) {
            kept.push(key);
            needed.push_str(lines);
        }
    }
    YamlLoader::load_from_str(&needed).map_err(|_| None)
}

/// What the attribute reads of one version of a top-level section (`key`,
/// with its `lines`): of `proxy`, the healthcheck and `app_port`; of
/// `servers`, each role's name, `proxy` and `stop_timeout`; of the others,
/// the value. `None` when the version cannot be read alone (it uses an
/// anchor defined elsewhere, say), which counts as different from any other.
fn read_of(key: &str, lines: &str) -> Option<yaml_rust2::Yaml> {
    use yaml_rust2::{Yaml, YamlLoader};
    let document = YamlLoader::load_from_str(lines).ok()?.into_iter().next()?;
    let section = field(&document, key);
    Some(match key {
        "proxy" => Yaml::Array(vec![
            field(section, "healthcheck").clone(),
            field(section, "app_port").clone(),
        ]),
        "servers" => Yaml::Array(
            section
                .as_hash()
                .into_iter()
                .flatten()
                .map(|(role, settings)| {
                    Yaml::Array(vec![
                        role.clone(),
                        field(settings, "proxy").clone(),
                        field(settings, "stop_timeout").clone(),
                    ])
                })
                .collect(),
        ),
        _ => section.clone(),
    })
}

/// The top-level sections of a YAML text, each with its key and its lines
/// (comments and blank lines go with the section before them; the key of
/// lines before the first section is empty).
fn sections(text: &str) -> Vec<(&str, String)> {
    let mut found: Vec<(&str, String)> = vec![("", String::new())];
    for line in text.lines() {
        let top = line
            .split_once(':')
            .map(|(key, _)| key)
            .filter(|key| !key.is_empty() && !key.starts_with([' ', '\t', '#', '-']));
        if let Some(key) = top {
            found.push((key.trim(), String::new()));
        }
        let last = found.last_mut().expect("one section at least");
        last.1.push_str(line);
        last.1.push('\n');
    }
    found
}

/// What `<%= .. %>` becomes when ERB is taken out of a file to read it.
const ERB_VALUE: &str = "<%=erb%>";

/// `text` without its ERB tags: `<% .. %>` and `<%# .. %>` removed, `<%= .. %>`
/// replaced by a marker that still reads as ERB where a value is needed.
fn without_erb(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<%") {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        let Some(end) = tag.find("%>") else {
            out.push_str(tag);
            return out;
        };
        if tag.starts_with("<%=") {
            // Quoted, so that it stays one scalar wherever it stands.
            out.push_str(&format!("\"{ERB_VALUE}\""));
        }
        rest = &tag[end + 2..];
    }
    out.push_str(rest);
    out
}

fn erb(at: &str, value: &str) -> Result<(), Message> {
    if value.contains("<%") {
        let shown = match value {
            ERB_VALUE => String::new(),
            value => format!(": {value:?}"),
        };
        return Err(Message::new(
            format!("`{at}` is ERB"),
            format!("only Kamal evaluates ERB{shown}"),
            {
                let key = at.rsplit('.').next().unwrap_or(at);
                let example = match key {
                    "path" => "/up",
                    "app_port" => "80",
                    "timeout" => "5",
                    "deploy_timeout" => "30",
                    _ => "10",
                };
                format!(
                    "write the value plainly, such as `{key}: {example}`, so that the app can be checked against it"
                )
            },
        ));
    }
    Ok(())
}

/// The error for a deploy.yml whose healthcheck path no request can match.
fn invalid_path(file: &LitStr, deploy: &Deploy) -> Option<syn::Error> {
    let reason = crate::rules::path_problem(&deploy.path)?;
    let at = deploy.path_at.as_deref().unwrap_or("the healthcheck path");
    let help = match crate::args::corrected(&deploy.path) {
        Some(fixed) => format!("write `path: {fixed}` there, a path a request can carry"),
        None => "write a literal path there, such as `path: /healthz`".to_owned(),
    };
    Some(
        Message::new(
            "invalid healthcheck path in Kamal's config",
            format!(
                "in {}: `{at}` is {:?}: {reason}; kamal-proxy's probe could never match it",
                file.value(),
                deploy.path
            ),
            help,
        )
        .at(file.span()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_kamal_does_not_proxy() {
        let read = |text: &str| {
            let deployment = deployment_of(&load(text).unwrap()).unwrap();
            let unproxied: Vec<String> = deployment
                .roles
                .into_iter()
                .filter(|role| !role.proxied)
                .map(|role| role.name)
                .collect();
            (deployment.service, unproxied)
        };
        let plain = "service: shop\nservers:\n  - 192.0.2.10\n";
        assert_eq!(read(plain), ("shop".to_owned(), vec![]));
        let roles = "service: shop\nservers:\n  web:\n    hosts: [a]\n  jobs:\n    hosts: [b]\n  \
                     api:\n    hosts: [c]\n    proxy:\n      app_port: 3000\n  admin:\n    \
                     hosts: [d]\n    proxy: true\n";
        assert_eq!(read(roles), ("shop".to_owned(), vec!["jobs".to_owned()]));
        let primary = "service: shop\nprimary_role: api\nservers:\n  web:\n    hosts: [a]\n  \
                       api:\n    hosts: [b]\n  worker:\n    hosts: [c]\n    proxy: false\n";
        assert_eq!(
            read(primary),
            (
                "shop".to_owned(),
                vec!["web".to_owned(), "worker".to_owned()]
            )
        );
    }

    #[test]
    fn deploy_stop_and_drain_timeouts() {
        let read = |text: &str| deployment_of(&load(text).unwrap());
        let unset = read("service: shop\n").unwrap();
        let timeouts = |d: &Deployment| (d.deploy_timeout, d.stop_timeout, d.drain_timeout);
        assert_eq!(timeouts(&unset), (None, None, None));
        let set = read("deploy_timeout: 60\nstop_timeout: 20\ndrain_timeout: 5\n").unwrap();
        let secs = |n| Some(Duration::from_secs(n));
        assert_eq!(timeouts(&set), (secs(60), secs(20), secs(5)));
        // A role's own, beside the top one.
        let roles = read(
            "stop_timeout: 20\nservers:\n  web:\n    hosts: [a]\n  jobs:\n    hosts: [b]\n    \
             stop_timeout: 5\n",
        )
        .unwrap();
        assert_eq!(roles.stop_timeout, secs(20));
        let role_stops: Vec<_> = roles
            .roles
            .iter()
            .map(|role| (role.name.as_str(), role.proxied, role.stop_timeout))
            .collect();
        assert_eq!(role_stops, [("web", true, None), ("jobs", false, secs(5))]);
        let error = read("stop_timeout: soon\n").unwrap_err().to_string();
        assert!(
            error.starts_with("`stop_timeout` is not a number of seconds"),
            "{error}"
        );
        let error = read("deploy_timeout: <%= ENV['T'] %>\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("`deploy_timeout` is ERB"), "{error}");
    }

    use std::path::Path;

    fn found(at: &str, path: &str) -> Option<Found> {
        Some((format!("{at}.path"), path.to_owned()))
    }

    #[test]
    fn kamal_default_when_unset() {
        assert_eq!(parse("service: app\nimage: app\n"), Ok((None, None)));
        assert_eq!(parse(""), Ok((None, None)));
    }

    #[test]
    fn top_level_path_and_timeout() {
        let yaml = "service: app\nproxy:\n  host: app.example.com\n  healthcheck:\n    path: /healthz\n    interval: 3\n    timeout: 4\n";
        assert_eq!(
            parse(yaml),
            Ok((
                found("proxy.healthcheck", "/healthz"),
                Some(Duration::from_secs(4))
            ))
        );
    }

    #[test]
    fn role_level_sections() {
        let yaml = "servers:\n  web:\n    hosts: [1.1.1.1]\n    proxy:\n      healthcheck:\n        path: /ready\n        timeout: 3\n  job:\n    hosts: [1.1.1.2]\n";
        assert_eq!(
            parse(yaml),
            Ok((
                found("servers.web.proxy.healthcheck", "/ready"),
                Some(Duration::from_secs(3))
            ))
        );
        let yaml = "proxy: {healthcheck: {path: /a}}\nservers:\n  web:\n    proxy:\n      healthcheck:\n        path: /b\n";
        let error = parse(yaml).unwrap_err().to_string();
        assert!(error.contains("`proxy.healthcheck.path` is \"/a\" but `servers.web.proxy.healthcheck.path` is \"/b\""), "{error}");
        // A list of hosts has no roles.
        assert_eq!(parse("servers:\n  - 1.1.1.1\n"), Ok((None, None)));
    }

    #[test]
    fn erb_where_a_value_is_needed() {
        let error = parse("proxy:\n  healthcheck:\n    path: <%= ENV['HEALTH'] %>\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("`proxy.healthcheck.path` is ERB"), "{error}");
        // ERB elsewhere is fine.
        let yaml = "registry:\n  password: <%= ENV['PASSWORD'] %>\nproxy:\n  healthcheck:\n    path: /up\n";
        assert_eq!(parse(yaml), Ok((found("proxy.healthcheck", "/up"), None)));
    }

    #[test]
    fn unreadable_yaml() {
        let error = parse("proxy:\n  healthcheck: [\n").unwrap_err().to_string();
        assert!(error.starts_with("not readable as YAML"), "{error}");
        let error = parse("<% if x %>\nproxy:\n - a: [\n<% end %>\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("with its ERB"), "{error}");
    }

    #[test]
    fn erb_loops_and_conditions_elsewhere_are_fine() {
        // Not YAML as written (the loop's lines), YAML once Kamal evaluates it.
        let yaml = "servers:\n  web:\n    hosts:\n<% 3.times do |i| %>\n      - 10.0.0.<%= i %>\n<% end %>\n<%# a comment %>\nproxy:\n  healthcheck:\n    path: /healthz\n    timeout: 7\n";
        assert!(yaml_rust2::YamlLoader::load_from_str(yaml).is_err());
        assert_eq!(
            parse(yaml),
            Ok((
                found("proxy.healthcheck", "/healthz"),
                Some(Duration::from_secs(7))
            ))
        );
        // A healthcheck value that is ERB is still one, in such a file too.
        let yaml = "<% if true %>\nproxy:\n  healthcheck:\n    path: <%= ENV['P'] %>\n<% end %>\n";
        let error = parse(yaml).unwrap_err().to_string();
        assert!(
            error.contains("`proxy.healthcheck.path` is ERB\n"),
            "{error}"
        );
    }

    /// Conditions around sections other than the healthcheck: Kamal reads
    /// one branch; the file as written, or without its tags, is no YAML.
    #[test]
    fn erb_conditions_around_other_sections_are_fine() {
        let yaml = "<% if ENV['PG'] %>\naccessories:\n  db:\n    image: postgres\n<% else %>\naccessories:\n  db:\n    image: mysql\n<% end %>\nproxy:\n  healthcheck:\n    path: /healthz\n    timeout: 4\n";
        assert!(yaml_rust2::YamlLoader::load_from_str(&without_erb(yaml)).is_err());
        assert_eq!(
            parse(yaml),
            Ok((
                found("proxy.healthcheck", "/healthz"),
                Some(Duration::from_secs(4))
            ))
        );
        // A condition that leaves a section unreadable in either branch.
        let yaml = "<% if x %>\nenv:\n  clear: [a,\n<% end %>\nx-health: &health\n  path: /ready\nproxy:\n  healthcheck:\n    <<: *health\n";
        assert_eq!(
            parse(yaml),
            Ok((found("proxy.healthcheck", "/ready"), None))
        );
        // Two versions of `servers` that differ only in hosts, not in what the
        // attribute reads: the first is read.
        let yaml = "<% if ENV['BIG'] %>\nservers:\n  web:\n    hosts: [a, b, c]\n  jobs:\n    \
                    hosts: [d]\n<% else %>\nservers:\n  web:\n    hosts: [a]\n  jobs:\n    \
                    hosts: [a]\n<% end %>\nproxy:\n  healthcheck:\n    path: /healthz\n";
        assert!(yaml_rust2::YamlLoader::load_from_str(&without_erb(yaml)).is_err());
        assert_eq!(
            parse(yaml),
            Ok((found("proxy.healthcheck", "/healthz"), None))
        );
        // A role's `proxy` that differs is still refused.
        let yaml = "<% if x %>\nservers:\n  web:\n    hosts: [a]\n    proxy:\n      \
                    healthcheck:\n        path: /a\n<% else %>\nservers:\n  web:\n    \
                    hosts: [a]\n<% end %>\n";
        let error = parse(yaml).unwrap_err().to_string();
        assert!(
            error.starts_with("`servers` is under an ERB condition\n"),
            "{error}"
        );
        // The healthcheck itself under a condition: only Kamal knows which.
        let yaml = "<% if x %>\nproxy:\n  healthcheck:\n    path: /a\n<% else %>\nproxy:\n  healthcheck:\n    path: /b\n<% end %>\n";
        let error = parse(yaml).unwrap_err().to_string();
        assert!(
            error.starts_with("`proxy` is under an ERB condition\n"),
            "{error}"
        );
    }

    #[test]
    fn merge_keys_bring_settings_in() {
        let yaml = "x-proxy: &proxy\n  healthcheck:\n    path: /ready\n    timeout: 8\nproxy:\n  <<: *proxy\n  host: app.example.com\n";
        assert_eq!(
            parse(yaml),
            Ok((
                found("proxy.healthcheck", "/ready"),
                Some(Duration::from_secs(8))
            ))
        );
        // At the healthcheck level, from a list of maps, under a role.
        let yaml = "defaults: &defaults\n  path: /a\nmore: &more\n  timeout: 4\nservers:\n  web:\n    proxy:\n      healthcheck:\n        <<: [*defaults, *more]\n";
        assert_eq!(
            parse(yaml),
            Ok((
                found("servers.web.proxy.healthcheck", "/a"),
                Some(Duration::from_secs(4))
            ))
        );
        // A key written beside the merge wins over it.
        let yaml = "d: &d\n  path: /merged\nproxy:\n  healthcheck:\n    <<: *d\n    path: /own\n";
        assert_eq!(parse(yaml), Ok((found("proxy.healthcheck", "/own"), None)));
    }

    /// A directory of its own with `files` (name, text) in `config/`.
    fn config_dir(test: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("kamal-healthcheck-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("config")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join("config").join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn destinations_are_named_yml_whatever_the_files_extension() {
        let dir = config_dir(
            "yaml",
            &[
                ("deploy.yaml", "service: app\n"),
                (
                    "deploy.staging.yml",
                    "proxy:\n  healthcheck:\n    path: /healthz\n",
                ),
                // Not a name Kamal reads.
                (
                    "deploy.other.yaml",
                    "proxy:\n  healthcheck:\n    path: /other\n",
                ),
            ],
        );
        let found = destinations_of(&dir, "config/deploy.yaml");
        let named = ("staging".to_owned(), "config/deploy.staging.yml".to_owned());
        assert_eq!(found, [named]);
        let error = read_with_destinations(&dir, "config/deploy.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("config/deploy.staging.yml: \"/healthz\""),
            "{error}"
        );
    }

    #[test]
    fn destinations_are_merged_over_the_file() {
        let base = "service: app\nproxy:\n  app_port: 3000\n  healthcheck:\n    path: /healthz\n    timeout: 10\n";
        let dir = config_dir(
            "agree",
            &[
                ("deploy.yml", base),
                // Its own timeout and port; the path from the base file.
                (
                    "deploy.staging.yml",
                    "proxy:\n  app_port: 4000\n  healthcheck:\n    timeout: 3\n",
                ),
                (
                    "deploy.production.yml",
                    "servers:\n  web:\n    hosts: [1.1.1.1]\n",
                ),
                // Not a destination of deploy.yml.
                (
                    "other.staging.yml",
                    "proxy:\n  healthcheck:\n    path: /elsewhere\n",
                ),
            ],
        );
        let deploy = read_with_destinations(&dir, "config/deploy.yml").unwrap();
        assert_eq!(deploy.path, "/healthz");
        assert_eq!(deploy.timeout, Some(Duration::from_secs(3)));
        let ports: Vec<_> = deploy
            .deployments
            .iter()
            .map(|deployment| (deployment.destination.as_str(), deployment.app_port))
            .collect();
        assert_eq!(ports, [("", 3000), ("production", 3000), ("staging", 4000)]);
        assert_eq!(deploy.files.len(), 3);
        let staging = read_destination(&dir, "config/deploy.yml", "staging").unwrap();
        assert_eq!(
            (
                staging.path.as_str(),
                staging.timeout,
                staging.deployments[0].app_port
            ),
            ("/healthz", Some(Duration::from_secs(3)), 4000)
        );
        let error = read_destination(&dir, "config/deploy.yml", "qa")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(
                "no Kamal destination `qa`\n= note: `kamal deploy -d qa` reads its own file \
                 beside config/deploy.yml, and there is none"
            ),
            "{error}"
        );
    }

    #[test]
    fn destinations_that_probe_another_path_are_an_error_naming_each() {
        let dir = config_dir(
            "disagree",
            &[
                ("deploy.yml", "proxy:\n  healthcheck:\n    path: /up\n"),
                (
                    "deploy.staging.yml",
                    "proxy:\n  healthcheck:\n    path: /ready\n",
                ),
            ],
        );
        let error = read_with_destinations(&dir, "config/deploy.yml")
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "Kamal's destinations probe different healthcheck paths\n\
             = note: one build answers one path, and config/deploy.yml: \"/up\", \
             config/deploy.staging.yml: \"/ready\"\n\
             = help: set the same `proxy: healthcheck: path:` in every destination, or in the \
             base file only"
        );
    }

    #[test]
    fn app_port_is_80_unless_set() {
        let port = |text: &str| app_port(&load(text).unwrap()).map_err(|e| e.to_string());
        assert_eq!(port("service: app\n"), Ok(80));
        assert_eq!(port("proxy:\n  app_port: 3000\n"), Ok(3000));
        assert_eq!(port("proxy:\n  app_port: \"8080\"\n"), Ok(8080));
        assert!(
            port("proxy:\n  app_port: 70000\n")
                .unwrap_err()
                .starts_with("`proxy.app_port` is not a port")
        );
    }

    #[test]
    fn bad_values() {
        let error = parse("proxy:\n  healthcheck:\n    path: 12\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("is not a string"), "{error}");
        let error = parse("proxy:\n  healthcheck:\n    timeout: soon\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("not a number of seconds"), "{error}");
    }

    #[test]
    fn a_missing_file_says_where_it_looked_without_dot_dots() {
        let error = read_from(Path::new("/srv/app/backend"), "../config/deploy.yml")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(
                "= note: ../config/deploy.yml: entity not found at /srv/app/config/deploy.yml\n"
            ),
            "{error}"
        );
    }

    #[test]
    fn a_missing_file_says_where_it_looked() {
        let error = read_from(Path::new("/nonexistent"), "config/deploy.yml")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with(
                "cannot read Kamal's config file\n= note: config/deploy.yml: entity not found at \
                 /nonexistent/config/deploy.yml"
            ),
            "{error}"
        );
        let deploy = read_from(Path::new("/nonexistent"), "config/deploy.yml");
        assert!(deploy.is_err());
    }
}
