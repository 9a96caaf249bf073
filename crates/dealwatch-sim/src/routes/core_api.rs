//! `GET /v2/{collection}` and `GET /v2/{collection}/{id}`: Core API v2 look-ups of
//! users, stages, pipelines, contacts, loss reasons and deal sources.

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::authorize;
use crate::api_error::ApiError;
use crate::directory::V2Collection;
use crate::state::SimState;

const DEFAULT_PER_PAGE: usize = 25;
const MAX_PER_PAGE: usize = 100;

/// Maximum number of ids in one `ids` parameter.
const MAX_IDS: usize = 1_000;

#[derive(Debug, Deserialize)]
pub(super) struct ListParams {
    ids: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

#[derive(Serialize)]
struct RecordMeta {
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Record<'a> {
    data: &'a RawValue,
    meta: RecordMeta,
}

#[derive(Serialize)]
struct ListMeta {
    #[serde(rename = "type")]
    kind: &'static str,
    count: usize,
    links: ListLinks,
}

#[derive(Serialize)]
struct ListLinks {
    #[serde(rename = "self")]
    this_page: String,
    first_page: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    prev_page: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page: Option<String>,
}

#[derive(Serialize)]
struct ListBody<'a> {
    items: Vec<Record<'a>>,
    meta: ListMeta,
}

pub(super) async fn list_records(
    State(state): State<Arc<SimState>>,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<ListParams>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    state.count_v2_request();
    let Some(collection) = path
        .ok()
        .and_then(|Path(name)| V2Collection::from_path(&name))
    else {
        return ApiError::not_found("This collection is not simulated.".to_owned()).into_response();
    };
    if let Err(error) = authorize(&state, &headers) {
        return error.into_response();
    }
    let Query(params) = match query {
        Ok(query) => query,
        Err(rejection) => {
            let details = format!("The query string is invalid: {rejection}.");
            return ApiError::invalid_param(details).into_response();
        }
    };

    let ids = match params.ids.as_deref().map(parse_ids).transpose() {
        Ok(ids) => ids,
        Err(error) => return error.into_response(),
    };
    let page = match parse_bounded(params.page.as_deref(), "page", 1, 1, usize::MAX) {
        Ok(page) => page,
        Err(error) => return error.into_response(),
    };
    let per_page = match parse_bounded(
        params.per_page.as_deref(),
        "per_page",
        DEFAULT_PER_PAGE,
        1,
        MAX_PER_PAGE,
    ) {
        Ok(per_page) => per_page,
        Err(error) => return error.into_response(),
    };

    let records = state.directory.list(collection, ids.as_deref());
    let skip = (page - 1).saturating_mul(per_page);
    let items: Vec<Record<'_>> = records
        .iter()
        .skip(skip)
        .take(per_page)
        .map(|data| Record {
            data,
            meta: RecordMeta {
                kind: collection.record_type(),
            },
        })
        .collect();
    let has_next = records.len() > skip.saturating_add(per_page);

    let page_url = |number: usize| {
        let mut url = format!(
            "{}/v2/{}?page={number}&per_page={per_page}",
            state.base_url,
            collection.path()
        );
        if let Some(ids) = params.ids.as_deref() {
            url.push_str("&ids=");
            url.push_str(ids);
        }
        url
    };
    let body = ListBody {
        meta: ListMeta {
            kind: "collection",
            count: items.len(),
            links: ListLinks {
                this_page: page_url(page),
                first_page: page_url(1),
                prev_page: (page > 1).then(|| page_url(page - 1)),
                next_page: has_next.then(|| page_url(page + 1)),
            },
        },
        items,
    };
    json_response(&body)
}

pub(super) async fn get_record(
    State(state): State<Arc<SimState>>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    state.count_v2_request();
    let Ok(Path((collection_name, id_text))) = path else {
        return ApiError::not_found("The record was not found.".to_owned()).into_response();
    };
    let Some(collection) = V2Collection::from_path(&collection_name) else {
        return ApiError::not_found(format!("/v2/{collection_name} is not simulated."))
            .into_response();
    };
    if let Err(error) = authorize(&state, &headers) {
        return error.into_response();
    }

    let id = if collection == V2Collection::Users && id_text == "self" {
        Some(state.directory.self_user_id())
    } else {
        id_text.parse::<u64>().ok()
    };
    let Some(data) = id.and_then(|id| state.directory.get(collection, id)) else {
        let details = format!("No {} has the id {id_text:?}.", collection.record_type());
        return ApiError::not_found(details).into_response();
    };

    let body = Record {
        data: &data,
        meta: RecordMeta {
            kind: collection.record_type(),
        },
    };
    json_response(&body)
}

/// Parses a comma-separated list of ids such as `1,2,3`.
fn parse_ids(text: &str) -> Result<Vec<u64>, ApiError> {
    let ids: Vec<u64> = text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<u64>().map_err(|_| {
                ApiError::invalid_param(format!(
                    "ids must be comma-separated integers, but it contains {part:?}."
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    if ids.len() > MAX_IDS {
        return Err(ApiError::invalid_param(format!(
            "ids lists {} ids, but at most {MAX_IDS} are accepted.",
            ids.len()
        )));
    }
    Ok(ids)
}

fn parse_bounded(
    text: Option<&str>,
    name: &str,
    default: usize,
    min: usize,
    max: usize,
) -> Result<usize, ApiError> {
    let Some(text) = text else {
        return Ok(default);
    };
    text.parse::<usize>()
        .ok()
        .filter(|value| (min..=max).contains(value))
        .ok_or_else(|| {
            ApiError::invalid_param(format!(
                "{name} must be an integer from {min} to {max}, but it is {text:?}."
            ))
        })
}

fn json_response<T: Serialize>(body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            bytes,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "failed to render a Core API response");
            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_reject() {
        assert_eq!(parse_ids("1,2, 3,").unwrap(), [1, 2, 3]);
        assert_eq!(parse_ids("").unwrap(), Vec::<u64>::new());
        assert!(parse_ids("1,x").is_err());
        assert!(parse_ids("-1").is_err());
        let too_many = vec!["1"; MAX_IDS + 1].join(",");
        assert!(parse_ids(&too_many).is_err());
    }

    #[test]
    fn bounded_integers() {
        assert_eq!(parse_bounded(None, "page", 1, 1, 9).unwrap(), 1);
        assert_eq!(parse_bounded(Some("9"), "page", 1, 1, 9).unwrap(), 9);
        for bad in ["0", "10", "a", "", "-1"] {
            assert!(
                parse_bounded(Some(bad), "page", 1, 1, 9).is_err(),
                "{bad:?}"
            );
        }
    }
}
