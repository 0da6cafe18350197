//! The route table — each route once: method, path as `docs/openapi.yaml` spells it, the roles
//! that may call it — and the one dispatch over it. The handlers live with their resource:
//! [`items`] (the queue, an item's detail and audit), [`transitions`], [`mappings`], [`rights`]
//! (rights and rights requests), [`blocklist`] and [`qa`].

mod blocklist;
mod items;
mod mappings;
mod qa;
mod rights;
mod transitions;

use crate::{Api, MAX_BODY, ROLES};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use reelcart_domain::content::Status;
use reelcart_lambda::auth::Principal;
use reelcart_lambda::http::ApiError;
use reelcart_lambda::routes::matches;
use reelcart_ports::{
    BlobStore, BlocklistStore, CatalogStore, ItemStore, MappingStore, MediaRecords, MessageQueue,
    RightsStore,
};
use serde::Deserialize;

/// What a request asks for, once its method and path are matched against [`TABLE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    ListItems,
    GetItem,
    Transition,
    Audit,
    PutMapping,
    DeleteMapping,
    BulkMappings,
    Qa,
    RecordRights,
    RevokeRights,
    RequestRights,
    ListRightsRequests,
    GetBlocklist,
    PutBlocklist,
}

/// Every path of this function starts so.
#[cfg(test)]
const PREFIX: &str = "/v1/moderation/";
/// Moderators and admins.
const ANYONE: &[&str] = &ROLES;
const ADMIN: &[&str] = &["admin"];

/// The routes: method, path (`{name}` matches any one segment), who may call, what it is.
#[rustfmt::skip]
const TABLE: [(&str, &str, &[&str], Route); 14] = [
    ("GET",    "/v1/moderation/items",                                 ANYONE, Route::ListItems),
    ("GET",    "/v1/moderation/items/{id}",                            ANYONE, Route::GetItem),
    ("POST",   "/v1/moderation/items/{id}/transitions",                ANYONE, Route::Transition),
    ("GET",    "/v1/moderation/items/{id}/audit",                      ANYONE, Route::Audit),
    ("PUT",    "/v1/moderation/items/{id}/mappings",                   ANYONE, Route::PutMapping),
    ("DELETE", "/v1/moderation/items/{id}/mappings/{placement}/{sku}", ANYONE, Route::DeleteMapping),
    ("POST",   "/v1/moderation/mappings",                              ANYONE, Route::BulkMappings),
    ("GET",    "/v1/moderation/qa",                                    ANYONE, Route::Qa),
    ("POST",   "/v1/moderation/items/{id}/rights",                     ADMIN,  Route::RecordRights),
    ("POST",   "/v1/moderation/items/{id}/rights/{rights_id}/revoke",  ADMIN,  Route::RevokeRights),
    ("POST",   "/v1/moderation/items/{id}/rights-requests",            ANYONE, Route::RequestRights),
    ("GET",    "/v1/moderation/items/{id}/rights-requests",            ANYONE, Route::ListRightsRequests),
    ("GET",    "/v1/moderation/blocklist",                             ANYONE, Route::GetBlocklist),
    ("PUT",    "/v1/moderation/blocklist",                             ADMIN,  Route::PutBlocklist),
];

/// The routes this function serves: method (`GET`, …) and path as in `docs/openapi.yaml`
/// (`/v1/moderation/items/{id}`).
pub fn routes() -> Vec<(&'static str, &'static str)> {
    TABLE
        .iter()
        .map(|(method, path, _, _)| (*method, *path))
        .collect()
}

/// Match a request (its path without trailing slashes) against [`TABLE`]: the route, the path's
/// parameters in order, and the roles that may call it. `None`: no such route.
fn parse<'p>(
    method: &Method,
    path: &'p str,
) -> Option<(Route, Vec<&'p str>, &'static [&'static str])> {
    TABLE.iter().find_map(|(m, template, roles, route)| {
        if *m != method.as_str() {
            return None;
        }
        Some((*route, matches(template, path)?.values(), *roles))
    })
}

impl<
    S: ItemStore + RightsStore + MappingStore + BlocklistStore,
    C: CatalogStore,
    B: BlobStore,
    Q: MessageQueue,
    M: MediaRecords,
> Api<S, C, B, Q, M>
{
    pub(crate) async fn dispatch(&self, req: &Request) -> Result<Response<Body>, ApiError> {
        let path = req.uri().path().trim_end_matches('/');
        // Known routes only; then the role.
        let (route, params, roles) = parse(req.method(), path).ok_or_else(not_found)?;
        let who = Principal::require(req, roles)?;
        let actor = who.subject.as_str();
        match (route, params.as_slice()) {
            (Route::ListItems, []) => self.list(req).await,
            (Route::GetItem, [id]) => self.detail(id).await,
            (Route::Transition, [id]) => self.transition(id, actor, parse_body(req)?).await,
            (Route::Audit, [id]) => self.audit(id).await,
            (Route::PutMapping, [id]) => self.put_mapping(id, parse_body(req)?).await,
            (Route::DeleteMapping, [id, placement, sku]) => {
                self.delete_mapping(id, placement, sku).await
            }
            (Route::BulkMappings, []) => self.map(mappings::bulk(req)?).await,
            (Route::Qa, []) => self.qa().await,
            (Route::RecordRights, [id]) => self.record_rights(id, actor, parse_body(req)?).await,
            (Route::RevokeRights, [id, rights_id]) => self.revoke(id, rights_id, actor).await,
            (Route::RequestRights, [id]) => self.request_rights(id, actor, parse_body(req)?).await,
            (Route::ListRightsRequests, [id]) => self.rights_requests(id).await,
            (Route::GetBlocklist, []) => self.blocklist().await,
            (Route::PutBlocklist, []) => self.put_blocklist(parse_body(req)?).await,
            // Each path in the table fixes its route's parameters: nothing else arrives here.
            _ => Err(not_found()),
        }
    }
}

fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::client(status, code, message)
}

fn not_found() -> ApiError {
    client(StatusCode::NOT_FOUND, "not_found", "no such route")
}

fn query(req: &Request, name: &str) -> Option<String> {
    let q = req.uri().query().unwrap_or_default();
    form_urlencoded::parse(q.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn body_bytes(req: &Request) -> Result<&[u8], ApiError> {
    reelcart_lambda::http::body_of(req, MAX_BODY)
}

fn parse_body<T: for<'de> Deserialize<'de>>(req: &Request) -> Result<T, ApiError> {
    reelcart_lambda::http::json_body(req, MAX_BODY)
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

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e)
}

#[cfg(test)]
mod tests;
