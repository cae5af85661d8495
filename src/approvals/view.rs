//! What an approver is shown: the payment, why it was held, its history,
//! who decided it, and the page's own words in English or Arabic (the
//! names of states, events and reasons, and times, come from
//! `crate::locale`).

use jiff::Timestamp;

use crate::domain::{Email, Lang, TimeZoneName};
use crate::locale;
use crate::machine::{Actor, EventKind, HoldReason, StateName};
use crate::merchant::StoreSettings;
use crate::payments::{AuditEntry, AuditEvent, PaymentRecord};

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
    /// The store's zone, for every time shown.
    pub time_zone: TimeZoneName,
    /// When the page or email is made (for "in 2 days").
    pub now: Timestamp,
}

/// What became of a payment, as the approver who opens its link reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// This approver decided it (their own approve or reject).
    Theirs(&'a AuditEntry),
    /// Someone else decided it: another approver or an operator.
    Decided(&'a AuditEntry),
    /// Nobody decided: it expired, or moved on otherwise.
    Undecided,
}

impl ApprovalView {
    pub fn new(
        record: &PaymentRecord,
        settings: &StoreSettings,
        history: Vec<AuditEntry>,
        now: Timestamp,
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
            time_zone: settings.time_zone.clone(),
            now,
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

    /// What became of the payment, for the approver `viewer`.
    pub fn outcome(&self, viewer: &Email) -> Outcome<'_> {
        match self.decision() {
            Some(entry) if matches!(&entry.actor, Actor::Approver { email, .. } if email == viewer) => {
                Outcome::Theirs(entry)
            }
            Some(entry) => Outcome::Decided(entry),
            None => Outcome::Undecided,
        }
    }

    /// `at` in the store's zone, with how long ago or ahead.
    pub fn when(&self, at: Timestamp) -> String {
        locale::when(at, self.now, self.time_zone.zone(), self.lang)
    }

    /// `at` in the store's zone.
    pub fn date_time(&self, at: Timestamp) -> String {
        locale::date_time(at, self.time_zone.zone(), self.lang)
    }
}

/// What a history entry did, in words.
pub fn event_text(event: AuditEvent, lang: Lang) -> &'static str {
    match event {
        AuditEvent::Created => locale::created_text(lang),
        AuditEvent::Machine(kind) => locale::event_text(kind, lang),
    }
}

/// The sentence that tells the approver what became of the payment.
pub fn outcome_sentence(view: &ApprovalView, outcome: Outcome<'_>) -> String {
    let l = view.lang;
    let approved = |e: &AuditEntry| e.event == AuditEvent::Machine(EventKind::Approve);
    match outcome {
        Outcome::Theirs(e) => {
            let when = view.when(e.at);
            match (approved(e), l) {
                (true, Lang::En) => format!("You approved this payment on {when}."),
                (false, Lang::En) => format!("You rejected this payment on {when}."),
                (true, Lang::Ar) => format!("لقد وافقت على هذه الدفعة في {when}."),
                (false, Lang::Ar) => format!("لقد رفضت هذه الدفعة في {when}."),
            }
        }
        Outcome::Decided(e) => {
            let (who, when) = (locale::actor_text(&e.actor, l), view.when(e.at));
            let what = event_text(e.event, l);
            match l {
                Lang::En => format!("{what} by {who} on {when}."),
                Lang::Ar => format!("{what} بواسطة {who} في {when}."),
            }
        }
        Outcome::Undecided => {
            let state = locale::state_name(view.state, l);
            match l {
                Lang::En => format!("Nobody decided it; it is now: {state}."),
                Lang::Ar => format!("لم يتخذ أحد قرارًا بشأنها؛ حالتها الآن: {state}."),
            }
        }
    }
}

/// The page's headline for an outcome.
pub fn outcome_headline(outcome: Outcome<'_>, lang: Lang) -> &'static str {
    let approved = |e: &AuditEntry| e.event == AuditEvent::Machine(EventKind::Approve);
    match (outcome, lang) {
        (Outcome::Theirs(e), Lang::En) if approved(e) => "You approved this payment",
        (Outcome::Theirs(_), Lang::En) => "You rejected this payment",
        (Outcome::Theirs(e), Lang::Ar) if approved(e) => "لقد وافقت على هذه الدفعة",
        (Outcome::Theirs(_), Lang::Ar) => "لقد رفضت هذه الدفعة",
        (Outcome::Decided(_), Lang::En) => "This payment was already decided",
        (Outcome::Decided(_), Lang::Ar) => "تم اتخاذ قرار بشأن هذه الدفعة بالفعل",
        (Outcome::Undecided, Lang::En) => "This payment is no longer waiting for approval",
        (Outcome::Undecided, Lang::Ar) => "هذه الدفعة لم تعد في انتظار الموافقة",
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
        ("note_given", Lang::En) => "Note",
        ("note_given", Lang::Ar) => "ملاحظة",
        ("note", Lang::En) => "Note (optional)",
        ("note", Lang::Ar) => "ملاحظة (اختياري)",
        ("approve", Lang::En) => "Approve and credit",
        ("approve", Lang::Ar) => "موافقة وإضافة الرصيد",
        ("reject", Lang::En) => "Reject",
        ("reject", Lang::Ar) => "رفض",
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
