//! Every sentence the pay pages show, in English and Arabic. A customer
//! reads these under stress: short sentences that say what happened and
//! what to do next, nothing about how cashgate works inside.

use crate::domain::Lang;
use crate::machine::StateName;

/// A fixed piece of text on the pay pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    FormTitle,
    StepSend,
    SendAmount,
    SendTo,
    StepEnter,
    NoWallets,
    Amount,
    AmountHint,
    Phone,
    PhoneHint,
    Client,
    ClientHint,
    Reference,
    ReferenceHint,
    Submit,
    ErrorTitle,
    OtherLanguage,
    StatusTitle,
    PaidFrom,
    EndingIn,
    Credit,
    Store,
    ReturnLink,
    ReturnSoon,
    PayAgain,
    DemoTitle,
    DemoText,
    DemoButton,
    DemoSent,
    DemoHeld,
    NotFoundTitle,
    NotFoundText,
    LimitedTitle,
    ErrorPageTitle,
    ErrorPageText,
}

/// The text of `word` in `lang`.
pub fn text(word: Word, lang: Lang) -> &'static str {
    match lang {
        Lang::En => english(word),
        Lang::Ar => arabic(word),
    }
}

fn english(word: Word) -> &'static str {
    match word {
        Word::FormTitle => "Pay with Vodafone Cash",
        Word::StepSend => "1. Send the money by Vodafone Cash",
        Word::SendAmount => "Amount",
        Word::SendTo => "To the wallet number",
        Word::StepEnter => "2. Then fill in this form: we match it to your transfer.",
        Word::NoWallets => "The store will tell you which wallet number to pay to.",
        Word::Amount => "Amount you sent (EGP)",
        Word::AmountHint => "The exact amount, for example 100 or 100.50.",
        Word::Phone => "The Vodafone Cash number you paid from",
        Word::PhoneHint => "11 digits, for example 01012345678.",
        Word::Client => "Your client number",
        Word::ClientHint => "Shown in your account with the store.",
        Word::Reference => "Reference number (optional)",
        Word::ReferenceHint => "Only for InstaPay transfers: the reference number on your receipt.",
        Word::Submit => "Check my payment",
        Word::ErrorTitle => "There is a problem",
        Word::OtherLanguage => "العربية",
        Word::StatusTitle => "Your payment",
        Word::PaidFrom => "Paid from",
        Word::EndingIn => "number ending in",
        Word::Credit => "Added to your account",
        Word::Store => "Store",
        Word::ReturnLink => "Back to the store",
        Word::ReturnSoon => "You will be taken back in a few seconds.",
        Word::PayAgain => "Fill in the form again",
        Word::DemoTitle => "Demo only",
        Word::DemoText => {
            "This button stands in for the merchant's phone: it sends cashgate the wallet's \
             SMS for this payment, as the SMS forwarder app would."
        }
        Word::DemoButton => "Simulate the wallet SMS",
        Word::DemoSent => "The SMS was sent. Watch the state above.",
        Word::DemoHeld => {
            "The approval email was written to a file; the terminal running cashgate demo \
             shows its link. Open it in another browser window and approve."
        }
        Word::NotFoundTitle => "Page not found",
        Word::NotFoundText => "Please check the link you followed, or ask the store for it.",
        Word::LimitedTitle => "Too many tries",
        Word::ErrorPageTitle => "Something went wrong",
        Word::ErrorPageText => "Please try again in a moment.",
    }
}

fn arabic(word: Word) -> &'static str {
    match word {
        Word::FormTitle => "الدفع بفودافون كاش",
        Word::StepSend => "أولًا: حوّل المبلغ بفودافون كاش",
        Word::SendAmount => "المبلغ",
        Word::SendTo => "إلى رقم المحفظة",
        Word::StepEnter => "ثانيًا: املأ هذا النموذج، وسنطابقه مع تحويلك.",
        Word::NoWallets => "سيخبرك المتجر برقم المحفظة الذي تحوّل إليه.",
        Word::Amount => "المبلغ الذي حوّلته (جنيه)",
        Word::AmountHint => "المبلغ بالضبط، مثل 100 أو 100.50",
        Word::Phone => "رقم فودافون كاش الذي حوّلت منه",
        Word::PhoneHint => "11 رقمًا، مثل 01012345678",
        Word::Client => "رقم العميل الخاص بك",
        Word::ClientHint => "تجده في حسابك لدى المتجر.",
        Word::Reference => "رقم العملية (اختياري)",
        Word::ReferenceHint => "لتحويلات إنستاباي فقط: رقم العملية المكتوب في الإيصال.",
        Word::Submit => "تحقق من دفعتي",
        Word::ErrorTitle => "يوجد خطأ",
        Word::OtherLanguage => "English",
        Word::StatusTitle => "دفعتك",
        Word::PaidFrom => "حُوّلت من",
        Word::EndingIn => "رقم ينتهي بـ",
        Word::Credit => "أضيف إلى حسابك",
        Word::Store => "المتجر",
        Word::ReturnLink => "العودة إلى المتجر",
        Word::ReturnSoon => "ستعود إلى المتجر تلقائيًا خلال ثوانٍ.",
        Word::PayAgain => "املأ النموذج مرة أخرى",
        Word::DemoTitle => "للتجربة فقط",
        Word::DemoText => {
            "هذا الزر يقوم مقام هاتف التاجر: يرسل إلى cashgate رسالة المحفظة الخاصة بهذه الدفعة، \
             كما يفعل تطبيق إعادة توجيه الرسائل."
        }
        Word::DemoButton => "محاكاة رسالة المحفظة",
        Word::DemoSent => "تم إرسال الرسالة. تابع الحالة بالأعلى.",
        Word::DemoHeld => {
            "كُتبت رسالة الموافقة في ملف، وتعرض نافذة الأوامر التي تشغّل cashgate demo رابطها. \
             افتحه في نافذة متصفح أخرى ووافق."
        }
        Word::NotFoundTitle => "الصفحة غير موجودة",
        Word::NotFoundText => "من فضلك راجع الرابط الذي فتحته، أو اطلبه من المتجر.",
        Word::LimitedTitle => "محاولات كثيرة",
        Word::ErrorPageTitle => "حدث خطأ",
        Word::ErrorPageText => "من فضلك حاول مرة أخرى بعد قليل.",
    }
}

/// The headline and sentence of a payment that was found but expired
/// because nobody approved it in time (its transfer waits for an
/// operator, who can still give it to the customer).
pub fn unapproved_text(lang: Lang) -> (&'static str, &'static str) {
    match lang {
        Lang::En => (
            "Not approved in time",
            "Your payment was found, but the merchant did not approve it in time. \
             The merchant has been told and can still add it to your account; \
             if you have questions, contact the store.",
        ),
        Lang::Ar => (
            "لم تتم الموافقة في الوقت المحدد",
            "تم العثور على دفعتك، لكن التاجر لم يوافق عليها في الوقت المحدد. تم إبلاغ التاجر \
             ويمكنه إضافتها إلى حسابك؛ إذا كان لديك سؤال، تواصل مع المتجر.",
        ),
    }
}

/// A state's headline and sentence on the status page.
pub fn state_text(state: StateName, lang: Lang) -> (&'static str, &'static str) {
    match lang {
        Lang::En => state_english(state),
        Lang::Ar => state_arabic(state),
    }
}

fn state_english(state: StateName) -> (&'static str, &'static str) {
    match state {
        StateName::Searching => (
            "Waiting for your payment",
            "We have not received it yet; keep this page open. It updates by itself.",
        ),
        StateName::Held => (
            "Waiting for approval",
            "Your payment was found and is waiting for the merchant's approval. \
             Keep this page open or come back to it later.",
        ),
        StateName::Crediting => (
            "Payment found",
            "Your payment was found and is being added to your account.",
        ),
        StateName::CreditFailed | StateName::CreditUnknown => (
            "Payment found",
            "Your payment was found. The merchant has been told; there is nothing more you need to do.",
        ),
        StateName::Credited => (
            "Payment received",
            "Your payment was received and added to your account. Thank you!",
        ),
        StateName::Rejected => (
            "Payment not accepted",
            "The merchant did not accept this payment claim. If you paid, please contact the store.",
        ),
        StateName::Expired => (
            "Payment not confirmed",
            "We did not receive this payment in time. If you paid, fill in the form again or contact the store.",
        ),
    }
}

fn state_arabic(state: StateName) -> (&'static str, &'static str) {
    match state {
        StateName::Searching => (
            "في انتظار دفعتك",
            "لم نستلمها بعد؛ اترك هذه الصفحة مفتوحة، فهي تتحدث تلقائيًا.",
        ),
        StateName::Held => (
            "في انتظار الموافقة",
            "تم العثور على دفعتك وهي في انتظار موافقة التاجر. اترك هذه الصفحة مفتوحة أو عد إليها لاحقًا.",
        ),
        StateName::Crediting => (
            "تم العثور على الدفعة",
            "تم العثور على دفعتك وجاري إضافتها إلى حسابك.",
        ),
        StateName::CreditFailed | StateName::CreditUnknown => (
            "تم العثور على الدفعة",
            "تم العثور على دفعتك وتم إبلاغ التاجر؛ لا تحتاج إلى فعل أي شيء آخر.",
        ),
        StateName::Credited => (
            "تم استلام الدفعة",
            "تم استلام دفعتك وإضافتها إلى حسابك. شكرًا لك!",
        ),
        StateName::Rejected => (
            "لم تُقبل الدفعة",
            "لم يقبل التاجر طلب الدفع هذا. إذا كنت قد دفعت، من فضلك تواصل مع المتجر.",
        ),
        StateName::Expired => (
            "لم يتم تأكيد الدفعة",
            "لم نستلم هذه الدفعة في الوقت المحدد. إذا كنت قد دفعت، املأ النموذج مرة أخرى أو تواصل مع المتجر.",
        ),
    }
}
