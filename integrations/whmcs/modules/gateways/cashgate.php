<?php
/**
 * cashgate: Vodafone Cash wallet payments for WHMCS invoices.
 *
 * The invoice page shows the EGP amount to transfer (computed here, on the
 * WHMCS server, from the cashgate daemon's rate for the store) and a form
 * for the phone number the customer paid from. The form posts to this
 * module's callback, which sends the check to the daemon from the WHMCS
 * server and takes the customer to the daemon's status page. The daemon
 * matches the check to the money that arrived, credits the client once,
 * and pays the invoice from that credit once. This module never pays an
 * invoice and never adds credit itself. The store id is never printed on
 * the invoice page (not in its HTML or JavaScript); the status page the
 * callback redirects to carries it in its URL (/pay/{store}/payments/{id}).
 *
 * @see https://developers.whmcs.com/payment-gateways/third-party-gateway/
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/cashgate/lib.php';

use Cashgate\Whmcs\Daemon;
use Cashgate\Whmcs\Money;
use Cashgate\Whmcs\Settings;
use Cashgate\Whmcs\Texts;

use function Cashgate\Whmcs\e;
use function Cashgate\Whmcs\form_token;
use function Cashgate\Whmcs\invoice;

function cashgate_MetaData()
{
    return [
        'DisplayName' => 'Vodafone Cash (cashgate)',
        'APIVersion' => '1.1',
        'DisableLocalCreditCardInput' => true,
        'TokenisedStorage' => false,
    ];
}

function cashgate_config()
{
    return [
        'FriendlyName' => [
            'Type' => 'System',
            'Value' => 'Vodafone Cash (cashgate)',
        ],
        'systemUrl' => [
            'FriendlyName' => 'cashgate URL',
            'Type' => 'text',
            'Size' => '60',
            'Default' => '',
            'Description' => 'The cashgate base URL, like https://pay.example.com (https; http only to 127.0.0.1 or localhost).',
        ],
        'storeId' => [
            'FriendlyName' => 'Store ID',
            'Type' => 'text',
            'Size' => '25',
            'Default' => '',
            'Description' => 'Your store id in cashgate. Never printed on the invoice page; the cashgate status page a customer is sent to carries it in its address.',
        ],
        'walletNumbers' => [
            'FriendlyName' => 'Wallet numbers',
            'Type' => 'text',
            'Size' => '60',
            'Default' => '',
            'Description' => 'The Vodafone Cash numbers customers pay to, shown on the invoice (optional).',
        ],
        'checkTimeoutSeconds' => [
            'FriendlyName' => 'Check timeout (seconds)',
            'Type' => 'text',
            'Size' => '5',
            'Default' => '12',
            'Description' => 'How long a check may take; keep it above cashgate\'s check_wait_ms (8 s by default).',
        ],
    ];
}

/**
 * The payment form of an unpaid invoice: the EGP amount to transfer,
 * ceil(balance × the store's rate), and the phone field.
 */
function cashgate_link($params)
{
    $lang = Texts::lang($params['clientdetails']['language'] ?? ($_SESSION['Language'] ?? ''));
    $settings = Settings::from($params);
    if ($settings === null) {
        return cashgate_notice($lang, Texts::get($lang, 'not_configured'));
    }
    $invoiceId = (int) ($params['invoiceid'] ?? 0);
    $invoice = invoice($invoiceId);
    if ($invoice === null || ($invoice['status'] ?? '') !== 'Unpaid') {
        return '';
    }
    $rate = (new Daemon($settings))->rate();
    $json = $rate->json ?? [];
    if ($rate->status !== 200 || ($json['status'] ?? false) !== true) {
        return cashgate_notice($lang, Texts::get($lang, 'unavailable'));
    }
    $label = strtoupper(trim((string) ($json['currency_label'] ?? '')));
    $currency = strtoupper(trim((string) ($params['currency'] ?? '')));
    if ($label !== '' && $currency !== '' && $label !== $currency) {
        return cashgate_notice($lang, Texts::get($lang, 'currency', $currency));
    }
    $cents = Money::cents((string) ($invoice['balance'] ?? ''));
    $egp = $cents === null ? null : Money::egp($cents, (string) ($json['rate'] ?? ''));
    if ($egp === null) {
        return cashgate_notice($lang, Texts::get($lang, 'unavailable'));
    }
    return cashgate_form($params, $settings, $lang, $invoiceId, $egp);
}

/** The form itself; every value escaped, no script. */
function cashgate_form(array $params, Settings $settings, string $lang, int $invoiceId, int $egp): string
{
    $action = rtrim((string) ($params['systemurl'] ?? ''), '/') . '/modules/gateways/callback/cashgate.php';
    $t = static fn (string $key, string ...$args): string => e(Texts::get($lang, $key, ...$args));
    $dir = $lang === 'ar' ? 'rtl' : 'ltr';
    $html = '<div class="cashgate" lang="' . $lang . '" dir="' . $dir . '">';
    $html .= '<p><strong>' . $t('title') . '</strong></p>';
    $html .= '<p>' . $t('transfer', (string) $egp) . '</p>';
    if ($settings->walletNumbers !== '') {
        $html .= '<p>' . $t('wallets', $settings->walletNumbers) . '</p>';
    }
    $html .= '<form method="post" action="' . e($action) . '">';
    $html .= '<input type="hidden" name="invoice_id" value="' . $invoiceId . '">';
    $html .= '<input type="hidden" name="token" value="' . e(form_token()) . '">';
    $html .= '<input type="hidden" name="lang" value="' . $lang . '">';
    $html .= '<p><label for="cashgate-phone">' . $t('phone') . '</label><br>';
    $html .= '<input id="cashgate-phone" name="phone" type="tel" inputmode="tel" autocomplete="tel" dir="ltr" required></p>';
    $html .= '<p><label for="cashgate-amount">' . $t('amount') . '</label><br>';
    $html .= '<input id="cashgate-amount" name="amount" type="text" inputmode="decimal" dir="ltr" required value="' . $egp . '"></p>';
    $html .= '<p><button type="submit">' . $t('submit') . '</button></p>';
    return $html . '</form></div>';
}

/** A short notice in place of the form. */
function cashgate_notice(string $lang, string $text): string
{
    $dir = $lang === 'ar' ? 'rtl' : 'ltr';
    return '<div class="cashgate" lang="' . $lang . '" dir="' . $dir . '"><p>' . e($text) . '</p></div>';
}
