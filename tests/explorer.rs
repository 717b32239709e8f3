//! `gomap explore`: stateright's explorer serving the hmap model, checked through its JSON
//! routes and in a real browser (Debian's headless Chromium, driven over the DevTools
//! protocol by the `headless_chrome` crate).
//!
//! The counterexample comes from `gomap check --json` on
//! specs/claim-s14-read-during-growth.toml (a lookup during a doubling grow reads the old
//! bucket, not new-then-old); its `explorer_path` is the link `gomap check` prints. The tests
//! follow it and expect the explorer to show that counterexample's steps, its last state drawn
//! with 8 new and 4 old buckets, and the violated property.
//!
//! The Swiss-table case uses the example `gomap check --json` gives for `reaches_tombstone` on
//! specs/swiss-tombstones.toml (a delete from a full group of a table leaves a tombstone):
//! the explorer must draw that state's directory, table and every group's control bytes as
//! the step's state text says, the tombstone among them.
//!
//! Every test kills the processes it started (the explorer in `Drop`, Chromium by
//! `headless_chrome`'s `Drop`, or by pid when the browser session hangs), and every wait is
//! bounded. Without /usr/bin/chromium the browser test fails, saying to run
//! scripts/install-browser.sh.

#[path = "support/scratch.rs"]
mod scratch;
use scratch::Scratch;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const GOMAP: &str = env!("CARGO_BIN_EXE_gomap");
const SPEC: &str = "specs/claim-s14-read-during-growth.toml";
const PROPERTY: &str = "s14_read_checks_new_then_old";
const CHROMIUM: &str = "/usr/bin/chromium";
const SWISS_SPEC: &str = "specs/swiss-tombstones.toml";
const SWISS_PROPERTY: &str = "reaches_tombstone";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A running `gomap explore`, killed when dropped.
struct Explorer {
    child: Child,
    addr: SocketAddr,
}

impl Explorer {
    /// Starts the explorer on a free port and waits (bounded) for the line with its URL.
    fn start(spec: &str) -> Explorer {
        let mut child = Command::new(GOMAP)
            .args(["explore", spec, "--addr", "127.0.0.1:0"])
            .current_dir(repo())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cannot start gomap explore");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("gomap explore printed no URL within 60 s");
            }
        };
        let Some(url) = line
            .split_whitespace()
            .find(|w| w.starts_with("http://127.0.0.1:"))
        else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no explorer URL in {line:?}");
        };
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("explorer address");
        Explorer { child, addr }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// An HTTP request; returns (status, body).
    fn request(&self, method: &str, path: &str) -> (u16, String) {
        let mut s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(5))
            .expect("connect to the explorer");
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.0\r\nHost: {}\r\nContent-Length: 0\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut resp = Vec::new();
        s.read_to_end(&mut resp)
            .expect("read the explorer's answer");
        let resp = String::from_utf8(resp).expect("UTF-8 answer");
        let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("bad HTTP answer: {head:?}"));
        (status, body.to_string())
    }

    fn get_json(&self, path: &str) -> Value {
        let (status, body) = self.request("GET", path);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    /// Explores the whole space (POST /.runtocompletion), then waits for /.status to say done.
    fn run_to_completion(&self) -> Value {
        let (status, _) = self.request("POST", "/.runtocompletion");
        assert_eq!(status, 200);
        let start = Instant::now();
        loop {
            let st = self.get_json("/.status");
            if st["done"] == Value::Bool(true) {
                return st;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "the explorer's search did not finish within 120 s: {st}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Explorer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The counterexample `gomap check --json` reports for PROPERTY: (explorer path, actions).
fn counterexample() -> (String, Vec<String>) {
    example(SPEC, PROPERTY, "violated")
}

/// The path `gomap check --json` reports for `property` of `spec` (the counterexample of a
/// violated `always` property, the example of a `sometimes` one that holds) with the
/// verdict `verdict`: (explorer path, actions).
fn example(spec: &str, property: &str, verdict: &str) -> (String, Vec<String>) {
    let out = Command::new(GOMAP)
        .args(["check", "--json", "--quiet", spec])
        .current_dir(repo())
        .output()
        .expect("run gomap check");
    assert!(
        out.status.success(),
        "gomap check {spec} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("check --json output");
    let prop = v[0]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == property)
        .expect("the property in check's output");
    assert_eq!(prop["verdict"], verdict);
    let cx = &prop["counterexample"];
    let path = cx["explorer_path"].as_str().unwrap().to_string();
    let actions = cx["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap().to_string())
        .collect();
    (path, actions)
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn explore_refuses_a_non_loopback_address_without_allow_remote() {
    let out = Command::new(GOMAP)
        .args(["explore", SPEC, "--addr", "0.0.0.0:0"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--allow-remote"), "{err}");
}

#[test]
fn explorer_json_routes_follow_the_counterexample_check_prints() {
    let (path, actions) = counterexample();
    let ex = Explorer::start(SPEC);

    let status = ex.get_json("/.status");
    // stateright names the model by its type: the hmap model with Go's eight slots per bmap.
    let model = status["model"].as_str().unwrap();
    assert!(model.ends_with("hmap::HmapModel<8>"), "{model}");
    let listed: Vec<&str> = status["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_str().unwrap())
        .collect();
    assert!(listed.contains(&PROPERTY), "{listed:?}");

    // Initial states: one per hash function, drawn, with a readable Debug text.
    let inits = ex.get_json("/.states");
    let inits = inits.as_array().unwrap();
    assert_eq!(inits.len(), 336);
    let init: usize = path.split('/').next().unwrap().parse().unwrap();
    let st = inits[init]["state"].as_str().unwrap();
    assert!(st.starts_with("count=0 B=2 "), "{st}");
    assert!(!st.contains("HmapState {"), "raw Debug dump: {st}");
    assert_eq!(
        count(inits[init]["svg"].as_str().unwrap(), r#"class="bucket""#),
        4
    );

    // Each step of the path, as the explorer lists it, is the counterexample's step.
    let last = follow(&ex, &path, &actions);

    // The last state: the lookup that reads the old bucket during a doubling grow.
    let action = last["action"].as_str().unwrap();
    assert!(action.starts_with("mapaccess2(k"), "{action}");
    let outcome = last["outcome"].as_str().unwrap();
    assert!(outcome.contains("growing: old bucket"), "{outcome}");
    let svg = last["svg"].as_str().unwrap();
    assert_eq!(count(svg, r#"class="bucket""#), 8, "B=3: 8 new buckets");
    assert_eq!(count(svg, r#"class="oldbucket""#), 4, "4 old buckets");
    assert_eq!(count(svg, r#"class="nevacuate""#), 1);
    assert_eq!(count(svg, r#"class="cell "#), 12, "one slot per bucket");
    assert!(
        count(svg, r#"class="cell live""#) >= 3,
        "three keys are live"
    );
    assert!(svg.contains(&format!("violates {PROPERTY}")), "{svg}");
    assert!(svg.contains("emptyRest") && svg.contains("evacuatedEmpty"));

    // Explored to completion, the explorer reports the property violated.
    let status = ex.run_to_completion();
    let p = status["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[1] == PROPERTY)
        .unwrap()
        .clone();
    assert_eq!(p[0], "Always");
    assert!(p[2].is_string(), "no counterexample in /.status: {status}");

    // A path that does not exist is a 404, not a crash.
    assert_eq!(ex.request("GET", "/.states/99999").0, 404);
    assert_eq!(ex.request("GET", "/.status").0, 200);
}

/// Follows `path` through the explorer's JSON routes, checking each step's action against
/// `actions`; returns the last step.
fn follow(ex: &Explorer, path: &str, actions: &[String]) -> Value {
    let indices: Vec<&str> = path.split('/').collect();
    assert_eq!(indices.len(), actions.len() + 1);
    let mut last = Value::Null;
    for (n, action) in actions.iter().enumerate() {
        let prefix = indices[..=n].join("/");
        let succ = ex.get_json(&format!("/.states/{prefix}"));
        let idx: u64 = indices[n + 1].parse().unwrap();
        let step = succ
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["actionIndex"].as_u64() == Some(idx))
            .unwrap_or_else(|| panic!("no action {idx} after /{prefix}"))
            .clone();
        assert_eq!(step["action"].as_str().unwrap(), action, "step {}", n + 1);
        last = step;
    }
    last
}

/// One slot as the Swiss diagram should draw it: (cell id, class, control band, slot text).
type SwissCell = (String, String, String, String);

/// The slots of every table's groups in a `swiss` state text (`  t0: capacity=...` then
/// `    g1: ctrl [XX 00] slots [- k2=v1]`), as the diagram must draw them: `..` an `empty`
/// cell, `XX` a `deleted` one (a tombstone), a hex H2 a `full` one showing `H2 hex` over
/// its key and elem.
fn swiss_cells_from_text(text: &str) -> Vec<SwissCell> {
    let mut table: Option<String> = None;
    let mut cells = Vec::new();
    for line in text.lines() {
        let l = line.trim();
        if let Some((t, _)) = l
            .strip_prefix('t')
            .and_then(|r| r.split_once(": capacity="))
        {
            table = Some(t.to_string());
            continue;
        }
        let (Some(t), Some(rest)) = (&table, l.strip_prefix('g')) else {
            continue;
        };
        let Some((g, body)) = rest.split_once(": ctrl [") else {
            continue;
        };
        let (ctrl, slots) = body.split_once("] slots [").expect("a group line");
        let slots = slots.strip_suffix(']').expect("a group line");
        for (i, (c, k)) in ctrl.split(' ').zip(slots.split(' ')).enumerate() {
            let (class, band, slot) = match c {
                ".." => ("empty", "empty".to_string(), ""),
                "XX" => ("deleted", "deleted".to_string(), ""),
                h2 => ("full", format!("H2 {h2}"), k),
            };
            cells.push((
                format!("t{t}-g{g}-{i}"),
                format!("cell {class}"),
                band,
                slot.to_string(),
            ));
        }
    }
    cells
}

/// The text of the first `<text class="{class}" ...>` in `elem`.
fn svg_text<'a>(elem: &'a str, class: &str) -> &'a str {
    let at = elem
        .find(&format!(r#"<text class="{class}""#))
        .unwrap_or_else(|| panic!("no {class} text in {elem}"));
    let rest = &elem[at..];
    let start = rest.find('>').unwrap() + 1;
    &rest[start..start + rest[start..].find('<').unwrap()]
}

/// Every slot the SVG draws (`<g class="cell ..." id="...">`), as [`SwissCell`]s.
fn swiss_cells_from_svg(svg: &str) -> Vec<SwissCell> {
    let mut cells = Vec::new();
    let mut rest = svg;
    while let Some(at) = rest.find(r#"<g class="cell "#) {
        let elem = &rest[at..];
        let elem = &elem[..elem.find("</g>").unwrap()];
        let attr = |name: &str| {
            let key = format!(r#" {name}=""#);
            let a = elem.find(&key).unwrap() + key.len();
            elem[a..a + elem[a..].find('"').unwrap()].to_string()
        };
        let class = {
            let a = elem.find('"').unwrap() + 1;
            elem[a..a + elem[a..].find('"').unwrap()].to_string()
        };
        cells.push((
            attr("id"),
            class,
            svg_text(elem, "ctrl").to_string(),
            svg_text(elem, "slot").to_string(),
        ));
        rest = &rest[at + elem.len()..];
    }
    cells
}

#[test]
fn explorer_json_routes_draw_the_swiss_table_with_its_tombstone() {
    let (path, actions) = example(SWISS_SPEC, SWISS_PROPERTY, "holds");
    let ex = Explorer::start(SWISS_SPEC);
    let status = ex.get_json("/.status");
    assert!(status["model"].as_str().unwrap().ends_with("SwissModel"));

    // Initial states: one per hash function (4 keys, 4 hashes: 4! of them), the map before
    // its first assign.
    let inits = ex.get_json("/.states");
    let inits = inits.as_array().unwrap();
    assert_eq!(inits.len(), 24);
    let init: usize = path.split('/').next().unwrap().parse().unwrap();
    let st = inits[init]["state"].as_str().unwrap();
    assert!(st.starts_with("used=0 "), "{st}");
    assert!(!st.contains("SwissState {"), "raw Debug dump: {st}");
    let svg = inits[init]["svg"].as_str().unwrap();
    assert!(
        svg.contains(r#"class="swiss""#) && svg.contains("dirPtr: nil"),
        "{svg}"
    );

    // The last step: a delete from a full group leaves a tombstone.
    let last = follow(&ex, &path, &actions);
    let action = last["action"].as_str().unwrap();
    assert!(action.starts_with("mapdelete(k"), "{action}");
    let step = last["outcome"].as_str().unwrap();
    assert!(step.contains(".Delete"), "{step}");
    assert!(step.contains("ctrl := ctrlDeleted, a tombstone"), "{step}");
    assert!(step.contains("makeProbeSeq(H1, lengthMask "), "{step}");
    let svg = last["svg"].as_str().unwrap();
    assert_eq!(count(svg, r#"class="table""#), 1, "{svg}");
    assert_eq!(count(svg, r#"class="direntry""#), 1, "{svg}");
    assert_eq!(count(svg, r#"class="dirptr""#), 1, "{svg}");
    assert_eq!(
        count(svg, r#"<g class="cell deleted""#),
        1,
        "one tombstone: {svg}"
    );
    assert!(svg.contains(">deleted</text>"), "{svg}");
    assert!(svg.contains("1 tombstone(s)"), "{svg}");
    // Every slot drawn as the step's state text says, and nothing else drawn.
    let want = swiss_cells_from_text(step);
    assert!(want.len() >= 4, "{step}");
    assert_eq!(swiss_cells_from_svg(svg), want, "{step}\n{svg}");
    assert_eq!(count(svg, r#"class="violation""#), 0);
}

/// Runs `browse` in its own thread so that a hang fails the test, bounded, and Chromium is
/// killed by pid; one browser session at a time.
fn in_browser(url: &str, probe: String, shot: &Path, tag: &'static str) -> Value {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (tx, rx) = mpsc::channel();
    let (pid_tx, pid_rx) = mpsc::channel();
    let (u, s) = (url.to_string(), shot.to_path_buf());
    let started = Instant::now();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(move || browse(&u, &probe, &s, pid_tx, tag));
        let _ = tx.send(r);
    });
    let v = match rx.recv_timeout(Duration::from_secs(180)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => std::panic::resume_unwind(e),
        Err(_) => {
            if let Ok(pid) = pid_rx.try_recv() {
                // SAFETY: kill(2) on the Chromium process this test started.
                unsafe {
                    libc::kill(pid as i32, libc::SIGKILL);
                }
            }
            panic!("the browser session did not finish within 180 s ({url})");
        }
    };
    eprintln!(
        "browser session: {:.1} s, screenshot {}",
        started.elapsed().as_secs_f64(),
        shot.display()
    );
    v
}

/// Opens `url` in headless Chromium and evaluates `probe` (JavaScript returning a JSON string
/// with a `ready` field) until it says ready (bounded), screenshots the page to `shot`, and
/// returns what the probe read.
fn browse(url: &str, probe: &str, shot: &Path, pid_tx: mpsc::Sender<u32>, tag: &str) -> Value {
    use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
    use headless_chrome::{Browser, LaunchOptions};
    use std::ffi::OsStr;

    // Chromium's profile folder, removed when this function returns or panics (declared
    // before the browser, so dropped after it has exited).
    let profile = Scratch(
        std::env::temp_dir().join(format!("gomap-explorer-test-{tag}-{}", std::process::id())),
    );
    let args: Vec<&OsStr> = [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    let browser = Browser::new(LaunchOptions {
        path: Some(PathBuf::from(CHROMIUM)),
        headless: true,
        sandbox: false,
        window_size: Some((1500, 1100)),
        user_data_dir: Some(profile.to_path_buf()),
        args,
        idle_browser_timeout: Duration::from_secs(120),
        ..LaunchOptions::default()
    })
    .expect("launch headless Chromium");
    if let Some(pid) = browser.get_process_id() {
        let _ = pid_tx.send(pid);
    }
    let tab = browser.new_tab().expect("open a tab");
    tab.set_default_timeout(Duration::from_secs(60));
    tab.navigate_to(url).expect("navigate");
    tab.wait_until_navigated().expect("page load");

    // The app fetches /.states for each step of the path, then renders; wait for the last.
    let start = Instant::now();
    let v: Value = loop {
        let r = tab.evaluate(probe, false).expect("evaluate in the page");
        let s = r.value.and_then(|v| v.as_str().map(str::to_string));
        let v: Value = serde_json::from_str(&s.unwrap_or_default()).unwrap_or(Value::Null);
        if v["ready"] == Value::Bool(true) {
            break v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the explorer page did not render the path within 60 s: {v}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let png = tab
        .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
        .expect("screenshot");
    std::fs::write(shot, png).expect("write the screenshot");
    drop(tab);
    drop(browser);
    // Chromium's helper processes can still write into the profile for a moment after the
    // browser process has exited: remove it until it stays gone for 100 ms (at most 2 s; the
    // guard removes it once more on return).
    for _ in 0..20 {
        let _ = std::fs::remove_dir_all(&*profile);
        std::thread::sleep(Duration::from_millis(100));
        if !profile.exists() {
            break;
        }
    }
    v
}

/// target/<profile>/gomap -> target/<name>
fn screenshot_path(name: &str) -> PathBuf {
    Path::new(GOMAP)
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join(name)
}

fn path_steps(v: &Value) -> Vec<String> {
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// What the browser test reads off the rendered page.
#[derive(Debug)]
struct Page {
    path_steps: Vec<String>,
    selected: String,
    buckets: usize,
    oldbuckets: usize,
    violation: String,
    properties: String,
    state_text: String,
}

#[test]
fn explorer_in_headless_chromium_shows_the_counterexample_with_its_buckets() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run scripts/install-browser.sh (installs Debian's chromium and chromium-driver)"
    );
    let (path, actions) = counterexample();
    let ex = Explorer::start(SPEC);
    // Explore everything first so the Properties panel shows the counterexample it found.
    ex.run_to_completion();
    let url = format!("{}#/steps/{path}", ex.url());
    let shot = screenshot_path("explorer-counterexample.png");
    let probe = format!(
        r#"(() => {{
            const steps = [...document.querySelectorAll('ol.path-list li a')].map(a => a.textContent.trim());
            const svg = document.querySelector('.main-flex-right svg.hmap');
            const sel = document.querySelector('ol.path-list a.is-selected-state');
            const props = document.querySelector('nav.main-flex-left').innerText;
            const ready = steps.length === {n} && svg !== null && sel !== null
                && props.includes('Counterexample found');
            return JSON.stringify({{
                ready,
                steps,
                selected: sel ? sel.textContent.trim() : '',
                buckets: svg ? svg.querySelectorAll('.bucket').length : 0,
                oldbuckets: svg ? svg.querySelectorAll('.oldbucket').length : 0,
                violation: svg ? [...svg.querySelectorAll('.violation')].map(e => e.textContent).join('\n') : '',
                properties: props,
                state: document.querySelector('.main-flex-right > div.font-small').innerText,
            }});
        }})()"#,
        n = actions.len() + 2
    );
    let v = in_browser(&url, probe, &shot, "hmap");
    let strs = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    let page = Page {
        path_steps: path_steps(&v),
        selected: strs("selected"),
        buckets: v["buckets"].as_u64().unwrap() as usize,
        oldbuckets: v["oldbuckets"].as_u64().unwrap() as usize,
        violation: strs("violation"),
        properties: strs("properties"),
        state_text: strs("state"),
    };

    // The path the page shows is the counterexample: the app's root, its initial state, then
    // each Go call.
    let init = path.split('/').next().unwrap();
    let mut expected = vec!["Pre-init".to_string(), format!("Init {init}")];
    expected.extend(actions.iter().cloned());
    assert_eq!(page.path_steps, expected, "{page:#?}");
    assert!(
        page.selected.starts_with("mapaccess2(k"),
        "the selected step is the last one: {page:#?}"
    );
    // The last state drawn: 8 new buckets (B=3), 4 old ones, the violated property named.
    assert_eq!(page.buckets, 8, "{page:#?}");
    assert_eq!(page.oldbuckets, 4, "{page:#?}");
    assert_eq!(page.violation, format!("violates {PROPERTY}"));
    assert!(
        page.properties.contains(PROPERTY) && page.properties.contains("Counterexample found"),
        "{page:#?}"
    );
    // The step text: Go's own steps and the state, not a Debug dump.
    assert!(page.state_text.contains("growing: old bucket"), "{page:#?}");
    assert!(page.state_text.contains("oldbuckets:"), "{page:#?}");
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
}

#[test]
fn explorer_in_headless_chromium_draws_the_swiss_groups_and_control_words() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run scripts/install-browser.sh (installs Debian's chromium and chromium-driver)"
    );
    let (path, actions) = example(SWISS_SPEC, SWISS_PROPERTY, "holds");
    let ex = Explorer::start(SWISS_SPEC);
    let url = format!("{}#/steps/{path}", ex.url());
    let shot = screenshot_path("explorer-swiss.png");
    // Read the drawing as the browser laid it out: each slot's class, control band and slot
    // text, and how big the page draws the table and the tombstone.
    let probe = format!(
        r#"(() => {{
            const steps = [...document.querySelectorAll('ol.path-list li a')].map(a => a.textContent.trim());
            const svg = document.querySelector('.main-flex-right svg.swiss');
            const sel = document.querySelector('ol.path-list a.is-selected-state');
            const ready = steps.length === {n} && svg !== null && sel !== null;
            const size = e => {{ if (!e) return [0, 0]; const r = e.getBoundingClientRect(); return [r.width, r.height]; }};
            const cells = svg ? [...svg.querySelectorAll('g.cell')].map(g => [
                g.id,
                g.getAttribute('class'),
                g.querySelector('text.ctrl').textContent,
                g.querySelector('text.slot').textContent,
            ]) : [];
            return JSON.stringify({{
                ready,
                steps,
                selected: sel ? sel.textContent.trim() : '',
                cells,
                tables: svg ? svg.querySelectorAll('.table').length : 0,
                groups: svg ? svg.querySelectorAll('.group').length : 0,
                direntries: svg ? [...svg.querySelectorAll('.direntry')].map(e => e.getAttribute('data-table')) : [],
                ctrlwords: svg ? [...svg.querySelectorAll('.ctrlword')].map(e => e.textContent) : [],
                header: svg ? svg.querySelector('.header').textContent : '',
                table_size: size(svg && svg.querySelector('.table')),
                tombstone_size: size(svg && svg.querySelector('g.cell.deleted')),
                tombstone_fill: svg && svg.querySelector('g.cell.deleted rect') ? svg.querySelector('g.cell.deleted rect').getAttribute('fill') : '',
                state: document.querySelector('.main-flex-right > div.font-small').innerText,
            }});
        }})()"#,
        n = actions.len() + 2
    );
    let v = in_browser(&url, probe, &shot, "swiss");

    let init = path.split('/').next().unwrap();
    let mut expected = vec!["Pre-init".to_string(), format!("Init {init}")];
    expected.extend(actions.iter().cloned());
    assert_eq!(path_steps(&v), expected, "{v:#}");
    assert!(
        v["selected"].as_str().unwrap().starts_with("mapdelete(k"),
        "{v:#}"
    );
    let state = v["state"].as_str().unwrap();
    assert!(
        state.contains("ctrl := ctrlDeleted, a tombstone"),
        "{state}"
    );

    // Every slot the state text lists is drawn with its class, control band and key.
    let cells: Vec<SwissCell> = v["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |i: usize| c[i].as_str().unwrap().to_string();
            (s(0), s(1), s(2), s(3))
        })
        .collect();
    let want = swiss_cells_from_text(state);
    assert!(want.len() >= 4, "{state}");
    assert_eq!(cells, want, "{state}");
    let deleted: Vec<&SwissCell> = cells.iter().filter(|c| c.1 == "cell deleted").collect();
    assert_eq!(deleted.len(), 1, "one tombstone: {cells:?}");
    assert_eq!(deleted[0].2, "deleted");
    assert!(cells
        .iter()
        .any(|c| c.1 == "cell full" && c.2.starts_with("H2 ")));
    // One table behind the directory's one entry; each group's control word as a uint64,
    // the tombstone's byte 0xfe in it.
    assert_eq!(v["tables"], 1, "{v:#}");
    assert_eq!(
        v["groups"].as_u64().unwrap() as usize,
        want.len() / 2,
        "{v:#}"
    );
    assert_eq!(v["direntries"], serde_json::json!(["0"]), "{v:#}");
    let words: Vec<&str> = v["ctrlwords"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(words.len(), want.len() / 2);
    assert!(
        words
            .iter()
            .any(|w| w.starts_with("ctrl 0x") && w.contains("fe")),
        "{words:?}"
    );
    assert!(
        v["header"]
            .as_str()
            .unwrap()
            .contains("dirLen=1 globalDepth=0"),
        "{v:#}"
    );
    // Laid out, not just present: the table and the tombstone's cell take room on the page.
    let size = |k: &str| (v[k][0].as_f64().unwrap(), v[k][1].as_f64().unwrap());
    let (tw, th) = size("table_size");
    assert!(tw > 100.0 && th > 80.0, "table drawn {tw}x{th}");
    assert_eq!(size("tombstone_size"), (58.0, 40.0));
    assert_eq!(v["tombstone_fill"], "#d0d0d0");
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
}
