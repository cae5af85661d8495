//! The canonical text of a parsed receipt: the Arabic multi-line layout,
//! written so that parsing it gives the same transaction back.

use std::fmt::Write;

use jiff::civil::DateTime;

use super::types::ParsedSms;
use crate::domain::Amount;

impl ParsedSms {
    /// Writes the receipt as the operator's Arabic multi-line text, e.g.
    ///
    /// ```text
    /// تم استلام مبلغ 100 جنيه من رقم 01098765432 المسجل بإسم Omar K Adel على رقم محفظتك 01011112222.
    /// رصيدك الحالي: 152.38 جنيه
    /// تاريخ العملية: 17:10 26-04-25
    /// رقم العملية: 019400011122
    /// ```
    ///
    /// An absent payer phone is written as InstaPay's empty `من ؛`, absent
    /// name, wallet and balance are left out, and seconds are printed only
    /// when the time has some. For every value `parse_sms` returns,
    /// `parse_sms("VF-Cash", &p.to_sms_text())` is the same transaction.
    pub fn to_sms_text(&self) -> String {
        let mut out = format!("تم استلام مبلغ {} جنيه من ", amount_text(&self.amount));
        // `write!` into a `String` cannot fail; the results are ignored.
        match &self.phone {
            Some(phone) => {
                let _ = write!(out, "رقم {phone}");
            }
            None => out.push('؛'),
        }
        if let Some(name) = &self.payer_name {
            let _ = write!(out, " المسجل بإسم {name}");
        }
        if let Some(wallet) = &self.wallet {
            let _ = write!(out, " على رقم محفظتك {wallet}");
        }
        out.push_str(".\n");
        if let Some(balance) = &self.balance {
            let _ = writeln!(out, "رصيدك الحالي: {balance} جنيه");
        }
        let _ = writeln!(out, "تاريخ العملية: {}", stamp_text(self.local_time));
        let _ = write!(out, "رقم العملية: {}", self.trans_id);
        out
    }
}

/// Whole amounts without decimals (`250`), others with two (`9272.50`).
fn amount_text(amount: &Amount) -> String {
    if amount.value().fract().is_zero() {
        amount.php_string()
    } else {
        amount.to_string()
    }
}

/// `HH:MM YY-MM-DD`, with `:SS` when the seconds are not zero (English
/// receipts carry them), and the full year outside 2000–2099.
fn stamp_text(dt: DateTime) -> String {
    let mut out = format!("{:02}:{:02}", dt.hour(), dt.minute());
    if dt.second() != 0 {
        let _ = write!(out, ":{:02}", dt.second());
    }
    let year = dt.year();
    if (2000..=2099).contains(&year) {
        let _ = write!(out, " {:02}", year - 2000);
    } else {
        let _ = write!(out, " {year:04}");
    }
    let _ = write!(out, "-{:02}-{:02}", dt.month(), dt.day());
    out
}
