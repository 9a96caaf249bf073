//! Faults that a test queues on a stream, and the responses that carry them.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::api_error::ApiError;

/// A failure that the next request to a stream receives in place of its page.
///
/// Faults are queued per stream with [`crate::Simulator::inject`]. Each request that
/// passes the header checks (user agent, token and scope) consumes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `429 Too Many Requests` with the JSON error body, and a `Retry-After` header in
    /// seconds when `retry_after` is set.
    RateLimited { retry_after: Option<u64> },
    /// A server error with the given status. The body is an HTML error page when `html`
    /// is true and empty otherwise. A status outside 500..=599 is sent as 500.
    ServerError { status: u16, html: bool },
    /// A 200 whose JSON body is cut off halfway.
    TruncatedJson,
    /// A 200 with an HTML body, as a captive portal or proxy returns.
    HtmlBody,
    /// No response for the given time, after which the request is served normally.
    /// `None` never responds: the request stays in flight until the client closes the
    /// connection or the listener stops.
    Hang(Option<Duration>),
    /// A one-off `401 Unauthorized`, as for a token revoked and then restored.
    Unauthorized,
}

/// Builds the 5xx response of [`Fault::ServerError`].
pub(crate) fn server_error_response(status: u16, html: bool) -> Response {
    let status = StatusCode::from_u16(status)
        .ok()
        .filter(StatusCode::is_server_error)
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if !html {
        return status.into_response();
    }

    let reason = status.canonical_reason().unwrap_or("Server Error");
    let code = status.as_u16();
    let page = format!(
        "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n\
         <center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n\
         </body>\r\n</html>\r\n"
    );
    html_response(status, page)
}

/// Builds the 200 response of [`Fault::HtmlBody`].
pub(crate) fn html_body_response() -> Response {
    let page = "<!DOCTYPE html>\n<html><head><title>Scheduled maintenance</title></head>\n\
                <body><h1>We'll be back soon</h1><p>The service is under maintenance.</p>\
                </body></html>\n";
    html_response(StatusCode::OK, page.to_owned())
}

/// Builds the 429 response of [`Fault::RateLimited`].
pub(crate) fn rate_limited_response(retry_after: Option<u64>) -> Response {
    let mut response = ApiError::rate_limited().into_response();
    if let Some(seconds) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Builds the 200 response of [`Fault::TruncatedJson`] from a complete page body.
///
/// Any proper prefix of a JSON object is invalid JSON, so cutting the body at half its
/// length always yields a body that fails to parse.
pub(crate) fn truncated_json_response(mut page_body: Vec<u8>) -> Response {
    page_body.truncate(page_body.len() / 2);
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        page_body,
    )
        .into_response()
}

fn html_response(status: StatusCode, page: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}
