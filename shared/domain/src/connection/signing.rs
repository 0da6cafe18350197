//! TikTok Shop API request signing (`spec/platforms.md` §2).

use crate::webhook::sign_hex;

/// The `sign` query parameter of a TikTok Shop API request: every query parameter except `sign`
/// and `access_token`, sorted by name, concatenated as `{key}{value}`, prefixed with the path,
/// followed by the raw body (pass `None` for `multipart/form-data`), wrapped in the app secret on
/// both sides, HMAC-SHA256 keyed with the app secret, lowercase hex.
pub fn tiktok_shop_sign(
    app_secret: &str,
    path: &str,
    query: &[(&str, &str)],
    body: Option<&[u8]>,
) -> String {
    let mut params: Vec<&(&str, &str)> = query
        .iter()
        .filter(|(k, _)| *k != "sign" && *k != "access_token")
        .collect();
    params.sort_by(|a, b| a.0.cmp(b.0));
    let mut input = String::with_capacity(app_secret.len() * 2 + path.len() + 64);
    input.push_str(app_secret);
    input.push_str(path);
    for (k, v) in params {
        input.push_str(k);
        input.push_str(v);
    }
    let secret = app_secret.as_bytes();
    match body {
        Some(b) => sign_hex(secret, &[input.as_bytes(), b, secret]),
        None => sign_hex(secret, &[input.as_bytes(), secret]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::Sha256;

    fn reference(secret: &str, wrapped: &str) -> String {
        let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        m.update(wrapped.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }

    #[test]
    fn sorted_params_path_prefix_body_and_secret_wrapping() {
        let query = [
            ("timestamp", "1623812664"),
            ("app_key", "29a39d"),
            ("shop_cipher", "GCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3"),
            ("sign", "ignored"),
            ("access_token", "ignored-too"),
            ("version", "202309"),
        ];
        let body = br#"{"title":"Tee"}"#;
        let got = tiktok_shop_sign("e59af8", "/product/202309/products", &query, Some(body));
        let expected = reference(
            "e59af8",
            "e59af8/product/202309/productsapp_key29a39dshop_cipherGCP_XF90igAAAABh00qsWgtvOiGFNqyubMt3timestamp1623812664version202309{\"title\":\"Tee\"}e59af8",
        );
        assert_eq!(got, expected);
        assert_eq!(got.len(), 64);
        assert!(
            got.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }

    #[test]
    fn multipart_bodies_are_not_signed_and_param_order_does_not_matter() {
        let a = tiktok_shop_sign(
            "s",
            "/product/202309/images/upload",
            &[("b", "2"), ("a", "1")],
            None,
        );
        let b = tiktok_shop_sign(
            "s",
            "/product/202309/images/upload",
            &[("a", "1"), ("b", "2")],
            None,
        );
        assert_eq!(a, b);
        assert_eq!(a, reference("s", "s/product/202309/images/uploada1b2s"));
    }
}
