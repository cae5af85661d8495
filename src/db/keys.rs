//! Compact, ordered sled keys. Every index lives in one `index` tree under
//! a one-byte prefix; fields are joined by `0x00` (store ids, phones and
//! trans_ids never contain it) and numbers are big-endian so that byte
//! order is time order and scans come out oldest first.

use jiff::Timestamp;

use super::outbox::Lane;
use crate::domain::{Amount, ClientId, PaymentId, Phone, StoreId, TransId};
use crate::machine::StateName;

/// Index prefixes, one per index.
pub mod prefix {
    /// `searching` payments by (store, phone, amount, created, id).
    pub const WAITING: u8 = b'w';
    /// Unclaimed transactions by (store, phone, amount, received, trans_id).
    pub const UNCLAIMED: u8 = b'u';
    /// Payments by (state, store, id).
    pub const STATE: u8 = b's';
    /// The open payment of an identical check (store, client, phone, amount).
    pub const CHECK: u8 = b'c';
    /// Payment deadlines by (due time, id).
    pub const TIMER: u8 = b't';
    /// Outbox entries by (due time, outbox key).
    pub const OUTBOX_DUE: u8 = b'o';
    /// Clients each (store, phone) was credited to, for anti-spam.
    pub const BINDING: u8 = b'b';
    /// Recent check times per (store, client) and (store, phone).
    pub const VELOCITY: u8 = b'v';
    /// Open WHMCS circuit breakers, by store.
    pub const BREAKER: u8 = b'k';
    /// Facts about the folder itself, by name (when it was restored).
    pub const META: u8 = b'M';
    /// How many payments are in each state and entries in each outbox
    /// lane (and, alone, "counts kept").
    pub const COUNT: u8 = b'n';
    /// Transactions waiting for an operator, by (store, released, trans_id).
    pub const AWAITING: u8 = b'a';
    /// How many `searching` payments wait per (store, phone, amount): read
    /// inside the write that claims, so a competitor that a scan missed
    /// is still seen.
    pub const WAITING_COUNT: u8 = b'm';
    /// Payments that ended `expired` without a transaction, by (ended, id):
    /// what the retention sweep looks at.
    pub const RETENTION: u8 = b'r';
    /// Payments by (phone, store, id), for operators' search.
    pub const BY_PHONE: u8 = b'p';
    /// Payments by (client id, store, id), for operators' search.
    pub const BY_CLIENT: u8 = b'l';
    /// Store keys by the SHA-256 of the key: their records.
    pub const STORE_KEY: u8 = b'K';
    /// Store keys by (store, name): the hash of the key.
    pub const STORE_KEY_NAME: u8 = b'A';
}

const SEP: u8 = 0;

/// Builds a key field by field.
#[derive(Debug, Default, Clone)]
pub struct Key(Vec<u8>);

impl Key {
    pub fn new(prefix: u8) -> Key {
        Key(vec![prefix])
    }

    pub fn raw() -> Key {
        Key(Vec::new())
    }

    pub fn text(mut self, s: &str) -> Key {
        self.0.extend_from_slice(s.as_bytes());
        self.0.push(SEP);
        self
    }

    pub fn u64(mut self, n: u64) -> Key {
        self.0.extend_from_slice(&n.to_be_bytes());
        self
    }

    pub fn time(self, t: Timestamp) -> Key {
        self.u64(time_to_u64(t))
    }

    pub fn byte(mut self, b: u8) -> Key {
        self.0.push(b);
        self
    }

    pub fn bytes(mut self, b: &[u8]) -> Key {
        self.0.extend_from_slice(b);
        self
    }

    pub fn build(self) -> Vec<u8> {
        self.0
    }
}

/// Milliseconds since the epoch, shifted so that byte order is time order
/// for times before 1970 too.
pub fn time_to_u64(t: Timestamp) -> u64 {
    t.as_millisecond().cast_unsigned() ^ (1 << 63)
}

pub fn u64_to_time(n: u64) -> Option<Timestamp> {
    Timestamp::from_millisecond((n ^ (1 << 63)).cast_signed()).ok()
}

/// Amounts in piastres (1/100 EGP) for index keys.
pub fn amount_minor(amount: Amount) -> u64 {
    use rust_decimal::prelude::ToPrimitive;
    // Amounts have at most two places and are below 10^8, so this is exact.
    (amount.value() * rust_decimal::Decimal::ONE_HUNDRED)
        .to_u64()
        .unwrap_or(u64::MAX)
}

pub fn payment(id: &PaymentId) -> Vec<u8> {
    id.as_str().as_bytes().to_vec()
}

pub fn transaction(store: &StoreId, trans_id: &TransId) -> Vec<u8> {
    Key::raw()
        .text(store.as_str())
        .bytes(trans_id.as_str().as_bytes())
        .build()
}

/// Audit entries of a payment, in version order.
pub fn audit(id: &PaymentId, version: u64) -> Vec<u8> {
    Key::raw().text(id.as_str()).u64(version).build()
}

/// Every key of one payment in the audit and outbox trees.
pub fn payment_prefix(id: &PaymentId) -> Vec<u8> {
    Key::raw().text(id.as_str()).build()
}

/// Outbox entries: deterministic, so a retried sled transaction writes the
/// same key and no id generator runs inside it.
pub fn outbox(id: &PaymentId, version: u64, index: u8) -> Vec<u8> {
    Key::raw()
        .text(id.as_str())
        .u64(version)
        .byte(index)
        .build()
}

/// Where matching looks for waiting payments or unclaimed transactions.
pub fn match_prefix(prefix: u8, store: &StoreId, phone: &Phone, amount: Amount) -> Key {
    Key::new(prefix)
        .text(store.as_str())
        .text(phone.as_str())
        .u64(amount_minor(amount))
}

pub fn waiting(
    store: &StoreId,
    phone: &Phone,
    amount: Amount,
    at: Timestamp,
    id: &PaymentId,
) -> Vec<u8> {
    match_prefix(prefix::WAITING, store, phone, amount)
        .time(at)
        .bytes(id.as_str().as_bytes())
        .build()
}

pub fn unclaimed(
    store: &StoreId,
    phone: &Phone,
    amount: Amount,
    at: Timestamp,
    trans_id: &TransId,
) -> Vec<u8> {
    match_prefix(prefix::UNCLAIMED, store, phone, amount)
        .time(at)
        .bytes(trans_id.as_str().as_bytes())
        .build()
}

/// How many payments wait for a transfer of this phone and amount.
pub fn waiting_count(store: &StoreId, phone: &Phone, amount: Amount) -> Vec<u8> {
    match_prefix(prefix::WAITING_COUNT, store, phone, amount).build()
}

/// The waiting count a waiting index key belongs to: the key without its
/// time and payment id, under the count's prefix (for the one-time count
/// of a folder written before these counts were kept).
pub fn waiting_count_of(waiting_key: &[u8], id_len: usize) -> Option<Vec<u8>> {
    let group = waiting_key.get(1..waiting_key.len().checked_sub(8 + id_len)?)?;
    Some(
        std::iter::once(prefix::WAITING_COUNT)
            .chain(group.iter().copied())
            .collect(),
    )
}

pub fn awaiting(store: &StoreId, at: Timestamp, trans_id: &TransId) -> Vec<u8> {
    Key::new(prefix::AWAITING)
        .text(store.as_str())
        .time(at)
        .bytes(trans_id.as_str().as_bytes())
        .build()
}

/// Where a store's (or every store's) waiting transactions start.
pub fn awaiting_prefix(store: Option<&StoreId>) -> Vec<u8> {
    match store {
        Some(store) => Key::new(prefix::AWAITING).text(store.as_str()).build(),
        None => Key::new(prefix::AWAITING).build(),
    }
}

/// The number of transactions waiting for an operator.
pub fn awaiting_count() -> Vec<u8> {
    Key::new(prefix::COUNT).byte(b'a').build()
}

/// The number of one store's transactions waiting for an operator.
pub fn store_awaiting_count(store: &StoreId) -> Vec<u8> {
    store_awaiting_counts()
        .into_iter()
        .chain(store.as_str().bytes())
        .collect()
}

/// Where every per-store count of waiting transactions starts.
pub fn store_awaiting_counts() -> Vec<u8> {
    Key::new(prefix::COUNT).byte(b'b').build()
}

/// Present once the per-store counts of waiting transactions are kept.
pub fn store_awaiting_counts_kept() -> Vec<u8> {
    Key::new(prefix::COUNT).byte(b'c').build()
}

pub fn retention(at: Timestamp, id: &PaymentId) -> Vec<u8> {
    Key::new(prefix::RETENTION)
        .time(at)
        .bytes(id.as_str().as_bytes())
        .build()
}

/// Present once the retention index and the waiting counts are kept
/// (written by the one-time pass over a folder from before them).
pub fn retention_kept() -> Vec<u8> {
    Key::new(prefix::COUNT).byte(b'r').build()
}

/// Payments by state, then store: lists by state, or by state and store.
pub fn by_state(state: StateName, store: &StoreId, id: &PaymentId) -> Vec<u8> {
    state_prefix(state, Some(store))
        .into_iter()
        .chain(id.as_str().bytes())
        .collect()
}

/// The number of payments in a state, kept by every index write.
pub fn state_count(state: StateName) -> Vec<u8> {
    Key::new(prefix::COUNT).byte(state.code()).build()
}

/// Present once the state counts are kept (written with the first counts).
pub fn counts_kept() -> Vec<u8> {
    Key::new(prefix::COUNT).build()
}

/// The number of entries waiting in an outbox lane, kept by every write
/// that queues or finishes an entry.
pub fn lane_count(lane: Lane) -> Vec<u8> {
    Key::new(prefix::COUNT).byte(b'l').byte(lane.code()).build()
}

/// Present once the lane counts are kept.
pub fn lane_counts_kept() -> Vec<u8> {
    Key::new(prefix::COUNT).byte(b'k').build()
}

/// The number of one store's payments in a state, kept beside the total.
pub fn store_state_count(state: StateName, store: &StoreId) -> Vec<u8> {
    store_state_counts()
        .into_iter()
        .chain([state.code()])
        .chain(store.as_str().bytes())
        .collect()
}

/// Where every per-store state count starts.
pub fn store_state_counts() -> Vec<u8> {
    Key::new(prefix::COUNT).byte(b'p').build()
}

/// Present once the per-store state counts are kept.
pub fn store_counts_kept() -> Vec<u8> {
    Key::new(prefix::COUNT).byte(b'q').build()
}

/// Present once every payment has its search entries.
pub fn search_kept() -> Vec<u8> {
    Key::new(prefix::COUNT).byte(b'f').build()
}

/// A payment's entry in the search by phone.
pub fn by_phone(phone: &Phone, store: &StoreId, id: &PaymentId) -> Vec<u8> {
    phone_search(phone, Some(store))
        .bytes(id.as_str().as_bytes())
        .build()
}

/// Where the search by phone looks (in one store, or in all).
pub fn phone_search(phone: &Phone, store: Option<&StoreId>) -> Key {
    let key = Key::new(prefix::BY_PHONE).text(phone.as_str());
    match store {
        Some(store) => key.text(store.as_str()),
        None => key,
    }
}

/// A payment's entry in the search by client id.
pub fn by_client(client: ClientId, store: &StoreId, id: &PaymentId) -> Vec<u8> {
    client_search(client, Some(store))
        .bytes(id.as_str().as_bytes())
        .build()
}

/// Where the search by client id looks (in one store, or in all).
pub fn client_search(client: ClientId, store: Option<&StoreId>) -> Key {
    let key = Key::new(prefix::BY_CLIENT).u64(u64::from(client.get()));
    match store {
        Some(store) => key.text(store.as_str()),
        None => key,
    }
}

/// A store key's record, by the SHA-256 of the key.
pub fn store_key(hash: &[u8; 32]) -> Vec<u8> {
    Key::new(prefix::STORE_KEY).bytes(hash).build()
}

/// A store's keys by name (one store's, or one key's).
pub fn store_key_name(store: &StoreId, name: Option<&str>) -> Vec<u8> {
    let key = Key::new(prefix::STORE_KEY_NAME).text(store.as_str());
    match name {
        Some(name) => key.text(name).build(),
        None => key.build(),
    }
}

pub fn state_prefix(state: StateName, store: Option<&StoreId>) -> Vec<u8> {
    let key = Key::new(prefix::STATE).byte(state.code());
    match store {
        Some(store) => key.text(store.as_str()).build(),
        None => key.build(),
    }
}

pub fn check(store: &StoreId, client: ClientId, phone: &Phone, amount: Amount) -> Vec<u8> {
    Key::new(prefix::CHECK)
        .text(store.as_str())
        .u64(u64::from(client.get()))
        .text(phone.as_str())
        .u64(amount_minor(amount))
        .build()
}

pub fn timer(at: Timestamp, id: &PaymentId) -> Vec<u8> {
    Key::new(prefix::TIMER)
        .time(at)
        .bytes(id.as_str().as_bytes())
        .build()
}

/// Outbox entries of one lane by due time.
pub fn outbox_due(lane: u8, at: Timestamp, outbox_key: &[u8]) -> Vec<u8> {
    Key::new(prefix::OUTBOX_DUE)
        .byte(lane)
        .time(at)
        .bytes(outbox_key)
        .build()
}

/// The clients a phone was credited to, in one store.
pub fn binding(store: &StoreId, phone: &Phone) -> Vec<u8> {
    Key::new(prefix::BINDING)
        .text(store.as_str())
        .text(phone.as_str())
        .build()
}

/// Recent check times of one client in one store (velocity rule).
pub fn client_checks(store: &StoreId, client: ClientId) -> Vec<u8> {
    Key::new(prefix::VELOCITY)
        .text(store.as_str())
        .byte(b'c')
        .u64(u64::from(client.get()))
        .build()
}

/// Recent check times from one phone in one store (velocity rule).
pub fn phone_checks(store: &StoreId, phone: &Phone) -> Vec<u8> {
    Key::new(prefix::VELOCITY)
        .text(store.as_str())
        .byte(b'p')
        .text(phone.as_str())
        .build()
}

/// The time encoded at `offset` (1 for timers, 2 for outbox lanes).
pub fn due_time(key: &[u8], offset: usize) -> Option<Timestamp> {
    let bytes: [u8; 8] = key.get(offset..offset + 8)?.try_into().ok()?;
    u64_to_time(u64::from_be_bytes(bytes))
}

/// The bytes after the 8-byte time at `offset`.
pub fn after_due_time(key: &[u8], offset: usize) -> &[u8] {
    key.get(offset + 8..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_keys_sort_in_time_order_across_the_epoch() {
        let times = [-5_000i64, -1, 0, 1, 1_700_000_000_000];
        let keys: Vec<u64> = times
            .iter()
            .map(|ms| time_to_u64(Timestamp::from_millisecond(*ms).unwrap()))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        for (ms, key) in times.iter().zip(keys) {
            assert_eq!(u64_to_time(key).unwrap().as_millisecond(), *ms);
        }
    }

    #[test]
    fn amounts_index_in_piastres() {
        assert_eq!(amount_minor(Amount::parse("100").unwrap()), 10_000);
        assert_eq!(amount_minor(Amount::parse("0.05").unwrap()), 5);
    }

    #[test]
    fn due_time_reads_back_what_timer_wrote() {
        let at = Timestamp::from_second(1_800_000_000).unwrap();
        let id = PaymentId::random().unwrap();
        let key = timer(at, &id);
        assert_eq!(due_time(&key, 1), Some(at));
        assert_eq!(after_due_time(&key, 1), id.as_str().as_bytes());
    }
}
