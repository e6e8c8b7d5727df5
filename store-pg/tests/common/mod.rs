//! Test support: a private PostgreSQL server per test, from the machine's PostgreSQL binaries
//! (Debian's `postgresql` package), in a temporary directory, run as an unprivileged user,
//! reached only through a Unix socket in that directory (`listen_addresses=''`): never the
//! system's cluster, no TCP port.
//!
//! `COFFER_TEST_PG_BIN` names the folder of `initdb` and `pg_ctl` (default: the newest
//! `/usr/lib/postgresql/*/bin`, then `PATH`). Without them a test prints SKIPPED and passes,
//! except under CI (`CI` set), where it fails: `.ci/run` installs `postgresql`.
//!
//! When the tests run as root (initdb refuses root), the server runs as `postgres` (made by
//! the Debian package), or `nobody` if there is no such user.

#![allow(
    dead_code,
    unreachable_pub,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc
)]

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::time::Duration;

use coffer_store_pg::{PgSettings, PgStore};

/// Short deadlines, so that the outage tests end quickly.
pub const SETTINGS: PgSettings =
    PgSettings { connect_timeout: Duration::from_secs(2), call_timeout: Duration::from_secs(3) };

/// The database superuser the cluster is made with (trust authentication on its private socket).
const DB_USER: &str = "coffer";

static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

/// What the clusters' directories under /tmp are named with, before the test process's id.
const PREFIX: &str = "coffer-pg-";

/// A running (or stopped) private server; stopped and removed when dropped.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    owner: Option<(u32, u32)>,
    port: u16,
}

/// A fresh server, or `None` (and a SKIPPED note) when PostgreSQL is not installed outside CI.
pub fn start() -> Option<Cluster> {
    let Some(bin) = bin_dir() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL's initdb and pg_ctl are missing (apt-get install postgresql, or set COFFER_TEST_PG_BIN)"
        );
        eprintln!(
            "SKIPPED: PostgreSQL's initdb and pg_ctl are missing (apt-get install postgresql, or set COFFER_TEST_PG_BIN)"
        );
        return None;
    };
    let owner = if effective_uid() == 0 { Some(unprivileged_user()) } else { None };
    remove_dead_processes_clusters(&bin, owner);
    // Under /tmp: a Unix socket's path must stay within 107 bytes. Named by this process, so
    // that a later run can tell the clusters a killed test process left behind.
    let prefix = format!("{PREFIX}{}-", std::process::id());
    let dir = tempfile::Builder::new().prefix(&prefix).tempdir_in("/tmp").unwrap();
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
    }
    // The socket file is named by the port: distinct ones keep the servers' shared-memory keys
    // (derived from it) apart too.
    let port = 20_000
        + u16::try_from(std::process::id() % 2_000).unwrap() * 10
        + NEXT_PORT.fetch_add(1, Ordering::Relaxed) % 10;
    let cluster = Cluster { dir, bin, owner, port };
    let data = cluster.data();
    cluster.run(
        "initdb",
        &[
            "-D",
            data.to_str().unwrap(),
            "-U",
            DB_USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ],
    );
    cluster.start_again();
    Some(cluster)
}

/// One server for the whole test process, for a test binary of many short tests whose stores
/// are databases of their own on it ([`Cluster::database`]); `None` as [`start`]. A watchdog
/// process stops and removes it once this process is gone (a static is never dropped).
pub fn shared() -> Option<&'static Cluster> {
    static SHARED: OnceLock<Option<Cluster>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            let cluster = start()?;
            cluster.stop_when_this_process_ends();
            Some(cluster)
        })
        .as_ref()
}

impl Cluster {
    /// Starts a watchdog (`sh`, as the server's user) that stops the server and removes its
    /// directory once this process has ended.
    fn stop_when_this_process_ends(&self) {
        let script = format!(
            "while [ -d /proc/{pid} ]; do sleep 1; done; '{pg_ctl}' -D '{data}' -m immediate -w stop; rm -rf '{dir}'",
            pid = std::process::id(),
            pg_ctl = self.bin.join("pg_ctl").display(),
            data = self.data().display(),
            dir = self.dir.path().display(),
        );
        let mut command = Command::new("sh");
        command
            .args(["-c", &script])
            .env("LC_ALL", "C")
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some((uid, gid)) = self.owner {
            command.uid(uid).gid(gid);
        }
        // Not waited for: it outlives this process, whose end it waits for.
        drop(command.spawn().unwrap());
    }

    /// The connection string (the socket directory as host).
    pub fn url(&self) -> String {
        format!("host={} port={} user={DB_USER} dbname=postgres", self.dir.path().display(), self.port)
    }

    /// A new store on this server, its schema made.
    pub fn store(&self) -> PgStore {
        PgStore::init(&self.url(), SETTINGS).unwrap()
    }

    /// A store on a new database of this server, its schema made: a store that starts empty,
    /// beside the others of the same server.
    pub fn database(&self) -> PgStore {
        static MADE: AtomicU32 = AtomicU32::new(0);
        let name = format!("store_{}", MADE.fetch_add(1, Ordering::Relaxed));
        self.psql(&format!("CREATE DATABASE {name}"));
        let url = format!("host={} port={} user={DB_USER} dbname={name}", self.dir.path().display(), self.port);
        PgStore::init(&url, SETTINGS).unwrap()
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts the server (again) and waits until it accepts connections.
    pub fn start_again(&self) {
        let options = format!(
            "-k {} -p {} -c listen_addresses='' -c fsync=off -c full_page_writes=off -c max_connections=60",
            self.dir.path().display(),
            self.port
        );
        let data = self.data();
        let log = self.dir.path().join("server.log");
        self.run(
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-o", &options, "-w", "-t", "60", "start"],
        );
    }

    /// Stops the server (fast shutdown: connections are ended) and waits until it is down.
    pub fn stop(&self) {
        let data = self.data();
        self.run("pg_ctl", &["-D", data.to_str().unwrap(), "-m", "fast", "-w", "-t", "60", "stop"]);
    }

    /// The postmaster's process id (first line of `postmaster.pid`).
    pub fn postmaster_pid(&self) -> u32 {
        let text = std::fs::read_to_string(self.data().join("postmaster.pid")).unwrap();
        text.lines().next().unwrap().trim().parse().unwrap()
    }

    /// Runs `sql` with psql as the superuser; its output (unaligned, tuples only).
    pub fn psql(&self, sql: &str) -> String {
        let out = self.output(
            "psql",
            &[
                "-h",
                self.dir.path().to_str().unwrap(),
                "-p",
                &self.port.to_string(),
                "-U",
                DB_USER,
                "-d",
                "postgres",
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-c",
                sql,
            ],
        );
        assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// Runs `sql` with psql; the error text if it fails, `None` if it succeeds.
    pub fn psql_error(&self, sql: &str) -> Option<String> {
        let port = self.port.to_string();
        let host = self.dir.path().to_str().unwrap().to_owned();
        let out = self.output(
            "psql",
            &["-h", &host, "-p", &port, "-U", DB_USER, "-d", "postgres", "-X", "-v", "ON_ERROR_STOP=1", "-c", sql],
        );
        (!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).into_owned())
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self.output(tool, args);
        if !out.status.success() {
            let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
            panic!(
                "{tool} {args:?} failed: {}\n{}\nserver log:\n{log}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    fn output(&self, tool: &str, args: &[&str]) -> Output {
        run_tool(&self.bin, self.owner, self.dir.path(), tool, args)
    }
}

/// Runs PostgreSQL's `tool` from `bin` in `dir`, as `owner` if given.
fn run_tool(bin: &Path, owner: Option<(u32, u32)>, dir: &Path, tool: &str, args: &[&str]) -> Output {
    let mut command = Command::new(bin.join(tool));
    command.args(args).env("LC_ALL", "C").env_remove("PGDATA").current_dir(dir);
    if let Some((uid, gid)) = owner {
        // std drops the supplementary groups when it changes the user.
        command.uid(uid).gid(gid).env("HOME", dir);
    }
    command.output().unwrap_or_else(|e| panic!("cannot run {tool}: {e}"))
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        if data.join("postmaster.pid").exists() {
            // A stopped (SIGSTOP) server cannot shut down: let it run on first.
            let _ = signal("CONT", self.postmaster_pid());
            let _ = self.output("pg_ctl", &["-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"]);
        }
    }
}

/// Stops and removes the clusters of test processes that are gone (killed before their
/// clusters' `Drop` ran): only directories named by this harness, whose process id is dead.
fn remove_dead_processes_clusters(bin: &Path, owner: Option<(u32, u32)>) {
    let Ok(entries) = std::fs::read_dir("/tmp") else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)).and_then(|r| r.split('-').next()) else {
            continue;
        };
        if pid.parse::<u32>().is_err() || Path::new("/proc").join(pid).exists() {
            continue;
        }
        let data = entry.path().join("data");
        if let Ok(text) = std::fs::read_to_string(data.join("postmaster.pid"))
            && let Some(Ok(postmaster)) = text.lines().next().map(|l| l.trim().parse::<u32>())
        {
            let _ = signal("CONT", postmaster);
            let stop = ["-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"];
            let _ = run_tool(bin, owner, Path::new("/tmp"), "pg_ctl", &stop);
        }
        let _ = std::fs::remove_dir_all(entry.path());
    }
}

/// Sends `SIG<name>` to `pid` with kill(1).
pub fn signal(name: &str, pid: u32) -> bool {
    Command::new("kill").arg(format!("-{name}")).arg(pid.to_string()).status().is_ok_and(|s| s.success())
}

fn bin_dir() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("COFFER_TEST_PG_BIN") {
        return Some(PathBuf::from(dir)).filter(|d| has_tools(d));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| has_tools(bin))
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).find(|d| has_tools(d))
}

/// The effective user id (from /proc, without libc).
fn effective_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// The uid and gid of `postgres`, else of `nobody`.
fn unprivileged_user() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    for user in ["postgres", "nobody"] {
        for line in passwd.lines() {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.first() == Some(&user)
                && let (Some(uid), Some(gid)) = (fields.get(2), fields.get(3))
            {
                return (uid.parse().unwrap(), gid.parse().unwrap());
            }
        }
    }
    panic!("running as root, and neither a postgres nor a nobody user exists to run the server as");
}
