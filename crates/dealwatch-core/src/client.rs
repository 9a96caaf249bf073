//! The HTTP client for the Firehose stream and the Core API v2.
//!
//! One `reqwest::Client` (rustls) per account. The token is sent only in the
//! `Authorization` header, never in a URL, and redirects are not followed, so
//! it cannot be carried to another host.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, RETRY_AFTER};
use reqwest::StatusCode;
use url::Url;

use crate::model::{Page, PageError};
use crate::token::Token;

/// The production API host.
pub const DEFAULT_API_URL: &str = "https://api.getbase.com";
/// The maximum time one request may take. Sell responds to every stream
/// request within about a second, so a request still open after this is
/// treated as hung.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest page Sell serves.
pub const MAX_LIMIT: u8 = 100;
/// Sell allows 36,000 requests per hour per token: 10 per second.
pub const SELL_REQUESTS_PER_SECOND: u32 = 10;

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("dealwatch/", env!("CARGO_PKG_VERSION"));

/// The starting point of a stream read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// The newest end: skip the backlog.
    Top,
    /// The oldest retained event.
    Tail,
    /// An opaque position returned by an earlier page.
    At(String),
}

impl Position {
    pub fn as_str(&self) -> &str {
        match self {
            Position::Top => "top",
            Position::Tail => "tail",
            Position::At(text) => text,
        }
    }
}

/// A failed request, classified by what the poller must do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("no access token is set. Run `dealwatch token set` or set DEALWATCH_TOKEN.")]
    NoToken,
    #[error("Sell rejected the access token (HTTP 401). Create a new token in Sell under Settings > Integrations > OAuth > Access Tokens and set it again.")]
    Unauthorized,
    #[error("the access token lacks access to the Firehose API (HTTP 403). Firehose needs the Growth plan or above, and possibly a token of the account's root user.")]
    Forbidden,
    #[error("the saved stream position has expired (HTTP 410); Sell keeps events for 72 hours")]
    PositionExpired,
    #[error("Sell's rate limit was reached (HTTP 429)")]
    RateLimited { retry_after: Option<Duration> },
    #[error("Sell answered HTTP {status}: {reason}")]
    Status { status: u16, reason: String },
    #[error("the request timed out after {0} seconds")]
    Timeout(u64),
    #[error("could not reach {host}: {reason}")]
    Connect { host: String, reason: String },
    #[error("Sell answered HTTP {status} with a body that is not a stream page: {reason}")]
    InvalidBody { status: u16, reason: PageError },
    #[error("the request failed: {0}")]
    Other(String),
    /// The page arrived but could not be stored, as when the disk is full.
    #[error("could not save events: {0}")]
    Store(String),
}

impl FetchError {
    /// True for errors that a retry cannot fix until the user acts.
    pub fn needs_user(&self) -> bool {
        matches!(
            self,
            FetchError::NoToken | FetchError::Unauthorized | FetchError::Forbidden
        )
    }

    /// True when the network or the host could not be reached at all.
    pub fn is_offline(&self) -> bool {
        matches!(self, FetchError::Connect { .. } | FetchError::Timeout(_))
    }
}

/// Settings for a client.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub api_url: String,
    pub timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            api_url: DEFAULT_API_URL.to_owned(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// A Sell API client whose token can be replaced while it is in use.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    api: Url,
    timeout: Duration,
    token: Arc<RwLock<Option<Token>>>,
    limiter: Option<Arc<RateLimiter>>,
}

/// Spaces requests so that a client stays within Sell's rate limit instead of
/// running into 429 responses: a burst of up to one second's worth may go out
/// at once, after which requests are spaced evenly (the generic cell rate
/// algorithm). Shared by every clone of a client, so the stream pollers and
/// the name look-ups draw on one budget, as Sell counts them.
#[derive(Debug)]
struct RateLimiter {
    interval: Duration,
    tolerance: Duration,
    next: tokio::sync::Mutex<Option<tokio::time::Instant>>,
}

impl RateLimiter {
    fn per_second(requests: u32) -> RateLimiter {
        let interval = Duration::from_secs(1) / requests.max(1);
        RateLimiter {
            interval,
            tolerance: interval * requests.max(1).saturating_sub(1),
            next: tokio::sync::Mutex::new(None),
        }
    }

    /// Waits until the next request may go out.
    async fn acquire(&self) {
        let send_at = {
            let mut next = self.next.lock().await;
            let now = tokio::time::Instant::now();
            let theoretical = next.map_or(now, |at| at.max(now));
            let send_at = theoretical
                .checked_sub(self.tolerance)
                .map_or(now, |at| at.max(now));
            *next = Some(theoretical + self.interval);
            send_at
        };
        tokio::time::sleep_until(send_at).await;
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api", &self.api.as_str())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client. Fails when the API address is not an http(s) URL.
    pub fn new(config: &ClientConfig, token: Option<Token>) -> Result<Client, String> {
        let api = parse_api_url(&config.api_url)?;
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(4)
            .build()
            .map_err(|err| format!("could not set up HTTPS: {err}"))?;

        Ok(Client {
            http,
            api,
            timeout: config.timeout,
            token: Arc::new(RwLock::new(token)),
            limiter: Some(Arc::new(RateLimiter::per_second(SELL_REQUESTS_PER_SECOND))),
        })
    }

    /// Sets how many requests per second this client sends at most, or
    /// lifts the limit with `None` (for the simulator in benchmarks). The
    /// default is Sell's limit of 10 per second.
    pub fn with_rate_limit(mut self, requests_per_second: Option<u32>) -> Client {
        self.limiter = requests_per_second.map(|n| Arc::new(RateLimiter::per_second(n)));
        self
    }

    /// Returns the API base address, without a trailing slash.
    pub fn api_url(&self) -> &str {
        self.api.as_str().trim_end_matches('/')
    }

    /// Replaces the token for every later request, or removes it.
    pub fn set_token(&self, token: Option<Token>) {
        *self
            .token
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = token;
    }

    pub fn has_token(&self) -> bool {
        self.token
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .is_some()
    }

    /// Fetches one page of a stream.
    pub async fn fetch_page(
        &self,
        resource: &str,
        position: &Position,
        limit: u8,
    ) -> Result<Page, FetchError> {
        let mut url = self.endpoint(&["v3", resource, "stream"]);
        url.query_pairs_mut()
            .append_pair("position", position.as_str())
            .append_pair("limit", &limit.clamp(1, MAX_LIMIT).to_string());

        let (status, body) = self.get(url).await?;
        Page::parse(&body).map_err(|reason| FetchError::InvalidBody { status, reason })
    }

    /// Fetches a Core API v2 resource, such as `["users", "self"]` with no query.
    pub async fn get_v2(
        &self,
        path: &[&str],
        query: &[(&str, String)],
    ) -> Result<serde_json::Value, FetchError> {
        let mut segments = vec!["v2"];
        segments.extend_from_slice(path);
        let mut url = self.endpoint(&segments);
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
        }

        let (status, body) = self.get(url).await?;
        serde_json::from_str(&body).map_err(|err| FetchError::InvalidBody {
            status,
            reason: PageError::Invalid(err.to_string()),
        })
    }

    fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.api.clone();
        {
            let mut path = url.path_segments_mut().expect("an http(s) URL has a path");
            path.pop_if_empty();
            for segment in segments {
                path.push(segment);
            }
        }
        url
    }

    /// Sends a GET and returns the status and body of a 2xx response. Every
    /// other response becomes a classified error.
    async fn get(&self, url: Url) -> Result<(u16, String), FetchError> {
        let token = self
            .token
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
            .ok_or(FetchError::NoToken)?;
        let mut authorization = HeaderValue::try_from(format!("Bearer {}", token.expose()))
            .map_err(|_| FetchError::Unauthorized)?;
        authorization.set_sensitive(true);

        if let Some(limiter) = &self.limiter {
            limiter.acquire().await;
        }
        let response = self
            .http
            .get(url)
            .header(AUTHORIZATION, authorization)
            .send()
            .await
            .map_err(|err| self.transport_error(err))?;

        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(parse_retry_after);
        let bytes = response
            .bytes()
            .await
            .map_err(|err| self.transport_error(err))?;
        // `Response::text` decodes with `String::from_utf8_lossy`, which
        // checks a page byte by byte. `String::from_utf8` checks ASCII a word
        // at a time, and invalid UTF-8 is still replaced.
        let body = String::from_utf8(Vec::from(bytes))
            .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned());

        if status.is_success() {
            return Ok((status.as_u16(), body));
        }
        Err(match status {
            StatusCode::UNAUTHORIZED => FetchError::Unauthorized,
            StatusCode::FORBIDDEN => FetchError::Forbidden,
            StatusCode::GONE => FetchError::PositionExpired,
            StatusCode::TOO_MANY_REQUESTS => FetchError::RateLimited { retry_after },
            _ => FetchError::Status {
                status: status.as_u16(),
                reason: error_reason(status, &body),
            },
        })
    }

    fn transport_error(&self, err: reqwest::Error) -> FetchError {
        let host = self.api.host_str().unwrap_or("the API").to_owned();
        if err.is_timeout() {
            FetchError::Timeout(self.timeout.as_secs())
        } else if err.is_connect() {
            FetchError::Connect {
                host,
                reason: root_cause(&err),
            }
        } else if err.is_body() || err.is_decode() {
            FetchError::InvalidBody {
                status: err.status().map(|s| s.as_u16()).unwrap_or(200),
                reason: PageError::Truncated,
            }
        } else {
            FetchError::Other(root_cause(&err.without_url()))
        }
    }
}

/// Checks an API base address and normalises it to end without a slash.
pub fn parse_api_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim())
        .map_err(|err| format!("the API address {text:?} is not a valid URL ({err})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "the API address {text:?} must start with https:// or http://"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the API address must not contain a user name or password".into());
    }
    Ok(url)
}

/// Reads `Retry-After` given in seconds. The HTTP-date form is rare for APIs
/// and is treated as absent, which falls back to exponential backoff.
fn parse_retry_after(text: &str) -> Option<Duration> {
    text.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Returns a short reason for an error status: the API's own message when the body
/// is its JSON error shape, otherwise the status text.
fn error_reason(status: StatusCode, body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|value| {
        let error = value.pointer("/errors/0/error")?;
        let code = error
            .get("code")
            .and_then(|c| c.as_str())
            .unwrap_or_default();
        let message = error
            .get("message")
            .and_then(|m| m.as_str())
            .unwrap_or_default();
        Some(
            format!("{code}: {message}")
                .trim_matches([' ', ':'])
                .to_owned(),
        )
    });
    match message {
        Some(text) if !text.is_empty() => text,
        _ => status
            .canonical_reason()
            .unwrap_or("unexpected status")
            .to_owned(),
    }
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_keeps_base_path_and_encodes_position() {
        let config = ClientConfig {
            api_url: "http://127.0.0.1:9/proxy/".into(),
            ..ClientConfig::default()
        };
        let client = Client::new(&config, None).unwrap();
        let mut url = client.endpoint(&["v3", "deals", "stream"]);
        url.query_pairs_mut().append_pair("position", "a+b/c=");
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/proxy/v3/deals/stream?position=a%2Bb%2Fc%3D"
        );
    }

    #[test]
    fn api_url_must_be_http() {
        assert!(parse_api_url("ftp://example.invalid").is_err());
        assert!(parse_api_url("not a url").is_err());
        assert!(parse_api_url("https://user:pw@example.invalid").is_err());
        assert!(parse_api_url("https://api.getbase.com").is_ok());
    }

    #[test]
    fn error_reason_reads_api_error_body() {
        let body =
            r#"{"errors":[{"error":{"code":"invalid_param","message":"limit is out of range"}}]}"#;
        assert_eq!(
            error_reason(StatusCode::BAD_REQUEST, body),
            "invalid_param: limit is out of range"
        );
        assert_eq!(
            error_reason(StatusCode::BAD_GATEWAY, "<html>"),
            "Bad Gateway"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limiter_allows_a_burst_then_spaces() {
        let limiter = RateLimiter::per_second(10);
        let start = tokio::time::Instant::now();
        for _ in 0..10 {
            limiter.acquire().await;
        }
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "one second's worth goes out at once"
        );
        limiter.acquire().await;
        limiter.acquire().await;
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_millis(100) && elapsed <= Duration::from_millis(250),
            "{elapsed:?}"
        );
        for _ in 0..20 {
            limiter.acquire().await;
        }
        assert!(
            start.elapsed() >= Duration::from_secs(2),
            "22 requests take over 2 s at 10 per second"
        );
    }

    #[test]
    fn retry_after_seconds() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
