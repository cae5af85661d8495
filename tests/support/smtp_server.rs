//! A real SMTP server for tests, spoken to over TCP on loopback and
//! running inside the test binary: the `mailin` crate speaks the protocol
//! (a session per connection, on its own thread), and every message it
//! receives is kept in memory for the test to read. It runs for the life
//! of the test binary.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailin::response::OK;
use mailin::{Action, Handler, Response, SessionBuilder};

/// How long a test connection may sit idle before the server drops it.
const CONNECTION_IDLE_MAX: Duration = Duration::from_secs(300);

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
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let handler = handler.clone();
                std::thread::spawn(move || serve_connection(stream, handler));
            }
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

/// One SMTP conversation: greeting, then a reply to each line until QUIT
/// or the client goes away.
fn serve_connection(stream: TcpStream, handler: Collector) -> std::io::Result<()> {
    stream.set_read_timeout(Some(CONNECTION_IDLE_MAX))?;
    let remote = stream.peer_addr()?.ip();
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut session = SessionBuilder::new("smtp.test").build(remote, handler);
    session.greeting().write_to(&mut writer)?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        match response.action {
            Action::Reply | Action::UpgradeTls => response.write_to(&mut writer)?,
            Action::Close => {
                response.write_to(&mut writer)?;
                return writer.flush();
            }
            Action::NoReply => {}
        }
        writer.flush()?;
    }
}
