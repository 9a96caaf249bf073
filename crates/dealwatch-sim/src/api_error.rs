//! Error responses in Sell's documented JSON shape.
//!
//! ```json
//! {"errors": [{"error": {"code": "unauthorized", "message": "...", "details": "..."},
//!              "meta": {"type": "error"}}],
//!  "meta": {"type": "errors", "http_status": "401 Unauthorized", "logref": "..."}}
//! ```
//!
//! The `logref` is also sent as the `X-Request-Id` header.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

static NEXT_LOGREF: AtomicU64 = AtomicU64::new(1);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// An error response: status, machine-readable code and human-readable text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) details: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: &str, details: String) -> Self {
        ApiError {
            status,
            code,
            message: message.to_owned(),
            details,
        }
    }

    pub(crate) fn invalid_param(details: String) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_param",
            "A request parameter is invalid.",
            details,
        )
    }

    pub(crate) fn invalid_user_agent() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_user_agent",
            "The User-Agent header is missing or empty.",
            "Send a User-Agent header that names the client and its version.".to_owned(),
        )
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "The access token is missing, malformed, expired or revoked.",
            "Send the header `Authorization: Bearer <access token>` with a valid token.".to_owned(),
        )
    }

    pub(crate) fn insufficient_scope() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "The access token does not grant access to this resource.",
            "The Firehose API needs an account on the Growth plan or above.".to_owned(),
        )
    }

    pub(crate) fn not_found(details: String) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "The requested resource was not found.",
            details,
        )
    }

    pub(crate) fn incorrect_path(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "incorrect_path",
            "The request path does not exist.",
            format!("No endpoint matches {path:?}."),
        )
    }

    pub(crate) fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "The HTTP method is not allowed on this path.",
            "The simulated endpoints accept only GET.".to_owned(),
        )
    }

    pub(crate) fn position_expired(details: String) -> Self {
        Self::new(
            StatusCode::GONE,
            "position_expired",
            "The position points before the oldest retained event.",
            details,
        )
    }

    pub(crate) fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_exceeded",
            "Too many requests.",
            "The limit is 36,000 requests per hour per token.".to_owned(),
        )
    }

    /// Renders the documented JSON error body.
    pub(crate) fn body(&self, logref: &str) -> serde_json::Value {
        let http_status = format!(
            "{} {}",
            self.status.as_u16(),
            self.status.canonical_reason().unwrap_or("")
        );
        json!({
            "errors": [{
                "error": {
                    "code": self.code,
                    "message": self.message,
                    "details": self.details,
                },
                "meta": { "type": "error" },
            }],
            "meta": {
                "type": "errors",
                "http_status": http_status.trim_end(),
                "logref": logref,
            },
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let logref = format!("{:032x}", NEXT_LOGREF.fetch_add(1, Ordering::Relaxed));
        let body = self.body(&logref).to_string();
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body,
        )
            .into_response();
        if let Ok(value) = HeaderValue::from_str(&logref) {
            response.headers_mut().insert(REQUEST_ID, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_documented_shape() {
        let body = ApiError::unauthorized().body("abc");
        assert_eq!(body["errors"][0]["error"]["code"], "unauthorized");
        assert_eq!(body["errors"][0]["meta"]["type"], "error");
        assert_eq!(body["meta"]["type"], "errors");
        assert_eq!(body["meta"]["http_status"], "401 Unauthorized");
        assert_eq!(body["meta"]["logref"], "abc");
    }

    #[test]
    fn gone_status_text() {
        let body = ApiError::position_expired(String::new()).body("x");
        assert_eq!(body["meta"]["http_status"], "410 Gone");
    }
}
