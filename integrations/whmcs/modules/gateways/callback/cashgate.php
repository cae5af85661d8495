<?php
/**
 * cashgate callback: the invoice page's form posts here.
 *
 * It checks that the logged-in client owns the invoice and that the
 * invoice is unpaid, sends the check to the cashgate daemon from this
 * server (the browser never sends a check itself), and takes the customer
 * to the daemon's status page for the payment (its URL,
 * /pay/{store}/payments/{id}, carries the store id), which links
 * back to the invoice once it is paid. A refusal shows the daemon's own
 * message in the customer's language; a daemon that is down or slow gets
 * a clear message. Every outcome is written to the gateway log.
 *
 * The daemon pays the invoice from the credit, once: this file never
 * records a payment or adds credit.
 */

require_once __DIR__ . '/../../../init.php';
require_once __DIR__ . '/../../../includes/gatewayfunctions.php';
require_once __DIR__ . '/../cashgate/lib.php';

use Cashgate\Whmcs\Daemon;
use Cashgate\Whmcs\Settings;
use Cashgate\Whmcs\Texts;

use function Cashgate\Whmcs\e;
use function Cashgate\Whmcs\invoice;

$gatewayModuleName = basename(__FILE__, '.php');
$gateway = getGatewayVariables($gatewayModuleName);
if (empty($gateway['type'])) {
    die('Module Not Activated');
}
$lang = Texts::lang($_POST['lang'] ?? '');
$whmcsUrl = rtrim((string) ($gateway['systemurl'] ?? ''), '/');

/** Ends the request with a page that says `$text`, logging `$status`. */
$refuse = static function (int $http, string $text, string $status, array $log = []) use ($gateway, $lang, $whmcsUrl): never {
    logTransaction($gateway['name'], $log + ['message' => $text], $status);
    $invoiceId = (int) ($_POST['invoice_id'] ?? 0);
    $back = $whmcsUrl . '/viewinvoice.php?id=' . $invoiceId;
    http_response_code($http);
    header('Content-Type: text/html; charset=utf-8');
    header('Cache-Control: no-store');
    $dir = $lang === 'ar' ? 'rtl' : 'ltr';
    echo '<!doctype html><html lang="' . $lang . '" dir="' . $dir . '"><head><meta charset="utf-8">'
        . '<meta name="viewport" content="width=device-width, initial-scale=1">'
        . '<title>' . e(Texts::get($lang, 'title')) . '</title></head><body>'
        . '<p id="cashgate-message">' . e($text) . '</p>'
        . '<p><a href="' . e($back) . '">' . e(Texts::get($lang, 'back')) . '</a></p></body></html>';
    exit;
};

if (($_SERVER['REQUEST_METHOD'] ?? '') !== 'POST') {
    $refuse(405, Texts::get($lang, 'expired_form'), 'Refused', ['reason' => 'not a POST']);
}
$invoiceId = checkCbInvoiceID($_POST['invoice_id'] ?? '', $gateway['name']);
$settings = Settings::from($gateway);
if ($settings === null) {
    $refuse(503, Texts::get($lang, 'not_configured'), 'Not Configured', ['invoice_id' => $invoiceId]);
}
$clientId = (int) ($_SESSION['uid'] ?? 0);
$log = ['invoice_id' => $invoiceId, 'client_id' => $clientId];
$token = (string) ($_POST['token'] ?? '');
$expected = (string) ($_SESSION['cashgate_form_token'] ?? '');
if ($clientId <= 0) {
    $refuse(403, Texts::get($lang, 'login'), 'Refused', $log + ['reason' => 'not logged in']);
}
if ($expected === '' || !hash_equals($expected, $token)) {
    $refuse(403, Texts::get($lang, 'expired_form'), 'Refused', $log + ['reason' => 'form token mismatch']);
}
$invoice = invoice($invoiceId);
if ($invoice === null || (int) ($invoice['userid'] ?? 0) !== $clientId) {
    $refuse(403, Texts::get($lang, 'not_yours'), 'Refused', $log + ['reason' => 'invoice of another client']);
}
$status = (string) ($invoice['status'] ?? '');
if ($status !== 'Unpaid') {
    // A customer whose check timed out comes back to an invoice the
    // daemon has paid meanwhile: say so, rather than "not waiting".
    $text = Texts::get($lang, $status === 'Paid' ? 'paid' : 'not_unpaid');
    $refuse(409, $text, 'Refused', $log + ['reason' => 'invoice ' . ($status === '' ? '?' : $status)]);
}

$phone = trim((string) ($_POST['phone'] ?? ''));
$amount = trim((string) ($_POST['amount'] ?? ''));
$answer = (new Daemon($settings))->check([
    'store_id' => $settings->storeId,
    'client_id' => $clientId,
    'invoice_id' => $invoiceId,
    'phone' => $phone,
    'amount' => $amount,
    'lang' => $lang,
]);
$log += ['phone' => $phone, 'amount' => $amount, 'daemon' => $answer->detail];
$json = $answer->json ?? [];

if ($answer->failure === 'down') {
    $refuse(502, Texts::get($lang, 'down'), 'Daemon Down', $log);
}
if ($answer->failure === 'slow') {
    $refuse(504, Texts::get($lang, 'slow'), 'Daemon Slow', $log);
}
$paymentId = (string) ($json['payment_id'] ?? '');
if ($answer->status === 200 && preg_match('/^pay_[a-z2-7]{26}$/', $paymentId)) {
    logTransaction($gateway['name'], $log + ['payment_id' => $paymentId, 'state' => (string) ($json['state'] ?? '')], 'Check Sent');
    $statusPage = $settings->daemonUrl . '/pay/' . rawurlencode($settings->storeId) . '/payments/' . $paymentId
        . '?' . http_build_query(['return_url' => $whmcsUrl . '/viewinvoice.php?id=' . $invoiceId, 'lang' => $lang], '', '&', PHP_QUERY_RFC3986);
    header('Cache-Control: no-store');
    header('Location: ' . $statusPage, true, 303);
    exit;
}
$message = is_string($json['message'] ?? null) ? trim($json['message']) : '';
if ($answer->status >= 400 && $answer->status < 500 && $message !== '') {
    $refuse($answer->status, $message, 'Refused by cashgate', $log + ['error' => (string) ($json['error'] ?? '')]);
}
$refuse(502, Texts::get($lang, 'broken'), 'Daemon Error', $log);
