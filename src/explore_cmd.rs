//! `gomap explore`: stateright's explorer for a spec's model, bound to loopback unless told
//! otherwise.
//!
//! stateright's `serve` binds the address itself and blocks forever, so it runs in its own
//! thread while this one waits until the server answers `GET /.status`, and only then prints
//! the URL (tests and scripts read that line to know the explorer is up). `--addr
//! 127.0.0.1:0` asks for a free port: one is found by binding a listener to port 0 and
//! dropping it, and the explorer is served there.

use gomap_model::framework::spec::Spec;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// How long to wait for the explorer to answer before giving up.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

pub fn run(spec_path: &Path, addr: &str, allow_remote: bool) -> ExitCode {
    let spec = match Spec::load(spec_path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(crate::EXIT_BAD_INPUT);
        }
    };
    let addrs: Vec<SocketAddr> = match addr.to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => {
            eprintln!("error: --addr {addr}: {e}");
            return ExitCode::from(crate::EXIT_BAD_INPUT);
        }
    };
    let Some(sa) = addrs.first().copied() else {
        eprintln!("error: --addr {addr}: resolves to no address");
        return ExitCode::from(crate::EXIT_BAD_INPUT);
    };
    if !sa.ip().is_loopback() {
        if !allow_remote {
            eprintln!(
                "error: --addr {addr} is not a loopback address; the explorer binds 127.0.0.1 unless --allow-remote is given"
            );
            return ExitCode::from(crate::EXIT_BAD_INPUT);
        }
        eprintln!("warning: serving the explorer on {sa}, reachable from other machines");
    }
    let entry = match gomap_model::registry::entry(&spec) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(crate::EXIT_BAD_INPUT);
        }
    };
    if let Err(e) = (entry.validate)(&spec) {
        eprintln!("error: {e}");
        return ExitCode::from(crate::EXIT_BAD_INPUT);
    }
    // Check the address can be bound (and resolve port 0 to a free port) before starting.
    let sa = match TcpListener::bind(sa).and_then(|l| l.local_addr()) {
        Ok(bound) => bound,
        Err(e) => {
            eprintln!("error: cannot bind {sa}: {e}");
            return ExitCode::from(crate::EXIT_BAD_INPUT);
        }
    };
    let explore = entry.explore;
    let spec_for_server = spec.clone();
    let server = std::thread::spawn(move || explore(&spec_for_server, sa));

    let start = Instant::now();
    loop {
        if server.is_finished() {
            // serve() only returns by failing (it panics if it cannot bind).
            return match server.join() {
                Ok(Err(e)) => {
                    eprintln!("error: {e}");
                    ExitCode::from(crate::EXIT_BAD_INPUT)
                }
                _ => {
                    eprintln!("error: the explorer could not serve on {sa}");
                    ExitCode::from(crate::EXIT_BAD_INPUT)
                }
            };
        }
        if answers(sa) {
            break;
        }
        if start.elapsed() > STARTUP_TIMEOUT {
            eprintln!(
                "error: the explorer did not answer on {sa} within {} s",
                STARTUP_TIMEOUT.as_secs()
            );
            return ExitCode::from(crate::EXIT_MISMATCH);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    println!(
        "explorer for {} at http://{sa}/ (Ctrl-C to stop)",
        spec.path.display()
    );
    let _ = std::io::stdout().flush();
    match server.join() {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(crate::EXIT_BAD_INPUT)
        }
        Err(_) => ExitCode::from(crate::EXIT_MISMATCH),
    }
}

/// Whether an HTTP server at `sa` answers `GET /.status` with 200.
fn answers(sa: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&sa, Duration::from_secs(1)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
    let req = format!("GET /.status HTTP/1.1\r\nHost: {sa}\r\nConnection: close\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}
