//! The HTTP routes: the Firehose stream endpoint, the Core API v2 endpoints and the
//! checks they share.

mod core_api;
mod firehose;

use std::sync::Arc;

use axum::http::{header, HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::api_error::ApiError;
use crate::state::SimState;

pub(crate) fn router(state: Arc<SimState>) -> Router {
    Router::new()
        .route(
            "/v3/{stream}/stream",
            get(firehose::stream_page).fallback(method_not_allowed),
        )
        .route(
            "/v2/{collection}",
            get(core_api::list_records).fallback(method_not_allowed),
        )
        .route(
            "/v2/{collection}/{id}",
            get(core_api::get_record).fallback(method_not_allowed),
        )
        .fallback(unknown_path)
        .with_state(state)
}

/// Checks the headers every endpoint requires, in this order: a non-empty
/// `User-Agent` (400), a bearer token equal to the simulator's token (401), and the
/// scope switch (403).
fn authorize(state: &SimState, headers: &HeaderMap) -> Result<(), ApiError> {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    if user_agent.is_empty() {
        return Err(ApiError::invalid_user_agent());
    }

    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match token {
        Some(token) if !token.is_empty() && state.token_matches(token) => {}
        _ => return Err(ApiError::unauthorized()),
    }

    if state.is_forbidden() {
        return Err(ApiError::insufficient_scope());
    }
    Ok(())
}

async fn unknown_path(uri: Uri) -> Response {
    ApiError::incorrect_path(uri.path()).into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::method_not_allowed().into_response()
}
