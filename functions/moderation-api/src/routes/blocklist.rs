//! The blocklists: read by moderators, replaced by admins.

use crate::Api;
use crate::Ports;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::content::blocklist::Blocklist;
use reelcart_lambda::http::{ApiError, json};
use reelcart_ports::BlocklistStore;
use serde_json::json as j;

impl<P: Ports> Api<P> {
    pub(super) async fn blocklist(&self) -> Result<Response<Body>, ApiError> {
        let b = self.content.blocklist().await?;
        Ok(json(StatusCode::OK, &j!({ "blocklist": b })))
    }

    pub(super) async fn put_blocklist(&self, b: Blocklist) -> Result<Response<Body>, ApiError> {
        self.content.put_blocklist(&b).await?;
        Ok(json(StatusCode::OK, &j!({ "blocklist": b })))
    }
}
