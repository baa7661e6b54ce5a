//! Helpers shared by the integration tests that run real servers on 127.0.0.1.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

pub fn kaibo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kaibo"))
}

/// A fresh directory under the system's temp dir, unique per test binary and `name`.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kaibo-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// dnsmasq answering a test zone given as dnsmasq options (`--address=/name/ip`…); unknown
/// names get NXDOMAIN. Killed when dropped.
pub struct Dns {
    child: Child,
    pub port: u16,
}

impl Drop for Dns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn dnsmasq(zone: &[&str]) -> Dns {
    // The port is chosen by binding and releasing it, so another test may take it before
    // dnsmasq does: then dnsmasq exits, and it is started again on another port. Ready means it
    // answered a real query over UDP.
    for _ in 0..10 {
        let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("dnsmasq")
            .args([
                "--no-daemon",
                "--conf-file=/dev/null",
                "--pid-file=",
                "--no-resolv",
                "--no-hosts",
                "--bind-interfaces",
                "--listen-address=127.0.0.1",
                &format!("--port={port}"),
                "--local=/#/",
            ])
            .args(zone)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dnsmasq is needed for the online tests: apt-get install dnsmasq-base (.ci/run does)");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if child.try_wait().ok().flatten().is_some() {
                break; // exited: the port was taken; try another
            }
            if answers_dns(port) {
                return Dns { child, port };
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("dnsmasq did not start");
}

/// Sends `ready.kaibo.test A?` and waits briefly for any answer.
fn answers_dns(port: u16) -> bool {
    let Ok(sock) = std::net::UdpSocket::bind("127.0.0.1:0") else { return false };
    let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
    let mut q = vec![0x4b, 0x42, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in ["ready", "kaibo", "test"] {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    if sock.send_to(&q, ("127.0.0.1", port)).is_err() {
        return false;
    }
    let mut buf = [0u8; 512];
    matches!(sock.recv_from(&mut buf), Ok((n, _)) if n >= 12 && buf[0] == 0x4b && buf[1] == 0x42)
}

/// Debian's `chromium` on PATH, for the render tests (`.ci/run` installs it).
pub fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("chromium")).find(|p| p.is_file())
}

/// What a measured run of kaibo printed and cost.
pub struct Measured {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Peak resident memory of the kaibo process, in bytes.
    pub peak_rss: u64,
    pub elapsed: Duration,
}

/// Runs `cmd` (its output piped) with `input` on standard input, and measures its peak memory
/// (`wait4`'s rusage of exactly this child) and wall time.
#[allow(clippy::zombie_processes)] // reaped by wait4, which std's Child cannot do
pub fn run_measured(cmd: &mut Command, input: &[u8]) -> Measured {
    use std::io::{Read, Write};
    let started = Instant::now();
    let mut child =
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("kaibo runs");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out_pipe.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let mut status = 0;
    // SAFETY: rusage is plain data filled by the kernel; the pid is our own child, reaped here
    // (std's `Child` is not waited on afterwards).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid, "wait4 failed");
    let elapsed = started.elapsed();
    let _ = writer.join();
    let code = if libc::WIFEXITED(status) { Some(libc::WEXITSTATUS(status)) } else { None };
    Measured {
        code,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
        peak_rss: usage.ru_maxrss as u64 * 1024,
        elapsed,
    }
}
