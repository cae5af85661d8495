//! Prometheus metrics (prometheus-client, OpenMetrics text): requests by
//! route and status, rate-limited requests, transitions by from/to state,
//! payments by state (held among them), outbox depth and age per lane,
//! AddCredit outcomes and latency, emails sent and failed, and the
//! group commit's flush time and batch size.
//!
//! The store owns one `Metrics` and counts transitions where they commit;
//! the HTTP layer counts requests; the workers count calls and emails.

use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::machine::StateName;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TransitionLabels {
    pub from: &'static str,
    pub to: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    pub state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LaneLabels {
    pub lane: &'static str,
}

/// Every metric cashgate exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Mutex<Registry>,
    pub requests: Family<RequestLabels, Counter>,
    pub rate_limited: Family<RouteLabels, Counter>,
    pub transitions: Family<TransitionLabels, Counter>,
    pub payments: Family<StateLabels, Gauge>,
    pub outbox_depth: Family<LaneLabels, Gauge>,
    pub outbox_oldest_due_age_seconds: Family<LaneLabels, Gauge>,
    pub add_credit: Family<OutcomeLabels, Counter>,
    pub add_credit_seconds: Histogram,
    pub emails: Family<OutcomeLabels, Counter>,
    /// Transactions whose claim ended, waiting for an operator to assign
    /// them (set from the kept count when scraped).
    pub awaiting_operator: Gauge,
    /// One group-commit flush (fsync) of the data folder.
    pub flush_seconds: Histogram,
    /// Writes made durable by one flush.
    pub flush_batch: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let metrics = Metrics {
            registry: Mutex::new(Registry::with_prefix("cashgate")),
            requests: Family::default(),
            rate_limited: Family::default(),
            transitions: Family::default(),
            payments: Family::default(),
            outbox_depth: Family::default(),
            outbox_oldest_due_age_seconds: Family::default(),
            add_credit: Family::default(),
            add_credit_seconds: Histogram::new(exponential_buckets(0.005, 2.0, 14)),
            emails: Family::default(),
            awaiting_operator: Gauge::default(),
            flush_seconds: Histogram::new(exponential_buckets(0.0005, 2.0, 14)),
            flush_batch: Histogram::new(exponential_buckets(1.0, 2.0, 13)),
        };
        metrics.register();
        metrics
    }

    fn register(&self) {
        let mut r = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        r.register(
            "http_requests",
            "HTTP requests by route and status",
            self.requests.clone(),
        );
        r.register(
            "rate_limited_requests",
            "Requests answered 429 by route",
            self.rate_limited.clone(),
        );
        r.register(
            "transitions",
            "Payment transitions by from and to state",
            self.transitions.clone(),
        );
        r.register(
            "payments",
            "Payments by state (held: waiting for an approver)",
            self.payments.clone(),
        );
        r.register(
            "outbox_depth",
            "Outbox entries waiting, by lane",
            self.outbox_depth.clone(),
        );
        r.register(
            "outbox_oldest_due_age_seconds",
            "How long the oldest due outbox entry has waited, by lane",
            self.outbox_oldest_due_age_seconds.clone(),
        );
        r.register(
            "add_credit_calls",
            "WHMCS AddCredit calls by outcome",
            self.add_credit.clone(),
        );
        r.register(
            "add_credit_seconds",
            "WHMCS AddCredit call latency",
            self.add_credit_seconds.clone(),
        );
        r.register(
            "emails",
            "Approval emails by outcome (sent, refused, failed)",
            self.emails.clone(),
        );
        r.register(
            "transactions_awaiting_operator",
            "Transactions whose claim was rejected or expired, waiting for an operator to assign them",
            self.awaiting_operator.clone(),
        );
        r.register(
            "flush_seconds",
            "Group-commit flushes (fsync) of the data folder",
            self.flush_seconds.clone(),
        );
        r.register(
            "flush_batch",
            "Writes made durable by one group-commit flush",
            self.flush_batch.clone(),
        );
    }

    /// A transition that committed.
    pub fn transition(&self, from: StateName, to: StateName) {
        let labels = TransitionLabels {
            from: from.as_str(),
            to: to.as_str(),
        };
        self.transitions.get_or_create(&labels).inc();
        if from != to {
            self.payments
                .get_or_create(&StateLabels {
                    state: from.as_str(),
                })
                .dec();
            self.payments
                .get_or_create(&StateLabels { state: to.as_str() })
                .inc();
        }
    }

    /// A payment created (`searching`).
    pub fn created(&self) {
        self.payments
            .get_or_create(&StateLabels {
                state: StateName::Searching.as_str(),
            })
            .inc();
    }

    /// A payment removed by the retention sweep.
    pub fn removed(&self, state: StateName) {
        self.payments
            .get_or_create(&StateLabels {
                state: state.as_str(),
            })
            .dec();
    }

    /// Sets the payments-by-state gauges from a count (at open).
    pub fn set_payments(&self, state: StateName, count: i64) {
        self.payments
            .get_or_create(&StateLabels {
                state: state.as_str(),
            })
            .set(count);
    }

    /// The OpenMetrics text of everything.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &registry);
        out
    }
}
