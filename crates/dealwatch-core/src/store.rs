//! The SQLite store: each stream's position, the events seen, gaps and cached names.
//!
//! A page's new events and its new position are written in one transaction,
//! so a crash can only make the next run fetch a page again, never skip one.
//! Events are unique by `event_id`, which makes a redelivered event a no-op.
//! The event table is capped (oldest dropped first).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, params_from_iter, Connection, OptionalExtension, TransactionBehavior};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::model::{EventType, Item, Page, Snapshot};

/// The default number of events kept.
pub const DEFAULT_EVENT_CAP: usize = 10_000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS streams (
    resource    TEXT PRIMARY KEY,
    position    TEXT NOT NULL,
    last_ok_at  TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT NOT NULL UNIQUE,
    resource    TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id   INTEGER,
    event_type  TEXT NOT NULL,
    event_time  TEXT NOT NULL,
    received_at TEXT NOT NULL,
    name        TEXT,
    owner_id    INTEGER,
    stage_id    INTEGER,
    raw         TEXT NOT NULL,
    read        INTEGER NOT NULL DEFAULT 0,
    -- No longer written: see the table unannounced. Kept so that files
    -- made before it open unchanged.
    notified    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS events_record ON events (record_type, record_id);
-- The ids of stored events not yet announced. Marking an event announced
-- deletes a row of a few bytes here, where updating a column of events
-- rewrote the whole row, snapshot included: as much writing as storing it.
CREATE TABLE IF NOT EXISTS unannounced (
    id          INTEGER PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS gaps (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    resource    TEXT NOT NULL,
    since       TEXT,
    detected_at TEXT NOT NULL,
    dismissed   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS names (
    kind        TEXT NOT NULL,
    id          INTEGER NOT NULL,
    name        TEXT NOT NULL,
    extra       TEXT,
    fetched_at  TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
";

/// A failed store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not open the database {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("the database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("saving was interrupted: {0}")]
    Interrupted(String),
}

/// The outcome of opening the store.
#[derive(Debug, Default)]
pub struct OpenReport {
    /// The new path of an unreadable database file that was moved aside.
    pub moved_aside: Option<PathBuf>,
}

/// An event as stored.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// The store's own increasing id.
    pub id: i64,
    pub event_id: String,
    pub resource: String,
    pub record_type: String,
    pub record_id: Option<i64>,
    pub event_type: EventType,
    pub event_time: String,
    pub received_at: String,
    /// The record's name, taken from an earlier event when this one lacks it.
    pub name: Option<String>,
    pub owner_id: Option<i64>,
    pub stage_id: Option<i64>,
    /// The record's snapshot, parsed when first read.
    pub data: Snapshot,
    pub previous: Map<String, Value>,
    /// The item's JSON text as received.
    pub raw: Arc<str>,
    pub read: bool,
}

/// A gap in the history: events between `since` and `detected_at` were missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub id: i64,
    pub resource: String,
    /// The last successful poll before the gap, if there was one.
    pub since: Option<String>,
    pub detected_at: String,
}

/// A filter and page of history rows.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    pub offset: usize,
    pub limit: usize,
    /// Matched case-insensitively against names and the event's JSON text.
    pub search: Option<String>,
    pub event_types: Vec<String>,
    pub resources: Vec<String>,
    pub owner_id: Option<i64>,
    pub stage_ids: Vec<i64>,
}

/// The Dealwatch database. Safe to share between tasks; each call takes a
/// short lock.
pub struct Store {
    conn: Mutex<Connection>,
    cap: usize,
    /// Present for a database file; an in-memory one has no log to copy.
    checkpointer: Option<Checkpointer>,
}

/// Commits between two checkpoints. At 100 events of about 1 KB a page this
/// lets the write-ahead log grow to about 2 MB before it is copied back.
const COMMITS_PER_CHECKPOINT: u32 = 16;
/// How long a commit waits at most before the checkpointer copies it.
const CHECKPOINT_DELAY: Duration = Duration::from_secs(2);
/// The log size, in pages, from which the writer finishes a checkpoint
/// itself, so that the next commit starts the log again from its beginning.
/// A commit that starts while any of the log is left to copy appends to it
/// instead, so under a steady run of commits the log would otherwise keep
/// growing: to 200 MB in a catch-up of 90,000 events.
const RESTART_PAGES: i64 = 2_000;
/// The size the write-ahead log file is cut back to when the log starts
/// over. It is above what a log of [`RESTART_PAGES`] reaches in a catch-up
/// (24-29 MB measured), because cutting the file at every restart and
/// growing it again cost a catch-up a quarter of its speed.
const WAL_SIZE_LIMIT: u64 = 32 * 1024 * 1024;

/// Copies the write-ahead log back into the database file on a connection
/// and thread of its own, so that a commit does not wait for that copy and
/// its `fsync`. The writer still copies the last part of a large log (see
/// [`RESTART_PAGES`]). While catching up, copying the log took a fifth of
/// each commit's time.
struct Checkpointer {
    shared: Arc<(Mutex<CheckpointState>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct CheckpointState {
    commits: u32,
    stop: bool,
    /// Set when the log has passed [`RESTART_PAGES`]; see [`Checkpointer::take_restart`].
    restart_due: bool,
}

impl Checkpointer {
    fn start(path: &Path) -> Result<Checkpointer, String> {
        let open = || -> rusqlite::Result<Connection> {
            let conn = Connection::open(path)?;
            conn.busy_timeout(Duration::from_secs(5))?;
            conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
            Ok(conn)
        };
        let conn = open().map_err(|err| err.to_string())?;
        let shared = Arc::new((Mutex::new(CheckpointState::default()), Condvar::new()));
        let state = shared.clone();
        let thread = std::thread::Builder::new()
            .name("dealwatch-checkpoint".into())
            .spawn(move || Checkpointer::run(&conn, &state))
            .map_err(|err| err.to_string())?;
        Ok(Checkpointer {
            shared,
            thread: Some(thread),
        })
    }

    fn run(conn: &Connection, shared: &(Mutex<CheckpointState>, Condvar)) {
        let (lock, wake) = shared;
        let mut state = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            if state.commits == 0 && !state.stop {
                state = wake
                    .wait_while(state, |state| state.commits == 0 && !state.stop)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if state.commits < COMMITS_PER_CHECKPOINT && !state.stop {
                let (next, _) = wake
                    .wait_timeout_while(state, CHECKPOINT_DELAY, |state| {
                        state.commits < COMMITS_PER_CHECKPOINT && !state.stop
                    })
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                state = next;
            }
            let stop = state.stop;
            state.commits = 0;
            drop(state);
            // PASSIVE copies what it can without waiting for the writer or
            // readers, and what it leaves is copied next time.
            match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                row.get::<_, i64>(1)
            }) {
                Ok(log) if log >= RESTART_PAGES => {
                    lock.lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .restart_due = true;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::debug!(%error, "checkpoint failed; retrying after the next commits")
                }
            }
            if stop {
                return;
            }
            state = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Returns true, once, when the log has grown past [`RESTART_PAGES`].
    /// The writer then copies the rest of the log itself right after its
    /// commit: with no commit in between, the copy reaches the end of the
    /// log, and the next commit starts it over. The checkpointer cannot
    /// do that while commits follow each other closely, because each one
    /// appends to the log while it copies.
    fn take_restart(&self) -> bool {
        let (lock, _) = &*self.shared;
        std::mem::take(
            &mut lock
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .restart_due,
        )
    }

    fn note_commit(&self) {
        let (lock, wake) = &*self.shared;
        let mut state = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.commits += 1;
        if state.commits >= COMMITS_PER_CHECKPOINT || state.commits == 1 {
            wake.notify_one();
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (lock, wake) = &*self.shared;
        lock.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .stop = true;
        wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Store {
    /// Opens or creates the database at `path`. A file that SQLite cannot
    /// read is renamed with a `.corrupt-<time>` suffix and a new one is made,
    /// so stored history is kept for inspection rather than deleted.
    pub fn open(path: &Path, cap: usize) -> Result<(Store, OpenReport), StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|err| StoreError::Open {
                path: path.to_owned(),
                reason: format!("could not create the folder {}: {err}", dir.display()),
            })?;
        }

        let mut report = OpenReport::default();
        let conn = match Self::open_checked(path) {
            Ok(conn) => conn,
            Err(OpenFailure::Corrupt(reason)) => {
                let aside = move_aside(path)?;
                tracing::warn!(path = %path.display(), moved_to = %aside.display(), %reason, "database unreadable; moved aside");
                report.moved_aside = Some(aside);
                Self::open_checked(path).map_err(|failure| failure.into_error(path))?
            }
            Err(failure) => return Err(failure.into_error(path)),
        };
        let mut store = Store::from_connection(conn, cap)?;
        match Checkpointer::start(path) {
            Ok(checkpointer) => {
                store
                    .conn()
                    .execute_batch("PRAGMA wal_autocheckpoint = 0;")?;
                store.checkpointer = Some(checkpointer);
            }
            Err(error) => {
                tracing::warn!(%error, "no checkpoint thread; commits copy the log themselves")
            }
        }
        Ok((store, report))
    }

    /// Opens a store that lives only as long as the process.
    pub fn open_in_memory(cap: usize) -> Result<Store, StoreError> {
        Store::from_connection(Connection::open_in_memory()?, cap)
    }

    fn open_checked(path: &Path) -> Result<Connection, OpenFailure> {
        let conn = Connection::open(path).map_err(OpenFailure::from_sqlite)?;
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |row| row.get(0))
            .map_err(OpenFailure::from_sqlite)?;
        if check != "ok" {
            return Err(OpenFailure::Corrupt(check));
        }
        // 8 KB pages (SQLite's default is 4 KB) halve the number of log
        // frames a commit writes. Committing the 90,000-event catch-up
        // backlog went from about 46,000 to 62,000 events/s with them. The
        // size applies only to a new file.
        conn.execute_batch(&format!(
            "PRAGMA page_size = 8192; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
             PRAGMA journal_size_limit = {WAL_SIZE_LIMIT};"
        ))
        .map_err(OpenFailure::from_sqlite)?;
        conn.execute_batch(SCHEMA)
            .map_err(OpenFailure::from_sqlite)?;
        Ok(conn)
    }

    fn from_connection(mut conn: Connection, cap: usize) -> Result<Store, StoreError> {
        conn.execute_batch(SCHEMA)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
            cap: cap.max(1),
            checkpointer: None,
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Returns the saved position of a stream.
    pub fn position(&self, resource: &str) -> Result<Option<String>, StoreError> {
        let conn = self.conn();
        let position = conn
            .query_row(
                "SELECT position FROM streams WHERE resource = ?1",
                [resource],
                |row| row.get(0),
            )
            .optional()?;
        Ok(position)
    }

    /// Returns the time of the stream's last successful poll.
    pub fn last_ok_at(&self, resource: &str) -> Result<Option<String>, StoreError> {
        let conn = self.conn();
        let at = conn
            .query_row(
                "SELECT last_ok_at FROM streams WHERE resource = ?1",
                [resource],
                |row| row.get(0),
            )
            .optional()?;
        Ok(at.flatten())
    }

    /// Records a successful poll that fetched nothing new and moved nowhere.
    pub fn touch(&self, resource: &str) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute(
            "UPDATE streams SET last_ok_at = ?2 WHERE resource = ?1",
            params![resource, now_text()],
        )?;
        Ok(())
    }

    /// Stores a page's events and the stream's new position in one
    /// transaction. Returns the events that were new; those already stored
    /// (redelivered) are skipped. The page is consumed so that each new
    /// event takes over its item's parsed snapshot instead of copying it.
    pub fn commit_page(&self, resource: &str, page: Page) -> Result<Vec<StoredEvent>, StoreError> {
        let received_at = now_text();
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut inserted = Vec::new();
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO events
                 (event_id, resource, record_type, record_id, event_type, event_time,
                  received_at, name, owner_id, stage_id, raw)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            let mut unannounced = tx.prepare_cached("INSERT INTO unannounced (id) VALUES (?1)")?;
            let mut earlier_name = tx.prepare_cached(
                "SELECT name FROM events WHERE record_type = ?1 AND record_id = ?2
                 AND name IS NOT NULL ORDER BY id DESC LIMIT 1",
            )?;

            for item in page.items {
                let record_type = record_type_of(&item, resource);
                let record_id = item.record_id();
                let name = match item.record_name() {
                    Some(name) => Some(name),
                    None => match record_id {
                        Some(id) => earlier_name
                            .query_row(params![record_type, id], |row| row.get(0))
                            .optional()?,
                        None => None,
                    },
                };
                let owner_id = item.fields.owner_id;
                let stage_id = item.fields.stage_id;
                let changed = insert.execute(params![
                    item.meta.event_id,
                    resource,
                    record_type,
                    record_id,
                    item.meta.event_type.as_str(),
                    item.meta.event_time,
                    received_at,
                    name,
                    owner_id,
                    stage_id,
                    item.raw,
                ])?;
                if changed == 1 {
                    let id = tx.last_insert_rowid();
                    unannounced.execute([id])?;
                    inserted.push(StoredEvent {
                        id,
                        event_id: item.meta.event_id,
                        resource: resource.to_owned(),
                        record_type,
                        record_id,
                        event_type: item.meta.event_type,
                        event_time: item.meta.event_time,
                        received_at: received_at.clone(),
                        name,
                        owner_id,
                        stage_id,
                        data: item.data,
                        previous: item.meta.previous,
                        raw: item.raw,
                        read: false,
                    });
                }
            }
        }

        tx.execute(
            "INSERT INTO streams (resource, position, last_ok_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (resource) DO UPDATE SET position = ?2, last_ok_at = ?3",
            params![resource, page.position, received_at],
        )?;
        if !inserted.is_empty() {
            // NOTE: an event dropped by the cap is forgotten, so a redelivery
            // of it would be stored again. Redeliveries replay the last page,
            // which is always far inside the cap.
            //
            // SQLite computes count(*) from the cell counts of the b-tree
            // pages, while `ORDER BY id DESC LIMIT 1 OFFSET cap` steps
            // through `cap` rows on every committed page.
            let count: i64 = tx.query_row("SELECT count(*) FROM events", [], |row| row.get(0))?;
            let excess = count - self.cap as i64;
            if excess > 0 {
                tx.execute(
                    "DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?1)",
                    [excess],
                )?;
                tx.execute(
                    "DELETE FROM unannounced WHERE id < (SELECT min(id) FROM events)",
                    [],
                )?;
            }
        }
        tx.commit()?;
        if let Some(checkpointer) = &self.checkpointer {
            if checkpointer.take_restart() {
                if let Err(error) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                {
                    tracing::debug!(%error, "checkpoint after a commit failed");
                }
            }
            drop(conn);
            checkpointer.note_commit();
        }
        Ok(inserted)
    }

    /// Moves a stream to a new position without events, after its old one expired.
    pub fn set_position(&self, resource: &str, position: &str) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO streams (resource, position, last_ok_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (resource) DO UPDATE SET position = ?2, last_ok_at = ?3",
            params![resource, position, now_text()],
        )?;
        Ok(())
    }

    /// Records a gap in a stream's history.
    pub fn record_gap(&self, resource: &str, since: Option<&str>) -> Result<Gap, StoreError> {
        let detected_at = now_text();
        let conn = self.conn();
        conn.execute(
            "INSERT INTO gaps (resource, since, detected_at) VALUES (?1, ?2, ?3)",
            params![resource, since, detected_at],
        )?;
        Ok(Gap {
            id: conn.last_insert_rowid(),
            resource: resource.to_owned(),
            since: since.map(str::to_owned),
            detected_at,
        })
    }

    /// Gaps not yet dismissed, newest first.
    pub fn open_gaps(&self) -> Result<Vec<Gap>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT id, resource, since, detected_at FROM gaps WHERE dismissed = 0 ORDER BY id DESC",
        )?;
        let gaps = statement
            .query_map([], |row| {
                Ok(Gap {
                    id: row.get(0)?,
                    resource: row.get(1)?,
                    since: row.get(2)?,
                    detected_at: row.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(gaps)
    }

    pub fn dismiss_gaps(&self) -> Result<(), StoreError> {
        self.conn()
            .execute("UPDATE gaps SET dismissed = 1 WHERE dismissed = 0", [])?;
        Ok(())
    }

    /// Events matching `query`, newest first, and the number of matching events.
    pub fn history(&self, query: &HistoryQuery) -> Result<(Vec<StoredEvent>, usize), StoreError> {
        let mut clauses = Vec::new();
        let mut values: Vec<rusqlite::types::Value> = Vec::new();

        if let Some(search) = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let pattern = format!("%{}%", escape_like(search));
            // Owners and stages are stored as ids, so their cached names are
            // searched too: "Dana" finds Dana's deals, "Won" the won ones.
            clauses.push(
                "(name LIKE ?1x ESCAPE '\\' OR raw LIKE ?1x ESCAPE '\\' \
                 OR owner_id IN (SELECT id FROM names WHERE kind = 'user' AND name LIKE ?1x ESCAPE '\\') \
                 OR stage_id IN (SELECT id FROM names WHERE kind = 'stage' AND name LIKE ?1x ESCAPE '\\'))"
                    .replace("?1x", "?")
                    .to_owned(),
            );
            for _ in 0..4 {
                values.push(pattern.clone().into());
            }
        }
        push_in(&mut clauses, &mut values, "event_type", &query.event_types);
        push_in(&mut clauses, &mut values, "resource", &query.resources);
        if let Some(owner) = query.owner_id {
            clauses.push("owner_id = ?".to_owned());
            values.push(owner.into());
        }
        if !query.stage_ids.is_empty() {
            let marks = vec!["?"; query.stage_ids.len()].join(", ");
            clauses.push(format!("stage_id IN ({marks})"));
            values.extend(
                query
                    .stage_ids
                    .iter()
                    .map(|id| rusqlite::types::Value::from(*id)),
            );
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };

        let conn = self.conn();
        let total: i64 = conn.query_row(
            &format!("SELECT count(*) FROM events {filter}"),
            params_from_iter(values.iter()),
            |row| row.get(0),
        )?;

        let limit = query.limit.clamp(1, 500) as i64;
        values.push(limit.into());
        values.push((query.offset as i64).into());
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events {filter} ORDER BY id DESC LIMIT ? OFFSET ?"
        );
        let mut statement = conn.prepare(&sql)?;
        let rows = statement
            .query_map(params_from_iter(values.iter()), event_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((rows, total as usize))
    }

    /// Returns one event by its store id.
    pub fn event(&self, id: i64) -> Result<Option<StoredEvent>, StoreError> {
        let conn = self.conn();
        let event = conn
            .query_row(
                &format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1"),
                [id],
                event_from_row,
            )
            .optional()?;
        Ok(event)
    }

    pub fn event_count(&self) -> Result<usize, StoreError> {
        let count: i64 = self
            .conn()
            .query_row("SELECT count(*) FROM events", [], |row| row.get(0))?;
        Ok(count as usize)
    }

    pub fn unread_count(&self) -> Result<usize, StoreError> {
        let count: i64 =
            self.conn()
                .query_row("SELECT count(*) FROM events WHERE read = 0", [], |row| {
                    row.get(0)
                })?;
        Ok(count as usize)
    }

    /// Marks the given events read and returns the unread count.
    pub fn mark_read(&self, ids: &[i64]) -> Result<usize, StoreError> {
        {
            let mut conn = self.conn();
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut update = tx.prepare_cached("UPDATE events SET read = 1 WHERE id = ?1")?;
                for id in ids {
                    update.execute([id])?;
                }
            }
            tx.commit()?;
        }
        self.unread_count()
    }

    /// Marks every event read.
    pub fn mark_all_read(&self) -> Result<(), StoreError> {
        self.conn()
            .execute("UPDATE events SET read = 1 WHERE read = 0", [])?;
        Ok(())
    }

    /// Events stored but not yet announced, oldest first: what a crash or a
    /// stop interrupted before its pop-up went out.
    pub fn unnotified(&self) -> Result<Vec<StoredEvent>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE id IN (SELECT id FROM unannounced) ORDER BY id"
        ))?;
        let rows = statement
            .query_map([], event_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Marks events as announced (or deliberately not announced).
    pub fn mark_notified(&self, ids: &[i64]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut update = tx.prepare_cached("DELETE FROM unannounced WHERE id = ?1")?;
            for id in ids {
                update.execute([id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Returns a cached name, such as a stage's or a user's.
    pub fn cached_name(
        &self,
        kind: &str,
        id: i64,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        let conn = self.conn();
        let name = conn
            .query_row(
                "SELECT name, extra FROM names WHERE kind = ?1 AND id = ?2",
                params![kind, id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        Ok(name)
    }

    /// Returns every cached name of one kind.
    pub fn cached_names(
        &self,
        kind: &str,
    ) -> Result<Vec<(i64, String, Option<String>)>, StoreError> {
        let conn = self.conn();
        let mut statement =
            conn.prepare("SELECT id, name, extra FROM names WHERE kind = ?1 ORDER BY name")?;
        let rows = statement
            .query_map([kind], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn put_name(
        &self,
        kind: &str,
        id: i64,
        name: &str,
        extra: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO names (kind, id, name, extra, fetched_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (kind, id) DO UPDATE SET name = ?3, extra = ?4, fetched_at = ?5",
            params![kind, id, name, extra, now_text()],
        )?;
        Ok(())
    }
}

/// The schema's version, in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

/// Brings a file made by an earlier version up to [`SCHEMA_VERSION`]. Two
/// processes opening one file at once migrate it once: the version is read
/// and written inside one write transaction.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version < 1 {
        // Version 1 keeps the events not yet announced in their own table.
        tx.execute_batch(
            "INSERT OR IGNORE INTO unannounced (id) SELECT id FROM events WHERE notified = 0;
             DROP INDEX IF EXISTS events_unnotified;",
        )?;
    }
    if version < SCHEMA_VERSION {
        tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION};"))?;
    }
    tx.commit()?;
    Ok(())
}

const EVENT_COLUMNS: &str =
    "id, event_id, resource, record_type, record_id, event_type, event_time, \
                             received_at, name, owner_id, stage_id, raw, read";

fn event_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    let text: String = row.get(11)?;
    let (data, previous, raw) = match Item::parse(&text) {
        Ok(item) => (item.data, item.meta.previous, item.raw),
        Err(_) => (Snapshot::default(), Map::new(), Arc::from(text)),
    };
    let event_type: String = row.get(5)?;
    Ok(StoredEvent {
        id: row.get(0)?,
        event_id: row.get(1)?,
        resource: row.get(2)?,
        record_type: row.get(3)?,
        record_id: row.get(4)?,
        event_type: EventType::parse(&event_type),
        event_time: row.get(6)?,
        received_at: row.get(7)?,
        name: row.get(8)?,
        owner_id: row.get(9)?,
        stage_id: row.get(10)?,
        data,
        previous,
        raw,
        read: row.get::<_, i64>(12)? != 0,
    })
}

fn push_in(
    clauses: &mut Vec<String>,
    values: &mut Vec<rusqlite::types::Value>,
    column: &str,
    items: &[String],
) {
    if items.is_empty() {
        return;
    }
    let marks = vec!["?"; items.len()].join(", ");
    clauses.push(format!("{column} IN ({marks})"));
    values.extend(
        items
            .iter()
            .map(|item| rusqlite::types::Value::from(item.clone())),
    );
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Returns the record type from the item, or one derived from the stream name.
fn record_type_of(item: &Item, resource: &str) -> String {
    if !item.meta.record_type.is_empty() {
        return item.meta.record_type.clone();
    }
    resource.strip_suffix('s').unwrap_or(resource).to_owned()
}

/// Returns the current time as RFC 3339 UTC text, to the second.
pub fn now_text() -> String {
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    now.format(&Rfc3339).unwrap_or_default()
}

enum OpenFailure {
    Corrupt(String),
    Other(String),
}

impl OpenFailure {
    fn from_sqlite(err: rusqlite::Error) -> OpenFailure {
        use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
        match err.sqlite_error_code() {
            Some(NotADatabase | DatabaseCorrupt) => OpenFailure::Corrupt(err.to_string()),
            _ => OpenFailure::Other(err.to_string()),
        }
    }

    fn into_error(self, path: &Path) -> StoreError {
        let reason = match self {
            OpenFailure::Corrupt(reason) | OpenFailure::Other(reason) => reason,
        };
        StoreError::Open {
            path: path.to_owned(),
            reason,
        }
    }
}

/// Renames an unreadable database and its WAL files out of the way.
fn move_aside(path: &Path) -> Result<PathBuf, StoreError> {
    let stamp = OffsetDateTime::now_utc().unix_timestamp();
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("dealwatch.db");
    // A second corrupt file within the same second must not replace the first.
    let mut aside = path.with_file_name(format!("{name}.corrupt-{stamp}"));
    let mut copy = 1;
    while aside.exists() {
        copy += 1;
        aside = path.with_file_name(format!("{name}.corrupt-{stamp}-{copy}"));
    }
    std::fs::rename(path, &aside).map_err(|err| StoreError::Open {
        path: path.to_owned(),
        reason: format!("the file is unreadable and could not be moved aside: {err}"),
    })?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        if side.exists() {
            let _ = std::fs::rename(&side, format!("{}{suffix}", aside.display()));
        }
    }
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(items: &[(&str, &str, i64)], position: &str) -> Page {
        let items = items
            .iter()
            .map(|(event_id, name, id)| {
                let raw = serde_json::json!({
                    "data": {"id": id, "name": name, "owner_id": 5},
                    "meta": {"type": "deal", "event_type": "updated", "event_id": event_id,
                             "event_time": "2024-01-01T00:00:00Z", "previous": {"name": "old"}}
                })
                .to_string();
                Item::parse(&raw).unwrap()
            })
            .collect();
        Page {
            items,
            position: position.into(),
            top: true,
        }
    }

    #[test]
    fn commit_is_idempotent_per_event_id() {
        let store = Store::open_in_memory(100).unwrap();
        let first = store
            .commit_page("deals", page(&[("a", "A", 1), ("b", "B", 2)], "p1"))
            .unwrap();
        assert_eq!(first.len(), 2);
        let again = store
            .commit_page("deals", page(&[("b", "B", 2), ("c", "C", 3)], "p2"))
            .unwrap();
        assert_eq!(
            again
                .iter()
                .map(|e| e.event_id.as_str())
                .collect::<Vec<_>>(),
            ["c"]
        );
        assert_eq!(store.event_count().unwrap(), 3);
        assert_eq!(store.position("deals").unwrap().as_deref(), Some("p2"));
    }

    #[test]
    fn cap_drops_oldest() {
        let store = Store::open_in_memory(3).unwrap();
        for n in 0..5 {
            let id = format!("e{n}");
            store
                .commit_page("deals", page(&[(id.as_str(), "X", n)], "p"))
                .unwrap();
        }
        let (rows, total) = store
            .history(&HistoryQuery {
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(total, 3);
        assert_eq!(
            rows.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(),
            ["e4", "e3", "e2"]
        );
        let unannounced: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM unannounced", [], |row| row.get(0))
            .unwrap();
        assert_eq!(
            unannounced, 3,
            "dropped events leave no unannounced id behind"
        );
    }

    #[test]
    fn cap_drops_several_oldest_in_one_page() {
        let store = Store::open_in_memory(3).unwrap();
        let events = [
            ("a", "A", 1),
            ("b", "B", 2),
            ("c", "C", 3),
            ("d", "D", 4),
            ("e", "E", 5),
        ];
        let inserted = store.commit_page("deals", page(&events, "p")).unwrap();
        assert_eq!(inserted.len(), 5, "every event of the page is new");
        let (rows, total) = store
            .history(&HistoryQuery {
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(total, 3);
        assert_eq!(
            rows.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(),
            ["e", "d", "c"]
        );
    }

    #[test]
    fn deleted_event_takes_name_from_history() {
        let store = Store::open_in_memory(100).unwrap();
        store
            .commit_page("deals", page(&[("a", "Acme renewal", 9)], "p1"))
            .unwrap();
        let raw = r#"{"data":{"id":9},"meta":{"type":"deal","event_type":"deleted","event_id":"d","event_time":"2024-01-02T00:00:00Z"}}"#;
        let deleted = Page {
            items: vec![Item::parse(raw).unwrap()],
            position: "p2".into(),
            top: true,
        };
        let inserted = store.commit_page("deals", deleted).unwrap();
        assert_eq!(inserted[0].name.as_deref(), Some("Acme renewal"));
    }

    #[test]
    fn search_escapes_wildcards() {
        let store = Store::open_in_memory(100).unwrap();
        store
            .commit_page(
                "deals",
                page(&[("a", "100% growth", 1), ("b", "Other", 2)], "p"),
            )
            .unwrap();
        let query = |text: &str| HistoryQuery {
            limit: 10,
            search: Some(text.into()),
            ..Default::default()
        };
        assert_eq!(store.history(&query("100%")).unwrap().1, 1);
        assert_eq!(store.history(&query("%")).unwrap().1, 1);
        assert_eq!(store.history(&query("other")).unwrap().1, 1);
    }

    #[test]
    fn search_finds_owner_and_stage_names() {
        let store = Store::open_in_memory(100).unwrap();
        store
            .commit_page("deals", page(&[("a", "Alpha", 1), ("b", "Beta", 2)], "p"))
            .unwrap();
        store.put_name("user", 5, "Dana Reyes", None).unwrap();
        store.put_name("stage", 77, "Qualified", None).unwrap();
        let query = |text: &str| HistoryQuery {
            limit: 10,
            search: Some(text.into()),
            ..Default::default()
        };
        assert_eq!(
            store.history(&query("dana")).unwrap().1,
            2,
            "both deals are owned by user 5"
        );
        assert_eq!(
            store.history(&query("Qualified")).unwrap().1,
            0,
            "no deal is in stage 77"
        );
    }

    #[test]
    fn corrupt_file_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dealwatch.db");
        std::fs::write(
            &path,
            b"this is not a database, just some text that is long enough",
        )
        .unwrap();
        let (store, report) = Store::open(&path, 10).unwrap();
        let aside = report.moved_aside.expect("file moved aside");
        assert!(aside.exists());
        assert_eq!(std::fs::read(&aside).unwrap()[..8], *b"this is ");
        assert_eq!(store.event_count().unwrap(), 0);
        drop(store);

        std::fs::remove_file(&path).unwrap();
        for side in ["dealwatch.db-wal", "dealwatch.db-shm"] {
            let _ = std::fs::remove_file(dir.path().join(side));
        }
        std::fs::write(
            &path,
            b"a second unreadable file, also long enough to be a header",
        )
        .unwrap();
        let (_, report) = Store::open(&path, 10).unwrap();
        let second = report.moved_aside.expect("second file moved aside");
        assert_ne!(second, aside, "the first copy is kept");
        assert!(aside.exists() && second.exists());
    }

    #[test]
    fn unnotified_until_marked() {
        let store = Store::open_in_memory(100).unwrap();
        let inserted = store
            .commit_page("deals", page(&[("a", "A", 1), ("b", "B", 2)], "p"))
            .unwrap();
        assert_eq!(store.unnotified().unwrap().len(), 2);
        store.mark_notified(&[inserted[0].id]).unwrap();
        let left = store.unnotified().unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].event_id, "b");
    }

    /// Builds a page of `count` events of about 1 KB each, numbered from
    /// `first`. The first has no name, so that its commit reads before it writes.
    fn bulky_page(first: usize, count: usize, position: &str) -> Page {
        let filler = "x".repeat(900);
        let items = (first..first + count)
            .map(|n| {
                let name = (n != first).then(|| format!("Deal {n}"));
                let raw = serde_json::json!({
                    "data": {"id": n, "name": name, "notes": filler},
                    "meta": {"type": "deal", "event_type": "created", "event_id": format!("e{n}")}
                })
                .to_string();
                Item::parse(&raw).unwrap()
            })
            .collect();
        Page {
            items,
            position: position.into(),
            top: false,
        }
    }

    fn wal_size(path: &Path) -> u64 {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        std::fs::metadata(wal).map(|meta| meta.len()).unwrap_or(0)
    }

    #[test]
    fn new_database_uses_8_kb_pages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let (store, _) = Store::open(&path, 100).unwrap();
        let size: i64 = store
            .conn()
            .query_row("PRAGMA page_size", [], |row| row.get(0))
            .unwrap();
        assert_eq!(size, 8192);
    }

    /// Commits without a pause leave the checkpointer no moment with the whole
    /// log copied. The log must still start over instead of growing with
    /// every commit.
    #[test]
    fn wal_stays_bounded_under_steady_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let (store, _) = Store::open(&path, 10_000).unwrap();
        let mut largest = 0;
        // 60,000 events of 1 KB: 60 MB through the log. Another thread
        // marks each page announced, as the app and `tail` do, so the
        // connection is never idle.
        std::thread::scope(|scope| {
            let (pages, committed) = std::sync::mpsc::sync_channel::<Vec<i64>>(4);
            let store = &store;
            scope.spawn(move || {
                for ids in committed {
                    store.mark_notified(&ids).unwrap();
                }
            });
            for page in 0..600 {
                let inserted = store
                    .commit_page("deals", bulky_page(page * 100, 100, &format!("p{page}")))
                    .unwrap();
                pages
                    .send(inserted.iter().map(|event| event.id).collect())
                    .unwrap();
                largest = largest.max(wal_size(&path));
            }
        });
        assert!(
            largest < 40 * 1024 * 1024,
            "the log grew to {largest} bytes"
        );
        assert_eq!(store.event_count().unwrap(), 10_000);
        drop(store);

        // Everything committed is in the file once the store is closed.
        let (store, _) = Store::open(&path, 10_000).unwrap();
        assert_eq!(store.event_count().unwrap(), 10_000);
        assert_eq!(store.position("deals").unwrap().as_deref(), Some("p599"));
    }

    /// Two stores on one file, as `dealwatch tail` beside the app, commit at
    /// the same time while their checkpointers copy the log. A commit that
    /// read before taking the write lock cannot wait for it once the other
    /// store has written since that read, and SQLite fails it at once as
    /// "locked". Each commit takes the write lock when it starts instead.
    #[test]
    fn two_stores_commit_to_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        let (first, _) = Store::open(&path, 100_000).unwrap();
        let (second, _) = Store::open(&path, 100_000).unwrap();
        std::thread::scope(|scope| {
            for (offset, store) in [(0, &first), (1_000_000, &second)] {
                scope.spawn(move || {
                    for page in 0..300 {
                        let first_id = offset + page * 50;
                        store
                            .commit_page(&format!("s{offset}"), bulky_page(first_id, 50, "p"))
                            .unwrap_or_else(|err| panic!("commit {page} failed: {err}"));
                    }
                });
            }
        });
        assert_eq!(first.event_count().unwrap(), 30_000);
    }

    /// A file from before the table `unannounced` keeps its unannounced
    /// events: they are still what a restart announces.
    #[test]
    fn older_file_keeps_unannounced_events() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE events (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,
                    resource TEXT NOT NULL, record_type TEXT NOT NULL, record_id INTEGER,
                    event_type TEXT NOT NULL, event_time TEXT NOT NULL, received_at TEXT NOT NULL,
                    name TEXT, owner_id INTEGER, stage_id INTEGER, raw TEXT NOT NULL,
                    read INTEGER NOT NULL DEFAULT 0, notified INTEGER NOT NULL DEFAULT 0);
                 CREATE INDEX events_unnotified ON events (notified) WHERE notified = 0;",
            )
            .unwrap();
            for (n, notified) in [(1, 1), (2, 0), (3, 1), (4, 0)] {
                let raw = format!(r#"{{"data":{{"id":{n}}},"meta":{{"event_id":"e{n}"}}}}"#);
                conn.execute(
                    "INSERT INTO events (event_id, resource, record_type, event_type,
                     event_time, received_at, raw, notified)
                     VALUES (?1, 'deals', 'deal', 'updated', '', '', ?2, ?3)",
                    params![format!("e{n}"), raw, notified],
                )
                .unwrap();
            }
        }

        let (store, _) = Store::open(&path, 100).unwrap();
        let ids = |store: &Store| -> Vec<String> {
            store
                .unnotified()
                .unwrap()
                .into_iter()
                .map(|event| event.event_id)
                .collect()
        };
        assert_eq!(ids(&store), ["e2", "e4"]);
        store.mark_notified(&[2]).unwrap();
        drop(store);

        // Opening it again migrates nothing twice.
        let (store, _) = Store::open(&path, 100).unwrap();
        assert_eq!(ids(&store), ["e4"]);
        let index: Option<String> = store
            .conn()
            .query_row(
                "SELECT name FROM sqlite_master WHERE name = 'events_unnotified'",
                [],
                |row| row.get(0),
            )
            .optional()
            .unwrap();
        assert_eq!(index, None);
    }
}
