//! The one way an item changes status, for every function that moves items (moderation,
//! scheduled publishing, rights enforcement, ingest's blocklist): the domain's transition rules —
//! with the item's rights and mappings when it is published — then the item in its new state and
//! its audit entry written together, conditional on the status that was read, so of two movers
//! only one wins.

use super::{ItemStore, MappingStore, PublishInputs, RightsStore};
use crate::{CdnInvalidator, MediaVisibility, PortError};
use reelcart_domain::content::{AuditEntry, Status, TransitionError, UgcItem, transition};

/// Why an item did not move.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    /// The rules refuse it (an illegal change, no reason for a rejection, no valid rights or no
    /// mapping for publishing).
    #[error(transparent)]
    Rule(#[from] TransitionError),
    #[error(transparent)]
    Store(#[from] PortError),
}

/// What a move did.
#[derive(Debug, Clone, PartialEq)]
pub enum Moved {
    /// Written: the item as it now is, and its audit entry.
    Done {
        item: Box<UgcItem>,
        entry: AuditEntry,
    },
    /// The stored status changed since `item` was read: nothing was written.
    Raced,
}

/// What the rules say of moving `item` to `to`: its audit entry, or why not (reading the item's
/// rights and mappings when it is to be published). Nothing is written.
async fn checked<S: ItemStore + RightsStore + MappingStore>(
    store: &S,
    item: &UgcItem,
    to: Status,
    actor: &str,
    reason: Option<&str>,
    now: i64,
) -> Result<AuditEntry, MoveError> {
    let inputs = if to == Status::Published {
        PublishInputs::load(store, &item.id).await?
    } else {
        PublishInputs::default()
    };
    let check = inputs.check(item, now);
    Ok(transition(
        &item.id,
        item.status,
        to,
        actor,
        reason,
        Some(&check),
        now,
    )?)
}

/// Move `item` (as read) to `to`, by `actor`, at `now`.
pub async fn move_item<S: ItemStore + RightsStore + MappingStore>(
    store: &S,
    item: &UgcItem,
    to: Status,
    actor: &str,
    reason: Option<&str>,
    now: i64,
) -> Result<Moved, MoveError> {
    let entry = checked(store, item, to, actor, reason, now).await?;
    write(store, item, entry, now).await
}

/// Write the move `entry` says (the rules passed), conditional on the status `item` was read with.
async fn write<S: ItemStore>(
    store: &S,
    item: &UgcItem,
    entry: AuditEntry,
    now: i64,
) -> Result<Moved, MoveError> {
    let mut moved = item.clone();
    moved.status = entry.to;
    moved.updated_at = now;
    if entry.to == Status::Rejected {
        moved.rejection = entry.reason.clone();
    }
    if store.record_transition(&moved, &entry).await? {
        Ok(Moved::Done {
            item: Box::new(moved),
            entry,
        })
    } else {
        Ok(Moved::Raced)
    }
}

/// What keeps an item's media off the CDN unless the item is published: its files' visibility
/// and the CDN's cache.
#[derive(Debug)]
pub struct MediaGate<'a, V, C> {
    pub visibility: &'a V,
    pub cdn: &'a C,
}

// Two references: copied whatever `V` and `C` are (a derive would ask them to be `Copy`).
impl<V, C> Clone for MediaGate<'_, V, C> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<V, C> Copy for MediaGate<'_, V, C> {}

impl<V: MediaVisibility, C: CdnInvalidator> MediaGate<'_, V, C> {
    /// Close an item's media: untag, then drop what the CDN cached (segments are cached for a year).
    pub async fn close(&self, item_id: &str) -> Result<usize, PortError> {
        let n = self.visibility.set(item_id, false).await?;
        self.cdn
            .invalidate(&[format!("/media/{item_id}/*")])
            .await?;
        Ok(n)
    }
}

/// [`move_item`], with the item's media following it: opened before an item is published
/// ([`publish_item`]), closed (and invalidated) before it leaves published. The media changes
/// first, so a failure there moves nothing and the caller may retry; a move that then does not
/// happen (raced, refused) puts the media back as the stored status wants it.
pub async fn move_item_and_media<
    S: ItemStore + RightsStore + MappingStore,
    V: MediaVisibility,
    C: CdnInvalidator,
>(
    store: &S,
    gate: MediaGate<'_, V, C>,
    item: &UgcItem,
    to: Status,
    actor: &str,
    reason: Option<&str>,
    now: i64,
) -> Result<Moved, MoveError> {
    if to == Status::Published && item.status != Status::Published {
        return publish_item(store, gate.visibility, item, actor, now).await;
    }
    if item.status != Status::Published || to == Status::Published {
        return move_item(store, item, to, actor, reason, now).await;
    }
    // The rules first: nothing is closed for a move they refuse.
    let entry = checked(store, item, to, actor, reason, now).await?;
    gate.close(&item.id).await?;
    let moved = write(store, item, entry, now).await;
    if !matches!(moved, Ok(Moved::Done { .. })) {
        put_back(store, gate.visibility, &item.id).await;
    }
    moved
}

/// Publish `item` with its media opened first (and put back if the move does not happen). The
/// rules are checked before anything is opened. It opens a second time after the move, for
/// files a transcode finished in between (the transcoder opens what it finishes for an item it
/// reads as published).
pub async fn publish_item<S: ItemStore + RightsStore + MappingStore, V: MediaVisibility>(
    store: &S,
    visibility: &V,
    item: &UgcItem,
    actor: &str,
    now: i64,
) -> Result<Moved, MoveError> {
    // The rules first: nothing is opened for a publish they refuse.
    let entry = checked(store, item, Status::Published, actor, None, now).await?;
    visibility.set(&item.id, true).await?;
    let moved = write(store, item, entry, now).await;
    if matches!(moved, Ok(Moved::Done { .. })) {
        if let Err(e) = visibility.set(&item.id, true).await {
            tracing::warn!(item_id = %item.id, error = %e, "published; files finished meanwhile may stay private until the next open");
        }
    } else {
        put_back(store, visibility, &item.id).await;
    }
    moved
}

/// Open the media of every published item: for a stack whose items were published before their
/// media was gated (untagged files are not on the CDN). Items, and files opened.
pub async fn open_published<S: ItemStore, V: MediaVisibility>(
    store: &S,
    visibility: &V,
) -> Result<(usize, usize), PortError> {
    let items = super::all_by_status(store, Status::Published).await?;
    let mut files = 0;
    for item in &items {
        files += visibility.set(&item.id, true).await?;
    }
    Ok((items.len(), files))
}

/// After a move that did not happen: the media as the stored status wants it.
async fn put_back<S: ItemStore, V: MediaVisibility>(store: &S, visibility: &V, item_id: &str) {
    let published = match store.item(item_id).await {
        Ok(stored) => stored.is_some_and(|i| i.status == Status::Published),
        Err(e) => {
            tracing::error!(%item_id, error = %e, "the move did not happen and the item could not be read to put its media back");
            return;
        }
    };
    if let Err(e) = visibility.set(item_id, published).await {
        tracing::error!(%item_id, published, error = %e, "the move did not happen and the media's visibility could not be put back");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::content::MemoryContent;
    use reelcart_domain::content::{MediaType, Source};

    #[tokio::test]
    async fn moves_once_with_its_audit_entry_and_the_rules_first() {
        let store = MemoryContent::default();
        let item = UgcItem::new(Source::Upload, "m1", MediaType::Video, "hi", 10);
        assert!(store.create_item(&item).await.unwrap());
        // No reason for a rejection: refused by the rules, nothing written.
        assert!(matches!(
            move_item(&store, &item, Status::Rejected, "mod", None, 20).await,
            Err(MoveError::Rule(TransitionError::ReasonRequired))
        ));
        let Moved::Done { item: moved, entry } = move_item(
            &store,
            &item,
            Status::Rejected,
            "mod",
            Some("off-brand"),
            20,
        )
        .await
        .unwrap() else {
            panic!("not moved");
        };
        assert_eq!(moved.status, Status::Rejected);
        assert_eq!(moved.rejection.as_deref(), Some("off-brand"));
        assert_eq!(moved.updated_at, 20);
        assert_eq!(store.audit(&item.id).await.unwrap(), vec![entry]);
        // The same move from the stale read loses.
        assert_eq!(
            move_item(&store, &item, Status::Rejected, "mod2", Some("late"), 30)
                .await
                .unwrap(),
            Moved::Raced
        );
        // Publishing without rights is refused.
        let approved = UgcItem {
            status: Status::Approved,
            ..UgcItem::new(Source::Upload, "m2", MediaType::Video, "", 10)
        };
        assert!(store.create_item(&approved).await.unwrap());
        assert!(matches!(
            move_item(&store, &approved, Status::Published, "pub", None, 40).await,
            Err(MoveError::Rule(TransitionError::NoValidRights(_)))
        ));
    }

    #[tokio::test]
    async fn media_is_opened_before_publishing_and_closed_before_leaving_published() {
        use crate::cdn::MemoryCdn;
        use crate::content::{MappingStore, RightsStore};
        use crate::media::MemoryMediaVisibility;
        use reelcart_domain::content::{Channel, Consent, ProductMapping, Rights};
        let store = MemoryContent::default();
        let vis = MemoryMediaVisibility::default();
        let cdn = MemoryCdn::default();
        let gate = MediaGate {
            visibility: &vis,
            cdn: &cdn,
        };
        let approved = UgcItem {
            status: Status::Approved,
            ..UgcItem::new(Source::Upload, "g1", MediaType::Video, "", 10)
        };
        assert!(store.create_item(&approved).await.unwrap());
        // Refused by the rules (no rights): nothing is opened.
        assert!(matches!(
            move_item_and_media(&store, gate, &approved, Status::Published, "m", None, 20).await,
            Err(MoveError::Rule(TransitionError::NoValidRights(_)))
        ));
        assert!(vis.calls().is_empty());
        store
            .put_rights(&Rights {
                id: "r1".into(),
                item_id: approved.id.clone(),
                license: "site".into(),
                channels: [Channel::Site].into_iter().collect(),
                starts_at: 0,
                expires_at: None,
                revoked_at: None,
                consent: Consent::PortalTerms {
                    creator_id: "cr-1".into(),
                    terms_version: "2026-01".into(),
                    accepted_at: 0,
                },
                artifact_key: "consent/r1.json".into(),
            })
            .await
            .unwrap();
        store
            .put_mapping(
                &approved.id,
                &ProductMapping {
                    sku: "SKU-1".into(),
                    placement: "pdp".into(),
                    confidence: 1.0,
                    pinned: true,
                },
            )
            .await
            .unwrap();
        let Moved::Done {
            item: published, ..
        } = move_item_and_media(&store, gate, &approved, Status::Published, "m", None, 30)
            .await
            .unwrap()
        else {
            panic!("not published");
        };
        assert!(vis.is_public(&approved.id));
        assert!(cdn.calls().is_empty(), "nothing to forget on publishing");
        // The backfill opens every published item's media (and only theirs).
        let other = UgcItem::new(Source::Upload, "g2", MediaType::Video, "", 10);
        assert!(store.create_item(&other).await.unwrap());
        let calls = vis.calls().len();
        assert_eq!(open_published(&store, &vis).await.unwrap().0, 1);
        assert_eq!(vis.calls()[calls..], [(approved.id.clone(), true)]);
        // A move the rules refuse closes nothing.
        let before = vis.calls().len();
        assert!(matches!(
            move_item_and_media(&store, gate, &published, Status::Rejected, "m", None, 40).await,
            Err(MoveError::Rule(_))
        ));
        assert_eq!(vis.calls().len(), before);
        // Archiving closes the files and forgets the cached copies.
        let Moved::Done { .. } =
            move_item_and_media(&store, gate, &published, Status::Archived, "m", None, 50)
                .await
                .unwrap()
        else {
            panic!("not archived");
        };
        assert!(!vis.is_public(&approved.id));
        assert_eq!(cdn.calls(), vec![vec![format!("/media/{}/*", approved.id)]]);
        // A stale read of the published item loses the race: the stored item is archived, so
        // its media stays closed.
        assert_eq!(
            move_item_and_media(&store, gate, &published, Status::Archived, "m2", None, 60)
                .await
                .unwrap(),
            Moved::Raced
        );
        assert!(!vis.is_public(&approved.id));
    }
}
