<?php
/**
 * A stand-in for WHMCS's invoice page, for the module's tests only: the
 * logged-in owner sees the invoice with the gateway's payment form.
 */

require __DIR__ . '/init.php';
require __DIR__ . '/includes/gatewayfunctions.php';
require __DIR__ . '/modules/gateways/cashgate.php';

$id = (int) ($_GET['id'] ?? 0);
$state = cashgate_stub_state();
$invoice = $state['invoices'][(string) $id] ?? null;
$uid = (int) ($_SESSION['uid'] ?? 0);
if ($invoice === null || $uid !== (int) $invoice['userid']) {
    http_response_code(404);
    exit('Invoice not found');
}
$params = getGatewayVariables('cashgate') + [
    'invoiceid' => $id,
    'amount' => $invoice['balance'],
    'currency' => $invoice['currencycode'],
    'clientdetails' => ['id' => $uid, 'userid' => $uid, 'language' => $state['clients'][(string) $uid]['language'] ?? ''],
    'returnurl' => $state['whmcs_url'] . 'viewinvoice.php?id=' . $id,
];
echo '<!doctype html><html><head><meta charset="utf-8"><title>Invoice #' . $id . '</title></head><body>';
echo '<h1>Invoice #' . $id . '</h1>' . cashgate_link($params) . '</body></html>';
