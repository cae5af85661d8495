//! Domain values parsed once at the edge: after `parse` succeeds, the type
//! proves the value is valid, so nothing deeper re-checks it.
//!
//! Every parser is total: any input gives a value or a typed error, never a
//! panic, and bounds its work by refusing over-long input first.

mod amount;
mod client_id;
mod digits;
mod email;
mod ids;
mod invoice_id;
mod lang;
mod origin;
mod phone;
mod secret;
mod time_zone;
mod window;

pub(crate) use digits::normalise;

pub use amount::{Amount, AmountError};
pub use client_id::{ClientId, ClientIdError};
pub use email::{Email, EmailError};
pub use ids::{IdError, KeyName, PaymentId, StoreId, TransId};
pub use invoice_id::{InvoiceId, InvoiceIdError};
pub use lang::Lang;
pub use origin::{Origin, OriginError};
pub use phone::{Phone, PhoneError};
pub use secret::Secret;
pub use time_zone::{TimeZoneError, TimeZoneName};
pub use window::{Window, WindowError};
