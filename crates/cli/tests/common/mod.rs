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

/// An Outlook message to build with [`build_msg`]: the properties kaibo reads.
#[derive(Default, Clone)]
pub struct MsgSpec {
    /// PR_TRANSPORT_MESSAGE_HEADERS: the header block as received (absent in a draft).
    pub transport_headers: Option<String>,
    pub subject: Option<String>,
    pub from_name: Option<String>,
    pub from_address: Option<String>,
    /// (display name, SMTP address)
    pub to: Vec<(String, String)>,
    pub text: Option<String>,
    /// The HTML body's bytes and the code page they are in (PR_INTERNET_CPID).
    pub html: Option<(Vec<u8>, u32)>,
    /// (long file name, MIME type, bytes)
    pub attachments: Vec<(String, String, Vec<u8>)>,
    /// A message attached as an Outlook item (a forward as attachment).
    pub embedded: Option<Box<MsgSpec>>,
}

/// Writes `spec` as an Outlook .msg (MS-OXMSG over a compound file), the way Outlook lays
/// out its streams: `__substg1.0_PPPPTTTT` per variable-size property, a fixed-size property
/// stream, recipient and attachment storages.
pub fn build_msg(spec: &MsgSpec) -> Vec<u8> {
    let mut cursor = std::io::Cursor::new(Vec::new());
    {
        let mut cfb = cfb::CompoundFile::create(&mut cursor).unwrap();
        write_msg(&mut cfb, "/", spec, 32);
        cfb.flush().unwrap();
    }
    cursor.into_inner()
}

fn write_msg<F: std::io::Read + std::io::Write + std::io::Seek>(
    cfb: &mut cfb::CompoundFile<F>,
    dir: &str,
    spec: &MsgSpec,
    header_len: usize,
) {
    use std::io::Write as _;
    let put = |cfb: &mut cfb::CompoundFile<F>, path: String, bytes: &[u8]| {
        cfb.create_stream(&path).unwrap().write_all(bytes).unwrap();
    };
    let utf16 = |s: &str| s.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>();
    let strings = [
        (0x007D, &spec.transport_headers),
        (0x0037, &spec.subject),
        (0x0C1A, &spec.from_name),
        (0x5D01, &spec.from_address),
        (0x1000, &spec.text),
    ];
    for (id, value) in strings {
        if let Some(v) = value {
            put(cfb, format!("{dir}__substg1.0_{id:04X}001F"), &utf16(v));
        }
    }
    let mut props = vec![0u8; header_len];
    if let Some((html, cpid)) = &spec.html {
        put(cfb, format!("{dir}__substg1.0_10130102"), html);
        props.extend_from_slice(&0x3FDE_0003u32.to_le_bytes());
        props.extend_from_slice(&6u32.to_le_bytes());
        props.extend_from_slice(&cpid.to_le_bytes());
        props.extend_from_slice(&[0; 4]);
    }
    put(cfb, format!("{dir}__properties_version1.0"), &props);
    for (i, (name, address)) in spec.to.iter().enumerate() {
        let r = format!("{dir}__recip_version1.0_#{i:08X}");
        cfb.create_storage(&r).unwrap();
        put(cfb, format!("{r}/__substg1.0_3001001F"), &utf16(name));
        put(cfb, format!("{r}/__substg1.0_39FE001F"), &utf16(address));
        put(cfb, format!("{r}/__properties_version1.0"), &[0; 8]);
    }
    for (i, (name, mime, data)) in spec.attachments.iter().enumerate() {
        let a = format!("{dir}__attach_version1.0_#{i:08X}");
        cfb.create_storage(&a).unwrap();
        put(cfb, format!("{a}/__substg1.0_3707001F"), &utf16(name));
        put(cfb, format!("{a}/__substg1.0_370E001F"), &utf16(mime));
        put(cfb, format!("{a}/__substg1.0_37010102"), data);
        put(cfb, format!("{a}/__properties_version1.0"), &[0; 8]);
    }
    if let Some(inner) = &spec.embedded {
        let a = format!("{dir}__attach_version1.0_#{:08X}", spec.attachments.len());
        cfb.create_storage(&a).unwrap();
        put(cfb, format!("{a}/__substg1.0_3707001F"), &utf16("forwarded.msg"));
        put(cfb, format!("{a}/__properties_version1.0"), &[0; 8]);
        let e = format!("{a}/__substg1.0_3701000D");
        cfb.create_storage(&e).unwrap();
        write_msg(cfb, &format!("{e}/"), inner, 24);
    }
}

/// Dovecot on a loopback port with one user (`reporter`, password `secret`) whose INBOX is a
/// maildir the test fills; `tls` adds an imaps listener with a certificate for `localhost`
/// signed by a CA the test makes (its PEM at `ca`). Stopped when dropped.
pub struct Dovecot {
    child: Child,
    pub dir: PathBuf,
    pub port: u16,
    pub ca: Option<PathBuf>,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Dovecot {
    pub fn maildir(&self) -> PathBuf {
        self.dir.join("home/reporter/Maildir")
    }

    /// Puts mails into the INBOX (as delivered: owned by the mail user).
    pub fn deliver(&self, mails: &[(String, Vec<u8>)]) {
        let new = self.maildir().join("new");
        for (name, bytes) in mails {
            std::fs::write(new.join(name), bytes).unwrap();
        }
        let ok =
            Command::new("chown").args(["-R", "nobody:nogroup"]).arg(self.dir.join("home")).status().unwrap();
        assert!(ok.success());
    }

    /// Stops the server and starts it again on the same port and mailbox (a server restart).
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let bin = if Path::new("/usr/sbin/dovecot").exists() { "/usr/sbin/dovecot" } else { "dovecot" };
        for _ in 0..50 {
            self.child = Command::new(bin)
                .arg("-c")
                .arg(self.dir.join("dovecot.conf"))
                .arg("-F")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(200));
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            // The port may still be held by the old process: try again.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        panic!("dovecot did not restart");
    }

    /// The message files in a folder (`INBOX`, or `kaibo/Phishing`…).
    pub fn messages(&self, folder: &str) -> Vec<PathBuf> {
        let dir = if folder == "INBOX" {
            self.maildir()
        } else {
            self.maildir().join(format!(".{}", folder.replace('/', ".")))
        };
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
                out.extend(entries.flatten().map(|e| e.path()));
            }
        }
        out.sort();
        out
    }
}

pub fn dovecot(name: &str, tls: bool) -> Dovecot {
    let dir = temp_dir(&format!("dovecot-{name}"));
    for d in [
        "run",
        "state",
        "home/reporter/Maildir/new",
        "home/reporter/Maildir/cur",
        "home/reporter/Maildir/tmp",
    ] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    std::fs::write(dir.join("passwd"), "reporter:{PLAIN}secret\n").unwrap();
    let ca = tls.then(|| make_certificates(&dir));
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (plain, imaps, ssl) = if tls {
            (
                0,
                port,
                format!(
                    "ssl = required\nssl_cert = <{0}/server.pem\nssl_key = <{0}/server.key\n",
                    dir.display()
                ),
            )
        } else {
            (port, 0, "ssl = no\n".to_string())
        };
        let conf = format!(
            "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/log\n\
{ssl}disable_plaintext_auth = no\nauth_mechanisms = plain login\n\
passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={d}/home/%u\n}}\n\
mail_location = maildir:~/Maildir\nnamespace inbox {{\n  inbox = yes\n  separator = /\n}}\n\
service imap-login {{\n  inet_listener imap {{\n    port = {plain}\n  }}\n  inet_listener imaps {{\n    port = {imaps}\n  }}\n  chroot =\n}}\n\
service anvil {{\n  chroot =\n}}\n",
            d = dir.display()
        );
        std::fs::write(dir.join("dovecot.conf"), conf).unwrap();
        let _ = Command::new("chmod").arg("755").arg(&dir).status();
        let ok = Command::new("chown").args(["-R", "nobody:nogroup"]).arg(dir.join("home")).status().unwrap();
        assert!(ok.success());
        // Debian installs it in /usr/sbin, which a user's PATH may lack.
        let bin = if Path::new("/usr/sbin/dovecot").exists() { "/usr/sbin/dovecot" } else { "dovecot" };
        let child = Command::new(bin)
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .arg("-F")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dovecot (Debian dovecot-imapd) is installed");
        let mut server = Dovecot { child, dir: dir.clone(), port, ca: ca.clone() };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            if let Ok(Some(_)) = server.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = server.child.kill();
    }
    panic!("dovecot did not start; see {}/log", dir.display());
}

/// A CA and a certificate for `localhost` it signed, with openssl; returns the CA's PEM.
fn make_certificates(dir: &Path) -> PathBuf {
    let run = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=kaibo test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
        "-out",
        "server.pem",
    ]);
    dir.join("ca.pem")
}

/// A running `kaibo serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kaibo serve` on a free loopback port with the data dir `data`; ready when it has said
/// where it listens.
pub fn start_serve(data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
    use std::io::{BufRead, BufReader};
    let mut cmd = kaibo();
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir", data.to_str().unwrap()])
        .args(extra)
        .env_remove("KAIBO_TOKENS")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    // Keep draining stderr so the server never blocks on it.
    std::thread::spawn(move || for _ in err.lines() {});
    Server { child, addr }
}
