//! The charts and the HTML page, checked as a person would see them: every PNG decodes
//! at its size and is not a single colour, `watchsim report` redraws them from the CSV
//! files alone, and `index.html` renders in headless Chromium with every image loaded.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Runs `watchsim` and asserts success.
fn watchsim(args: &[&str]) -> String {
    let out = crate::common::output(Command::new(env!("CARGO_BIN_EXE_watchsim")).args(args));
    assert!(
        out.status.success(),
        "watchsim {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A shipped scenario cut down to `days` days, run with 2 replications into a fresh
/// folder under the target directory; returns the report folder.
fn small_run(scenario: &str, days: u32) -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("report-{scenario}"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{scenario}.toml")),
    )
    .unwrap();
    // The first `days =` is the experiment's horizon (later ones are schedule days).
    let mut done = false;
    let text: String = text
        .lines()
        .map(|l| {
            if !done && l.trim_start().starts_with("days =") {
                done = true;
                format!("days = {days}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let file = root.join("scenario.toml");
    std::fs::write(&file, text).unwrap();
    let out = root.join("report");
    watchsim(&[
        "run",
        file.to_str().unwrap(),
        "-r",
        "2",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    out
}

/// The default study, cut down (all schedules, every agency count).
fn roster() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| small_run("growing-roster", 42))
}

/// The founders' study, cut down (it has dated outages).
fn founders() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| small_run("founders-2006", 84))
}

/// The staffing study, cut down (a sweep).
fn staffing() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| small_run("staffing", 28))
}

/// Decodes a PNG: (width, height, RGB(A) bytes, channels).
fn decode(path: &Path) -> (u32, u32, Vec<u8>, usize) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf, info.color_type.samples())
}

/// Distinct colours in a decoded image (capped, to stay fast).
fn colours(pixels: &[u8], channels: usize) -> usize {
    let mut seen = HashSet::new();
    for p in pixels.chunks(channels).step_by(7) {
        seen.insert(p[..3].to_vec());
        if seen.len() > 200 {
            break;
        }
    }
    seen.len()
}

fn check_charts(dir: &Path, expected: &[&str]) {
    for stem in expected {
        let png = dir.join(format!("{stem}.png"));
        assert!(png.exists(), "{} is missing", png.display());
        let (w, h, pixels, channels) = decode(&png);
        assert!(
            (1000..=4000).contains(&w) && (300..=4000).contains(&h),
            "{stem}.png is {w}×{h}"
        );
        assert_eq!(pixels.len(), (w * h) as usize * channels);
        let n = colours(&pixels, channels);
        assert!(n > 20, "{stem}.png has only {n} colours: blank?");
        let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{stem}.svg");
        assert!(svg.contains("<text"), "{stem}.svg has no text");
    }
}

#[test]
fn every_chart_is_a_png_of_its_size_and_not_one_colour() {
    check_charts(
        roster(),
        &[
            "ecdf", "compare", "agencies", "stages", "coverage", "gaps", "weekly", "load", "desks",
        ],
    );
    assert!(
        !roster().join("sweep.png").exists(),
        "no sweep, no sweep chart"
    );
    check_charts(staffing(), &["ecdf", "compare", "sweep", "stages", "desks"]);
    assert!(
        !roster().join("outages.png").exists(),
        "no outage, no outage chart"
    );
}

#[test]
fn outages_are_judged_over_their_own_incidents() {
    // The founders' study has the UK out for a week, covered by the next member or not.
    check_charts(founders(), &["outages"]);
    let csv = std::fs::read_to_string(founders().join("outages.csv")).unwrap();
    assert!(csv.lines().count() > 1, "{csv}");
    let findings = std::fs::read_to_string(founders().join("findings.csv")).unwrap();
    assert!(
        findings.contains("uk is out") && findings.contains("without the outage"),
        "{findings}"
    );
    let html = std::fs::read_to_string(founders().join("index.html")).unwrap();
    assert!(html.contains("src=\"outages.png\""));
}

#[test]
fn index_html_links_every_chart_and_csv_and_names_its_provenance() {
    let html = std::fs::read_to_string(roster().join("index.html")).unwrap();
    for stem in [
        "ecdf", "agencies", "stages", "coverage", "gaps", "load", "compare",
    ] {
        assert!(html.contains(&format!("src=\"{stem}.png\"")), "{stem}.png");
        assert!(html.contains(&format!("href=\"{stem}.svg\"")), "{stem}.svg");
    }
    for csv in ["summary.csv", "compare.csv", "coverage.csv", "runs.csv"] {
        assert!(html.contains(&format!("href=\"{csv}\"")), "{csv}");
    }
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(roster().join("run.json")).unwrap()).unwrap();
    assert!(html.contains(run["scenario_hash"].as_str().unwrap()));
    assert!(html.contains("✔"), "the recommended schedule is marked");
    for section in [
        "id=\"findings\"",
        "id=\"decision\"",
        "id=\"warnings\"",
        "id=\"q7\"",
    ] {
        assert!(html.contains(section), "{section}");
    }
    assert!(
        !html.contains("<script"),
        "no JavaScript needed to read the page"
    );
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("url("),
        "no network"
    );
}

/// The CSV files and run record of report folder `src`, copied into a fresh folder
/// `name` beside it.
fn copy_tables(src: &Path, name: &str) -> PathBuf {
    let dir = src.parent().unwrap().join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if name.ends_with(".csv") || name == "run.json" {
            std::fs::copy(&path, dir.join(&name)).unwrap();
        }
    }
    dir
}

#[test]
fn report_redraws_charts_and_page_from_the_csv_files() {
    let src = staffing();
    let dir = copy_tables(src, "redrawn");
    let summary = std::fs::read(dir.join("summary.csv")).unwrap();
    let out = watchsim(&["report", dir.to_str().unwrap()]);
    assert!(out.contains("index.html"), "{out}");
    check_charts(&dir, &["ecdf", "sweep", "stages", "desks"]);
    assert!(dir.join("index.html").exists());
    assert_eq!(std::fs::read(dir.join("summary.csv")).unwrap(), summary);
    for stem in ["ecdf", "sweep"] {
        assert_eq!(
            std::fs::read(dir.join(format!("{stem}.png"))).unwrap(),
            std::fs::read(src.join(format!("{stem}.png"))).unwrap(),
            "{stem}.png redrawn differently"
        );
    }
}

/// A run reads back only the rows its page and charts draw from the folder it has just
/// written; `watchsim report` reads and checks every row. Both draw the same.
#[test]
fn a_run_draws_what_watchsim_report_draws_from_its_folder() {
    for src in [roster(), staffing()] {
        let dir = copy_tables(src, "redrawn-whole");
        watchsim(&["report", dir.to_str().unwrap()]);
        let mut drawn = 0;
        for entry in std::fs::read_dir(src).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name == "index.html" || name.ends_with(".png") || name.ends_with(".svg") {
                assert!(
                    std::fs::read(src.join(&name)).unwrap()
                        == std::fs::read(dir.join(&name)).unwrap(),
                    "{} drawn differently by `watchsim report`",
                    src.join(&name).display()
                );
                drawn += 1;
            }
        }
        assert!(drawn > 10, "{drawn} files compared in {}", src.display());
    }
}

/// Headless Chromium. The test that needs it is `#[ignore = "needs chromium"]`, so it
/// runs only when asked (`cargo test -- --ignored`, as `.ci/run` does); asked, a missing
/// browser is a failure, never a silent pass.
fn chromium() -> PathBuf {
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(candidate).exists() {
            return PathBuf::from(candidate);
        }
    }
    panic!("chromium is missing; .ci/run installs it (apt-get install -y chromium)");
}

fn headless(chromium: &Path, profile: &Path) -> Command {
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--run-all-compositor-stages-before-draw",
        "--virtual-time-budget=5000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

#[test]
#[ignore = "needs chromium"]
fn index_html_renders_in_headless_chromium_with_every_image_loaded() {
    let chromium = chromium();
    let dir = roster();
    let profile = dir.parent().unwrap().join("chromium-profile");
    // The page itself needs no JavaScript; the check is a copy of it with a script that
    // records what the browser loaded, read back through --dump-dom.
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let probe = "<script>window.addEventListener('load', () => { \
        const imgs = Array.from(document.images); \
        const bad = imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src')); \
        const r = document.body.getBoundingClientRect(); \
        document.body.setAttribute('data-check', \
          'images=' + imgs.length + ';broken=' + bad.join(',') + ';text=' + document.body.innerText.trim().length + ';height=' + Math.round(r.height)); \
        });</script></body>";
    let check = dir.join("check.html");
    std::fs::write(&check, html.replace("</body>", probe)).unwrap();
    let out = crate::common::output(
        headless(&chromium, &profile)
            .arg("--dump-dom")
            .arg(format!("file://{}", check.display())),
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let Some(start) = dom.find("data-check=\"") else {
        panic!(
            "chromium did not load the page:\n{}\n{}",
            dom.chars().take(2000).collect::<String>(),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let rest = &dom[start + "data-check=\"".len()..];
    let check = &rest[..rest.find('"').unwrap()];
    let field = |name: &str| -> String {
        check
            .split(';')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or("")
            .to_string()
    };
    let images: usize = field("images").parse().unwrap();
    assert!(images >= 9, "only {images} images on the page: {check}");
    assert_eq!(field("broken"), "", "images that did not load: {check}");
    assert!(
        field("text").parse::<usize>().unwrap() > 500,
        "blank page? {check}"
    );
    assert!(
        field("height").parse::<usize>().unwrap() > 2000,
        "short page? {check}"
    );

    // And a screenshot of the top of the page, as a person would first see it.
    let shot = dir.parent().unwrap().join("index-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let out = crate::common::output(
        headless(&chromium, &profile)
            .arg(format!("--screenshot={}", shot.display()))
            .arg("--window-size=1400,2400")
            .arg(format!("file://{}", dir.join("index.html").display())),
    );
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (w, h, pixels, channels) = decode(&shot);
    assert_eq!((w, h), (1400, 2400));
    assert!(colours(&pixels, channels) > 20, "the page renders blank");

    // "Print to PDF" gives a brief with every chart in it.
    let pdf = dir.parent().unwrap().join("index.pdf");
    let _ = std::fs::remove_file(&pdf);
    let out = crate::common::output(
        headless(&chromium, &profile)
            .arg("--no-pdf-header-footer")
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg(format!("file://{}", dir.join("index.html").display())),
    );
    let bytes = std::fs::read(&pdf)
        .unwrap_or_else(|e| panic!("no PDF ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    let count = |needle: &[u8]| bytes.windows(needle.len()).filter(|w| *w == needle).count();
    let figures = html.matches("<img ").count();
    assert_eq!(
        count(b"/Subtype /Image"),
        figures,
        "the PDF holds {} images for the page's {figures}",
        count(b"/Subtype /Image")
    );
    assert!(count(b"/Type /Page\n") + count(b"/Type /Page ") + count(b"/Type /Page/") > 2);
}

/// The text of a chart's SVG.
fn svg(dir: &Path, stem: &str) -> String {
    std::fs::read_to_string(dir.join(format!("{stem}.svg")))
        .unwrap_or_else(|e| panic!("{stem}.svg: {e}"))
}

#[test]
fn each_chart_answers_its_question() {
    let report = watchsim::report::data::Report::load(roster()).unwrap();
    // ecdf: each curve levels off at the responded share (missed and open cases never
    // respond), not at 1.
    let mut levelled = 0;
    for s in &report.schedules {
        let key = report.key(s, report.focus_k(), "");
        let curve = watchsim::report::charts::ecdf_curve(&report, &key);
        let responded = report
            .estimate(&key, "members", "all", "responded_share")
            .unwrap()
            .mean;
        let last = curve.last().unwrap().1;
        assert!(
            (last - 0.999 * responded).abs() < 1e-9,
            "{s}: the curve ends at {last}, the responded share is {responded}"
        );
        levelled += usize::from(responded < 0.99);
    }
    assert!(levelled > 0, "some schedule misses cases at 2 days");
    // compare: distances from the best against the practical margin, per panel.
    let compare = svg(roster(), "compare");
    assert!(compare.contains("practical margin") && compare.contains("best:"));
    // agencies: what each step adds, with shares from 0.
    assert!(svg(roster(), "agencies").contains("What each step adds"));
    // stages: the non-members' cases apart.
    assert!(svg(roster(), "stages").contains("non-members"));
    // gaps: a schedule with nothing to show gets no panel, only a mention.
    let gaps = svg(roster(), "gaps");
    assert!(
        gaps.contains("No gap or overlap") && gaps.contains("round-robin-daily"),
        "round-robin hands over without gaps or overlaps"
    );
    assert!(!gaps.contains("round-robin-daily · gaps"), "no empty panel");
    // load: the arrival curve over who holds the watch.
    let load = std::fs::read_to_string(roster().join("index.html")).unwrap();
    assert!(load.contains("arrival rate"));
    // desks: watch hours beside night hours.
    assert!(svg(roster(), "desks").contains("Watch hours per week"));
    // sweep: the least staffing that meets the target, named.
    assert!(svg(staffing(), "sweep").contains("least meeting 95 %"));
    // coverage: the founders' chart shows the week of the UK's outage, marked.
    let coverage = svg(founders(), "coverage");
    assert!(coverage.contains("uk out") && coverage.contains("outage"));
    // index.html: every question in order, captions without "?.".
    let html = std::fs::read_to_string(roster().join("index.html")).unwrap();
    let mut at = 0;
    for q in 1..=8 {
        let found = html[at..]
            .find(&format!("<h3 id=\"q{q}\">{q}. "))
            .unwrap_or_else(|| panic!("question {q} missing or out of order"));
        at += found;
    }
    assert!(!html.contains("?.</strong>"));
    assert!(html.contains("@media print"));
}

#[test]
fn weekly_marks_the_weeks_of_clock_changes() {
    let dir = small_run("dst-misalignment", 364);
    let report = watchsim::report::data::Report::load(&dir).unwrap();
    let weeks = report.dst_weeks();
    // The US, the UK and Australia change clocks in March/April and October/November.
    assert!(weeks.len() >= 4, "{weeks:?}");
    assert!(svg(&dir, "weekly").contains("clock change"));
}
