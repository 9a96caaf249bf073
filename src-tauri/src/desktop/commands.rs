//! The commands the window calls. None of them returns the token: the
//! window can set, replace and remove it, and ask whether one is set.

use std::sync::Arc;

use dealwatch_core::client::{Client, ClientConfig, FetchError, Position};
use dealwatch_core::format::NameKind;
use dealwatch_core::settings::{self, Settings};
use dealwatch_core::store::HistoryQuery;
use dealwatch_core::token::{self, Token};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};
use tauri_plugin_autostart::ManagerExt;
use tauri_plugin_opener::OpenerExt;

use super::rows::{self, Row, Status};
use super::state::{App, TokenSource};

/// An error as the window shows it: a kind for the code and a sentence for people.
#[derive(Debug, Serialize)]
pub struct CommandError {
    kind: &'static str,
    message: String,
}

impl CommandError {
    fn new(kind: &'static str, message: impl Into<String>) -> CommandError {
        CommandError {
            kind,
            message: message.into(),
        }
    }
}

type Result<T> = std::result::Result<T, CommandError>;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    version: &'static str,
    demo: bool,
}

#[tauri::command]
pub fn app_info(app: State<'_, Arc<App>>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        demo: app.is_demo(),
    }
}

#[derive(Serialize)]
pub struct KeyringStatus {
    usable: bool,
    problem: Option<String>,
}

#[derive(Serialize)]
pub struct TokenStatus {
    set: bool,
    store: Option<TokenSource>,
    keyring: KeyringStatus,
}

#[tauri::command]
pub fn token_status(app: State<'_, Arc<App>>) -> TokenStatus {
    let info = app.token.lock().unwrap_or_else(|p| p.into_inner()).clone();
    TokenStatus {
        set: info.source.is_some(),
        store: info.source,
        keyring: KeyringStatus {
            usable: info.keyring_problem.is_none(),
            problem: info.keyring_problem,
        },
    }
}

/// Checks the token with one stream request, then stores it in the keyring
/// (or, when asked, in memory for this run only) and resumes polling.
#[tauri::command]
pub async fn token_set(app: State<'_, Arc<App>>, token: String, memory_only: bool) -> Result<()> {
    let app = app.inner().clone();
    let token = Token::new(&token).ok_or_else(|| {
        CommandError::new(
            "invalid",
            "That token is empty or has characters a Sell token never has. Paste it again.",
        )
    })?;
    verify_token(&app, &token).await?;

    let source = if memory_only {
        TokenSource::Memory
    } else {
        let stored = token.clone();
        let result = tauri::async_runtime::spawn_blocking(move || token::store(&stored))
            .await
            .map_err(|err| CommandError::new("keyring", err.to_string()))?;
        if let Err(err) = result {
            app.token
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .keyring_problem = Some(err.to_string());
            return Err(CommandError::new(
                "keyring",
                format!("The token works, but it could not be stored: {err}"),
            ));
        }
        TokenSource::Keyring
    };
    {
        let mut info = app.token.lock().unwrap_or_else(|p| p.into_inner());
        info.source = Some(source);
        if source == TokenSource::Keyring {
            info.keyring_problem = None;
        }
    }
    tracing::info!(store = ?source, "token set");

    if app.is_demo() {
        app.start_real(token)
            .await
            .map_err(|err| CommandError::new("unreachable", err))?;
    } else {
        app.session().engine.set_token(Some(token));
    }
    app.publish_status();
    Ok(())
}

async fn verify_token(app: &Arc<App>, token: &Token) -> Result<()> {
    let api_url = if app.is_demo() {
        std::env::var("DEALWATCH_API_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| dealwatch_core::client::DEFAULT_API_URL.to_owned())
    } else {
        app.session().api_url.clone()
    };
    let stream = app
        .settings
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .streams
        .first()
        .cloned()
        .unwrap_or_else(|| "deals".to_owned());
    let client = Client::new(
        &ClientConfig {
            api_url,
            ..ClientConfig::default()
        },
        Some(token.clone()),
    )
    .map_err(|err| CommandError::new("invalid", err))?;

    match client.fetch_page(&stream, &Position::Top, 1).await {
        Ok(_) => Ok(()),
        Err(FetchError::Unauthorized) => Err(CommandError::new(
            "rejected",
            "Sell rejected this token. Check that it was copied whole, or create a new one.",
        )),
        Err(FetchError::Forbidden) => Err(CommandError::new(
            "forbidden",
            "This token lacks access to the Firehose API. It needs the Growth plan or above, and possibly a token of the account's root user.",
        )),
        Err(err @ (FetchError::Connect { .. } | FetchError::Timeout(_))) => Err(CommandError::new(
            "unreachable",
            format!("Sell could not be reached ({err}). Check the network connection and try again."),
        )),
        Err(err) => Err(CommandError::new(
            "unreachable",
            format!("Sell did not accept the check request: {err}. Try again in a moment."),
        )),
    }
}

#[tauri::command]
pub async fn token_clear(app: State<'_, Arc<App>>) -> Result<()> {
    let app = app.inner().clone();
    let source = app.token.lock().unwrap_or_else(|p| p.into_inner()).source;
    if source == Some(TokenSource::Keyring) || source.is_none() {
        let result = tauri::async_runtime::spawn_blocking(token::clear)
            .await
            .map_err(|err| CommandError::new("keyring", err.to_string()))?;
        result.map_err(|err| {
            CommandError::new("keyring", format!("The token could not be removed: {err}"))
        })?;
    }
    app.token.lock().unwrap_or_else(|p| p.into_inner()).source = None;
    if !app.is_demo() {
        app.session().engine.set_token(None);
    }
    tracing::info!("token removed");
    app.publish_status();
    Ok(())
}

#[tauri::command]
pub async fn start_demo(app: State<'_, Arc<App>>) -> Result<()> {
    let app = app.inner().clone();
    app.start_demo()
        .await
        .map_err(|err| CommandError::new("demo", err))?;
    Ok(())
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct HistoryRequest {
    offset: usize,
    limit: usize,
    search: Option<String>,
    event_types: Vec<String>,
    streams: Vec<String>,
    mine: bool,
    pipeline_id: Option<i64>,
    stage_id: Option<i64>,
}

#[derive(Serialize)]
pub struct HistoryPage {
    rows: Vec<Row>,
    total: usize,
    unread: usize,
}

/// One page of history, newest first. Pages are at most 200 rows.
#[tauri::command]
pub async fn history(app: State<'_, Arc<App>>, query: HistoryRequest) -> Result<HistoryPage> {
    let session = app.session();
    let owner_id = if query.mine {
        session.names.self_user_id().await
    } else {
        None
    };
    if query.mine && owner_id.is_none() {
        return Err(CommandError::new("names", "Your own Sell user could not be looked up yet, so \"mine\" cannot filter. Try again when connected."));
    }
    let mut stage_ids: Vec<i64> = query.stage_id.into_iter().collect();
    if let (Some(pipeline), None) = (query.pipeline_id, query.stage_id) {
        use dealwatch_core::format::NameLookup;
        stage_ids = session
            .names
            .all(NameKind::Stage)
            .into_iter()
            .map(|(id, _)| id)
            .filter(|stage| session.names.stage_pipeline(*stage) == Some(pipeline))
            .collect();
        if stage_ids.is_empty() {
            stage_ids.push(i64::MIN);
        }
    }
    let request = HistoryQuery {
        offset: query.offset,
        limit: query.limit.clamp(1, 200),
        search: query.search,
        event_types: query.event_types,
        resources: query.streams,
        owner_id,
        stage_ids,
    };
    let store = session.store.clone();
    let (events, total) = store.history(&request).map_err(store_error)?;
    session.names.resolve(&events).await;
    let rows = events
        .iter()
        .map(|event| rows::row(event, session.names.as_ref()))
        .collect();
    Ok(HistoryPage {
        rows,
        total,
        unread: store.unread_count().map_err(store_error)?,
    })
}

fn store_error(err: dealwatch_core::store::StoreError) -> CommandError {
    CommandError::new("store", format!("The history could not be read: {err}"))
}

#[tauri::command]
pub fn mark_read(app: State<'_, Arc<App>>, ids: Vec<i64>) -> Result<usize> {
    let unread = app.session().store.mark_read(&ids).map_err(store_error)?;
    app.publish_unread();
    Ok(unread)
}

#[tauri::command]
pub fn mark_all_read(app: State<'_, Arc<App>>) -> Result<usize> {
    app.session().store.mark_all_read().map_err(store_error)?;
    app.publish_unread();
    Ok(0)
}

#[tauri::command]
pub fn status(app: State<'_, Arc<App>>) -> Status {
    app.status()
}

#[tauri::command]
pub fn settings_get(app: State<'_, Arc<App>>) -> Settings {
    app.settings
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

/// Validates, saves and applies settings at once: streams, poll interval,
/// rules, start at login.
#[tauri::command]
pub fn settings_set(
    app: AppHandle,
    state: State<'_, Arc<App>>,
    settings: Settings,
) -> Result<Settings> {
    settings
        .validate()
        .map_err(|err| CommandError::new("invalid", err))?;
    settings::save(&settings::settings_path(), &settings)
        .map_err(|err| CommandError::new("io", err))?;

    let previous = {
        let mut current = state.settings.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::replace(&mut *current, settings.clone())
    };
    if !state.is_demo() {
        let engine = state.session().engine.clone();
        if previous.streams != settings.streams {
            engine.set_resources(&settings.streams);
        }
        if previous.poll_interval_secs != settings.poll_interval_secs {
            engine.set_interval(std::time::Duration::from_secs(settings.poll_interval_secs));
        }
    }
    if previous.start_at_login != settings.start_at_login {
        apply_autostart(&app, settings.start_at_login);
    }
    tracing::info!("settings saved and applied");
    state.publish_status();
    Ok(settings)
}

/// Turns start at login on or off (an XDG autostart entry on Linux that
/// starts the app hidden in the tray).
pub fn apply_autostart(app: &AppHandle, enable: bool) {
    let autolaunch = app.autolaunch();
    let result = if enable {
        autolaunch.enable()
    } else {
        autolaunch.disable()
    };
    match result {
        Ok(()) => tracing::info!(enable, "start at login changed"),
        Err(err) => tracing::warn!(%err, enable, "could not change start at login"),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Owner {
    id: i64,
    name: String,
    is_self: bool,
}

#[derive(Serialize)]
pub struct StageOption {
    id: i64,
    name: String,
    category: Option<String>,
}

#[derive(Serialize)]
pub struct PipelineOption {
    id: i64,
    name: String,
    stages: Vec<StageOption>,
}

#[derive(Serialize)]
pub struct FilterOptions {
    owners: Vec<Owner>,
    pipelines: Vec<PipelineOption>,
    streams: Vec<String>,
}

#[tauri::command]
pub async fn filter_options(app: State<'_, Arc<App>>) -> Result<FilterOptions> {
    use dealwatch_core::format::NameLookup;
    let session = app.session();
    let me = session.names.self_user_id().await;
    let owners = session
        .names
        .all(NameKind::User)
        .into_iter()
        .map(|(id, name)| Owner {
            id,
            name,
            is_self: Some(id) == me,
        })
        .collect();
    let mut pipelines: Vec<PipelineOption> = session
        .names
        .all(NameKind::Pipeline)
        .into_iter()
        .map(|(id, name)| PipelineOption {
            id,
            name,
            stages: Vec::new(),
        })
        .collect();
    for (id, name) in session.names.all(NameKind::Stage) {
        let stage = StageOption {
            id,
            name,
            category: session.names.stage_category(id),
        };
        match session
            .names
            .stage_pipeline(id)
            .and_then(|p| pipelines.iter_mut().find(|x| x.id == p))
        {
            Some(pipeline) => pipeline.stages.push(stage),
            None => {
                if let Some(other) = pipelines.iter_mut().find(|p| p.id == 0) {
                    other.stages.push(stage);
                } else {
                    pipelines.push(PipelineOption {
                        id: 0,
                        name: "Other stages".into(),
                        stages: vec![stage],
                    });
                }
            }
        }
    }
    Ok(FilterOptions {
        owners,
        pipelines,
        streams: vec![
            "deals".into(),
            "leads".into(),
            "contacts".into(),
            "tasks".into(),
        ],
    })
}

#[tauri::command]
pub async fn check_now(app: State<'_, Arc<App>>) -> Result<()> {
    let session = app.session();
    session.engine.check_now().await;
    Ok(())
}

#[tauri::command]
pub fn set_paused(app: State<'_, Arc<App>>, paused: bool) {
    app.set_paused(paused);
}

#[tauri::command]
pub fn dismiss_gap(app: State<'_, Arc<App>>) -> Result<()> {
    app.session().store.dismiss_gaps().map_err(store_error)?;
    app.publish_status();
    Ok(())
}

/// Opens a history row's record in the Sell web app, in the default browser.
#[tauri::command]
pub fn open_record(app: AppHandle, state: State<'_, Arc<App>>, id: i64) -> Result<()> {
    let event = state
        .session()
        .store
        .event(id)
        .map_err(store_error)?
        .ok_or_else(|| {
            CommandError::new("not_found", "That change is no longer in the history.")
        })?;
    let web_url = state
        .settings
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .web_url
        .clone();
    let url = dealwatch_core::rules::record_url(&web_url, &event).ok_or_else(|| {
        CommandError::new("not_found", "Sell has no page for this kind of record.")
    })?;
    app.opener()
        .open_url(url, None::<&str>)
        .map_err(|err| CommandError::new("open", format!("The browser could not be opened: {err}")))
}
