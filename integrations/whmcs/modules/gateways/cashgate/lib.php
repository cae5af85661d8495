<?php
/**
 * cashgate for WHMCS: what the invoice page and the callback share.
 *
 * - the module's settings, read and checked once (Settings);
 * - the two calls to the cashgate daemon, made from the WHMCS server with
 *   TLS verified and bounded timeouts (Daemon);
 * - money in whole cents and the EGP amount, without floats (Money);
 * - the customer's texts in English and Arabic (Texts).
 *
 * Nothing here pays an invoice: the daemon credits the client and pays the
 * invoice from that credit, once. PHP 8.1+, no dependencies beyond curl.
 */

namespace Cashgate\Whmcs;

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

/** How long the invoice page waits for the store's rate, in seconds. */
const RATE_TIMEOUT_S = 5;
/** How long opening a connection to the daemon may take, in seconds. */
const CONNECT_TIMEOUT_S = 4;
/** The check's timeout when the setting is empty: the daemon waits up to
 * its check_wait_ms (8 s by default) for WHMCS, plus a margin. */
const CHECK_TIMEOUT_S_DEFAULT = 12;
/** Largest answer read from the daemon, in bytes. */
const ANSWER_BYTES_MAX = 65536;

/** The module's settings as WHMCS passes them, checked. */
final class Settings
{
    private function __construct(
        public readonly string $daemonUrl,
        public readonly string $storeId,
        public readonly int $checkTimeoutS,
        public readonly string $walletNumbers,
    ) {
    }

    /** The settings, or null when the module is not set up correctly. */
    public static function from(array $params): ?self
    {
        $url = rtrim(trim((string) ($params['systemUrl'] ?? '')), '/');
        $storeId = trim((string) ($params['storeId'] ?? ''));
        if (!self::usableUrl($url) || !preg_match('/^[A-Za-z0-9_-]{1,64}$/', $storeId)) {
            return null;
        }
        $timeout = trim((string) ($params['checkTimeoutSeconds'] ?? ''));
        $timeout = ctype_digit($timeout) ? (int) $timeout : CHECK_TIMEOUT_S_DEFAULT;
        $wallets = trim((string) ($params['walletNumbers'] ?? ''));
        return new self($url, $storeId, max(1, min($timeout, 60)), $wallets);
    }

    /** https, or http to this machine only (phones and amounts must not
     * cross a network in clear text). */
    private static function usableUrl(string $url): bool
    {
        $parts = parse_url($url);
        if ($parts === false || empty($parts['host']) || isset($parts['user']) || isset($parts['query'])) {
            return false;
        }
        $scheme = strtolower($parts['scheme'] ?? '');
        $loopback = in_array(strtolower($parts['host']), ['127.0.0.1', 'localhost', '[::1]'], true);
        return $scheme === 'https' || ($scheme === 'http' && $loopback);
    }
}

/** One answer of the daemon, or why there is none. */
final class Answer
{
    public function __construct(
        /** HTTP status; 0 when no answer came. */
        public readonly int $status,
        /** The JSON object of the answer, when it was one. */
        public readonly ?array $json,
        /** `down`, `slow` or `unreadable` when no usable answer came. */
        public readonly ?string $failure,
        public readonly string $detail,
    ) {
    }
}

/** The calls to the cashgate daemon, made from the WHMCS server. */
final class Daemon
{
    public function __construct(private readonly Settings $settings)
    {
    }

    /** `GET /api/public/store/{id}/rate`. */
    public function rate(): Answer
    {
        $path = '/api/public/store/' . rawurlencode($this->settings->storeId) . '/rate';
        return $this->send('GET', $path, null, RATE_TIMEOUT_S);
    }

    /** `POST /api/payment_link_check` with the check's fields. */
    public function check(array $fields): Answer
    {
        $body = http_build_query($fields, '', '&', PHP_QUERY_RFC1738);
        return $this->send('POST', '/api/payment_link_check', $body, $this->settings->checkTimeoutS);
    }

    private function send(string $method, string $path, ?string $body, int $timeoutS): Answer
    {
        $curl = curl_init($this->settings->daemonUrl . $path);
        $received = '';
        curl_setopt_array($curl, [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_SSL_VERIFYPEER => true,
            CURLOPT_SSL_VERIFYHOST => 2,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_CONNECTTIMEOUT => min(CONNECT_TIMEOUT_S, $timeoutS),
            CURLOPT_TIMEOUT => $timeoutS,
            CURLOPT_HTTPHEADER => ['Accept: application/json'],
            CURLOPT_USERAGENT => 'cashgate-whmcs/1',
            CURLOPT_WRITEFUNCTION => static function ($handle, string $chunk) use (&$received): int {
                if (strlen($received) + strlen($chunk) > ANSWER_BYTES_MAX) {
                    return 0;
                }
                $received .= $chunk;
                return strlen($chunk);
            },
        ]);
        if ($body !== null) {
            curl_setopt($curl, CURLOPT_POSTFIELDS, $body);
            curl_setopt($curl, CURLOPT_HTTPHEADER, [
                'Accept: application/json',
                'Content-Type: application/x-www-form-urlencoded',
            ]);
        }
        $ok = curl_exec($curl);
        $errno = curl_errno($curl);
        $error = curl_error($curl);
        $status = (int) curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
        curl_close($curl);
        if ($ok === false || $errno !== 0) {
            $failure = $errno === CURLE_OPERATION_TIMEDOUT ? 'slow' : ($status > 0 ? 'unreadable' : 'down');
            return new Answer($status, null, $failure, "curl error $errno: $error");
        }
        $json = json_decode($received, true);
        if (!is_array($json)) {
            return new Answer($status, null, 'unreadable', 'HTTP ' . $status . ' without JSON');
        }
        return new Answer($status, $json, null, 'HTTP ' . $status);
    }
}

/** Money in whole cents, and the EGP amount to transfer. No floats. */
final class Money
{
    /** `6.21` → 621; null unless a plain decimal with at most 2 places. */
    public static function cents(string $text): ?int
    {
        if (!preg_match('/^(\d{1,12})(?:\.(\d{1,2}))?$/', trim($text), $m)) {
            return null;
        }
        return (int) $m[1] * 100 + (int) str_pad($m[2] ?? '', 2, '0');
    }

    /** ceil(cents / 100 × rate) in whole pounds; null when the rate is
     * not a positive plain decimal or the product is too large. */
    public static function egp(int $cents, string $rate): ?int
    {
        if ($cents <= 0 || !preg_match('/^(\d{1,9})(?:\.(\d{1,9}))?$/', $rate, $m)) {
            return null;
        }
        $places = strlen($m[2] ?? '');
        $scaledRate = (int) ($m[1] . ($m[2] ?? ''));
        $product = $cents * $scaledRate;
        if ($scaledRate <= 0 || !is_int($product)) {
            return null;
        }
        $unit = 100 * 10 ** $places;
        return intdiv($product, $unit) + ($product % $unit === 0 ? 0 : 1);
    }
}

/** The customer's texts. */
final class Texts
{
    private const TEXTS = [
        'en' => [
            'title' => 'Pay with Vodafone Cash',
            'transfer' => 'Transfer %s EGP from your Vodafone Cash wallet, then enter the number you paid from.',
            'wallets' => 'Pay to: %s',
            'phone' => 'The phone number you paid from',
            'amount' => 'Amount you transferred (EGP)',
            'submit' => 'I have paid: check my payment',
            'back' => 'Back to the invoice',
            'unavailable' => 'Vodafone Cash payment is not available right now. Please try again later or choose another payment method.',
            'currency' => 'Vodafone Cash payment is not available for invoices in %s.',
            'login' => 'Please log in to pay this invoice.',
            'not_yours' => 'This invoice does not belong to your account.',
            'not_unpaid' => 'This invoice is not waiting for payment.',
            'paid' => 'This invoice is already paid. Thank you.',
            'expired_form' => 'This form has expired. Please open the invoice again and resubmit.',
            'down' => 'The payment service could not be reached. Your payment is safe: please try again in a few minutes.',
            'slow' => 'The payment service did not answer in time. Your payment is safe: please check again in a few minutes.',
            'broken' => 'The payment service gave an unexpected answer. Please try again later; if this persists, contact support.',
            'not_configured' => 'This payment method is not set up yet. Please contact support.',
        ],
        'ar' => [
            'title' => 'الدفع عبر فودافون كاش',
            'transfer' => 'حوّل %s جنيه من محفظة فودافون كاش، ثم أدخل الرقم الذي دفعت منه.',
            'wallets' => 'ادفع إلى: %s',
            'phone' => 'رقم الهاتف الذي دفعت منه',
            'amount' => 'المبلغ الذي حوّلته (جنيه)',
            'submit' => 'دفعت: تحقق من الدفع',
            'back' => 'العودة إلى الفاتورة',
            'unavailable' => 'الدفع عبر فودافون كاش غير متاح الآن. حاول لاحقًا أو اختر طريقة دفع أخرى.',
            'currency' => 'الدفع عبر فودافون كاش غير متاح للفواتير بعملة %s.',
            'login' => 'سجّل الدخول لدفع هذه الفاتورة.',
            'not_yours' => 'هذه الفاتورة لا تخص حسابك.',
            'not_unpaid' => 'هذه الفاتورة لا تنتظر الدفع.',
            'paid' => 'هذه الفاتورة مدفوعة بالفعل. شكرًا لك.',
            'expired_form' => 'انتهت صلاحية النموذج. افتح الفاتورة مرة أخرى وأعد الإرسال.',
            'down' => 'تعذر الوصول إلى خدمة الدفع. دفعتك في أمان: حاول مرة أخرى بعد دقائق.',
            'slow' => 'لم ترد خدمة الدفع في الوقت المحدد. دفعتك في أمان: تحقق مرة أخرى بعد دقائق.',
            'broken' => 'أعادت خدمة الدفع ردًا غير متوقع. حاول لاحقًا، وإن تكرر ذلك فتواصل مع الدعم.',
            'not_configured' => 'طريقة الدفع هذه غير مُعدّة بعد. تواصل مع الدعم.',
        ],
    ];

    /** `ar` for Arabic (a code or WHMCS's language name), else `en`. */
    public static function lang(?string $given): string
    {
        $given = strtolower(trim((string) $given));
        return ($given === 'ar' || $given === 'arabic') ? 'ar' : 'en';
    }

    public static function get(string $lang, string $key, string ...$args): string
    {
        $text = self::TEXTS[$lang][$key] ?? self::TEXTS['en'][$key];
        return $args === [] ? $text : sprintf($text, ...$args);
    }
}

/** HTML-escapes a text for an element or an attribute. */
function e(string $text): string
{
    return htmlspecialchars($text, ENT_QUOTES | ENT_SUBSTITUTE | ENT_HTML5, 'UTF-8');
}

/** The invoice as WHMCS's local API reads it, or null. */
function invoice(int $invoiceId): ?array
{
    $invoice = localAPI('GetInvoice', ['invoiceid' => $invoiceId]);
    return (is_array($invoice) && ($invoice['result'] ?? '') === 'success') ? $invoice : null;
}

/** The session's form token, made on first use. */
function form_token(): string
{
    if (empty($_SESSION['cashgate_form_token']) || !is_string($_SESSION['cashgate_form_token'])) {
        $_SESSION['cashgate_form_token'] = bin2hex(random_bytes(16));
    }
    return $_SESSION['cashgate_form_token'];
}
