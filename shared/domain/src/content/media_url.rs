//! Media is downloaded only from the platforms' CDNs: a `media_url` is fetched only if it is
//! HTTPS on the default port, names a host (not an address) on the allow-list, and carries no
//! credentials — so a crafted URL cannot make Reelcart fetch from its own network (SSRF). The
//! fetcher must also refuse a host that resolves to a private address and must not follow
//! redirects off the list.
//!
//! An allow-list entry is a host (`cdn.example.com`), a subdomain pattern (`*.cdninstagram.com`),
//! or a whole origin (`http://127.0.0.1:4010`), which allows exactly that origin — how the local
//! stack lets the platform simulator serve media.

/// The platforms' media hosts: Instagram (`cdninstagram.com`, `fbcdn.net`) and TikTok.
pub const DEFAULT_HOSTS: &[&str] = &[
    "*.cdninstagram.com",
    "*.fbcdn.net",
    "*.tiktokcdn.com",
    "*.tiktokcdn-us.com",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    #[error("not a URL")]
    Unparsable,
    #[error("only https is fetched")]
    NotHttps,
    #[error("URLs with credentials are refused")]
    Credentials,
    #[error("only the default port is allowed")]
    Port,
    #[error("an IP address is not a media host")]
    Address,
    #[error("host `{0}` is not on the media allow-list")]
    HostNotAllowed(String),
}

/// Does `host` match an entry (`example.com` exactly, `*.example.com` any subdomain)?
fn host_matches(host: &str, entry: &str) -> bool {
    let entry = entry.trim().to_ascii_lowercase();
    match entry.strip_prefix("*.") {
        Some(domain) => host.len() > domain.len() + 1 && host.ends_with(&format!(".{domain}")),
        None => host == entry,
    }
}

/// Check `url` against `allowed` hosts; the lowercased host on success.
pub fn check(url: &str, allowed: &[impl AsRef<str>]) -> Result<String, UrlRefusal> {
    let uri: http::Uri = url.trim().parse().map_err(|_| UrlRefusal::Unparsable)?;
    // An entry that is a whole origin (`http://127.0.0.1:4010`, the local platform simulator)
    // allows exactly that origin: configuration, never a default.
    if let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) {
        let origin = format!("{scheme}://{}", authority.as_str()).to_ascii_lowercase();
        if allowed.iter().any(|e| {
            e.as_ref()
                .trim()
                .trim_end_matches('/')
                .eq_ignore_ascii_case(&origin)
        }) {
            return Ok(authority.host().to_ascii_lowercase());
        }
    }
    if uri.scheme_str() != Some("https") {
        return Err(UrlRefusal::NotHttps);
    }
    let authority = uri.authority().ok_or(UrlRefusal::Unparsable)?;
    if authority.as_str().contains('@') {
        return Err(UrlRefusal::Credentials);
    }
    if authority.port_u16().is_some_and(|p| p != 443) {
        return Err(UrlRefusal::Port);
    }
    let host = authority.host().to_ascii_lowercase();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_ok()
        || host
            .split('.')
            .all(|p| p.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(UrlRefusal::Address);
    }
    if host.ends_with('.') || !allowed.iter().any(|e| host_matches(&host, e.as_ref())) {
        return Err(UrlRefusal::HostNotAllowed(host));
    }
    Ok(host)
}

/// Is `ip` an address on the public internet? Media hosts must resolve only to such addresses:
/// a DNS name pointed at 127.0.0.1, 10.x, 169.254.169.254 (instance metadata) or the like is
/// refused after resolution.
pub fn is_public_ip(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                // The 6to4 relay anycast 192.88.99.0/24.
                || (a == 192 && b == 88 && c == 99)
                || (a == 198 && (18..20).contains(&b))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_ip(IpAddr::V4(v4));
            }
            let s = v6.segments();
            let first = s[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // IPv4-compatible ::a.b.c.d (deprecated; ::127.0.0.1 reaches loopback on some
                // stacks): the whole of ::/96.
                || s[..6].iter().all(|x| *x == 0)
                // Discard-only 100::/64.
                || (first == 0x0100 && s[1..4].iter().all(|x| *x == 0))
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                // Site-local fec0::/10 (deprecated).
                || (first & 0xffc0) == 0xfec0
                // 2001::/23, IETF protocol assignments: Teredo 2001::/32 (tunnels to an
                // address it embeds), benchmarking, ORCHID.
                || (first == 0x2001 && s[1] < 0x0200)
                || first == 0x2001 && s[1] == 0x0db8
                // 6to4 2002::/16: the IPv4 address in its next 32 bits, behind a relay.
                || first == 0x2002
                // NAT64, well-known 64:ff9b::/96 and local-use 64:ff9b:1::/48.
                || first == 0x0064 && s[1] == 0xff9b)
        }
    }
}
