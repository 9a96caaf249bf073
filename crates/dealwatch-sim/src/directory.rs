//! Records served by the Core API v2 endpoints, by collection and id.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use serde_json::value::RawValue;

/// A Core API v2 collection that the simulator serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum V2Collection {
    Users,
    Stages,
    Pipelines,
    Contacts,
    LossReasons,
    DealSources,
}

impl V2Collection {
    pub const ALL: [V2Collection; 6] = [
        V2Collection::Users,
        V2Collection::Stages,
        V2Collection::Pipelines,
        V2Collection::Contacts,
        V2Collection::LossReasons,
        V2Collection::DealSources,
    ];

    /// Returns the path segment after `/v2/`, such as `loss_reasons`.
    pub fn path(self) -> &'static str {
        match self {
            V2Collection::Users => "users",
            V2Collection::Stages => "stages",
            V2Collection::Pipelines => "pipelines",
            V2Collection::Contacts => "contacts",
            V2Collection::LossReasons => "loss_reasons",
            V2Collection::DealSources => "deal_sources",
        }
    }

    /// Returns the `meta.type` of the collection's records.
    pub fn record_type(self) -> &'static str {
        match self {
            V2Collection::Users => "user",
            V2Collection::Stages => "stage",
            V2Collection::Pipelines => "pipeline",
            V2Collection::Contacts => "contact",
            V2Collection::LossReasons => "loss_reason",
            V2Collection::DealSources => "source",
        }
    }

    /// Looks up a collection by its path segment.
    pub fn from_path(path: &str) -> Option<V2Collection> {
        V2Collection::ALL
            .into_iter()
            .find(|collection| collection.path() == path)
    }
}

/// The Core API v2 records, each stored as the JSON text of its `data` object.
#[derive(Debug, Default)]
pub(crate) struct Directory {
    records: RwLock<HashMap<V2Collection, BTreeMap<u64, Arc<RawValue>>>>,
    self_user_id: AtomicU64,
}

impl Directory {
    pub(crate) fn put(&self, collection: V2Collection, id: u64, data: Arc<RawValue>) {
        let mut records = self.records.write().unwrap_or_else(PoisonError::into_inner);
        records.entry(collection).or_default().insert(id, data);
    }

    pub(crate) fn get(&self, collection: V2Collection, id: u64) -> Option<Arc<RawValue>> {
        let records = self.records.read().unwrap_or_else(PoisonError::into_inner);
        records.get(&collection)?.get(&id).cloned()
    }

    /// Returns the records with the given ids in ascending id order, or all records
    /// when `ids` is `None`. Unknown ids are skipped.
    pub(crate) fn list(&self, collection: V2Collection, ids: Option<&[u64]>) -> Vec<Arc<RawValue>> {
        let records = self.records.read().unwrap_or_else(PoisonError::into_inner);
        let Some(by_id) = records.get(&collection) else {
            return Vec::new();
        };
        match ids {
            None => by_id.values().cloned().collect(),
            Some(ids) => {
                let mut requested: Vec<u64> = ids.to_vec();
                requested.sort_unstable();
                requested.dedup();
                requested
                    .iter()
                    .filter_map(|id| by_id.get(id).cloned())
                    .collect()
            }
        }
    }

    pub(crate) fn self_user_id(&self) -> u64 {
        self.self_user_id.load(Ordering::Relaxed)
    }

    pub(crate) fn set_self_user_id(&self, id: u64) {
        self.self_user_id.store(id, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Arc<RawValue> {
        Arc::from(RawValue::from_string(text.to_owned()).unwrap())
    }

    #[test]
    fn collection_paths_round_trip() {
        for collection in V2Collection::ALL {
            assert_eq!(V2Collection::from_path(collection.path()), Some(collection));
        }
        assert_eq!(V2Collection::from_path("deals"), None);
    }

    #[test]
    fn list_filters_sorts_and_dedups_ids() {
        let directory = Directory::default();
        for id in [3, 1, 2] {
            directory.put(V2Collection::Users, id, raw(&format!("{{\"id\":{id}}}")));
        }
        let texts: Vec<String> = directory
            .list(V2Collection::Users, Some(&[3, 9, 1, 3]))
            .iter()
            .map(|record| record.get().to_owned())
            .collect();
        assert_eq!(texts, [r#"{"id":1}"#, r#"{"id":3}"#]);
        assert_eq!(directory.list(V2Collection::Users, None).len(), 3);
        assert!(directory.list(V2Collection::Stages, None).is_empty());
    }
}
