//! The routes, each written once in [`CreatorApi::routes`] with the role its caller needs (an
//! extractor: `401`/`403` before the body is read; an unknown path is `404 not_found` and another
//! method `405`, before any token is looked at), and [`routes`] lists them (to check the OpenAPI
//! document against them). The handlers live with their resource:
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

use crate::{AwsCreatorApi, CreatorApi, Presigner, StoreDiscounts};
use codes::CodeBody;
use content::MonthQuery;
use lambda_http::http::{Method, StatusCode};
use product_requests::StatusQuery;
use reelcart_lambda::http::ApiError;
use reelcart_lambda::router::{
    Admin, Caller, CreatorRole, HttpApi, Json, PathParams, Query, RawBody, Routes, State,
};
use reelcart_ports::{AnalyticsStore, CatalogStore, CreatorStore, ItemStore, MediaRecords};
use reports::{DashboardQuery, PeriodQuery};
use std::sync::Arc;

/// A creator calling about themselves (the token's subject), or the brand's admin.
type Me = Caller<CreatorRole>;
type Brand = Caller<Admin>;

/// Every route the API serves: method and path, as the OpenAPI document writes them.
pub fn routes() -> Vec<(Method, &'static str)> {
    <AwsCreatorApi as HttpApi>::routes().list()
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
    S: CreatorStore + 'static,
    C: CatalogStore + 'static,
    P: Presigner + 'static,
    A: AnalyticsStore + 'static,
    K: ItemStore + 'static,
    M: MediaRecords + 'static,
    D: StoreDiscounts + 'static,
> HttpApi for CreatorApi<S, C, P, A, K, M, D>
{
    /// Every route: method, path (as in the OpenAPI document), who may call it (the extractor),
    /// and what serves it.
    fn routes() -> Routes<Arc<Self>> {
        type App<T> = State<Arc<T>>;
        Routes::default()
            // The creator's own data: the token's subject is the creator.
            .get(
                "/v1/creators/me",
                |State(a): App<Self>, me: Me| async move { a.profile(me.subject()).await },
            )
            .put(
                "/v1/creators/me",
                |State(a): App<Self>, me: Me, Json(b): Json<_>| async move {
                    a.put_profile(me.subject(), b).await
                },
            )
            .post(
                "/v1/creators/me/terms",
                |State(a): App<Self>, me: Me, Json(b): Json<_>| async move {
                    a.accept_terms(me.subject(), b).await
                },
            )
            .get(
                "/v1/creators/me/links",
                |State(a): App<Self>, me: Me| async move { a.list_links(me.subject()).await },
            )
            .post(
                "/v1/creators/me/links",
                |State(a): App<Self>, me: Me, Json(b): Json<_>| async move {
                    a.create_link(me.subject(), b).await
                },
            )
            .post(
                "/v1/creators/me/uploads",
                |State(a): App<Self>, me: Me, Json(b): Json<_>| async move {
                    a.upload(me.subject(), b).await
                },
            )
            .get(
                "/v1/creators/me/dashboard",
                |State(a): App<Self>, me: Me, Query(q): Query<DashboardQuery>| async move {
                    a.dashboard(me.subject(), q).await
                },
            )
            .get(
                "/v1/creators/me/payouts",
                |State(a): App<Self>, me: Me, Query(q): Query<PeriodQuery>| async move {
                    a.payouts(me.subject(), q).await
                },
            )
            .get(
                "/v1/creators/me/codes",
                |State(a): App<Self>, me: Me| async move { a.list_codes(me.subject()).await },
            )
            .post(
                "/v1/creators/me/codes",
                |State(a): App<Self>, me: Me, RawBody(b): RawBody| async move {
                    a.create_code(me.subject(), CodeBody::of(&b)?).await
                },
            )
            .get(
                "/v1/creators/me/submissions",
                |State(a): App<Self>, me: Me| async move { a.submissions(me.subject()).await },
            )
            .get(
                "/v1/creators/me/calendar",
                |State(a): App<Self>, me: Me, Query(q): Query<MonthQuery>| async move {
                    a.calendar(me.subject(), q).await
                },
            )
            .get(
                "/v1/creators/me/product-requests",
                |State(a): App<Self>, me: Me| async move { a.my_requests(me.subject()).await },
            )
            .post(
                "/v1/creators/me/product-requests",
                |State(a): App<Self>, me: Me, Json(b): Json<_>| async move {
                    a.request_product(me.subject(), b).await
                },
            )
            // The brand's.
            .get("/v1/creators", |State(a): App<Self>, _: Brand| async move {
                a.creators().await
            })
            .get(
                "/v1/creators/payouts",
                |State(a): App<Self>, _: Brand, Query(q): Query<PeriodQuery>| async move {
                    a.payout_report(q).await
                },
            )
            .get(
                "/v1/creators/product-requests",
                |State(a): App<Self>, _: Brand, Query(q): Query<StatusQuery>| async move {
                    a.requests(q).await
                },
            )
            .put(
                "/v1/creators/{creator_id}/commission",
                |State(a): App<Self>,
                 who: Brand,
                 PathParams(creator): PathParams<String>,
                 Json(b): Json<_>| async move {
                    a.set_commission(&creator, who.subject(), b).await
                },
            )
            .get(
                "/v1/creators/codes",
                |State(a): App<Self>, _: Brand, Query(q): Query<StatusQuery>| async move {
                    a.all_codes(q).await
                },
            )
            .post(
                "/v1/creators/codes/{code}",
                |State(a): App<Self>,
                 who: Brand,
                 PathParams(code): PathParams<String>,
                 Json(b): Json<_>| async move {
                    a.decide_code(&code, who.subject(), b).await
                },
            )
            .post(
                "/v1/creators/product-requests/{creator_id}/{request_id}",
                |State(a): App<Self>,
                 who: Brand,
                 PathParams((creator, id)): PathParams<(String, String)>,
                 Json(b): Json<_>| async move {
                    a.decide(&creator, &id, who.subject(), b).await
                },
            )
    }
}
