//! Who is calling: the claims of a JWT that API Gateway's HTTP API JWT authorizer has already
//! validated (signature against the issuer's JWKS, `iss`, `aud`/`client_id`, `exp`). The function
//! only decides what the caller may do: roles come from the `cognito:groups` claim (or `roles`).
//!
//! API Gateway hands claims over as strings; an array claim arrives as `[admin moderator]`. Both
//! that form and a JSON array are read. A request without validated claims never reaches a
//! protected route in AWS (API Gateway answers 401 itself); should one arrive anyway (a route left
//! without its authorizer), it is refused with 401 here too.

use crate::http::ApiError;
use lambda_http::Request;
use lambda_http::http::{Extensions, StatusCode};
use lambda_http::request::RequestContext;

/// Claims that carry roles, in the order they are read.
pub const ROLE_CLAIMS: [&str; 2] = ["cognito:groups", "roles"];

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub`.
    pub subject: String,
    pub roles: Vec<String>,
}

impl Principal {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// The caller, from the authorizer's claims; 401 when there are none.
    pub fn from_request(req: &Request) -> Result<Self, ApiError> {
        Self::from_extensions(req.extensions())
    }

    /// As [`Principal::from_request`], from a request's extensions (where `lambda_http` keeps
    /// the request context).
    pub fn from_extensions(ext: &Extensions) -> Result<Self, ApiError> {
        let unauthorized = || {
            ApiError::client(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid token is required",
            )
        };
        let claims = match ext.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .map(|j| &j.claims),
            _ => None,
        }
        .ok_or_else(unauthorized)?;
        let subject = claims
            .get("sub")
            .filter(|s| !s.is_empty())
            .ok_or_else(unauthorized)?
            .clone();
        let roles = ROLE_CLAIMS
            .iter()
            .find_map(|c| claims.get(*c))
            .map(|v| parse_list(v))
            .unwrap_or_default();
        Ok(Self { subject, roles })
    }

    /// The caller if they hold one of `roles`: 401 without a token, 403 without the role.
    pub fn require(req: &Request, roles: &[&str]) -> Result<Self, ApiError> {
        Self::require_in(req.extensions(), roles)
    }

    /// As [`Principal::require`], from a request's extensions.
    pub fn require_in(ext: &Extensions, roles: &[&str]) -> Result<Self, ApiError> {
        let p = Self::from_extensions(ext)?;
        if roles.iter().any(|r| p.has_role(r)) {
            Ok(p)
        } else {
            Err(ApiError::client(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("this route needs the role {}", roles.join(" or ")),
            ))
        }
    }
}

/// A list claim as API Gateway renders it (`[a b]`), as JSON (`["a","b"]`), or a single value.
pub fn parse_list(v: &str) -> Vec<String> {
    let v = v.trim();
    if let Ok(list) = serde_json::from_str::<Vec<String>>(v) {
        return list;
    }
    v.trim_start_matches('[')
        .trim_end_matches(']')
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::RequestExt;
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;

    fn request(claims: Option<serde_json::Value>) -> Request {
        let mut ctx = serde_json::json!({"http": {"method": "GET"}, "timeEpoch": 0});
        if let Some(c) = claims {
            ctx["authorizer"] = serde_json::json!({"jwt": {"claims": c, "scopes": null}});
        }
        let ctx: ApiGatewayV2httpRequestContext = serde_json::from_value(ctx).unwrap();
        Request::default().with_request_context(RequestContext::ApiGatewayV2(ctx))
    }

    #[test]
    fn roles_from_api_gateway_rendering_json_and_single_values() {
        assert_eq!(parse_list("[admin moderator]"), ["admin", "moderator"]);
        assert_eq!(
            parse_list(r#"["admin","moderator"]"#),
            ["admin", "moderator"]
        );
        assert_eq!(parse_list("admin"), ["admin"]);
        assert!(parse_list("[]").is_empty());
    }

    #[test]
    fn no_claims_is_401_wrong_role_403_right_role_ok() {
        let status = |r: Result<Principal, ApiError>| r.map_err(|e| e.status());
        assert_eq!(
            status(Principal::require(&Request::default(), &["admin"])),
            Err(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            status(Principal::require(&request(None), &["admin"])),
            Err(StatusCode::UNAUTHORIZED)
        );
        let moderator = request(Some(
            serde_json::json!({"sub": "u1", "cognito:groups": "[moderator]"}),
        ));
        assert_eq!(
            status(Principal::require(&moderator, &["admin"])),
            Err(StatusCode::FORBIDDEN)
        );
        let admin = request(Some(
            serde_json::json!({"sub": "u2", "cognito:groups": "[moderator admin]"}),
        ));
        assert_eq!(
            Principal::require(&admin, &["admin"]).unwrap(),
            Principal {
                subject: "u2".into(),
                roles: vec!["moderator".into(), "admin".into()]
            }
        );
    }
}
