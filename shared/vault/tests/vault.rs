//! Vault behaviour over the in-memory key service (the KMS adapter passes the same key-service
//! contract on the emulator, and the same vault tests run there in `tests/`).

use reelcart_ports::memory::MemoryKeys;
use reelcart_vault::{Sealed, TokenSet, Vault, VaultError};
use secrecy::{ExposeSecret, SecretString};

fn tokens() -> TokenSet {
    TokenSet {
        access_token: SecretString::from("TTP_access_5f2a9c".to_string()),
        refresh_token: Some(SecretString::from("TTP_refresh_77bd01".to_string())),
    }
}

#[tokio::test]
async fn sealed_tokens_open_only_for_their_connection() {
    let vault = Vault::new(MemoryKeys::with_keys(&["k1"]), "k1");
    let sealed = vault.seal("tiktok-shop#shop1", &tokens()).await.unwrap();
    let json = serde_json::to_string(&sealed).unwrap();
    assert!(
        !json.contains("TTP_access_5f2a9c") && !json.contains("TTP_refresh_77bd01"),
        "no token at rest"
    );
    let opened = vault.open("tiktok-shop#shop1", &sealed).await.unwrap();
    assert_eq!(opened.access_token.expose_secret(), "TTP_access_5f2a9c");
    assert_eq!(
        opened.refresh_token.unwrap().expose_secret(),
        "TTP_refresh_77bd01"
    );
    // Moved onto another connection's record: does not open.
    assert!(matches!(
        vault.open("tiktok-shop#shop2", &sealed).await,
        Err(VaultError::Integrity)
    ));
}

#[tokio::test]
async fn tampering_is_detected() {
    let vault = Vault::new(MemoryKeys::with_keys(&["k1"]), "k1");
    let sealed = vault.seal("c", &tokens()).await.unwrap();
    let mut bad = sealed.clone();
    let mut ct = bad.ciphertext.into_bytes();
    ct[4] = if ct[4] == b'A' { b'B' } else { b'A' };
    bad.ciphertext = String::from_utf8(ct).unwrap();
    assert!(matches!(
        vault.open("c", &bad).await,
        Err(VaultError::Integrity)
    ));
    let bad = Sealed {
        nonce: "AAAA".into(),
        ..sealed
    };
    assert!(matches!(
        vault.open("c", &bad).await,
        Err(VaultError::Format(_))
    ));
}

#[tokio::test]
async fn every_seal_uses_a_fresh_data_key_and_nonce() {
    let vault = Vault::new(MemoryKeys::with_keys(&["k1"]), "k1");
    let a = vault.seal("c", &tokens()).await.unwrap();
    let b = vault.seal("c", &tokens()).await.unwrap();
    assert_ne!(a.wrapped_key, b.wrapped_key);
    assert_ne!(a.nonce, b.nonce);
    assert_ne!(a.ciphertext, b.ciphertext);
}

#[tokio::test]
async fn key_rotation_old_records_open_and_reseal_moves_them() {
    let keys = MemoryKeys::with_keys(&["k1", "k2"]);
    let old = Vault::new(keys, "k1").seal("c", &tokens()).await.unwrap();
    let keys = MemoryKeys::with_keys(&["k1", "k2"]);
    // Same key store, rotated: reads accept the old key, reseal moves to the new one.
    let v1 = Vault::new(keys, "k1");
    let sealed_k1 = v1.seal("c", &tokens()).await.unwrap();
    let v2 = Vault::new(v1.into_keys(), "k2");
    assert!(!v2.is_current(&sealed_k1));
    assert_eq!(
        v2.open("c", &sealed_k1)
            .await
            .unwrap()
            .access_token
            .expose_secret(),
        "TTP_access_5f2a9c"
    );
    let moved = v2.reseal("c", &sealed_k1).await.unwrap().unwrap();
    assert_eq!(moved.key_id, "k2");
    assert!(
        v2.reseal("c", &moved).await.unwrap().is_none(),
        "already current"
    );
    // A record from a different key store cannot be unwrapped here.
    assert!(matches!(
        v2.open("c", &old).await,
        Err(VaultError::Integrity | VaultError::Keys(_))
    ));
}

/// The data key is bound to its connection by the key service's encryption context: a record
/// whose wrapped key and ciphertext were both copied from another connection's does not open
/// (the key service refuses the context before AES-GCM's associated data is even checked), and
/// a record naming another key than the one that wrapped it is refused too.
#[tokio::test]
async fn a_wrapped_key_opens_only_for_its_connection_and_its_key() {
    let v = Vault::new(MemoryKeys::with_keys(&["k1", "k2"]), "k1");
    let sealed = v.seal("conn-a", &tokens()).await.unwrap();
    assert!(v.open("conn-a", &sealed).await.is_ok());
    let calls = v.keys().calls.load(std::sync::atomic::Ordering::SeqCst);
    assert!(matches!(
        v.open("conn-b", &sealed).await,
        Err(VaultError::Integrity)
    ));
    assert_eq!(
        v.keys().calls.load(std::sync::atomic::Ordering::SeqCst),
        calls + 1,
        "refused by the key service itself"
    );
    let mut renamed = sealed.clone();
    renamed.key_id = "k2".into();
    assert!(matches!(
        v.open("conn-a", &renamed).await,
        Err(VaultError::Integrity)
    ));
}

#[tokio::test]
async fn debug_output_never_contains_tokens() {
    let t = tokens();
    let dbg = format!("{t:?}");
    assert!(
        !dbg.contains("TTP_access") && !dbg.contains("TTP_refresh"),
        "{dbg}"
    );
}
