<?php
/**
 * A stand-in for WHMCS's init.php, for the module's tests only: it starts
 * the PHP session (as WHMCS does) and defines the WHMCS functions the
 * module calls. The test writes `stub_state.json` next to this file (the
 * gateway settings, WHMCS's URL, invoices, clients) and reads back
 * `records.jsonl` (every local API call and gateway log entry).
 */

define('WHMCS', true);
define('ROOTDIR', __DIR__);

session_start();

/** The state the test wrote, read once per request. */
function cashgate_stub_state(): array
{
    static $state = null;
    if ($state === null) {
        $state = json_decode((string) file_get_contents(__DIR__ . '/stub_state.json'), true, 32, JSON_THROW_ON_ERROR);
    }
    return $state;
}

/** Appends one JSON line to `records.jsonl`. */
function cashgate_stub_record(array $entry): void
{
    file_put_contents(__DIR__ . '/records.jsonl', json_encode($entry) . "\n", FILE_APPEND | LOCK_EX);
}

/** WHMCS's local API: only GetInvoice is answered; every call is recorded. */
function localAPI($command, $values = [], $adminUser = '')
{
    cashgate_stub_record(['kind' => 'localAPI', 'command' => $command, 'values' => $values]);
    if (strtolower((string) $command) !== 'getinvoice') {
        return ['result' => 'error', 'message' => 'the test stand-in answers GetInvoice only'];
    }
    $id = (int) ($values['invoiceid'] ?? 0);
    $invoice = cashgate_stub_state()['invoices'][(string) $id] ?? null;
    if ($invoice === null) {
        return ['result' => 'error', 'message' => 'Invoice ID Not Found'];
    }
    return [
        'result' => 'success',
        'invoiceid' => (string) $id,
        'userid' => (string) $invoice['userid'],
        'status' => $invoice['status'],
        'total' => $invoice['total'],
        'credit' => '0.00',
        'balance' => $invoice['balance'],
        'currencycode' => $invoice['currencycode'],
    ];
}

/** WHMCS's gateway log. */
function logTransaction($gateway, $data, $result, $passedParams = [], $module = null)
{
    cashgate_stub_record(['kind' => 'logTransaction', 'gateway' => $gateway, 'data' => $data, 'result' => $result]);
}
