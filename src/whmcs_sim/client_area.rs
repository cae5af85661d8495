//! The simulator's stand-in for WHMCS's client area, one page:
//! `GET /clientarea.php?client=N` shows that client's credit balance and
//! credit lines, so that `cashgate demo`'s "back to the store" lands on a
//! page that shows the credit arriving.

use maud::{DOCTYPE, PreEscaped, html};

use super::State;
use super::credits::{balance_cents, cents_text};

/// Where the page is served.
pub(super) const CLIENT_AREA_PATH: &str = "/clientarea.php";

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}\
table{border-collapse:collapse;width:100%}th,td{padding:.35rem .5rem;border-bottom:1px solid #ddd;text-align:start}\
.note{color:#666;font-size:.9rem}";

/// The page for the client named in `query` (`client=N`).
pub(super) fn page(state: &State, query: &str) -> String {
    let client = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "client")
        .and_then(|(_, value)| value.parse::<u32>().ok())
        .unwrap_or(0);
    let lines = state.ledger.get(&client).cloned().unwrap_or_default();
    let balance = cents_text(balance_cents(state, client));
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // No favicon request: this page has none.
                link rel="icon" href="data:,";
                title { "Client area — WHMCS (simulated)" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "Client area" }
                p { "Client #" (client) ": credit balance " strong #balance { (balance) " USD" } }
                table {
                    tr { th { "Date" } th { "Description" } th { "Amount" } }
                    @for line in &lines {
                        tr { td { (line.date) } td { (line.description) } td { (line.amount) } }
                    }
                }
                p.note { "This is cashgate's WHMCS simulator (cashgate demo), not a real WHMCS." }
            }
        }
    }
    .into_string()
}
