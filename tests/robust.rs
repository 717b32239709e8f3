//! Hostile and careless input: every limit stops a search (reported incomplete, on time,
//! under its memory limit), no input panics or hangs, nothing passes vacuously. Each probe
//! runs the binary and measures the child's time and peak resident memory (its maximum RSS,
//! VmHWM, from wait4).

#[path = "support/scratch.rs"]
mod scratch;
use scratch::Scratch;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn gomap() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gomap"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    secs: f64,
    peak_mb: u64,
}

/// Runs `cmd` to the end, killing it after `limit`, and measures it.
fn run(mut cmd: Command, limit: Duration) -> Run {
    use std::io::Read;
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let killer = std::thread::spawn(move || {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            // SAFETY: signal 0 only checks that the child exists.
            if unsafe { libc::kill(pid, 0) } != 0 {
                return false;
            }
        }
        // SAFETY: the child we spawned, still unreaped (wait4 below reaps it).
        unsafe { libc::kill(pid, libc::SIGKILL) };
        true
    });
    let mut status = 0;
    // SAFETY: rusage is plain data, filled by wait4.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child; status and ru are valid out-pointers.
    unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
    let secs = start.elapsed().as_secs_f64();
    let killed = killer.join().unwrap();
    std::mem::forget(child); // reaped by wait4
    assert!(!killed, "{cmd:?} ran past {limit:?} and was killed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    };
    Run {
        code,
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
        secs,
        peak_mb: ru.ru_maxrss as u64 / 1024,
    }
}

/// A fresh scratch folder for one test, removed when the test ends.
fn tmp(name: &str) -> Scratch {
    let d = std::env::temp_dir().join(format!("gomap-robust-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Scratch(d)
}

/// The issue's reproduction: a state space growing ~200 MB/s on one thread.
const BIG: &str = r#"model = "hmap"
[params]
keys = 6
values = 3
hash_bits = 3
tophash_values = 2
hash_functions = 200
bucket_cnt = 1
load_factor = "1/1"
max_ops = 60
max_iters = 2
[search]
SEARCH
[limits]
LIMITS
[expect]
count_matches_live_entries = "holds"
"#;

fn big_spec(dir: &Path, name: &str, search: &str, limits: &str) -> PathBuf {
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, BIG.replace("SEARCH", search).replace("LIMITS", limits)).unwrap();
    p
}

fn check(spec: &Path, extra: &[&str], limit: Duration) -> Run {
    let mut c = gomap();
    c.arg("check")
        .arg("-q")
        .arg("--no-shorten")
        .args(extra)
        .arg(spec);
    run(c, limit)
}

#[test]
fn timeout_stops_every_strategy_and_thread_count_within_a_second() {
    let d = tmp("timeout");
    for (name, search) in [
        ("bfs1", "strategy = \"bfs\""),
        ("dfs1", "strategy = \"dfs\""),
        ("bfs2", "strategy = \"bfs\"\nthreads = 2"),
        ("dfs2", "strategy = \"dfs\"\nthreads = 2"),
    ] {
        let p = big_spec(&d, name, search, "timeout_secs = 2");
        let r = check(&p, &[], Duration::from_secs(30));
        eprintln!(
            "{name}: exit {} in {:.2} s, peak {} MB",
            r.code, r.secs, r.peak_mb
        );
        assert_eq!(r.code, 1, "{name}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains("search stopped early: timeout of 2 s"),
            "{name}: {}",
            r.stdout
        );
        assert!(r.stdout.contains("got incomplete"), "{name}: {}", r.stdout);
        assert!(r.secs < 3.5, "{name}: stopped after {:.2} s", r.secs);
    }
}

#[test]
fn the_timeout_option_overrides_the_spec() {
    let d = tmp("timeout-option");
    let p = big_spec(&d, "t", "strategy = \"dfs\"", "timeout_secs = 300");
    let r = check(&p, &["--timeout", "1"], Duration::from_secs(30));
    eprintln!("--timeout 1: exit {} in {:.2} s", r.code, r.secs);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("search stopped early: timeout of 1 s"),
        "{}",
        r.stdout
    );
    assert!(r.secs < 3.5, "stopped after {:.2} s", r.secs);
}

#[test]
fn memory_limit_stops_the_search_under_the_limit() {
    let d = tmp("memory");
    let p = big_spec(
        &d,
        "mem",
        "strategy = \"bfs\"",
        "timeout_secs = 120\nmax_memory_mb = 250",
    );
    let r = check(&p, &[], Duration::from_secs(60));
    eprintln!(
        "spec limit: exit {} in {:.2} s, peak {} MB",
        r.code, r.secs, r.peak_mb
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("memory limit of 250 MB"), "{}", r.stdout);
    assert!(r.peak_mb < 250 + 60, "peak {} MB", r.peak_mb);
    // The option overrides the spec.
    let r = check(&p, &["--max-memory", "150"], Duration::from_secs(60));
    eprintln!(
        "--max-memory: exit {} in {:.2} s, peak {} MB",
        r.code, r.secs, r.peak_mb
    );
    assert!(r.stdout.contains("memory limit of 150 MB"), "{}", r.stdout);
    assert!(r.peak_mb < 150 + 60, "peak {} MB", r.peak_mb);
}

#[test]
fn max_states_bounds_the_states_searched() {
    let d = tmp("maxstates");
    for (name, search) in [
        ("bfs", "strategy = \"bfs\""),
        ("dfs", "strategy = \"dfs\"\nthreads = 2"),
    ] {
        let p = big_spec(&d, name, search, "timeout_secs = 60\nmax_states = 20000");
        let mut c = gomap();
        c.args(["check", "-q", "--json", "--no-shorten"]).arg(&p);
        let r = run(c, Duration::from_secs(30));
        assert_eq!(r.code, 1, "{}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let unique = v[0]["unique_states"].as_u64().unwrap();
        let total = v[0]["total_states"].as_u64().unwrap();
        eprintln!("{name}: {unique} unique, {total} total, {:.2} s", r.secs);
        assert!(
            unique <= 20_000 && total <= 20_000 + 64,
            "{unique} unique, {total} total"
        );
        assert_eq!(v[0]["stopped_by"], "max_states = 20000");
        assert_eq!(v[0]["complete"], false);
    }
}

#[test]
fn initial_states_that_cannot_fit_are_refused_up_front() {
    let d = tmp("init");
    let p = d.join("hint.toml");
    std::fs::write(
        &p,
        "model = \"hmap\"\n[params]\nkeys = 4\nhash_bits = 8\nhint = 4096\nhash_functions = 4096\n[limits]\nmax_memory_mb = 2000\n[expect]\ncount_matches_live_entries = \"holds\"\n",
    )
    .unwrap();
    let r = check(&p, &[], Duration::from_secs(30));
    eprintln!(
        "hint 4096: exit {} in {:.2} s, peak {} MB: {}",
        r.code, r.secs, r.peak_mb, r.stderr
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("initial states"), "{}", r.stderr);
    assert!(r.peak_mb < 200, "peak {} MB", r.peak_mb);
}

#[test]
fn thread_counts_and_depths_out_of_range_are_bad_input() {
    let d = tmp("threads");
    let spec = "specs/hmap-empty-rest.toml";
    for args in [
        vec!["check", "--threads", "100000", spec],
        vec!["simulate", "--threads", "100000", spec],
        vec!["simulate", "--depth", "18446744073709551615", spec],
        vec!["check", "--max-memory", "0", spec],
        vec!["check", "--timeout", "0", spec],
        vec!["check", "--timeout", "18446744073709551615", spec],
    ] {
        let mut c = gomap();
        c.args(&args);
        let r = run(c, Duration::from_secs(20));
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: "), "{args:?}: {}", r.stderr);
    }
    let p = big_spec(&d, "t", "threads = 100000", "timeout_secs = 1");
    let r = check(&p, &[], Duration::from_secs(20));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("search.threads") && r.stderr.contains("at most 256"),
        "{}",
        r.stderr
    );
}

fn trace_header() -> &'static str {
    r#"{"kind":"header","go":"go1.19.8","key":"uint64","elem":"uint64","format":"delta-v1","bucket_size":144}"#
}

#[test]
fn malformed_traces_are_bad_input_and_do_not_stop_the_others() {
    let d = tmp("traces");
    let good = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/traces/make-hint-b4-prealloc-used-up.jsonl");
    let text = std::fs::read_to_string(&good).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // B = 60, then B = 30, in the first STATE.
    let state_line = lines.iter().position(|l| l.contains("\"B\":")).unwrap();
    let mut files = Vec::new();
    for b in [60, 30] {
        let l = regex_free_replace_b(&lines[state_line], b);
        let mut v = lines.clone();
        v[state_line] = l;
        let p = d.join(format!("b{b}.jsonl"));
        std::fs::write(&p, v.join("\n")).unwrap();
        files.push(p);
    }
    let header_only = d.join("header-only.jsonl");
    std::fs::write(&header_only, lines.remove(0) + "\n").unwrap();
    files.push(header_only);
    files.push(good.clone());
    let mut c = gomap();
    c.arg("replay").args(&files);
    let r = run(c, Duration::from_secs(30));
    eprintln!(
        "replay: exit {} in {:.2} s, peak {} MB\n{}",
        r.code, r.secs, r.peak_mb, r.stdout
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("B = 60: Go cannot allocate"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("B = 30"), "{}", r.stdout);
    assert!(r.stdout.contains("no op lines"), "{}", r.stdout);
    // The good trace after them still replayed.
    assert!(
        r.stdout.contains("make-hint-b4-prealloc-used-up.jsonl: ok"),
        "{}",
        r.stdout
    );
    assert!(r.peak_mb < 200, "peak {} MB", r.peak_mb);
    let _ = trace_header();
}

/// `"B":N` in `line` replaced by `"B":b`.
fn regex_free_replace_b(line: &str, b: u32) -> String {
    let i = line.find("\"B\":").unwrap() + 4;
    let end = i + line[i..].find(|c: char| !c.is_ascii_digit()).unwrap();
    format!("{}{b}{}", &line[..i], &line[end..])
}

#[test]
fn devices_fifos_and_symlink_loops_are_refused_not_read() {
    let d = tmp("files");
    std::os::unix::fs::symlink("/dev/zero", d.join("z.toml")).unwrap();
    let mut c = gomap();
    c.arg("check").arg(&d);
    let r = run(c, Duration::from_secs(10));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is a device"), "{}", r.stderr);
    assert!(r.peak_mb < 100);

    let f = tmp("fifo");
    let fifo = f.join("f.toml");
    let cpath = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid C string path.
    assert_eq!(unsafe { libc::mkfifo(cpath.as_ptr(), 0o644) }, 0);
    for args in [
        vec!["check".to_string(), f.display().to_string()],
        vec!["check".into(), fifo.display().to_string()],
        vec!["replay".into(), fifo.display().to_string()],
    ] {
        let mut c = gomap();
        c.args(&args);
        let r = run(c, Duration::from_secs(10));
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(
            format!("{}{}", r.stdout, r.stderr).contains("FIFO"),
            "{args:?}: {}{}",
            r.stdout,
            r.stderr
        );
    }

    let l = tmp("loop");
    std::os::unix::fs::symlink(l.join("a.toml"), l.join("b.toml")).unwrap();
    std::os::unix::fs::symlink(l.join("b.toml"), l.join("a.toml")).unwrap();
    let mut c = gomap();
    c.arg("check").arg(l.join("a.toml"));
    let r = run(c, Duration::from_secs(10));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("symlink loop"), "{}", r.stderr);

    let mut c = gomap();
    c.args(["replay", "/dev/zero"]);
    let r = run(c, Duration::from_secs(10));
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("is a device"), "{}", r.stdout);
    assert!(r.peak_mb < 100, "peak {} MB", r.peak_mb);
}

#[test]
fn error_messages_escape_control_characters_and_cut_huge_values() {
    let d = tmp("escape");
    let p = d.join("e.toml");
    let huge = "x".repeat(100_000);
    std::fs::write(
        &p,
        format!("model = \"hmap\"\n[search]\nstrategy = \"\\u001b[31mred{huge}\"\n[expect]\ncount_matches_live_entries = \"holds\"\n"),
    )
    .unwrap();
    let mut c = gomap();
    c.arg("check").arg(&p);
    let r = run(c, Duration::from_secs(10));
    assert_eq!(r.code, 2);
    assert!(
        !r.stderr.contains('\u{1b}'),
        "raw escape in {:?}",
        &r.stderr[..100]
    );
    assert!(r.stderr.contains("\\u{1b}[31mred"), "{}", &r.stderr[..200]);
    assert!(r.stderr.len() < 3000, "{} bytes", r.stderr.len());
    assert!(r.stderr.contains("more bytes)"));
}

#[test]
fn bad_input_exits_2_on_every_command_and_nothing_passes_vacuously() {
    let d = tmp("vacuous");
    let ops = d.join("ops.toml");
    std::fs::write(
        &ops,
        "model = \"hmap\"\n[params]\nops = []\n[expect]\ncount_matches_live_entries = \"holds\"\n",
    )
    .unwrap();
    let spec = "specs/hmap-empty-rest.toml";
    for args in [
        vec!["claims", "S999"],
        vec!["conform", "syncmap", "--histories", "0"],
        vec!["check", ops.to_str().unwrap()],
        vec!["check", "--out", "/proc/self", spec],
    ] {
        let mut c = gomap();
        c.args(&args);
        let r = run(c, Duration::from_secs(20));
        eprintln!(
            "{args:?}: exit {} in {:.2} s: {}",
            r.code,
            r.secs,
            r.stderr.trim()
        );
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        // Reported before any search (no table row).
        assert!(
            !r.stdout.contains("hmap-empty-rest "),
            "{args:?}: {}",
            r.stdout
        );
    }
}
