//! Approval tokens: arbitrary and bit-flipped tokens never verify; a valid
//! one verifies only for its payment, approver, version and time, and only
//! under its key.
#![no_main]

use arbitrary::Arbitrary;
use cashgate::approvals::{Claims, Signer, TokenError};
use cashgate::domain::{Email, PaymentId};
use jiff::Timestamp;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    key: [u8; 32],
    other_key: [u8; 32],
    payment: [u8; 26],
    approver: &'a str,
    version: u64,
    expiry_s: u32,
    now_s: u32,
    flips: Vec<(u16, u8)>,
    garbage: &'a str,
}

fuzz_target!(|input: Input| {
    // Approvers are email addresses (the store refuses anything else, and
    // longer than 254 characters); tokens are sized for them.
    let Ok(approver) = Email::parse(input.approver) else { return };
    let signer = Signer::from_key(input.key);
    let Ok(expires_at) = Timestamp::from_second(i64::from(input.expiry_s)) else { return };
    let claims = Claims {
        payment_id: PaymentId::from_random_bytes(input.payment),
        approver,
        version: input.version,
        expires_at,
    };
    let token = signer.token(&claims);
    assert_eq!(signer.verify(&token), Ok(claims.clone()), "a token verifies as issued");
    let now = Timestamp::from_second(i64::from(input.now_s)).unwrap_or(Timestamp::UNIX_EPOCH);
    match signer.verify_at(&token, now) {
        Ok(_) => assert!(now <= expires_at),
        Err(e) => assert!(e == TokenError::Expired && now > expires_at, "{e:?}"),
    }
    if input.other_key != input.key {
        assert!(Signer::from_key(input.other_key).verify(&token).is_err(), "another key");
    }
    let mut bytes = token.clone().into_bytes();
    let len = bytes.len().max(1);
    for (at, xor) in &input.flips {
        if let Some(b) = bytes.get_mut(usize::from(*at) % len) {
            *b ^= *xor;
        }
    }
    if let Ok(flipped) = String::from_utf8(bytes)
        && flipped != token
    {
        assert!(signer.verify(&flipped).is_err(), "a changed token verified: {flipped}");
    }
    if input.garbage != token {
        assert!(signer.verify(input.garbage).is_err());
    }
    // A nonce is bound to its token.
    if let Ok(nonce) = signer.nonce(&token) {
        assert!(signer.nonce_valid(&token, &nonce));
        assert!(!signer.nonce_valid(input.garbage, &nonce) || input.garbage == token);
    }
});
