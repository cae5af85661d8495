//! Arbitrary bytes as stored records: every decoder answers with an error
//! or a value, never a panic; a decoded payment's machine restores without
//! effects or fails cleanly.
#![no_main]

use cashgate::merchant::StoreSettings;
use cashgate::machine::Machine;
use cashgate::payments::{AuditEntry, Breaker, OutboxEntry, PaymentRecord, QuarantineEntry, TransactionRecord};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(payment) = serde_json::from_slice::<PaymentRecord>(bytes) {
        let _ = Machine::restore(&payment.state);
        let _ = payment.hold_reasons();
        let _ = payment.invoice_pending();
    }
    let _ = serde_json::from_slice::<TransactionRecord>(bytes);
    let _ = serde_json::from_slice::<AuditEntry>(bytes);
    let _ = serde_json::from_slice::<OutboxEntry>(bytes);
    let _ = serde_json::from_slice::<QuarantineEntry>(bytes);
    let _ = serde_json::from_slice::<Breaker>(bytes);
    if let Ok(settings) = serde_json::from_slice::<StoreSettings>(bytes) {
        let _ = settings.validate();
        // The default return origin is read from whatever api_url says.
        let origins = settings.return_origins();
        assert!(origins.len() <= settings.return_origins.as_ref().map_or(1, Vec::len));
    }
    let _ = StoreSettings::from_put_body(bytes, None);
});
