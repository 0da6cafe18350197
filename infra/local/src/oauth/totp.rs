//! Time-based one-time passwords (RFC 6238 over RFC 4226: HMAC-SHA1, 30-second steps, six
//! digits), as an authenticator app computes them for Cognito's `SOFTWARE_TOKEN_MFA`. The
//! base32 text (RFC 4648, no padding) is written here: it is a few lines, and only this
//! development stand-in needs it.

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// A new 160-bit secret (RFC 4226 §4's recommended length).
pub fn secret() -> Result<Vec<u8>, &'static str> {
    let mut s = vec![0u8; 20];
    SystemRandom::new()
        .fill(&mut s)
        .map_err(|_| "no random source")?;
    Ok(s)
}

/// RFC 4648 base32, without padding (what authenticator apps read from `otpauth://` URIs).
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buf >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buf << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The six-digit code of time step `counter` (RFC 4226 §5.3's dynamic truncation).
pub fn code(secret: &[u8], counter: u64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[19] & 0x0f);
    let bin = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    format!("{:06}", bin % 1_000_000)
}

/// Is `given` the code of the step at `unix` seconds, or of the step before or after (clock
/// drift, as RFC 6238 §5.2 allows)? Compared in constant time.
pub fn verify(secret: &[u8], given: &str, unix: i64) -> bool {
    let given = given.trim();
    let step = (unix.max(0) / 30) as u64;
    let mut ok = false;
    for counter in [step.saturating_sub(1), step, step + 1] {
        ok |= aws_lc_rs::constant_time::verify_slices_are_equal(
            code(secret, counter).as_bytes(),
            given.as_bytes(),
        )
        .is_ok();
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 vectors (the last six digits of its eight).
    #[test]
    fn rfc_6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, want) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code(secret, t / 30), want, "t = {t}");
        }
        assert!(verify(secret, "287082", 59));
        assert!(verify(secret, "287082", 80), "one step of drift");
        assert!(!verify(secret, "287082", 120));
        assert!(!verify(secret, "", 59));
    }

    #[test]
    fn base32_is_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(
            base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }
}
