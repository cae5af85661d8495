//! What an approver is shown: the payment, why it was held, its history,
//! and the words for it in English or Arabic.

use jiff::Timestamp;

use crate::domain::Lang;
use crate::machine::{Actor, HoldReason, StateName};
use crate::merchant::StoreSettings;
use crate::payments::{AuditEntry, PaymentRecord};

/// The facts of one held payment, ready to render.
#[derive(Debug, Clone)]
pub struct ApprovalView {
    pub lang: Lang,
    pub store_id: String,
    pub store_name: String,
    pub payment_id: String,
    pub client_id: u32,
    pub phone: String,
    pub amount: String,
    pub credit_amount: Option<String>,
    pub currency_label: String,
    pub trans_id: Option<String>,
    pub reasons: Vec<HoldReason>,
    /// For a `contested` hold: the other clients that wait for the same
    /// transfer, so the approver sees who else claims it.
    pub competing_clients: Vec<u32>,
    pub state: StateName,
    pub deadline: Option<Timestamp>,
    pub history: Vec<AuditEntry>,
}

impl ApprovalView {
    pub fn new(
        record: &PaymentRecord,
        settings: &StoreSettings,
        history: Vec<AuditEntry>,
    ) -> ApprovalView {
        // The reasons of the hold, also after the payment moved on.
        let hold = history
            .iter()
            .rev()
            .find(|a| a.to == StateName::Held && !a.hold_reasons.is_empty());
        let reasons = hold
            .map(|a| a.hold_reasons.clone())
            .unwrap_or_else(|| record.hold_reasons().to_vec());
        let competing_clients = hold
            .map(|a| a.competing_clients.iter().map(|c| c.get()).collect())
            .unwrap_or_default();
        ApprovalView {
            lang: settings.anti_spam.approver_lang,
            store_id: record.store_id.to_string(),
            store_name: settings.name.clone(),
            payment_id: record.id.to_string(),
            client_id: record.client_id.get(),
            phone: record.phone.to_string(),
            amount: record.amount.to_string(),
            credit_amount: record.claim.as_ref().map(|c| {
                let mut credit = c.credit_amount;
                credit.rescale(2);
                credit.to_string()
            }),
            currency_label: settings.currency_label.clone(),
            trans_id: record.claim.as_ref().map(|c| c.trans_id.to_string()),
            reasons,
            competing_clients,
            state: record.state_name(),
            deadline: record.deadline.map(|d| d.at),
            history,
        }
    }

    pub fn store_label(&self) -> String {
        if self.store_name.is_empty() {
            self.store_id.clone()
        } else {
            format!("{} ({})", self.store_name, self.store_id)
        }
    }

    /// The competing clients as one line ("12, 34"), if any.
    pub fn competitors_line(&self) -> Option<String> {
        let ids: Vec<String> = self.competing_clients.iter().map(u32::to_string).collect();
        (!ids.is_empty()).then(|| ids.join(", "))
    }

    /// The last human decision, if any: who, what, when, and the note.
    pub fn decision(&self) -> Option<&AuditEntry> {
        self.history
            .iter()
            .rev()
            .find(|a| matches!(a.actor, Actor::Approver { .. } | Actor::Operator { .. }))
    }
}

/// Words, by language.
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
        (Actor::Operator { .. }, Lang::En) => "an operator".into(),
        (Actor::Operator { .. }, Lang::Ar) => "مشرف".into(),
    }
}

/// One label of the page or email.
pub fn label(key: &str, lang: Lang) -> &'static str {
    match (key, lang) {
        ("title", Lang::En) => "Payment waiting for approval",
        ("title", Lang::Ar) => "دفعة في انتظار الموافقة",
        ("store", Lang::En) => "Store",
        ("store", Lang::Ar) => "المتجر",
        ("client", Lang::En) => "Client id",
        ("client", Lang::Ar) => "رقم العميل",
        ("phone", Lang::En) => "Paid from",
        ("phone", Lang::Ar) => "رقم المحفظة المرسلة",
        ("amount", Lang::En) => "Amount (EGP)",
        ("amount", Lang::Ar) => "المبلغ (جنيه)",
        ("credit", Lang::En) => "Credit",
        ("credit", Lang::Ar) => "الرصيد المضاف",
        ("trans_id", Lang::En) => "Transaction id",
        ("trans_id", Lang::Ar) => "رقم العملية",
        ("reasons", Lang::En) => "Held because",
        ("reasons", Lang::Ar) => "سبب التعليق",
        ("competing", Lang::En) => "Other clients waiting for it",
        ("competing", Lang::Ar) => "عملاء آخرون في انتظاره",
        ("deadline", Lang::En) => "Decide before",
        ("deadline", Lang::Ar) => "القرار قبل",
        ("history", Lang::En) => "History",
        ("history", Lang::Ar) => "السجل",
        ("note", Lang::En) => "Note (optional)",
        ("note", Lang::Ar) => "ملاحظة (اختياري)",
        ("approve", Lang::En) => "Approve and credit",
        ("approve", Lang::Ar) => "موافقة وإضافة الرصيد",
        ("reject", Lang::En) => "Reject",
        ("reject", Lang::Ar) => "رفض",
        ("decided", Lang::En) => "This payment was already decided",
        ("decided", Lang::Ar) => "تم اتخاذ قرار بشأن هذه الدفعة بالفعل",
        ("state", Lang::En) => "State",
        ("state", Lang::Ar) => "الحالة",
        ("by", Lang::En) => "by",
        ("by", Lang::Ar) => "بواسطة",
        ("open", Lang::En) => "Open this link to approve or reject the payment:",
        ("open", Lang::Ar) => "افتح هذا الرابط للموافقة على الدفعة أو رفضها:",
        ("link_note", Lang::En) => {
            "Opening the link changes nothing; only the buttons on the page decide."
        }
        ("link_note", Lang::Ar) => "فتح الرابط لا يغير شيئًا؛ القرار فقط من الأزرار في الصفحة.",
        (_, _) => "",
    }
}
