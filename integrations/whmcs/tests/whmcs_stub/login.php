<?php
/**
 * A stand-in for WHMCS's client login, for the module's tests only:
 * `login.php?uid=42` makes this session client 42's.
 */

require __DIR__ . '/init.php';

$_SESSION['uid'] = (int) ($_GET['uid'] ?? 0);
echo 'logged in as ' . $_SESSION['uid'];
