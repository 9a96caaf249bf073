//! Demo data: the fixed records of an invented sales account, and a generator of
//! lifelike activity on it.

mod catalog;
mod deal_changes;
mod fake_data;
mod generator;
mod records;
mod words;

use std::sync::Arc;

use serde_json::value::RawValue;
use serde_json::Value;

pub use generator::{DemoEvent, DemoGenerator};

use crate::directory::{Directory, V2Collection};

/// Stores the catalog's users, pipelines, stages, loss reasons, deal sources and
/// contacts in the Core API v2 directory.
pub(crate) fn register_catalog(directory: &Directory) {
    directory.set_self_user_id(catalog::SELF_USER_ID);
    for user in &catalog::USERS {
        put(
            directory,
            V2Collection::Users,
            user.id,
            &catalog::user_json(user),
        );
    }
    for pipeline in &catalog::PIPELINES {
        let data = catalog::pipeline_json(pipeline);
        put(directory, V2Collection::Pipelines, pipeline.id, &data);
    }
    for stage in &catalog::STAGES {
        put(
            directory,
            V2Collection::Stages,
            stage.id,
            &catalog::stage_json(stage),
        );
    }
    for reason in &catalog::LOSS_REASONS {
        let data = catalog::loss_reason_json(reason);
        put(directory, V2Collection::LossReasons, reason.id, &data);
    }
    for source in &catalog::DEAL_SOURCES {
        let data = catalog::deal_source_json(source);
        put(directory, V2Collection::DealSources, source.id, &data);
    }
    for contact in catalog::catalog_contacts() {
        let data = contact.to_v2_json("");
        put(directory, V2Collection::Contacts, contact.id, &data);
    }
}

/// Stores a generated contact's new Core API v2 record, if the event carries one.
pub(crate) fn publish_contact(directory: &Directory, event: &DemoEvent) {
    if let Some(data) = &event.contact_v2 {
        put(directory, V2Collection::Contacts, event.record_id, data);
    }
}

fn put(directory: &Directory, collection: V2Collection, id: u64, data: &Value) {
    if let Ok(raw) = serde_json::value::to_raw_value(data) {
        directory.put(collection, id, Arc::<RawValue>::from(raw));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_fills_every_collection() {
        let directory = Directory::default();
        register_catalog(&directory);
        for collection in V2Collection::ALL {
            assert!(
                !directory.list(collection, None).is_empty(),
                "{} is empty",
                collection.path()
            );
        }
        assert!(directory
            .get(V2Collection::Users, directory.self_user_id())
            .is_some());
    }
}
