//! Operators' search: what a typed query can mean (a payment id, a
//! trans_id, a phone, a client id), and the payments each meaning finds,
//! newest first. Each meaning costs one read (payment id), one read per
//! store searched (trans_id: the transaction record names its payment),
//! or one prefix scan of the search entries (phone, client id).

use super::Payments;
use crate::db::{DbError, PaymentRecord};
use crate::domain::{ClientId, PaymentId, Phone, StoreId, TransId};

/// Payments one meaning of a query returns at most.
pub const SEARCH_RESULTS_MAX: usize = 50;
/// Stores a trans_id is looked for in when no store is given.
const SEARCH_STORES_MAX: usize = 10_000;
/// Longest query looked at.
const QUERY_CHARS_MAX: usize = 80;

/// One meaning of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchTerm {
    Payment(PaymentId),
    TransId(TransId),
    Phone(Phone),
    Client(ClientId),
}

impl SearchTerm {
    /// Every meaning `query` can have: `12` is a client id and could be a
    /// trans_id; `01012345678` is a phone and could be a trans_id.
    pub fn meanings(query: &str) -> Vec<SearchTerm> {
        let q = query.trim();
        if q.is_empty() || q.chars().count() > QUERY_CHARS_MAX {
            return Vec::new();
        }
        let mut out = Vec::new();
        if let Ok(id) = PaymentId::parse(q) {
            out.push(SearchTerm::Payment(id));
            return out;
        }
        if let Ok(phone) = Phone::parse(q) {
            out.push(SearchTerm::Phone(phone));
        }
        if let Ok(client) = ClientId::parse(q) {
            out.push(SearchTerm::Client(client));
        }
        if let Ok(trans_id) = TransId::parse(q) {
            out.push(SearchTerm::TransId(trans_id));
        }
        out
    }

    pub fn kind(&self) -> &'static str {
        match self {
            SearchTerm::Payment(_) => "payment",
            SearchTerm::TransId(_) => "trans_id",
            SearchTerm::Phone(_) => "phone",
            SearchTerm::Client(_) => "client",
        }
    }
}

impl Payments {
    /// The payments `term` finds, newest first, in `store` or in every
    /// store, at most [`SEARCH_RESULTS_MAX`].
    pub fn search(
        &self,
        term: &SearchTerm,
        store: Option<&StoreId>,
    ) -> Result<Vec<PaymentRecord>, DbError> {
        let in_scope = |r: &PaymentRecord| store.is_none_or(|s| *s == r.store_id);
        let found = match term {
            SearchTerm::Payment(id) => self.payment(id)?.into_iter().collect(),
            SearchTerm::TransId(trans_id) => self.by_trans_id(trans_id, store)?,
            SearchTerm::Phone(phone) => {
                let page = self
                    .db()
                    .payments_by_phone(phone, store, None, SEARCH_RESULTS_MAX)?;
                page.map_or_else(|_| Ok(Vec::new()), |p| self.records(p).map(|p| p.items))?
            }
            SearchTerm::Client(client) => {
                let page =
                    self.db()
                        .payments_by_client(*client, store, None, SEARCH_RESULTS_MAX)?;
                page.map_or_else(|_| Ok(Vec::new()), |p| self.records(p).map(|p| p.items))?
            }
        };
        Ok(found.into_iter().filter(in_scope).collect())
    }

    /// The payments a transaction names (holding it, or credited with it).
    fn by_trans_id(
        &self,
        trans_id: &TransId,
        store: Option<&StoreId>,
    ) -> Result<Vec<PaymentRecord>, DbError> {
        let stores = match store {
            Some(s) => vec![s.clone()],
            None => match self.stores().ids_page(None, SEARCH_STORES_MAX)? {
                Ok(page) => page.items,
                Err(_) => Vec::new(),
            },
        };
        let mut out: Vec<PaymentRecord> = Vec::new();
        for store in &stores {
            let Some(tx) = self.transaction(store, trans_id)? else {
                continue;
            };
            for id in [tx.claimed_by, tx.credited_to].into_iter().flatten() {
                if !out.iter().any(|r| r.id == id)
                    && let Some(record) = self.payment(&id)?
                {
                    out.push(record);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_means_what_it_can_parse_as() {
        let kinds = |q: &str| -> Vec<&str> {
            SearchTerm::meanings(q)
                .iter()
                .map(SearchTerm::kind)
                .collect()
        };
        assert_eq!(kinds("pay_abcdefghijklmnopqrstuvwxyz"), vec!["payment"]);
        assert_eq!(kinds("01012345678"), vec!["phone", "trans_id"]);
        assert_eq!(kinds("42"), vec!["client", "trans_id"]);
        assert_eq!(kinds("014412345678"), vec!["trans_id"]);
        assert_eq!(kinds("+20 101 234 5678"), vec!["phone"]);
        assert!(kinds("<script>").is_empty());
        assert!(kinds("").is_empty());
        assert!(kinds(&"1".repeat(100)).is_empty());
    }
}
