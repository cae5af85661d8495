//! A real SMTP server for tests (mailin-embedded), spoken to over TCP on
//! loopback and running inside the test binary: every message it receives
//! is kept in memory for the test to read. mailin has no shutdown, so the
//! server runs on its own thread for the life of the test binary.

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailin_embedded::response::OK;
use mailin_embedded::{Handler, Response, Server};

/// One message as it arrived: envelope and raw RFC 5322 text.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

#[derive(Clone)]
struct Collector {
    inbox: Arc<Mutex<Vec<Received>>>,
    current: Option<Received>,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received {
            from: from.to_owned(),
            to: to.to_vec(),
            data: Vec::new(),
        });
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(current) = self.current.as_mut() {
            current.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let (Some(message), Ok(mut inbox)) = (self.current.take(), self.inbox.lock()) {
            inbox.push(message);
        }
        OK
    }
}

/// The server and its inbox.
pub struct SmtpServer {
    pub addr: SocketAddr,
    inbox: Arc<Mutex<Vec<Received>>>,
}

impl SmtpServer {
    /// Starts a server on a free loopback port.
    pub fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind smtp");
        SmtpServer::start_on(listener)
    }

    /// Starts a server on a listener the test bound (a known port).
    pub fn start_on(listener: TcpListener) -> SmtpServer {
        let addr = listener.local_addr().expect("smtp addr");
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let handler = Collector {
            inbox: inbox.clone(),
            current: None,
        };
        let mut server = Server::new(handler);
        // lettre's connection pool stalls with mailin's default 4 threads.
        server
            .with_name("smtp.test")
            .with_num_threads(16)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        SmtpServer { addr, inbox }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.inbox.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Waits (real time) until at least `n` messages arrived.
    pub fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= n || started.elapsed() > limit {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
