//! The one way an item changes status, for every function that moves items (moderation,
//! scheduled publishing, rights enforcement, ingest's blocklist): the domain's transition rules —
//! with the item's rights and mappings when it is published — then the item in its new state and
//! its audit entry written together, conditional on the status that was read, so of two movers
//! only one wins.

use super::{ItemStore, MappingStore, PublishInputs, RightsStore};
use crate::PortError;
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

/// Move `item` (as read) to `to`, by `actor`, at `now`.
pub async fn move_item<S: ItemStore + RightsStore + MappingStore>(
    store: &S,
    item: &UgcItem,
    to: Status,
    actor: &str,
    reason: Option<&str>,
    now: i64,
) -> Result<Moved, MoveError> {
    let inputs = if to == Status::Published {
        PublishInputs::load(store, &item.id).await?
    } else {
        PublishInputs::default()
    };
    let check = inputs.check(item, now);
    let entry = transition(&item.id, item.status, to, actor, reason, Some(&check), now)?;
    let mut moved = item.clone();
    moved.status = to;
    moved.updated_at = now;
    if to == Status::Rejected {
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
}
