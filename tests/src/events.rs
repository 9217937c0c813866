//! A `tracing` subscriber that records the healthcheck's events (target
//! `kamal_healthcheck`) with their fields, for tests to assert on.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Level, Metadata, Subscriber};

/// One recorded event.
#[derive(Clone, Debug)]
pub struct Event {
    pub level: Level,
    pub message: String,
    pub fields: BTreeMap<String, String>,
    pub at: Instant,
}

impl Event {
    /// A field's value as recorded (strings without quotes).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

/// Records every event under the target `kamal_healthcheck`.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Event>>>);

impl Recorder {
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().unwrap().clone()
    }

    pub fn at(&self, level: Level) -> Vec<Event> {
        self.events()
            .into_iter()
            .filter(|event| event.level == level)
            .collect()
    }

    /// The `ERROR` events, once there is one, waiting for them for 2 s at
    /// most (the start-up question's come from a task of the crate's);
    /// none after that.
    pub async fn errors(&self) -> Vec<Event> {
        for _ in 0..200 {
            let errors = self.at(Level::ERROR);
            if !errors.is_empty() {
                return errors;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        Vec::new()
    }

    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("kamal_healthcheck")
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let message = fields.remove("message").unwrap_or_default();
        self.0.lock().unwrap().push(Event {
            level: *event.metadata().level(),
            message,
            fields,
            at: Instant::now(),
        });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
