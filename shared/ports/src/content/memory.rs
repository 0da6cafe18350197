//! Content in memory, with the same conditions and orders as the DynamoDB adapter.

use super::{BlocklistStore, HashtagBudgetStore, ItemStore, MappingStore, RightsStore};
use crate::{Page, PortResult, lock, status_sort_key};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct ContentState {
    items: BTreeMap<String, reelcart_domain::content::UgcItem>,
    audit: BTreeMap<String, Vec<reelcart_domain::content::AuditEntry>>,
    rights: BTreeMap<(String, String), reelcart_domain::content::Rights>,
    mappings: BTreeMap<(String, String, String), reelcart_domain::content::ProductMapping>,
    blocklist: reelcart_domain::content::blocklist::Blocklist,
    requests: BTreeMap<(String, String), reelcart_domain::content::rights_request::RightsRequest>,
    /// Rights requests whose comment is claimed (cleared when the request is written again).
    posting: std::collections::BTreeSet<(String, String)>,
    hashtags: reelcart_domain::content::hashtag_budget::HashtagBudget,
}

/// Content in memory, with the same conditions and orders as the DynamoDB adapter.
#[derive(Debug, Default, Clone)]
pub struct MemoryContent {
    state: Arc<Mutex<ContentState>>,
}

impl ItemStore for MemoryContent {
    async fn create_item(&self, item: &reelcart_domain::content::UgcItem) -> PortResult<bool> {
        let mut s = lock(&self.state);
        if s.items.contains_key(&item.id) {
            return Ok(false);
        }
        s.items.insert(item.id.clone(), item.clone());
        Ok(true)
    }

    async fn item(&self, id: &str) -> PortResult<Option<reelcart_domain::content::UgcItem>> {
        Ok(lock(&self.state).items.get(id).cloned())
    }

    async fn items_by_status(
        &self,
        status: reelcart_domain::content::Status,
        limit: usize,
        cursor: Option<&str>,
    ) -> PortResult<Page<reelcart_domain::content::UgcItem>> {
        let s = lock(&self.state);
        let mut items: Vec<(String, reelcart_domain::content::UgcItem)> = s
            .items
            .values()
            .filter(|i| i.status == status)
            .map(|i| (status_sort_key(i), i.clone()))
            .filter(|(k, _)| cursor.is_none_or(|c| k.as_str() > c))
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let more = items.len() > limit;
        items.truncate(limit);
        let cursor = if more {
            items.last().map(|(k, _)| k.clone())
        } else {
            None
        };
        Ok(Page {
            items: items.into_iter().map(|(_, i)| i).collect(),
            cursor,
        })
    }

    async fn items_by_creator(
        &self,
        creator_id: &str,
        limit: usize,
    ) -> PortResult<Vec<reelcart_domain::content::UgcItem>> {
        let mut v: Vec<_> = lock(&self.state)
            .items
            .values()
            .filter(|i| {
                i.source == reelcart_domain::content::Source::Upload
                    && i.author.creator_id.as_deref() == Some(creator_id)
            })
            .cloned()
            .collect();
        v.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        v.truncate(limit);
        Ok(v)
    }

    async fn record_transition(
        &self,
        item: &reelcart_domain::content::UgcItem,
        entry: &reelcart_domain::content::AuditEntry,
    ) -> PortResult<bool> {
        let mut s = lock(&self.state);
        if s.items.get(&item.id).map(|i| i.status) != Some(entry.from) {
            return Ok(false);
        }
        s.items.insert(item.id.clone(), item.clone());
        s.audit
            .entry(item.id.clone())
            .or_default()
            .push(entry.clone());
        Ok(true)
    }

    async fn audit(&self, item_id: &str) -> PortResult<Vec<reelcart_domain::content::AuditEntry>> {
        let mut v = lock(&self.state)
            .audit
            .get(item_id)
            .cloned()
            .unwrap_or_default();
        v.sort_by_key(|e| e.at);
        Ok(v)
    }
}

impl RightsStore for MemoryContent {
    async fn put_rights(&self, rights: &reelcart_domain::content::Rights) -> PortResult<()> {
        lock(&self.state)
            .rights
            .insert((rights.item_id.clone(), rights.id.clone()), rights.clone());
        Ok(())
    }

    async fn rights(&self, item_id: &str) -> PortResult<Vec<reelcart_domain::content::Rights>> {
        Ok(lock(&self.state)
            .rights
            .iter()
            .filter(|((i, _), _)| i == item_id)
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn put_rights_request(
        &self,
        request: &reelcart_domain::content::rights_request::RightsRequest,
    ) -> PortResult<()> {
        let key = (request.item_id.clone(), request.id.clone());
        let mut s = lock(&self.state);
        s.posting.remove(&key);
        s.requests.insert(key, request.clone());
        Ok(())
    }

    async fn claim_rights_request_post(
        &self,
        item_id: &str,
        request_id: &str,
        _now: i64,
    ) -> PortResult<bool> {
        let key = (item_id.to_string(), request_id.to_string());
        let mut s = lock(&self.state);
        Ok(s.requests.contains_key(&key) && s.posting.insert(key))
    }

    async fn rights_requests(
        &self,
        item_id: &str,
    ) -> PortResult<Vec<reelcart_domain::content::rights_request::RightsRequest>> {
        Ok(lock(&self.state)
            .requests
            .iter()
            .filter(|((i, _), _)| i == item_id)
            .map(|(_, r)| r.clone())
            .collect())
    }
}

impl MappingStore for MemoryContent {
    async fn put_mapping(
        &self,
        item_id: &str,
        mapping: &reelcart_domain::content::ProductMapping,
    ) -> PortResult<()> {
        lock(&self.state).mappings.insert(
            (
                item_id.to_string(),
                mapping.placement.clone(),
                mapping.sku.clone(),
            ),
            mapping.clone(),
        );
        Ok(())
    }

    async fn delete_mapping(&self, item_id: &str, placement: &str, sku: &str) -> PortResult<bool> {
        Ok(lock(&self.state)
            .mappings
            .remove(&(item_id.to_string(), placement.to_string(), sku.to_string()))
            .is_some())
    }

    async fn mappings(
        &self,
        item_id: &str,
    ) -> PortResult<Vec<reelcart_domain::content::ProductMapping>> {
        Ok(lock(&self.state)
            .mappings
            .iter()
            .filter(|((i, _, _), _)| i == item_id)
            .map(|(_, m)| m.clone())
            .collect())
    }
}

impl BlocklistStore for MemoryContent {
    async fn blocklist(&self) -> PortResult<reelcart_domain::content::blocklist::Blocklist> {
        Ok(lock(&self.state).blocklist.clone())
    }

    async fn put_blocklist(
        &self,
        blocklist: &reelcart_domain::content::blocklist::Blocklist,
    ) -> PortResult<()> {
        lock(&self.state).blocklist = blocklist.clone();
        Ok(())
    }
}

impl HashtagBudgetStore for MemoryContent {
    async fn hashtag_budget(
        &self,
    ) -> PortResult<reelcart_domain::content::hashtag_budget::HashtagBudget> {
        Ok(lock(&self.state).hashtags.clone())
    }

    async fn put_hashtag_budget(
        &self,
        budget: &reelcart_domain::content::hashtag_budget::HashtagBudget,
    ) -> PortResult<()> {
        lock(&self.state).hashtags = budget.clone();
        Ok(())
    }
}
