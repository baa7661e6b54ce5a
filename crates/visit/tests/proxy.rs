//! The render rung's guarded proxy, spoken to the way a browser speaks to it, against real
//! servers on 127.0.0.1: one request per plain-HTTP connection (a browser's next request on a
//! reused connection must not reach the first host unchecked), and a request log that counts
//! what it cannot keep.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_resolver::config::ResolverConfig;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use kaibo_visit::guard::{AllowList, Guard};
use kaibo_visit::proxy::{MAX_LOGGED, Proxy};

/// A resolver with no name server: the tests use address literals only.
fn resolver() -> hickory_resolver::TokioResolver {
    let config = ResolverConfig::from_parts(None, Vec::new(), Vec::new());
    hickory_resolver::Resolver::builder_with_config(config, TokioRuntimeProvider::default()).build().unwrap()
}

/// An upstream that ignores `Connection: close` and answers every request it reads on a
/// connection, keeping it open: the worst a page's server can do. It records the paths.
fn keep_alive_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut s = stream;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut body_len = 0;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                            body_len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0u8; body_len];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    log.lock().unwrap().push(path.clone());
                    if path.ends_with("/chunked") {
                        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n");
                        continue;
                    }
                    let body = "hello";
                    let _ = s.write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: keep-alive\r\n\r\n{body}",
                            body.len()
                        )
                        .as_bytes(),
                    );
                }
            });
        }
    });
    (port, seen)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().worker_threads(2).build().unwrap()
}

#[test]
fn a_plain_http_connection_carries_one_request() {
    let (port, seen) = keep_alive_server();
    let rt = runtime();
    let guard = Arc::new(Guard::new(AllowList::parse(&[format!("127.0.0.1:{port}")]).unwrap()));
    let proxy = rt.block_on(Proxy::start(guard, resolver(), Duration::from_secs(10))).unwrap();
    let mut client = TcpStream::connect(proxy.addr).unwrap();
    client.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // Two requests on one connection, as a browser reusing it would send them; the second
    // names a host the guard refuses.
    let requests = format!(
        "GET http://127.0.0.1:{port}/first HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nProxy-Connection: keep-alive\r\n\r\n\
         GET http://10.0.0.1/second HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n\
         GET http://127.0.0.1:{port}/third HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    );
    client.write_all(requests.as_bytes()).unwrap();
    let mut answer = String::new();
    // The proxy ends the connection after the first answer, although the upstream would not.
    client.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains("Connection: close\r\n") && !answer.contains("keep-alive"), "{answer}");
    assert_eq!(answer.matches("HTTP/1.1").count(), 1, "{answer}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(*seen.lock().unwrap(), vec!["/first".to_string()], "only the vetted request went upstream");
    let log = proxy.requests();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].allowed && log[0].target == format!("127.0.0.1:{port}"));

    // A request with a body: the body goes along, the request after it does not.
    let mut client = TcpStream::connect(proxy.addr).unwrap();
    client.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    client
        .write_all(
            format!(
                "POST http://127.0.0.1:{port}/form HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd\
                 GET http://127.0.0.1:{port}/smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
    let mut answer = String::new();
    client.read_to_string(&mut answer).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(*seen.lock().unwrap(), vec!["/first".to_string(), "/form".to_string()]);

    // A chunked answer is passed on whole, and the connection ends after its last chunk.
    let mut client = TcpStream::connect(proxy.addr).unwrap();
    client.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    client
        .write_all(format!("GET http://127.0.0.1:{port}/chunked HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .unwrap();
    let mut answer = String::new();
    client.read_to_string(&mut answer).unwrap();
    assert!(answer.ends_with("5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"), "{answer}");
}

#[test]
fn the_log_counts_what_it_cannot_keep() {
    let rt = runtime();
    let proxy =
        rt.block_on(Proxy::start(Arc::new(Guard::default()), resolver(), Duration::from_secs(10))).unwrap();
    let extra = 37;
    for i in 0..MAX_LOGGED + extra {
        let mut c = TcpStream::connect(proxy.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        c.write_all(format!("CONNECT 10.0.{}.{}:443 HTTP/1.1\r\n\r\n", i / 250, i % 250).as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = c.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    }
    assert_eq!(proxy.requests().len(), MAX_LOGGED);
    assert!(proxy.requests().iter().all(|r| !r.allowed));
    assert_eq!(proxy.requests_not_logged(), extra);
}
