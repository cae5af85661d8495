use super::assets::{AssetName, path};
use super::form::{Field, FormError, FormValues, FormView, form_page};
use super::status::{DemoPart, StatusView, status_page};
use crate::domain::{Lang, Phone};
use crate::machine::StateName;

fn form(lang: Lang) -> FormView {
    FormView {
        lang,
        store_id: "5".into(),
        store_name: "<script>alert(1)</script> Hosting".into(),
        wallet_numbers: vec![Phone::parse("01011112222").unwrap()],
        values: FormValues {
            amount: "100.00".into(),
            phone: "0101\"><b>".into(),
            client_id: "42".into(),
            invoice_id: "7".into(),
            trans_id: String::new(),
            return_url: Some("https://billing.example.com/viewinvoice.php?id=7&x=\"".into()),
        },
        client_fixed: true,
        amount_known: true,
        invoice: None,
        error: None,
        other_language_href: "/pay/5?lang=ar".into(),
    }
}

fn status(state: StateName, return_url: Option<&str>) -> StatusView {
    StatusView {
        lang: Lang::En,
        store_name: "Example Hosting".into(),
        payment_id: "pay_abc".into(),
        state,
        amount: "100.00".into(),
        credit: None,
        phone_tail: "678".into(),
        return_url: return_url.map(str::to_owned),
        form_href: "/pay/5?lang=en".into(),
        other_language_href: "/pay/5/payments/pay_abc?lang=ar".into(),
        demo: DemoPart::None,
    }
}

/// No inline script or style: every `<script` has a `src`, no `style`
/// attribute or element, no event handler attribute.
fn assert_no_inline_code(page: &str) {
    for (i, _) in page.match_indices("<script") {
        let tag = &page[i..page[i..].find('>').map_or(page.len(), |e| i + e)];
        assert!(tag.contains("src=\"/assets/"), "inline script: {tag}");
    }
    assert!(
        !page.contains("<style") && !page.contains(" style="),
        "inline style"
    );
    assert!(
        !page.contains(" onclick=") && !page.contains(" onload="),
        "handler"
    );
}

#[test]
fn the_form_labels_every_field_escapes_every_value_and_hides_the_given_client() {
    let page = form_page(&form(Lang::En));
    assert!(!page.contains("<script>alert"), "store name escaped");
    assert!(page.contains("&lt;script&gt;"));
    assert!(
        page.contains(r#"value="0101&quot;&gt;&lt;b&gt;""#),
        "typed phone escaped"
    );
    for name in ["amount", "phone", "trans_id"] {
        assert!(page.contains(&format!(r#"<label for="{name}">"#)), "{name}");
        assert!(
            page.contains(&format!(r#"id="{name}" name="{name}""#)),
            "{name}"
        );
    }
    assert!(page.contains(r#"<input type="hidden" name="client_id" value="42">"#));
    assert!(page.contains(r#"<input type="hidden" name="invoice_id" value="7">"#));
    assert!(page.contains("&amp;x=&quot;"), "return url escaped");
    assert!(page.contains(r#"<form method="post" action="/pay/5""#));
    assert!(page.contains("010 1111 2222"), "the wallet, grouped");
    assert!(page.contains(r#"<html lang="en" dir="ltr">"#));
    assert!(page.contains(&format!(r#"href="{}""#, path(AssetName::Style))));
    assert!(!page.contains("<script"), "the form needs no script");
    assert_no_inline_code(&page);
}

#[test]
fn an_error_is_summarised_at_the_top_and_repeated_at_its_field() {
    let mut view = form(Lang::Ar);
    view.client_fixed = false;
    view.error = Some(FormError {
        field: Some(Field::Phone),
        message: "رقم الهاتف غير صحيح".into(),
    });
    let page = form_page(&view);
    assert!(page.contains(r#"<html lang="ar" dir="rtl">"#));
    let summary = page.find("error-summary").unwrap();
    let heading = page.find("<h1>").unwrap();
    assert!(summary < heading, "the summary comes first");
    assert!(page.contains(r##"<a href="#phone">رقم الهاتف غير صحيح</a>"##));
    assert!(page.contains(r#"<p class="error-message" id="phone-error">"#));
    assert!(page.contains(r#"aria-describedby="phone-hint phone-error" aria-invalid="true""#));
    assert!(
        page.contains(r#"<label for="client_id">"#),
        "the client field shows"
    );
    assert!(page.starts_with("<!DOCTYPE html>"));
}

#[test]
fn the_status_page_names_its_state_in_a_live_region_and_loads_only_its_script() {
    let page = status_page(&status(StateName::Searching, None));
    assert!(
        page.contains(r#"id="payment-state" class="state state-searching" data-state="searching""#)
    );
    assert!(page.contains(r#"data-poll="/api/payments/pay_abc""#));
    assert!(page.contains(r#"role="status" aria-live="polite""#));
    assert!(page.contains("keep this page open"));
    assert!(page.contains(&format!(
        r#"<script src="{}" defer>"#,
        path(AssetName::Script)
    )));
    assert!(page.contains(r#"<noscript><meta http-equiv="refresh" content="10"></noscript>"#));
    assert!(page.contains("678") && !page.contains("01012345678"));
    assert_no_inline_code(&page);
}

#[test]
fn every_state_has_its_own_sentence_in_both_languages() {
    let mut seen = std::collections::HashSet::new();
    for state in StateName::ALL {
        for lang in [Lang::En, Lang::Ar] {
            let mut view = status(state, None);
            view.lang = lang;
            let page = status_page(&view);
            let (title, sentence) = super::words::state_text(state, lang);
            assert!(page.contains(sentence), "{state} {lang:?}");
            seen.insert((title, sentence));
        }
    }
    // credit_failed and credit_unknown say the same to the customer.
    assert_eq!(seen.len(), 14);
}

#[test]
fn a_found_payment_that_expired_unapproved_is_not_called_unreceived() {
    for lang in [Lang::En, Lang::Ar] {
        let mut view = status(StateName::Expired, None);
        view.lang = lang;
        view.credit = Some("100.00 EGP".into());
        let page = status_page(&view);
        let (_, unapproved) = super::words::unapproved_text(lang);
        let (_, unreceived) = super::words::state_text(StateName::Expired, lang);
        assert!(page.contains(unapproved), "{lang:?}");
        assert!(!page.contains(unreceived), "{lang:?}");
    }
}

#[test]
fn a_credited_page_leads_back_only_with_a_return_url() {
    let url = "https://billing.example.com/viewinvoice.php?id=7";
    let page = status_page(&status(StateName::Credited, Some(url)));
    assert!(
        page.contains(&format!(
            r#"<a class="button" id="return-link" href="{url}">"#
        )),
        "{page}"
    );
    assert!(page.contains(&format!(r#"content="5;url={url}""#)));
    let without = status_page(&status(StateName::Credited, None));
    assert!(!without.contains("return-link") && !without.contains("http-equiv"));
    let expired = status_page(&status(StateName::Expired, Some(url)));
    assert!(!expired.contains("return-link") && expired.contains(r#"href="/pay/5?lang=en""#));
}

#[test]
fn the_demo_button_shows_only_when_offered() {
    let mut view = status(StateName::Searching, None);
    assert!(!status_page(&view).contains("simulate-sms"));
    view.demo = DemoPart::SimulateSms {
        action: "/pay/5/payments/pay_abc/simulate-sms".into(),
    };
    let page = status_page(&view);
    assert!(page.contains(r#"action="/pay/5/payments/pay_abc/simulate-sms" data-background"#));
    assert!(page.contains("Demo only"));
}
