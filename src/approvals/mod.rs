//! Approvals: signed links emailed to a held payment's approvers, and the
//! scanner-safe decision page they lead to (a GET shows, only a POST with
//! the page's nonce decides).

mod email;
mod page;
mod token;
mod view;

pub use email::{ComposeError, compose};
pub use page::{Page, decided_page, error_page, form_page};
pub use token::{Claims, Signer, TokenError};
pub use view::ApprovalView;
