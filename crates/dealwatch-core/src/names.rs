//! Turns ids into names through the Core API v2: stages (with pipeline and
//! won/lost category), users, contacts and organizations, deal sources and
//! loss reasons.
//!
//! Names are cached in the store, so they survive restarts, and looked up
//! again only on a miss. Look-ups share Sell's rate limit with the stream, so
//! they are paced and a failed one is not retried for a while.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::client::{Client, FetchError};
use crate::format::{NameKind, NameLookup};
use crate::store::{Store, StoredEvent};

/// The minimum time between two look-up requests: at most 5 per second, half
/// of Sell's 10 requests per second, so the stream keeps the rest.
const REQUEST_SPACING: Duration = Duration::from_millis(200);
/// How long a failed look-up is not tried again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(600);
/// The maximum number of ids resolved one by one per call, for endpoints without `?ids=`.
const MAX_SINGLE_LOOKUPS: usize = 10;

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    category: Option<String>,
    pipeline_id: Option<i64>,
}

/// A name cache backed by the store and filled from the Core API v2.
pub struct Names {
    client: Client,
    store: Arc<Store>,
    memo: Mutex<HashMap<(NameKind, i64), Entry>>,
    failed: Mutex<HashMap<(NameKind, i64), Instant>>,
    self_user: Mutex<Option<i64>>,
    pacing: tokio::sync::Mutex<Option<Instant>>,
}

impl Names {
    pub fn new(client: Client, store: Arc<Store>) -> Names {
        Names {
            client,
            store,
            memo: Mutex::new(HashMap::new()),
            failed: Mutex::new(HashMap::new()),
            self_user: Mutex::new(None),
            pacing: tokio::sync::Mutex::new(None),
        }
    }

    fn entry(&self, kind: NameKind, id: i64) -> Option<Entry> {
        if let Some(entry) = self
            .memo
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(kind, id))
        {
            return Some(entry.clone());
        }
        let (name, extra) = self.store.cached_name(kind.as_str(), id).ok().flatten()?;
        let extra: Value = extra
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or(Value::Null);
        let entry = Entry {
            name,
            category: extra
                .get("category")
                .and_then(Value::as_str)
                .map(str::to_owned),
            pipeline_id: extra.get("pipeline_id").and_then(Value::as_i64),
        };
        self.memo
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((kind, id), entry.clone());
        Some(entry)
    }

    fn remember(&self, kind: NameKind, id: i64, entry: Entry) {
        let extra =
            serde_json::json!({"category": entry.category, "pipeline_id": entry.pipeline_id})
                .to_string();
        if let Err(err) = self
            .store
            .put_name(kind.as_str(), id, &entry.name, Some(&extra))
        {
            tracing::warn!(kind = kind.as_str(), id, %err, "could not cache a name");
        }
        self.memo
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((kind, id), entry);
    }

    fn needs_lookup(&self, kind: NameKind, id: i64) -> bool {
        if self.entry(kind, id).is_some() {
            return false;
        }
        let failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
        failed
            .get(&(kind, id))
            .is_none_or(|at| at.elapsed() >= RETRY_AFTER_FAILURE)
    }

    fn mark_failed(&self, kind: NameKind, ids: impl IntoIterator<Item = i64>) {
        let mut failed = self.failed.lock().unwrap_or_else(|p| p.into_inner());
        for id in ids {
            failed.insert((kind, id), Instant::now());
        }
    }

    /// The token's own user id, looked up once.
    pub async fn self_user_id(&self) -> Option<i64> {
        if let Some(id) = *self.self_user.lock().unwrap_or_else(|p| p.into_inner()) {
            return Some(id);
        }
        self.pace().await;
        match self.client.get_v2(&["users", "self"], &[]).await {
            Ok(body) => {
                let data = body.get("data")?;
                let id = data.get("id")?.as_i64()?;
                if let Some(name) = data.get("name").and_then(Value::as_str) {
                    self.remember(NameKind::User, id, plain(name));
                }
                *self.self_user.lock().unwrap_or_else(|p| p.into_inner()) = Some(id);
                Some(id)
            }
            Err(err) => {
                tracing::warn!(%err, "could not look up the token's own user");
                None
            }
        }
    }

    /// Looks up every name the events refer to that is not cached yet.
    pub async fn resolve(&self, events: &[StoredEvent]) {
        let mut wanted: HashMap<NameKind, BTreeSet<i64>> = HashMap::new();
        for event in events {
            for source in [&event.data, &Value::Object(event.previous.clone())] {
                let Some(fields) = source.as_object() else {
                    continue;
                };
                for (field, value) in fields {
                    if let (Some(kind), Some(id)) = (NameKind::of_field(field), value.as_i64()) {
                        if self.needs_lookup(kind, id) {
                            wanted.entry(kind).or_default().insert(id);
                        }
                    }
                }
            }
        }
        if wanted.is_empty() {
            return;
        }

        if let Some(ids) = wanted.remove(&NameKind::Stage) {
            self.fetch_list(NameKind::Stage, "stages", ids).await;
            let pipelines: BTreeSet<i64> = {
                let memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
                memo.iter()
                    .filter(|((kind, _), _)| *kind == NameKind::Stage)
                    .filter_map(|(_, entry)| entry.pipeline_id)
                    .collect()
            };
            let missing: BTreeSet<i64> = pipelines
                .into_iter()
                .filter(|id| self.needs_lookup(NameKind::Pipeline, *id))
                .collect();
            if !missing.is_empty() {
                self.fetch_list(NameKind::Pipeline, "pipelines", missing)
                    .await;
            }
        }
        if let Some(ids) = wanted.remove(&NameKind::User) {
            self.fetch_list(NameKind::User, "users", ids).await;
        }
        for (kind, path) in [
            (NameKind::Contact, "contacts"),
            (NameKind::Source, "deal_sources"),
            (NameKind::LossReason, "loss_reasons"),
        ] {
            if let Some(ids) = wanted.remove(&kind) {
                for id in ids.into_iter().take(MAX_SINGLE_LOOKUPS) {
                    self.fetch_one(kind, path, id).await;
                }
            }
        }
    }

    async fn fetch_list(&self, kind: NameKind, path: &str, ids: BTreeSet<i64>) {
        let ids: Vec<i64> = ids.into_iter().collect();
        for chunk in ids.chunks(100) {
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            self.pace().await;
            tracing::debug!(kind = kind.as_str(), ids = %list, "looking up names");
            let query = [("ids", list.clone()), ("per_page", chunk.len().to_string())];
            match self.client.get_v2(&[path], &query).await {
                Ok(body) => {
                    let mut found = BTreeSet::new();
                    for item in body
                        .get("items")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some((id, entry)) =
                            parse_record(kind, item.get("data").unwrap_or(item))
                        {
                            found.insert(id);
                            self.remember(kind, id, entry);
                        }
                    }
                    self.mark_failed(kind, chunk.iter().copied().filter(|id| !found.contains(id)));
                }
                Err(err) => {
                    log_failure(kind, &list, &err);
                    self.mark_failed(kind, chunk.iter().copied());
                }
            }
        }
    }

    async fn fetch_one(&self, kind: NameKind, path: &str, id: i64) {
        self.pace().await;
        tracing::debug!(kind = kind.as_str(), id, "looking up a name");
        let id_text = id.to_string();
        match self.client.get_v2(&[path, &id_text], &[]).await {
            Ok(body) => match body.get("data").and_then(|data| parse_record(kind, data)) {
                Some((_, entry)) => self.remember(kind, id, entry),
                None => self.mark_failed(kind, [id]),
            },
            Err(err) => {
                log_failure(kind, &id_text, &err);
                self.mark_failed(kind, [id]);
            }
        }
    }

    /// Waits until the next request may go out.
    async fn pace(&self) {
        let mut last = self.pacing.lock().await;
        if let Some(at) = *last {
            let wait = REQUEST_SPACING.saturating_sub(at.elapsed());
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        *last = Some(Instant::now());
    }

    /// Every cached name of a kind: `(id, name)`, sorted by name.
    pub fn all(&self, kind: NameKind) -> Vec<(i64, String)> {
        self.store
            .cached_names(kind.as_str())
            .unwrap_or_default()
            .into_iter()
            .map(|(id, name, _)| (id, name))
            .collect()
    }
}

impl NameLookup for Names {
    fn name(&self, kind: NameKind, id: i64) -> Option<String> {
        self.entry(kind, id).map(|entry| entry.name)
    }

    fn stage_category(&self, id: i64) -> Option<String> {
        self.entry(NameKind::Stage, id)
            .and_then(|entry| entry.category)
    }

    fn stage_pipeline(&self, id: i64) -> Option<i64> {
        self.entry(NameKind::Stage, id)
            .and_then(|entry| entry.pipeline_id)
    }
}

fn plain(name: &str) -> Entry {
    Entry {
        name: name.to_owned(),
        category: None,
        pipeline_id: None,
    }
}

fn parse_record(kind: NameKind, data: &Value) -> Option<(i64, Entry)> {
    let id = data.get("id")?.as_i64()?;
    let text = |key: &str| {
        data.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let name = match kind {
        NameKind::Contact => text("name").map(str::to_owned).or_else(|| {
            let full = format!(
                "{} {}",
                text("first_name").unwrap_or(""),
                text("last_name").unwrap_or("")
            );
            Some(full.trim().to_owned()).filter(|n| !n.is_empty())
        })?,
        _ => text("name")?.to_owned(),
    };
    Some((
        id,
        Entry {
            name,
            category: text("category").map(str::to_owned),
            pipeline_id: data.get("pipeline_id").and_then(Value::as_i64),
        },
    ))
}

fn log_failure(kind: NameKind, ids: &str, err: &FetchError) {
    tracing::warn!(kind = kind.as_str(), ids, %err, "name look-up failed; ids are shown until it succeeds");
}
