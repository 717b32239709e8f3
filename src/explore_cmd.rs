//! `gomap explore`: stateright's explorer for a spec's model, bound to loopback unless told
//! otherwise.

use gomap_model::spec::Spec;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::process::ExitCode;

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
    if let Err(e) = std::net::TcpListener::bind(sa) {
        eprintln!("error: cannot bind {sa}: {e}");
        return ExitCode::from(crate::EXIT_BAD_INPUT);
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
    println!("explorer for {} at http://{sa}/", spec.path.display());
    match (entry.explore)(&spec, sa) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(crate::EXIT_BAD_INPUT)
        }
    }
}
