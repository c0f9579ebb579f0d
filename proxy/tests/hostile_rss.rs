//! Peak memory of a real `hedgestore-proxy` process under requests that ask for huge replies:
//! a bound check on `VmHWM` (the process's peak resident set), not a timing. Without the
//! reply budget the first of these requests alone builds a 3 GB reply.

mod support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use support::{post, TOKEN};

const MB: usize = 1 << 20;

/// The proxy process, killed when the test ends however it ends.
struct ProxyProcess {
    child: Child,
    addr: SocketAddr,
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_proxy(extra: &[(&str, &str)]) -> ProxyProcess {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hedgestore-proxy"));
    command
        .env_clear()
        .env("HEDGESTORE_BACKEND", "memory")
        .env("HEDGESTORE_PROXY_ADDR", "127.0.0.1:0")
        .env("HEDGESTORE_PROXY_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (name, value) in extra {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("the proxy binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the proxy prints its address");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    ProxyProcess { child, addr }
}

/// Peak resident set of `pid` in bytes (`VmHWM` in /proc/<pid>/status).
fn peak_rss(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("procfs");
    let kb: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmHWM line");
    kb * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_replies_are_refused_with_peak_memory_bounded() {
    let proxy = spawn_proxy(&[("HEDGESTORE_PROXY_MAX_BODY", "2mb")]);
    let value = "b".repeat(MB);
    let r = post(proxy.addr, "/", &format!(r#"["SET","b","{value}"]"#)).await;
    assert_eq!(r.text(), r#"{"result":"OK"}"#);
    let before = peak_rss(proxy.child.id());

    let mget = format!(r#"["MGET"{}]"#, r#","b""#.repeat(3000));
    let r = post(proxy.addr, "/", &mget).await;
    assert_eq!(r.status, 400, "MGET x3000");
    let pipeline = format!("[{}]", vec![r#"["get","b"]"#; 3000].join(","));
    let r = post(proxy.addr, "/pipeline", &pipeline).await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("ERR reply exceeds 8 MB"));
    let r = post(proxy.addr, "/multi-exec", &pipeline).await;
    assert_eq!(r.status, 400, "multi-exec x3000");
    let r = post(proxy.addr, "/", r#"["STRLEN","b"]"#).await;
    assert_eq!(r.text(), format!(r#"{{"result":{MB}}}"#));

    let peak = peak_rss(proxy.child.id());
    eprintln!(
        "peak RSS: {} MB before the attack, {} MB after",
        before / MB,
        peak / MB
    );
    // The budget is 8 MB: a pipeline answer of up to 8 MB (and its growth), one 1 MB value
    // read at a time, the 2 MB bodies. 3 GB without the budget.
    assert!(
        peak < before + 64 * MB,
        "peak RSS {} MB (from {} MB)",
        peak / MB,
        before / MB
    );
}
