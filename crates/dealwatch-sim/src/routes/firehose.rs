//! `GET /v3/{stream}/stream`: one page of a stream's events.

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use super::authorize;
use crate::api_error::ApiError;
use crate::event_log::{Page, PageError, StartAt, Stream};
use crate::fault::{self, Fault};
use crate::position::{self, PositionError};
use crate::state::SimState;

/// Page size when the request has no `limit`.
const DEFAULT_LIMIT: usize = 25;
const MAX_LIMIT: usize = 100;

/// Maximum length of a stream name, which keeps arbitrary paths from creating
/// large registry entries.
const MAX_STREAM_NAME_LEN: usize = 64;

#[derive(Debug, Deserialize)]
pub(super) struct StreamParams {
    position: Option<String>,
    limit: Option<String>,
}

/// A validated page request.
struct PageRequest {
    start: StartAt,
    limit: usize,
    /// When the position sent was issued (Unix seconds), for `At` positions.
    issued_at: Option<i64>,
}

pub(super) async fn stream_page(
    State(state): State<Arc<SimState>>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<StreamParams>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let Ok(Path(stream_name)) = path else {
        return ApiError::incorrect_path("/v3/?/stream").into_response();
    };
    if !is_valid_stream_name(&stream_name) {
        return ApiError::incorrect_path(&format!("/v3/{stream_name}/stream")).into_response();
    }

    let stream = state.streams.get_or_create(&stream_name);
    let _in_flight = stream.stats.enter();
    if let Err(error) = authorize(&state, &headers) {
        tracing::debug!(stream = %stream_name, code = error.code, "stream request rejected");
        return error.into_response();
    }

    let fault = stream.log().take_fault();
    if let Some(fault) = &fault {
        tracing::debug!(stream = %stream_name, ?fault, "serving an injected fault");
    }
    match fault {
        Some(Fault::RateLimited { retry_after }) => {
            return fault::rate_limited_response(retry_after)
        }
        Some(Fault::ServerError { status, html }) => {
            return fault::server_error_response(status, html)
        }
        Some(Fault::HtmlBody) => return fault::html_body_response(),
        Some(Fault::Unauthorized) => return ApiError::unauthorized().into_response(),
        // The request stays pending until the connection or the listener closes.
        Some(Fault::Hang(None)) => return std::future::pending().await,
        Some(Fault::Hang(Some(delay))) => tokio::time::sleep(delay).await,
        Some(Fault::TruncatedJson) | None => {}
    }

    let topic = stream.log().topic().to_owned();
    let request = match parse_request(query, &topic) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };

    let spoil = fault == Some(Fault::TruncatedJson);
    let page = match read_page(&state, &stream, &request, !spoil) {
        Ok(page) => page,
        Err(error) => return error.into_response(),
    };
    let now = state.clock.now_unix();
    let body = render_page(
        &state.base_url,
        &stream_name,
        &topic,
        request.limit,
        now,
        &page,
    );
    if spoil {
        return fault::truncated_json_response(body);
    }
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Accepts lowercase ASCII letters, digits and underscores, as in `deals` and
/// `associated_contacts`.
fn is_valid_stream_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_STREAM_NAME_LEN
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
}

fn parse_request(
    query: Result<Query<StreamParams>, QueryRejection>,
    topic: &str,
) -> Result<PageRequest, ApiError> {
    let Query(params) = query.map_err(|rejection| {
        ApiError::invalid_param(format!("The query string is invalid: {rejection}."))
    })?;

    let limit = match params.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|limit| (1..=MAX_LIMIT).contains(limit))
            .ok_or_else(|| {
                ApiError::invalid_param(format!(
                    "limit must be an integer from 1 to {MAX_LIMIT}, but it is {text:?}."
                ))
            })?,
    };

    let mut issued_at = None;
    let start = match params.position.as_deref() {
        None | Some("") => {
            return Err(ApiError::invalid_param(
                "position is missing. Send `top`, `tail` or the `meta.position` of the \
                 previous page."
                    .to_owned(),
            ));
        }
        Some("top") => StartAt::Top,
        Some("tail") => StartAt::Tail,
        Some(text) => match position::decode(text, topic) {
            Ok(decoded) => {
                issued_at = Some(decoded.issued_at);
                StartAt::Offset(decoded.offset)
            }
            Err(PositionError::Malformed) => {
                return Err(ApiError::invalid_param(format!(
                    "position {text:?} is not a valid position. Positions are opaque \
                     base64 strings and must be URL-encoded."
                )));
            }
            Err(PositionError::OtherStream { topic: other }) => {
                return Err(ApiError::invalid_param(format!(
                    "position {text:?} belongs to topic {other}, not to {topic}."
                )));
            }
        },
    };
    Ok(PageRequest {
        start,
        limit,
        issued_at,
    })
}

fn read_page(
    state: &SimState,
    stream: &Stream,
    request: &PageRequest,
    consume: bool,
) -> Result<Page, ApiError> {
    let cutoff = state.retention_cutoff();
    if let Some(issued_at) = request.issued_at.filter(|issued| *issued < cutoff) {
        return Err(ApiError::position_expired(format!(
            "The position was issued at {issued_at} (Unix time), more than 72 hours ago, \
             and has expired. Start again from `top` or `tail`."
        )));
    }
    let mut log = stream.log();
    log.expire(cutoff);
    log.read_page(request.start, request.limit, consume)
        .map_err(|error| match error {
            PageError::Expired { offset, oldest } => ApiError::position_expired(format!(
                "Offset {offset} is older than the oldest retained event at offset \
                 {oldest}, because events are retained for 72 hours. Start again from \
                 `top` or `tail`."
            )),
            PageError::BeyondEnd { offset, end } => ApiError::invalid_param(format!(
                "Offset {offset} is past the newest end of the stream at offset {end}."
            )),
        })
}

/// The response body of a page. Items are written as their stored JSON text.
#[derive(Serialize)]
struct PageBody<'a> {
    items: RawItems<'a>,
    meta: PageMeta,
}

#[derive(Serialize)]
struct PageMeta {
    links: PageLinks,
    position: String,
    top: bool,
}

#[derive(Serialize)]
struct PageLinks {
    next: String,
}

struct RawItems<'a>(&'a [Arc<RawValue>]);

impl Serialize for RawItems<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut sequence = serializer.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            sequence.serialize_element(&**item)?;
        }
        sequence.end()
    }
}

fn render_page(
    base_url: &str,
    stream_name: &str,
    topic: &str,
    limit: usize,
    now: i64,
    page: &Page,
) -> Vec<u8> {
    let next_position = position::encode(topic, page.next_offset, now);
    let next = format!(
        "{base_url}/v3/{stream_name}/stream?position={}&limit={limit}",
        position::url_encode(&next_position)
    );
    let body = PageBody {
        items: RawItems(&page.items),
        meta: PageMeta {
            links: PageLinks { next },
            position: next_position,
            top: page.reached_top,
        },
    };
    let capacity = 128
        + page
            .items
            .iter()
            .map(|item| item.get().len() + 1)
            .sum::<usize>();
    let mut bytes = Vec::with_capacity(capacity);
    // serde_json fails only on I/O errors, which a Vec never raises, and on map keys
    // that are not strings, which this body does not contain.
    if let Err(error) = serde_json::to_writer(&mut bytes, &body) {
        tracing::error!(%error, "failed to render a page");
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names() {
        for (name, valid) in [
            ("deals", true),
            ("associated_contacts", true),
            ("line_items2", true),
            ("", false),
            ("Deals", false),
            ("deals.json", false),
            ("de als", false),
        ] {
            assert_eq!(is_valid_stream_name(name), valid, "{name:?}");
        }
        assert!(!is_valid_stream_name(&"a".repeat(MAX_STREAM_NAME_LEN + 1)));
    }

    #[test]
    fn page_body_embeds_items_verbatim() {
        let raw: Arc<RawValue> = Arc::from(
            RawValue::from_string(r#"{"data":{"n":12345678901234567890}}"#.to_owned()).unwrap(),
        );
        let page = Page {
            items: vec![raw],
            next_offset: 1,
            reached_top: true,
        };
        let body = render_page(
            "http://127.0.0.1:9",
            "deals",
            "firehose.deal.by_account",
            25,
            1_700_000_000,
            &page,
        );
        let text = String::from_utf8(body).unwrap();
        assert!(
            text.starts_with(r#"{"items":[{"data":{"n":12345678901234567890}}],"meta":"#),
            "{text}"
        );
        assert!(text.contains(r#""top":true"#));
        assert!(
            text.contains("http://127.0.0.1:9/v3/deals/stream?position=%2B%2B%2B%2B%2F%2F%2F%2F")
        );
    }
}
