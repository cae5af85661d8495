//! The mail lane: emails every approver of a held payment a signed link.
//! Each approver's email is recorded as sent (durably) before the next is
//! sent, so a restart repeats at most the one email in flight; SMTP
//! failures are retried with backoff, a bounded number of times.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::backoff::backoff;
use super::outbox::Performer;
use crate::approvals::{ApprovalView, Claims, Signer, compose};
use crate::clock::Clock;
use crate::config::MailSettings;
use crate::domain::Email;
use crate::machine::StateName;
use crate::metrics::OutcomeLabels;
use crate::payments::{
    ApproverSend, DbError, Effect, Lane, OutboxEntry, OutboxKey, OutboxStatus, PaymentRecord,
    Payments, SendOutcome,
};

/// Where emails go: an SMTP server, or `.eml` files when none is set.
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error("mail.smtp_url is not a usable SMTP URL: {0}")]
    Url(String),
    #[error("mail.from {0:?} is not a mailbox")]
    From(String),
    #[error("cannot create the mail folder {0}: {1}")]
    Folder(String, std::io::Error),
}

/// Why one send failed; permanent failures are not retried.
#[derive(Debug)]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

impl Mailer {
    pub fn from_settings(
        settings: &MailSettings,
        data_dir: &Path,
    ) -> Result<Mailer, MailSetupError> {
        match &settings.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    // lettre's error names the URL part, never the password.
                    .map_err(|e| MailSetupError::Url(e.to_string()))?
                    .timeout(Some(Duration::from_millis(settings.timeout_ms)))
                    .build();
                Ok(Mailer::Smtp(transport))
            }
            None => {
                let dir = data_dir.join("mail");
                std::fs::create_dir_all(&dir)
                    .map_err(|e| MailSetupError::Folder(dir.display().to_string(), e))?;
                Ok(Mailer::Files(AsyncFileTransport::new(dir)))
            }
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Mailer::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: e.to_string(),
            }),
            Mailer::Files(files) => files
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendError {
                    permanent: false,
                    message: e.to_string(),
                }),
        }
    }
}

/// Performs `notify_approvers` entries.
pub struct MailSender {
    pub payments: Payments,
    pub clock: Clock,
    pub mailer: Mailer,
    pub signer: Arc<Signer>,
    /// Base of the links (`public_url`).
    pub public_url: String,
    pub from: Mailbox,
    pub settings: MailSettings,
}

impl MailSender {
    /// Replaces the stored entry and returns the new one.
    /// `None` when the stored entry is no longer `before` (nothing written).
    async fn save(
        &self,
        key: &OutboxKey,
        before: &OutboxEntry,
        after: OutboxEntry,
    ) -> Result<Option<OutboxEntry>, DbError> {
        let swapped = self
            .payments
            .update_outbox(key, before, &after)?
            .durable()
            .await?;
        Ok(swapped.then_some(after))
    }

    /// The payment to ask about, if it still waits for this decision.
    fn still_held(&self, entry: &OutboxEntry) -> Result<Option<PaymentRecord>, DbError> {
        let record = self.payments.payment(&entry.payment_id)?;
        Ok(record.filter(|r| r.state_name() == StateName::Held && r.version == entry.version))
    }

    fn link(&self, record: &PaymentRecord, approver: &Email, version: u64) -> String {
        let expires_at = record
            .deadline
            .map(|d| d.at)
            .unwrap_or(jiff::Timestamp::MAX);
        let token = self.signer.token(&Claims {
            payment_id: record.id.clone(),
            approver: approver.clone(),
            version,
            expires_at,
        });
        format!("{}/approvals/{token}", self.public_url)
    }

    /// Reschedules after a transient failure, or gives up after the tries.
    async fn retry_later(
        &self,
        key: &OutboxKey,
        entry: &OutboxEntry,
        error: String,
    ) -> Result<(), DbError> {
        let tries = entry.tries.saturating_add(1);
        let mut next = OutboxEntry {
            tries,
            last_error: Some(error.clone()),
            ..entry.clone()
        };
        if tries >= self.settings.tries_max {
            tracing::error!(payment_id = %entry.payment_id, tries, error, "approval email given up");
            next.status = OutboxStatus::Failed;
        } else {
            let delay = backoff(
                tries,
                self.settings.retry_base_ms,
                self.settings.retry_max_ms,
            );
            next.due_at = self.clock.now() + delay;
            tracing::warn!(payment_id = %entry.payment_id, tries, ?delay, error, "approval email will be retried");
        }
        self.save(key, entry, next).await.map(|_| ())
    }
}

impl Performer for MailSender {
    fn lane(&self) -> Lane {
        Lane::Mail
    }

    async fn perform(&self, key: OutboxKey, entry: OutboxEntry) -> Result<(), DbError> {
        let done = |e: &OutboxEntry| OutboxEntry {
            status: OutboxStatus::Done,
            ..e.clone()
        };
        let (Effect::NotifyApprovers { .. }, Some(record)) =
            (&entry.effect, self.still_held(&entry)?)
        else {
            // Decided (or gone) before its email left: nothing to ask.
            return self.save(&key, &entry, done(&entry)).await.map(|_| ());
        };
        let settings = self
            .payments
            .stores()
            .get(&record.store_id)?
            .unwrap_or_default();
        if settings.anti_spam.approvers.is_empty() {
            tracing::warn!(payment_id = %record.id, "held payment has no approvers: an operator must decide");
        }
        let history = self.payments.history(&record.id)?;
        let view = ApprovalView::new(&record, &settings, history, self.clock.now());
        let mut current = entry;
        for approver in &settings.anti_spam.approvers {
            if current.sent_to(approver) {
                continue;
            }
            let link = self.link(&record, approver, current.version);
            let sent = match compose(&view, approver.as_str(), &link, &self.from) {
                Ok(message) => self.mailer.send(message).await,
                Err(e) => Err(SendError {
                    permanent: true,
                    message: e.to_string(),
                }),
            };
            let outcome = match &sent {
                Ok(()) => "sent",
                Err(e) if e.permanent => "refused",
                Err(_) => "failed",
            };
            self.payments
                .metrics()
                .emails
                .get_or_create(&OutcomeLabels { outcome })
                .inc();
            let mut next = current.clone();
            let send = |outcome| ApproverSend {
                approver: approver.clone(),
                outcome,
            };
            match sent {
                Ok(()) => next.approver_sends.push(send(SendOutcome::Sent)),
                Err(e) if e.permanent => {
                    tracing::error!(payment_id = %record.id, %approver, error = e.message, "approval email refused");
                    next.approver_sends.push(send(SendOutcome::Refused));
                    next.last_error = Some(e.message);
                }
                Err(e) => return self.retry_later(&key, &current, e.message).await,
            }
            match self.save(&key, &current, next).await? {
                Some(saved) => current = saved,
                None => return Ok(()),
            }
        }
        tracing::info!(payment_id = %record.id, approvers = settings.anti_spam.approvers.len(), "approval emails sent");
        self.save(&key, &current, done(&current)).await.map(|_| ())
    }
}
