<?php
/**
 * A stand-in for WHMCS's includes/gatewayfunctions.php, for the module's
 * tests only.
 */

/** The module's settings and WHMCS's own values, like WHMCS returns them. */
function getGatewayVariables($gateway, $invoiceId = '')
{
    if ($gateway !== 'cashgate') {
        return ['type' => ''];
    }
    $state = cashgate_stub_state();
    return $state['gateway'] + [
        'paymentmethod' => 'cashgate',
        'name' => 'Vodafone Cash (cashgate)',
        'type' => 'Invoices',
        'visible' => 'on',
        'companyname' => 'Test Hosting',
        'systemurl' => $state['whmcs_url'],
        'langpaynow' => 'Pay Now',
    ];
}

/** Dies on an invoice id WHMCS does not know, like WHMCS. */
function checkCbInvoiceID($invoiceId, $gatewayName)
{
    $id = (int) $invoiceId;
    if (!isset(cashgate_stub_state()['invoices'][(string) $id])) {
        logTransaction($gatewayName, ['invoiceid' => $invoiceId], 'Invoice ID Not Found');
        die('Invalid Invoice ID');
    }
    return $id;
}

function checkCbTransID($transactionId)
{
}
