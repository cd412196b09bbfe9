//! A small SMTP server for the tests: enough of RFC 5321 for lettre to deliver to it, with
//! switches to play a server that is down or that hangs, or one that offers SMTPUTF8.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Accepts mail.
    Up,
    /// Closes every connection at once, as a server that is not there.
    Down,
    /// Accepts the connection and never says a word.
    Hang,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub addr: SocketAddr,
    mode: Arc<Mutex<Mode>>,
    smtputf8: Arc<AtomicBool>,
    delay: Arc<Mutex<Duration>>,
    received: Arc<Mutex<Vec<String>>>,
    envelopes: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub async fn start(mode: Mode) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = SmtpSink {
            addr: listener.local_addr().unwrap(),
            mode: Arc::new(Mutex::new(mode)),
            smtputf8: Arc::default(),
            delay: Arc::default(),
            received: Arc::default(),
            envelopes: Arc::default(),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let mode = *s.mode.lock().unwrap();
                match mode {
                    Mode::Down => drop(socket),
                    Mode::Hang => {
                        tokio::spawn(async move {
                            let _held = socket;
                            tokio::time::sleep(Duration::from_secs(600)).await;
                        });
                    }
                    Mode::Up => {
                        let s = s.clone();
                        tokio::spawn(async move {
                            let _ = s.converse(socket).await;
                        });
                    }
                }
            }
        });
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Whether EHLO offers SMTPUTF8 (RFC 6531) besides 8BITMIME; it does not at first.
    pub fn offer_smtputf8(&self, offer: bool) {
        self.smtputf8.store(offer, Ordering::SeqCst);
    }

    /// How long the server takes to accept each message after its DATA (a slow relay).
    pub fn slow_down(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
    }

    /// The DATA of every message received so far.
    pub fn messages(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }

    /// Every MAIL and RCPT command received so far, in order.
    pub fn envelopes(&self) -> Vec<String> {
        self.envelopes.lock().unwrap().clone()
    }

    async fn converse(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 sink ESMTP ready\r\n").await?;
        while let Some(line) = lines.next_line().await? {
            let verb = line
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            if verb == "MAIL" || verb == "RCPT" {
                self.envelopes.lock().unwrap().push(line.clone());
            }
            let reply: &[u8] = match verb.as_str() {
                "EHLO" if self.smtputf8.load(Ordering::SeqCst) => {
                    b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
                }
                "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
                "DATA" => {
                    write.write_all(b"354 go ahead\r\n").await?;
                    let mut data = String::new();
                    while let Some(l) = lines.next_line().await? {
                        if l == "." {
                            break;
                        }
                        data.push_str(&l);
                        data.push('\n');
                    }
                    let delay = *self.delay.lock().unwrap();
                    tokio::time::sleep(delay).await;
                    self.received.lock().unwrap().push(data);
                    b"250 queued\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => b"502 not implemented\r\n",
            };
            write.write_all(reply).await?;
        }
        Ok(())
    }
}
