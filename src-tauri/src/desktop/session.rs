//! A session: one API address with its store, engine and name cache. Demo
//! mode runs a session of its own, on the in-process simulator and an
//! in-memory store, so demo events never mix with real history.

use std::sync::Arc;
use std::time::Duration;

use dealwatch_core::client::{Client, ClientConfig, DEFAULT_TIMEOUT};
use dealwatch_core::engine::{Engine, EngineConfig, EngineEvent, StartFrom};
use dealwatch_core::names::Names;
use dealwatch_core::settings::Settings;
use dealwatch_core::store::Store;
use dealwatch_core::token::Token;
use dealwatch_sim::Simulator;
use tokio::sync::mpsc::UnboundedReceiver;

pub struct Session {
    pub store: Arc<Store>,
    pub engine: Arc<Engine>,
    pub names: Arc<Names>,
    pub api_url: String,
    /// The simulator, in demo mode.
    pub demo: Option<Simulator>,
}

impl Session {
    /// Starts polling. Must run inside the async runtime.
    pub fn start(
        api_url: &str,
        token: Option<Token>,
        store: Arc<Store>,
        settings: &Settings,
        demo: Option<Simulator>,
    ) -> Result<(Session, UnboundedReceiver<EngineEvent>), String> {
        let client = Client::new(
            &ClientConfig {
                api_url: api_url.to_owned(),
                timeout: DEFAULT_TIMEOUT,
            },
            token,
        )?;
        let config = EngineConfig {
            resources: settings.streams.clone(),
            interval: Duration::from_secs(settings.poll_interval_secs),
            start: StartFrom::Top,
            ..EngineConfig::default()
        };
        let names = Arc::new(Names::new(client.clone(), store.clone()));
        let (engine, events) = Engine::start(client, store.clone(), config);
        engine.spawn_wake_detector();
        Ok((
            Session {
                store,
                engine,
                names,
                api_url: api_url.to_owned(),
                demo,
            },
            events,
        ))
    }

    pub async fn stop(&self) {
        self.engine.shutdown().await;
        if let Some(simulator) = &self.demo {
            simulator.shutdown();
        }
    }
}
