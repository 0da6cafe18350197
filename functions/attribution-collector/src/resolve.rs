//! Who a beacon's content credits, from the content item — never from the beacon. A beacon is a
//! client's report of what it saw: it may name any content, creator, platform or campaign. Only
//! the content id is taken from it; the creator and platform are the item's, and the campaign is
//! none (a content touch has no campaign; links and codes carry theirs, signed or stored).

use crate::{Collector, Error};
use reelcart_domain::attribution::Event;
use reelcart_domain::content::Status;
use reelcart_ports::{ItemStore, MappingStore};
use std::collections::{BTreeSet, HashMap};

/// What the collector reads of content: items (published? whose?) and their product mappings
/// (which order lines a touch of them is about).
pub trait ContentReads: ItemStore + MappingStore {}
impl<T: ItemStore + MappingStore> ContentReads for T {}

/// Content reads in flight at once while resolving a batch.
const READS_AT_ONCE: usize = 16;

/// What a published item credits.
struct Credited {
    creator_id: Option<String>,
    platform: &'static str,
}

impl<A, Q, B, L, K: ContentReads, C> Collector<A, Q, B, L, K, C> {
    /// The events whose content is published now, with the item's creator and platform in place
    /// of the client's, and no campaign; and how many were dropped because their content is
    /// unknown or not published (queued, in review, approved but not yet live, archived,
    /// rejected): those count and credit nothing. One read per distinct content of the batch, at
    /// most [`READS_AT_ONCE`] at a time.
    pub(crate) async fn resolve(&self, events: Vec<Event>) -> Result<(Vec<Event>, usize), Error> {
        let ids: Vec<String> = events
            .iter()
            .map(|e| e.beacon.ugc_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // At most a few reads at a time: a batch of junk beacons naming thousands of made-up ids
        // must not fan out into thousands of concurrent reads.
        let mut items = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(READS_AT_ONCE) {
            items.extend(
                futures::future::try_join_all(chunk.iter().map(|id| self.content.item(id))).await?,
            );
        }
        let published: HashMap<String, Credited> = ids
            .into_iter()
            .zip(items)
            .filter_map(|(id, item)| {
                let item = item.filter(|i| i.status == Status::Published)?;
                Some((
                    id,
                    Credited {
                        creator_id: item.author.creator_id.clone(),
                        platform: item.source_name(),
                    },
                ))
            })
            .collect();
        let before = events.len();
        let resolved: Vec<Event> = events
            .into_iter()
            .filter_map(|mut e| {
                let c = published.get(&e.beacon.ugc_id)?;
                e.beacon.creator_id = c.creator_id.clone();
                e.beacon.platform = Some(c.platform.to_string());
                e.beacon.campaign = None;
                Some(e)
            })
            .collect();
        let dropped = before - resolved.len();
        if dropped > 0 {
            tracing::info!(
                dropped,
                "beacons for content that is not published: not counted"
            );
        }
        Ok((resolved, dropped))
    }

    /// The products (variant SKUs, any placement) each of `ids` is mapped to: what a touch of it
    /// is about. At most [`READS_AT_ONCE`] reads at a time.
    pub(crate) async fn products_of(
        &self,
        ids: BTreeSet<&str>,
    ) -> Result<HashMap<String, Vec<String>>, Error> {
        let ids: Vec<&str> = ids.into_iter().collect();
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(READS_AT_ONCE) {
            let mappings =
                futures::future::try_join_all(chunk.iter().map(|id| self.content.mappings(id)))
                    .await?;
            for (id, m) in chunk.iter().zip(mappings) {
                let mut skus: Vec<String> = m.into_iter().map(|m| m.sku).collect();
                skus.sort();
                skus.dedup();
                out.insert(id.to_string(), skus);
            }
        }
        Ok(out)
    }
}
