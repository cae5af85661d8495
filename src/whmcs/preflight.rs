//! The preflight: checks a store's WHMCS settings without changing
//! anything. `AddCredit` with `clientid=0, amount=0` passes WHMCS's IP,
//! credential and permission checks and then stops at `No Amount Provided`;
//! `GetCredits` with `clientid=0` stops at `Client ID Not Found`;
//! `GetInvoice` and `ApplyCredit` with `invoiceid=0` (and, for
//! ApplyCredit, `amount=0`, which WHMCS refuses on any invoice) stop at
//! `Invoice ID Not Found`. Each refusal before that names the item to fix.
//! The last three are only called once the credentials are accepted, so a
//! failing preflight does not add failed logins (which make WHMCS ban the
//! IP).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Credentials;
use super::outcome::{CallOutcome, Rejection, WhmcsRefusal};
use super::transport::{WhmcsClient, shown_endpoint};

/// The checklist and whether every item passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preflight {
    pub ok: bool,
    pub checks: Vec<Check>,
}

/// One checklist item: `url`, `credentials`, `ip_whitelisting`,
/// `addcredit_permission`, `getcredits_permission`,
/// `applycredit_permission` or `getinvoice_permission`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub message: String,
}

impl Preflight {
    /// The named check, if present.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

const NOT_CHECKED: &str = "not checked: fix the items above first";

/// What WHMCS answered to each preflight call; `None` for the calls not
/// made because the credentials were refused.
#[derive(Debug, Clone)]
pub struct PreflightAnswers {
    pub add_credit: CallOutcome<Value>,
    pub get_credits: Option<CallOutcome<Value>>,
    pub apply_credit: Option<CallOutcome<Value>>,
    pub get_invoice: Option<CallOutcome<Value>>,
}

impl WhmcsClient {
    /// Runs the preflight against `c`. Never credits anyone, never
    /// applies credit to any invoice.
    pub async fn preflight(&self, c: &Credentials<'_>) -> Preflight {
        let add_credit = self
            .call(
                c,
                "AddCredit",
                &[
                    ("clientid", "0"),
                    ("amount", "0"),
                    ("description", "cashgate preflight (credits nothing)"),
                ],
            )
            .await;
        let mut answers = PreflightAnswers {
            add_credit,
            get_credits: None,
            apply_credit: None,
            get_invoice: None,
        };
        if credentials_accepted(&answers.add_credit) {
            let no_invoice = [("invoiceid", "0")];
            answers.get_credits = Some(self.call(c, "GetCredits", &[("clientid", "0")]).await);
            let apply = [("invoiceid", "0"), ("amount", "0")];
            answers.apply_credit = Some(self.call(c, "ApplyCredit", &apply).await);
            answers.get_invoice = Some(self.call(c, "GetInvoice", &no_invoice).await);
        }
        let mut preflight = assess(&answers);
        if let Some(url) = preflight.checks.iter_mut().find(|c| c.name == "url") {
            url.message = format!("{}: {}", shown_endpoint(c.api_url), url.message);
        }
        preflight
    }
}

/// Whether WHMCS got past IP, credential and account checks.
fn credentials_accepted(add: &CallOutcome<Value>) -> bool {
    match add {
        CallOutcome::Success(_) => true,
        CallOutcome::Permanent(r) => {
            r.http_status == 200 || matches!(r.refusal, WhmcsRefusal::Permission { .. })
        }
        _ => false,
    }
}

// What to fix, per failed item (WHMCS 8 menu paths).
const FIX_URL: &str = "whmcs.api_url must be the WHMCS base URL, like https://billing.example.com";
const FIX_BANNED: &str = "WHMCS has banned our IP (after failed logins): remove it under \
     Setup > Other > Banned IPs, then fix the credentials";
const FIX_CREDENTIALS: &str = "WHMCS refused the identifier or secret: copy both from \
     Setup > Staff Management > Manage API Credentials";
const FIX_DISABLED: &str = "the admin account behind these API credentials is disabled: enable it";
const FIX_ADD: &str = "the API role lacks AddCredit: allow it under \
     Manage API Credentials > API Roles (Billing)";
const FIX_GET: &str = "the API role lacks GetCredits (needed to settle uncertain credits): \
     allow it under Manage API Credentials > API Roles (Billing)";
const FIX_APPLY: &str = "the API role lacks ApplyCredit (needed to pay invoices from the credit): \
     allow it under Manage API Credentials > API Roles (Billing)";
const FIX_GET_INVOICE: &str = "the API role lacks GetInvoice (needed to read an invoice's \
     balance before paying it): allow it under Manage API Credentials > API Roles (Billing)";
const REACHED: &str = "WHMCS's API answers";
const IP_OK: &str = "WHMCS accepts calls from our IP";

/// The checklist from the preflight's answers. Pure.
pub fn assess(answers: &PreflightAnswers) -> Preflight {
    let mut list = Checklist::default();
    match &answers.add_credit {
        CallOutcome::Transient(m) => list.url(false, &format!("{m}; is WHMCS up? {FIX_URL}")),
        CallOutcome::Unknown(m) => list.url(false, &format!("not WHMCS's API ({m}); {FIX_URL}")),
        CallOutcome::Success(_) => list.passed_to_permissions(true, "AddCredit is allowed"),
        CallOutcome::Permanent(r) => assess_add_refusal(&mut list, r),
    }
    if list.credentials_ok() {
        let permissions = [
            (
                "getcredits_permission",
                "GetCredits",
                &answers.get_credits,
                FIX_GET,
            ),
            (
                "applycredit_permission",
                "ApplyCredit",
                &answers.apply_credit,
                FIX_APPLY,
            ),
            (
                "getinvoice_permission",
                "GetInvoice",
                &answers.get_invoice,
                FIX_GET_INVOICE,
            ),
        ];
        for (name, action, answer, fix) in permissions {
            list.push(name, permission_check(action, answer.as_ref(), fix));
        }
    }
    list.finish()
}

/// Places an `AddCredit` refusal on the checklist.
fn assess_add_refusal(list: &mut Checklist, r: &Rejection) {
    match &r.refusal {
        WhmcsRefusal::InvalidIp { seen_ip } => {
            let ip = seen_ip.as_deref().unwrap_or("(WHMCS did not say which)");
            let why = format!(
                "WHMCS saw our IP as {ip} and does not allow it: add {ip} under \
                 Setup > General Settings > Security > API IP Access Restriction"
            );
            list.url(true, REACHED);
            list.push("ip_whitelisting", (false, why));
        }
        WhmcsRefusal::IpBanned => {
            list.url(true, REACHED);
            list.push("ip_whitelisting", (false, FIX_BANNED.to_owned()));
        }
        WhmcsRefusal::Credentials | WhmcsRefusal::AccountDisabled => {
            let why = match r.refusal {
                WhmcsRefusal::AccountDisabled => FIX_DISABLED,
                _ => FIX_CREDENTIALS,
            };
            list.url(true, REACHED);
            list.push("ip_whitelisting", (true, IP_OK.to_owned()));
            list.push("credentials", (false, format!("{why} ({})", r.message)));
        }
        WhmcsRefusal::Permission { .. } => list.passed_to_permissions(false, FIX_ADD),
        _ if r.http_status == 200 => list.passed_to_permissions(true, "AddCredit is allowed"),
        _ => list.url(false, &format!("no WHMCS API here ({r}); {FIX_URL}")),
    }
}

/// A permission item from the answer to a call that changes nothing:
/// any action error (HTTP 200, like `Client ID Not Found` or `Invoice ID
/// Not Found`) means WHMCS ran the action, so the role allows it.
fn permission_check(
    action: &str,
    answer: Option<&CallOutcome<Value>>,
    fix: &str,
) -> (bool, String) {
    let allowed = || (true, format!("{action} is allowed"));
    match answer {
        Some(CallOutcome::Success(_)) => allowed(),
        Some(CallOutcome::Permanent(r)) => match r.refusal {
            WhmcsRefusal::Permission { .. } => (false, fix.to_owned()),
            _ if r.http_status == 200 => allowed(),
            _ => (
                false,
                format!("{action} could not be checked: refused: {r}"),
            ),
        },
        Some(other) => (false, format!("{action} could not be checked: {other}")),
        None => (false, NOT_CHECKED.to_owned()),
    }
}

/// Collects items in order and fills the unchecked ones at the end.
#[derive(Default)]
struct Checklist {
    checks: Vec<Check>,
}

const ORDER: [&str; 7] = [
    "url",
    "credentials",
    "ip_whitelisting",
    "addcredit_permission",
    "getcredits_permission",
    "applycredit_permission",
    "getinvoice_permission",
];

impl Checklist {
    fn push(&mut self, name: &str, (ok, message): (bool, String)) {
        self.checks.push(Check {
            name: name.to_owned(),
            ok,
            message,
        });
    }

    fn url(&mut self, ok: bool, message: &str) {
        self.push("url", (ok, message.to_owned()));
    }

    /// URL, IP and credentials passed; `addcredit_permission` as given.
    fn passed_to_permissions(&mut self, ok: bool, message: &str) {
        self.url(true, "WHMCS's API answers");
        self.push(
            "ip_whitelisting",
            (true, "WHMCS accepts calls from our IP".into()),
        );
        self.push(
            "credentials",
            (true, "WHMCS accepts the identifier and secret".into()),
        );
        self.push("addcredit_permission", (ok, message.to_owned()));
    }

    fn credentials_ok(&self) -> bool {
        self.checks.iter().any(|c| c.name == "credentials" && c.ok)
    }

    /// Every item in [`ORDER`], unchecked ones marked as such.
    fn finish(mut self) -> Preflight {
        let checks: Vec<Check> = ORDER
            .iter()
            .map(
                |name| match self.checks.iter().position(|c| c.name == *name) {
                    Some(i) => self.checks.swap_remove(i),
                    None => Check {
                        name: (*name).to_owned(),
                        ok: false,
                        message: NOT_CHECKED.to_owned(),
                    },
                },
            )
            .collect();
        Preflight {
            ok: checks.iter().all(|c| c.ok),
            checks,
        }
    }
}
