//! The router — each route once: method, path as `docs/openapi.yaml` spells it, the role its
//! caller needs (an extractor), the handler. The handlers live with their resource:
//! [`items`] (the queue, an item's detail and audit), [`preview`] (its media for moderators),
//! [`transitions`], [`mappings`], [`rights`]
//! (rights and rights requests), [`blocklist`] and [`qa`].

mod blocklist;
mod items;
mod mappings;
mod preview;
mod qa;
mod rights;
mod transitions;

use crate::Ports;
use crate::{Api, AwsApi, MAX_BODY};
use lambda_http::http::{HeaderMap, Method, StatusCode};
use reelcart_domain::content::Status;
use reelcart_lambda::http::ApiError;
use reelcart_lambda::router::{
    Admin, Caller, HttpApi, Json, PathParams, Query, RawBody, Routes, Staff, State,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every path of this function starts so.
#[cfg(test)]
const PREFIX: &str = "/v1/moderation/";

/// A query string: the first value of each name.
pub(super) type QueryMap = BTreeMap<String, String>;

/// The routes this function serves: method and path as in `docs/openapi.yaml`
/// (`/v1/moderation/items/{id}`).
pub fn routes() -> Vec<(Method, &'static str)> {
    <AwsApi as HttpApi>::routes().list()
}

impl<P: Ports> HttpApi for Api<P> {
    /// Every route, with who may call it: moderators and admins ([`Staff`]) or admins only.
    fn routes() -> Routes<Arc<Self>> {
        type App<T> = State<Arc<T>>;
        type Id = PathParams<String>;
        Routes::default()
            .get(
                "/v1/moderation/items",
                |State(a): App<Self>, _: Caller<Staff>, Query(q): Query<QueryMap>| async move {
                    a.list(&q).await
                },
            )
            .get(
                "/v1/moderation/items/{id}",
                |State(a): App<Self>, _: Caller<Staff>, PathParams(id): Id| async move {
                    a.detail(&id).await
                },
            )
            .get(
                "/v1/moderation/items/{id}/preview",
                |State(a): App<Self>, _: Caller<Staff>, PathParams(id): Id| async move {
                    a.preview(&id).await
                },
            )
            .post(
                "/v1/moderation/items/{id}/transitions",
                |State(a): App<Self>, who: Caller<Staff>, PathParams(id): Id, Json(b): Json<_, MAX_BODY>| async move {
                    a.transition(&id, who.subject(), b).await
                },
            )
            .get(
                "/v1/moderation/items/{id}/audit",
                |State(a): App<Self>, _: Caller<Staff>, PathParams(id): Id| async move {
                    a.audit(&id).await
                },
            )
            .put(
                "/v1/moderation/items/{id}/mappings",
                |State(a): App<Self>, _: Caller<Staff>, PathParams(id): Id, Json(b): Json<_, MAX_BODY>| async move {
                    a.put_mapping(&id, b).await
                },
            )
            .delete(
                "/v1/moderation/items/{id}/mappings/{placement}/{sku}",
                |State(a): App<Self>,
                 _: Caller<Staff>,
                 PathParams((id, placement, sku)): PathParams<(String, String, String)>| async move {
                    a.delete_mapping(&id, &placement, &sku).await
                },
            )
            .post(
                "/v1/moderation/mappings",
                |State(a): App<Self>, _: Caller<Staff>, headers: HeaderMap, RawBody(b): RawBody<MAX_BODY>| async move {
                    a.map(mappings::bulk(&headers, &b)?).await
                },
            )
            .get("/v1/moderation/qa", |State(a): App<Self>, _: Caller<Staff>| async move {
                a.qa().await
            })
            .post(
                "/v1/moderation/items/{id}/rights",
                |State(a): App<Self>, who: Caller<Admin>, PathParams(id): Id, Json(b): Json<_, MAX_BODY>| async move {
                    a.record_rights(&id, who.subject(), b).await
                },
            )
            .post(
                "/v1/moderation/items/{id}/rights/{rights_id}/revoke",
                |State(a): App<Self>,
                 who: Caller<Admin>,
                 PathParams((id, rights_id)): PathParams<(String, String)>| async move {
                    a.revoke(&id, &rights_id, who.subject()).await
                },
            )
            .post(
                "/v1/moderation/items/{id}/rights-requests",
                |State(a): App<Self>, who: Caller<Staff>, PathParams(id): Id, Json(b): Json<_, MAX_BODY>| async move {
                    a.request_rights(&id, who.subject(), b).await
                },
            )
            .get(
                "/v1/moderation/items/{id}/rights-requests",
                |State(a): App<Self>, _: Caller<Staff>, PathParams(id): Id| async move {
                    a.rights_requests(&id).await
                },
            )
            .get("/v1/moderation/blocklist", |State(a): App<Self>, _: Caller<Staff>| async move {
                a.blocklist().await
            })
            .put(
                "/v1/moderation/blocklist",
                |State(a): App<Self>, _: Caller<Admin>, Json(b): Json<_, MAX_BODY>| async move {
                    a.put_blocklist(b).await
                },
            )
    }
}

fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::client(status, code, message)
}

fn query(q: &QueryMap, name: &str) -> Option<String> {
    q.get(name).cloned()
}

fn parse_status(s: &str) -> Result<Status, ApiError> {
    Status::ALL
        .into_iter()
        .find(|st| st.as_str() == s)
        .ok_or_else(|| {
            client(
                StatusCode::BAD_REQUEST,
                "unknown_status",
                "status must be one of queued, reviewing, approved, published, archived, rejected",
            )
        })
}

#[cfg(test)]
mod tests;
