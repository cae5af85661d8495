//! What the check form shows the customer, per state, in English and Arabic.

use crate::domain::Lang;
use crate::machine::StateName;

pub fn for_state(state: StateName, lang: Lang) -> &'static str {
    match lang {
        Lang::En => english(state),
        Lang::Ar => arabic(state),
    }
}

fn english(state: StateName) -> &'static str {
    match state {
        StateName::Searching => {
            "We have not received this payment yet. If you just paid, please try again in a few minutes."
        }
        StateName::Held => "Your payment was found and is waiting for approval.",
        StateName::Crediting => "Your payment was found and is being added to your account.",
        StateName::CreditFailed | StateName::CreditUnknown => {
            "Your payment was found; the store is checking it before adding it to your account."
        }
        StateName::Credited => "Your payment was received and added to your account.",
        StateName::Rejected => "This payment claim was rejected. Please contact the store.",
        StateName::Expired => {
            "This payment was not confirmed in time. If you paid, please check again or contact the store."
        }
    }
}

fn arabic(state: StateName) -> &'static str {
    match state {
        StateName::Searching => {
            "لم نستلم هذا الدفع بعد. إذا كنت قد دفعت للتو، من فضلك حاول مرة أخرى بعد دقائق."
        }
        StateName::Held => "تم العثور على دفعتك وهي في انتظار الموافقة.",
        StateName::Crediting => "تم العثور على دفعتك وجاري إضافتها إلى حسابك.",
        StateName::CreditFailed | StateName::CreditUnknown => {
            "تم العثور على دفعتك، والمتجر يراجعها قبل إضافتها إلى حسابك."
        }
        StateName::Credited => "تم استلام دفعتك وإضافتها إلى حسابك.",
        StateName::Rejected => "تم رفض طلب الدفع هذا. من فضلك تواصل مع المتجر.",
        StateName::Expired => {
            "لم يتم تأكيد هذا الدفع في الوقت المحدد. إذا كنت قد دفعت، من فضلك حاول مرة أخرى أو تواصل مع المتجر."
        }
    }
}
