//! The routes, listed once in [`TABLE`]: a request's route and the roles that may call it come
//! from there (an unknown method and path is `404 not_found` before any token is looked at; then
//! `401`/`403` from the role check), and [`routes`] exposes the same list (to check the OpenAPI
//! document against it). The handlers live with their resource:
//!
//! - [`profile`]: the profile and the terms (`/me`, `/me/terms`), the brand's list of creators;
//! - [`links`]: trackable links (`/me/links`);
//! - [`codes`]: discount codes (`/me/codes`);
//! - [`reports`]: the dashboard and payouts (`/me/dashboard`, `/me/payouts`, `/payouts`);
//! - [`content`]: uploads, submissions and the calendar (`/me/uploads`, `/me/submissions`,
//!   `/me/calendar`);
//! - [`product_requests`]: product requests and the brand's decisions on them.

mod codes;
mod content;
mod links;
mod product_requests;
mod profile;
mod reports;

#[cfg(test)]
pub(crate) use reports::commission_cents;

use crate::{CreatorApi, Presigner, StoreDiscounts};
use codes::CodeBody;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use reelcart_lambda::auth::Principal;
use reelcart_lambda::http::{ApiError, json_body};
use reelcart_lambda::routes::{Params, matches};
use reelcart_ports::{AnalyticsStore, CatalogStore, CreatorStore, ItemStore, MediaRecords};

/// The largest JSON body read.
const MAX_BODY: usize = 16 * 1024;

/// What serves a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Profile,
    PutProfile,
    AcceptTerms,
    ListLinks,
    CreateLink,
    Upload,
    Dashboard,
    Payouts,
    ListCodes,
    CreateCode,
    Submissions,
    Calendar,
    MyRequests,
    RequestProduct,
    Creators,
    PayoutReport,
    Requests,
    Decide,
}

/// The roles that may call a route (any one of them).
type Roles = &'static [&'static str];

const CREATOR: Roles = &["creator"];
const ADMIN: Roles = &["admin"];

/// Every route: method, path (as in the OpenAPI document: `{name}` is one non-empty segment), the
/// roles that may call it, and what serves it.
#[rustfmt::skip]
static TABLE: &[(Method, &str, Roles, Route)] = &[
    // The creator's own data: the token's subject is the creator.
    (Method::GET,  "/v1/creators/me",                  CREATOR, Route::Profile),
    (Method::PUT,  "/v1/creators/me",                  CREATOR, Route::PutProfile),
    (Method::POST, "/v1/creators/me/terms",            CREATOR, Route::AcceptTerms),
    (Method::GET,  "/v1/creators/me/links",            CREATOR, Route::ListLinks),
    (Method::POST, "/v1/creators/me/links",            CREATOR, Route::CreateLink),
    (Method::POST, "/v1/creators/me/uploads",          CREATOR, Route::Upload),
    (Method::GET,  "/v1/creators/me/dashboard",        CREATOR, Route::Dashboard),
    (Method::GET,  "/v1/creators/me/payouts",          CREATOR, Route::Payouts),
    (Method::GET,  "/v1/creators/me/codes",            CREATOR, Route::ListCodes),
    (Method::POST, "/v1/creators/me/codes",            CREATOR, Route::CreateCode),
    (Method::GET,  "/v1/creators/me/submissions",      CREATOR, Route::Submissions),
    (Method::GET,  "/v1/creators/me/calendar",         CREATOR, Route::Calendar),
    (Method::GET,  "/v1/creators/me/product-requests", CREATOR, Route::MyRequests),
    (Method::POST, "/v1/creators/me/product-requests", CREATOR, Route::RequestProduct),
    // The brand's.
    (Method::GET,  "/v1/creators",                     ADMIN,   Route::Creators),
    (Method::GET,  "/v1/creators/payouts",             ADMIN,   Route::PayoutReport),
    (Method::GET,  "/v1/creators/product-requests",    ADMIN,   Route::Requests),
    (Method::POST, "/v1/creators/product-requests/{creator_id}/{request_id}", ADMIN, Route::Decide),
];

/// Every route the API serves: method and path, as the OpenAPI document writes them.
pub fn routes() -> Vec<(Method, &'static str)> {
    TABLE.iter().map(|(m, p, ..)| (m.clone(), *p)).collect()
}

/// The route of `method` on `path` (a trailing `/` ignored), who may call it, and its parameters.
fn parse<'a>(method: &Method, path: &'a str) -> Option<(Route, Roles, Params<'a>)> {
    let path = path.trim_end_matches('/');
    TABLE
        .iter()
        .filter(|(m, ..)| m == method)
        .find_map(|(_, pattern, roles, route)| Some((*route, *roles, matches(pattern, path)?)))
}

fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::client(status, code, message)
}

fn invalid(message: impl Into<String>) -> ApiError {
    client(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
}

/// 1 to `max` of `[A-Za-z0-9_.-]`.
fn word(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

impl<
    S: CreatorStore,
    C: CatalogStore,
    P: Presigner,
    A: AnalyticsStore,
    K: ItemStore,
    M: MediaRecords,
    D: StoreDiscounts,
> CreatorApi<S, C, P, A, K, M, D>
{
    /// `404 not_found` for an unknown route, then the role check, then the route's handler.
    pub(crate) async fn dispatch(&self, req: &Request) -> Result<Response<Body>, ApiError> {
        let (route, roles, params) = parse(req.method(), req.uri().path())
            .ok_or_else(|| client(StatusCode::NOT_FOUND, "not_found", "no such route"))?;
        let who = Principal::require(req, roles)?;
        // The creator on `/me` routes; the brand's admin on the others.
        let caller = who.subject.as_str();
        match route {
            Route::Profile => self.profile(caller).await,
            Route::PutProfile => self.put_profile(caller, json_body(req, MAX_BODY)?).await,
            Route::AcceptTerms => self.accept_terms(caller, json_body(req, MAX_BODY)?).await,
            Route::ListLinks => self.list_links(caller).await,
            Route::CreateLink => self.create_link(caller, json_body(req, MAX_BODY)?).await,
            Route::Upload => self.upload(caller, json_body(req, MAX_BODY)?).await,
            Route::Dashboard => self.dashboard(caller, req).await,
            Route::Payouts => self.payouts(caller, req).await,
            Route::ListCodes => self.list_codes(caller).await,
            Route::CreateCode => self.create_code(caller, CodeBody::of(req)?).await,
            Route::Submissions => self.submissions(caller).await,
            Route::Calendar => self.calendar(caller, req).await,
            Route::MyRequests => self.my_requests(caller).await,
            Route::RequestProduct => {
                self.request_product(caller, json_body(req, MAX_BODY)?)
                    .await
            }
            Route::Creators => self.creators().await,
            Route::PayoutReport => self.payout_report(req).await,
            Route::Requests => self.requests(req).await,
            Route::Decide => {
                let param = |name: &str| {
                    params.get(name).ok_or_else(|| {
                        ApiError::internal(format!("the route has no parameter {name}"))
                    })
                };
                let creator = param("creator_id")?;
                let id = param("request_id")?;
                self.decide(creator, id, caller, json_body(req, MAX_BODY)?)
                    .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_reached_by_its_own_path_only() {
        for (method, pattern, roles, route) in TABLE {
            let path = pattern
                .replace("{creator_id}", "cr_ana")
                .replace("{request_id}", "pr_1");
            for p in [path.clone(), format!("{path}/")] {
                let (got, got_roles, _) = parse(method, &p).unwrap();
                assert_eq!((got, got_roles), (*route, *roles), "{method} {p}");
            }
            let others = TABLE
                .iter()
                .filter(|(m, p, ..)| m == method && p == pattern);
            assert_eq!(others.count(), 1, "{method} {pattern} is listed once");
        }
        let (_, _, params) =
            parse(&Method::POST, "/v1/creators/product-requests/cr_ana/pr_1").unwrap();
        assert_eq!(
            params,
            Params(vec![("creator_id", "cr_ana"), ("request_id", "pr_1")])
        );
    }

    #[test]
    fn anything_else_is_no_route() {
        for (method, path) in [
            (Method::DELETE, "/v1/creators/me"),
            (Method::GET, "/v1/creators/me/terms"),
            (Method::GET, "/v1/creators/cr_ana"),
            (Method::GET, "/v1/creators/me/../cr_ana/links"),
            (Method::GET, "/v1/creators/me//links"),
            (Method::GET, "/v1/creators/mex"),
            (Method::GET, "/v1/creatorsx"),
            (Method::GET, "/v1/creators/product-requests/cr_ana/pr_1"),
            (Method::POST, "/v1/creators/product-requests/cr_ana"),
            (Method::POST, "/v1/creators/product-requests//pr_1"),
            (Method::POST, "/v1/creators/product-requests/cr_ana/pr_1/x"),
            (Method::GET, "/"),
            (Method::GET, ""),
        ] {
            assert!(parse(&method, path).is_none(), "{method} {path}");
        }
    }
}
