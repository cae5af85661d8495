//! The names people read for what the code calls by identifiers: payment
//! states, the events of a payment's history, hold reasons and who did
//! something, in English and Arabic. The console, the approval page and
//! the approval email all take their words from here.

use crate::domain::Lang;
use crate::machine::{Actor, EventKind, HoldReason, StateName};

/// A payment state's name.
pub fn state_name(state: StateName, lang: Lang) -> &'static str {
    match (state, lang) {
        (StateName::Searching, Lang::En) => "Waiting for the transfer",
        (StateName::Held, Lang::En) => "Waiting for approval",
        (StateName::Crediting, Lang::En) => "Crediting",
        (StateName::CreditFailed, Lang::En) => "Credit failed",
        (StateName::CreditUnknown, Lang::En) => "Credit unconfirmed",
        (StateName::Credited, Lang::En) => "Credited",
        (StateName::Rejected, Lang::En) => "Rejected",
        (StateName::Expired, Lang::En) => "Expired",
        (StateName::Searching, Lang::Ar) => "في انتظار التحويل",
        (StateName::Held, Lang::Ar) => "في انتظار الموافقة",
        (StateName::Crediting, Lang::Ar) => "جاري إضافة الرصيد",
        (StateName::CreditFailed, Lang::Ar) => "فشلت إضافة الرصيد",
        (StateName::CreditUnknown, Lang::Ar) => "إضافة الرصيد غير مؤكدة",
        (StateName::Credited, Lang::Ar) => "تمت إضافة الرصيد",
        (StateName::Rejected, Lang::Ar) => "مرفوضة",
        (StateName::Expired, Lang::Ar) => "منتهية",
    }
}

/// The first line of every history: the check that made the payment.
pub fn created_text(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Check received",
        Lang::Ar => "تم استلام الطلب",
    }
}

/// What an event in a payment's history did.
pub fn event_text(event: EventKind, lang: Lang) -> &'static str {
    use EventKind as E;
    match (event, lang) {
        (E::Matched, Lang::En) => "Transfer matched",
        (E::SearchWindowOver, Lang::En) => "No transfer in time",
        (E::Approve, Lang::En) => "Approved",
        (E::Reject, Lang::En) => "Rejected",
        (E::ApprovalWindowOver, Lang::En) => "No decision in time",
        (E::CreditSucceeded, Lang::En) => "WHMCS added the credit",
        (E::CreditTransientFailure, Lang::En) => "WHMCS not reached; will try again",
        (E::CreditPermanentFailure, Lang::En) => "WHMCS refused the credit",
        (E::ReconciledFound, Lang::En) => "The credit was found in WHMCS",
        (E::ReconciledAbsent, Lang::En) => "The credit was not in WHMCS; sending again",
        (E::Unreconcilable, Lang::En) => "WHMCS could not confirm the credit",
        (E::Retry, Lang::En) => "Retried",
        (E::MarkCredited, Lang::En) => "Marked as credited",
        (E::Assign, Lang::En) => "Transfer assigned by an operator",
        (E::Matched, Lang::Ar) => "تمت مطابقة التحويل",
        (E::SearchWindowOver, Lang::Ar) => "لم يصل التحويل في الوقت المحدد",
        (E::Approve, Lang::Ar) => "تمت الموافقة",
        (E::Reject, Lang::Ar) => "تم الرفض",
        (E::ApprovalWindowOver, Lang::Ar) => "لم يتخذ قرار في الوقت المحدد",
        (E::CreditSucceeded, Lang::Ar) => "أضاف WHMCS الرصيد",
        (E::CreditTransientFailure, Lang::Ar) => "تعذر الوصول إلى WHMCS؛ ستتم المحاولة مرة أخرى",
        (E::CreditPermanentFailure, Lang::Ar) => "رفض WHMCS إضافة الرصيد",
        (E::ReconciledFound, Lang::Ar) => "تم العثور على الرصيد في WHMCS",
        (E::ReconciledAbsent, Lang::Ar) => "الرصيد غير موجود في WHMCS؛ إعادة الإرسال",
        (E::Unreconcilable, Lang::Ar) => "تعذر على WHMCS تأكيد الرصيد",
        (E::Retry, Lang::Ar) => "أعيدت المحاولة",
        (E::MarkCredited, Lang::Ar) => "تم تعليمها كمضافة",
        (E::Assign, Lang::Ar) => "أسند مشرف التحويل إلى هذه الدفعة",
    }
}

/// Why anti-spam held a payment.
pub fn reason_text(reason: HoldReason, lang: Lang) -> &'static str {
    match (reason, lang) {
        (HoldReason::NewPhone, Lang::En) => "first payment from this phone for this client",
        (HoldReason::SharedPhone, Lang::En) => {
            "this phone was credited to a different client before"
        }
        (HoldReason::LargeAmount, Lang::En) => "the amount is at or above the store's threshold",
        (HoldReason::Velocity, Lang::En) => {
            "many checks from this client or phone in the last hour"
        }
        (HoldReason::ClaimedByReference, Lang::En) => {
            "claimed by the transfer's reference number, not by the phone it came from"
        }
        (HoldReason::Contested, Lang::En) => {
            "other clients also wait for a transfer from this phone of this amount: make sure who paid"
        }
        (HoldReason::CheckedBeforeTransfer, Lang::En) => {
            "the check was made well before the transfer happened: a customer checks after paying"
        }
        (HoldReason::NewPhone, Lang::Ar) => "أول دفعة من هذا الرقم لهذا العميل",
        (HoldReason::SharedPhone, Lang::Ar) => "تم إضافة دفعات من هذا الرقم لعميل آخر من قبل",
        (HoldReason::LargeAmount, Lang::Ar) => "المبلغ يساوي أو يتجاوز الحد المحدد للمتجر",
        (HoldReason::Velocity, Lang::Ar) => "طلبات كثيرة من هذا العميل أو الرقم خلال الساعة الأخيرة",
        (HoldReason::ClaimedByReference, Lang::Ar) => {
            "طُلبت الدفعة برقم العملية وليس برقم المحفظة التي أرسلتها"
        }
        (HoldReason::Contested, Lang::Ar) => {
            "عملاء آخرون ينتظرون تحويلًا من هذا الرقم بنفس المبلغ: تأكد ممن دفع"
        }
        (HoldReason::CheckedBeforeTransfer, Lang::Ar) => {
            "تم الاستعلام قبل التحويل بوقت طويل: العميل يستعلم بعد الدفع"
        }
    }
}

/// Who did something, as a line of history shows it.
pub fn actor_text(actor: &Actor, lang: Lang) -> String {
    match (actor, lang) {
        (Actor::System, Lang::En) => "cashgate".into(),
        (Actor::System, Lang::Ar) => "النظام".into(),
        (Actor::Approver { email, .. }, _) => email.to_string(),
        (Actor::Operator { by, .. }, Lang::En) => format!("an operator ({by})"),
        (Actor::Operator { by, .. }, Lang::Ar) => format!("مشرف ({by})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_and_event_has_words_in_both_languages() {
        for lang in [Lang::En, Lang::Ar] {
            let states: std::collections::HashSet<_> = StateName::ALL
                .iter()
                .map(|s| state_name(*s, lang))
                .collect();
            assert_eq!(states.len(), StateName::ALL.len(), "distinct names");
            for event in EventKind::ALL {
                assert!(!event_text(event, lang).is_empty());
            }
        }
        assert_eq!(state_name(StateName::Held, Lang::Ar), "في انتظار الموافقة");
    }
}
