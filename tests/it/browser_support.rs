//! The browser support itself, against a small page server of its own:
//! console errors and CSP violations are caught, requests to other origins
//! are listed, viewports and languages are what they claim, screenshots
//! are whole pages, and a missing browser names `scripts/test`.

use std::path::Path;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::browser::{Browser, DESKTOP, MOBILE, find_program};

const REQUEST_BYTES_MAX: usize = 16 * 1024;

/// Serves the test pages on 127.0.0.1; returns its origin.
async fn page_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut chunk = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n")
                    && request.len() < REQUEST_BYTES_MAX
                {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
                let reply = answer(&String::from_utf8_lossy(&request), port);
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// The reply to one request (by path), as raw HTTP.
fn answer(request: &str, port: u16) -> String {
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let language = request
        .lines()
        .find_map(|l| {
            l.strip_prefix("Accept-Language: ")
                .or(l.strip_prefix("accept-language: "))
        })
        .unwrap_or("none");
    let viewport = r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#;
    let (status, kind, body) = match path {
        "/" => (
            "200 OK",
            "text/html",
            format!(
                r#"<!doctype html><html><head>{viewport}<title>support</title></head><body>
<h1>support</h1><script src="/app.js"></script><script>document.title = "inline ran";</script>
<img src="http://localhost:{port}/pixel.gif" alt=""></body></html>"#
            ),
        ),
        "/app.js" => (
            "200 OK",
            "text/javascript",
            r#"console.error("support: a real console.error");"#.to_owned(),
        ),
        "/tall" => (
            "200 OK",
            "text/html",
            format!(
                r#"<!doctype html><html><head>{viewport}</head><body style="margin:0">
<div style="height:2000px;background:linear-gradient(#fff,#036)">tall</div></body></html>"#
            ),
        ),
        "/lang" => (
            "200 OK",
            "text/html",
            format!(r#"<!doctype html><p id="lang">{language}</p>"#),
        ),
        _ => ("404 Not Found", "text/plain", "not here".to_owned()),
    };
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' http://localhost:{port}"
    );
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {kind}; charset=utf-8\r\nContent-Security-Policy: {csp}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn console_errors_csp_violations_and_requests_to_other_origins_are_caught() {
    let origin = page_server().await;
    let mut browser = Browser::open(DESKTOP, "en").await;
    browser.goto(&format!("{origin}/")).await;
    browser.wait_for("document.readyState === 'complete'").await;

    assert_eq!(
        browser.eval("return document.title").await,
        "support",
        "the inline script was blocked by the CSP"
    );
    let errors = browser.console_errors().await;
    assert!(
        errors
            .iter()
            .any(|e| e.source == "console-api" && e.message.contains("a real console.error")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.source == "security" && e.message.contains("Content Security Policy")),
        "{errors:#?}"
    );

    let all = browser.requests().await;
    let own_script = format!("{origin}/app.js");
    assert!(all.iter().any(|r| r.url == own_script), "{all:#?}");
    let elsewhere = browser.requests_to_other_origins(&origin).await;
    let urls: Vec<&str> = elsewhere.iter().map(|r| r.url.as_str()).collect();
    assert!(!urls.is_empty(), "{all:#?}");
    assert!(
        urls.iter().all(|u| u.starts_with("http://localhost:")),
        "{urls:?}"
    );
    assert!(urls.iter().any(|u| u.ends_with("/pixel.gif")), "{urls:?}");
    browser.close().await;
}

/// Width and height of a PNG, from its header.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).expect("screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    let number = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    (number(16), number(20))
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_run_side_by_side_at_their_sizes_and_screenshot_whole_pages() {
    let origin = page_server().await;
    let (phone, desk) = tokio::join!(Browser::open(MOBILE, "en"), Browser::open(DESKTOP, "en"));
    let folder = tempfile::tempdir().expect("tempdir");
    for (browser, viewport) in [(&phone, MOBILE), (&desk, DESKTOP)] {
        browser.goto(&format!("{origin}/tall")).await;
        let widths = browser
            .eval("return [window.innerWidth, document.documentElement.clientWidth]")
            .await;
        assert_eq!(widths[0], viewport.width, "{}", viewport.name);
        let path = folder.path().join(format!("{}.png", viewport.name));
        browser.screenshot(&path).await;
        let (png_width, png_height) = png_size(&path);
        // The page's width: the window less a desktop scrollbar.
        assert_eq!(widths[1], png_width, "{}", viewport.name);
        assert!(png_height >= 2000, "the whole page: {png_height}");
    }
    phone.close().await;
    desk.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_arabic_session_asks_servers_and_scripts_for_arabic() {
    let origin = page_server().await;
    let browser = Browser::open(MOBILE, "ar").await;
    browser.goto(&format!("{origin}/lang")).await;
    let header = browser.text("#lang").await;
    assert!(header.starts_with("ar"), "Accept-Language: {header}");
    assert_eq!(browser.eval("return navigator.language").await, "ar");
    browser.close().await;
}

#[test]
fn a_missing_browser_names_the_command_that_installs_it() {
    let missing = find_program("chromedriver-not-installed").unwrap_err();
    assert!(missing.contains("run `scripts/test`"), "{missing}");
    assert!(find_program("chromedriver").is_ok(), "run `scripts/test`");
    assert!(find_program("chromium").is_ok(), "run `scripts/test`");
}
