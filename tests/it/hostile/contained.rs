//! Documents read in a contained worker with limits (issue 27: cases 03, 04, 05, 08, and the
//! reader fuzz). Each hostile PDF is built here with the bytes of its case script.

use super::*;

use ofsted_themes::pipeline::worker::FAULT_VARIABLE;

const FONT: &[u8] =
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
const RESOURCES: &[u8] = b"/Resources << /Font << /F1 4 0 R >> >>";
const TEXT: [&str; 3] = [
    "Inspection of Luton Borough Council children's services.",
    "Leaders have improved the quality of practice for children in care.",
    "Management oversight of casework is not always effective.",
];

/// A content stream's text: one line per entry, as the case scripts write it.
fn content(lines: &[&str]) -> Vec<u8> {
    let mut out = String::from("BT /F1 11 Tf 14 TL 50 750 Td");
    for line in lines {
        let escaped = line
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        out += &format!("\n({escaped}) Tj T*");
    }
    out += "\nET";
    out.into_bytes()
}

/// A stream object's bytes, `extra` added to its dictionary.
fn stream(data: &[u8], extra: &str) -> Vec<u8> {
    let mut out = format!("<< /Length {}{extra} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

/// A PDF of numbered objects (1 the catalogue) with a correct cross-reference table.
fn pdf(objects: &BTreeMap<u32, Vec<u8>>) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = BTreeMap::new();
    for (number, body) in objects {
        offsets.insert(*number, out.len());
        out.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let size = objects.keys().max().unwrap() + 1;
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {size}\n0000000000 65535 f\r\n").as_bytes());
    for number in 1..size {
        match offsets.get(&number) {
            Some(at) => out.extend_from_slice(format!("{at:010} 00000 n\r\n").as_bytes()),
            None => out.extend_from_slice(b"0000000000 65535 f\r\n"),
        }
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {size} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    out
}

fn objects(list: Vec<(u32, Vec<u8>)>) -> BTreeMap<u32, Vec<u8>> {
    list.into_iter().collect()
}

/// One page of [`TEXT`], its page dictionary `page` (object 3).
fn one_page(page: &str, contents: Vec<u8>) -> BTreeMap<u32, Vec<u8>> {
    objects(vec![
        (1, b"<< /Type /Catalog /Pages 2 0 R >>".to_vec()),
        (2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec()),
        (3, page.as_bytes().to_vec()),
        (4, FONT.to_vec()),
        (5, contents),
    ])
}

fn good_pdf() -> Vec<u8> {
    let page = format!(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] {} /Contents 5 0 R >>",
        String::from_utf8_lossy(RESOURCES)
    );
    pdf(&one_page(&page, stream(&content(&TEXT), "")))
}

/// Case 03: the page draws form X1, which draws itself; `name` is how X1 is written in
/// the form's content (`/X1`, or escaped, `/X#31`).
fn xobject_loop_pdf(name: &str) -> Vec<u8> {
    let page = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << \
                /F1 4 0 R >> /XObject << /X1 6 0 R >> >> /Contents 5 0 R >>";
    let mut objects = one_page(page, {
        let mut data = content(&TEXT);
        data.extend_from_slice(b"\n/X1 Do\n");
        stream(&data, "")
    });
    objects.insert(
        6,
        stream(
            format!("BT /F1 11 Tf 50 100 Td (Loop.) Tj ET {name} Do").as_bytes(),
            " /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 4 0 \
             R >> /XObject << /X1 6 0 R >> >>",
        ),
    );
    pdf(&objects)
}

/// Case 04: the page-tree node is its own /Parent, and the page inherits nothing.
fn parent_cycle_pdf() -> Vec<u8> {
    let mut objects = one_page(
        "<< /Type /Page /Parent 2 0 R /Contents 5 0 R >>",
        stream(&content(&TEXT), ""),
    );
    objects.insert(
        2,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 2 0 R >>".to_vec(),
    );
    pdf(&objects)
}

/// Case 05: a content stream deflated twice that inflates to `mb` MB of spaces.
fn bomb_pdf(mb: usize) -> Vec<u8> {
    use flate2::write::ZlibEncoder;
    use std::io::Write as _;
    let mut inner = ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    inner.write_all(&content(&TEXT)).unwrap();
    inner.write_all(b"\n").unwrap();
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..mb {
        inner.write_all(&spaces).unwrap();
    }
    let mut outer = ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    outer.write_all(&inner.finish().unwrap()).unwrap();
    let outer = outer.finish().unwrap();
    let mut body = format!(
        "<< /Length {} /Filter [/FlateDecode /FlateDecode] >>\nstream\n",
        outer.len()
    )
    .into_bytes();
    body.extend_from_slice(&outer);
    body.extend_from_slice(b"\nendstream");
    let page = format!(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] {} /Contents 5 0 R >>",
        String::from_utf8_lossy(RESOURCES)
    );
    pdf(&one_page(&page, body))
}

/// Three words naming `n` ("alpha bravo charlie"): numbers alone would make the marker
/// lines look like repeated page furniture, which cleaning removes.
fn tag(n: u32) -> String {
    const W: [&str; 26] = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
        "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra",
        "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu",
    ];
    let n = n as usize;
    format!("{} {} {}", W[(n / 676) % 26], W[(n / 26) % 26], W[n % 26])
}

/// Case 08: a page tree `depth` levels deep, one page per level, each with a marker
/// sentence naming its level.
fn deep_tree_pdf(depth: u32) -> Vec<u8> {
    let mut objects = objects(vec![
        (1, b"<< /Type /Catalog /Pages 10 0 R >>".to_vec()),
        (4, FONT.to_vec()),
    ]);
    for d in 0..depth {
        let (node, page, contents) = (10 + 3 * d, 11 + 3 * d, 12 + 3 * d);
        let parent = if d == 0 {
            String::new()
        } else {
            format!("/Parent {} 0 R ", node - 3)
        };
        let kids = if d < depth - 1 {
            format!("[{} 0 R {page} 0 R]", node + 3)
        } else {
            format!("[{page} 0 R]")
        };
        objects.insert(
            node,
            format!(
                "<< /Type /Pages {parent}/Kids {kids} /Count {} >>",
                depth - d
            )
            .into_bytes(),
        );
        objects.insert(
            page,
            format!(
                "<< /Type /Page /Parent {node} 0 R /MediaBox [0 0 612 792] {} /Contents \
                 {contents} 0 R >>",
                String::from_utf8_lossy(RESOURCES)
            )
            .into_bytes(),
        );
        let marker = format!("Marker {} says social workers know children well.", tag(d));
        let mut lines: Vec<&str> = if d == 0 { TEXT.to_vec() } else { vec![] };
        lines.push(&marker);
        objects.insert(contents, stream(&content(&lines), ""));
    }
    pdf(&objects)
}

/// Runs the binary like [`run_rules`], with `env` set and, when given, its address space
/// limited to `memory_kb` (as `ulimit -v` does), killed after `limit`.
fn run_contained(
    inputs: &[&Path],
    out: &Path,
    env: &[(&str, &str)],
    memory_kb: Option<u64>,
    limit: Duration,
) -> Ran {
    let mut command = match memory_kb {
        Some(kb) => {
            let mut c = Command::new("sh");
            c.arg("-c")
                .arg(format!("ulimit -v {kb} && exec \"$0\" \"$@\""))
                .arg(BIN);
            c
        }
        None => Command::new(BIN),
    };
    command
        .arg("run")
        .args(inputs)
        .arg("--out")
        .arg(out)
        .args(["--quiet", "--classifier", "rules"])
        .envs(env.iter().copied());
    run_killed_after(&mut command, limit)
}

/// The processes still running whose environment holds `variable=value` (a worker of one
/// run left behind: workers inherit the run's environment).
fn processes_with(variable: &str, value: &str) -> Vec<String> {
    let wanted = format!("{variable}={value}");
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        if let Ok(environ) = fs::read(entry.path().join("environ")) {
            if environ
                .split(|&b| b == 0)
                .any(|pair| pair == wanted.as_bytes())
            {
                found.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
    }
    found
}

fn report_count(out: &Path) -> usize {
    csv_rows(&out.join("reports.csv")).len()
}

fn sentences_text(out: &Path) -> String {
    column(&csv_rows(&out.join("sentences.csv")), "text").join("\n")
}

#[test]
fn case_03_a_form_that_draws_itself_costs_that_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r");
    fs::create_dir(&input).unwrap();
    write(&input, "xobject_loop.pdf", xobject_loop_pdf("/X1"));
    // The same loop with the name escaped, as a parser reads it: X#31 is X1.
    write(&input, "escaped_loop.pdf", xobject_loop_pdf("/X#31"));
    write(&input, "good.pdf", good_pdf());
    let out = dir.path().join("out");
    run_rules(&[&input], &out, &[]).expect_code(2);
    assert_eq!(report_count(&out), 1, "good.pdf is used");
    assert!(sentences_text(&out).contains("Management oversight of casework"));
    let errors = errors_by_name(&out);
    assert_eq!(errors.len(), 2, "{errors:?}");
    for name in ["xobject_loop.pdf", "escaped_loop.pdf"] {
        assert!(
            errors[name].contains("form XObject 6 0 R draws itself"),
            "{name}: {}",
            errors[name]
        );
    }
}

/// Case 04's file has no resources, so its font cannot be found: it is named promptly,
/// and a page tree whose kids loop is read, each page once.
#[test]
fn case_04_a_page_tree_that_loops_does_not_hang_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r");
    fs::create_dir(&input).unwrap();
    write(&input, "parent_cycle.pdf", parent_cycle_pdf());
    // Kids that loop back to the root: each page read once.
    let mut kids_loop = one_page(
        &format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] {} /Contents 5 0 R >>",
            String::from_utf8_lossy(RESOURCES)
        ),
        stream(
            &content(&["Care leavers are supported well by their personal advisers."]),
            "",
        ),
    );
    kids_loop.insert(
        2,
        b"<< /Type /Pages /Kids [3 0 R 2 0 R 6 0 R] /Count 1 >>".to_vec(),
    );
    kids_loop.insert(
        6,
        b"<< /Type /Pages /Kids [2 0 R 6 0 R] /Count 0 >>".to_vec(),
    );
    write(&input, "kids_loop.pdf", pdf(&kids_loop));
    let out = dir.path().join("out");
    let ran = run_rules(&[&input], &out, &[]);
    ran.expect_code(2);
    assert!(ran.took < Duration::from_secs(30), "took {:?}", ran.took);
    assert_eq!(report_count(&out), 1);
    let errors = errors_by_name(&out);
    assert!(
        errors["parent_cycle.pdf"].contains("damaged"),
        "{}",
        errors["parent_cycle.pdf"]
    );
    let text = sentences_text(&out);
    assert_eq!(
        text.matches("Care leavers are supported well").count(),
        1,
        "{text}"
    );
}

#[test]
fn case_05_a_compression_bomb_is_refused_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r");
    fs::create_dir(&input).unwrap();
    // 256 MB inflated: four times the limit on one stream.
    let bomb = bomb_pdf(256);
    assert!(bomb.len() < 4096, "{} bytes", bomb.len());
    write(&input, "bomb.pdf", bomb);
    write(&input, "good.pdf", good_pdf());
    let out = dir.path().join("out");
    // The run's address space limited as the case script limits it.
    run_contained(
        &[&input],
        &out,
        &[],
        Some(1_500_000),
        Duration::from_secs(60),
    )
    .expect_code(2);
    assert_eq!(report_count(&out), 1);
    let errors = errors_by_name(&out);
    assert!(
        errors["bomb.pdf"].contains("stream 5 0 R inflates to over 64 MB"),
        "{}",
        errors["bomb.pdf"]
    );
}

#[test]
fn case_08_a_page_tree_600_levels_deep_is_read_to_the_last_page() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r");
    fs::create_dir(&input).unwrap();
    write(&input, "deep.pdf", deep_tree_pdf(600));
    let out = dir.path().join("out");
    run_rules(&[&input], &out, &[]).expect_code(0);
    let text = sentences_text(&out);
    assert_eq!(text.matches("Marker ").count(), 600);
    let deepest = format!("Marker {} says", tag(599));
    assert!(text.contains(&deepest), "the deepest page is read");
}

#[test]
fn a_page_tree_that_reaches_fewer_pages_than_it_declares_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r");
    fs::create_dir(&input).unwrap();
    let mut short = one_page(
        &format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] {} /Contents 5 0 R >>",
            String::from_utf8_lossy(RESOURCES)
        ),
        stream(&content(&TEXT), ""),
    );
    short.insert(
        2,
        b"<< /Type /Pages /Kids [3 0 R 9 0 R] /Count 5 >>".to_vec(),
    );
    write(&input, "short.pdf", pdf(&short));
    let out = dir.path().join("out");
    run_rules(&[&input], &out, &[]).expect_code(2);
    let errors = errors_by_name(&out);
    assert!(
        errors["short.pdf"].contains("reaches 1 of the 5 pages it declares"),
        "{}",
        errors["short.pdf"]
    );
}

/// A worker that dies, overruns or runs out of memory (made to, through
/// [`FAULT_VARIABLE`]) costs its file only, is named for what happened, and leaves no
/// process behind.
#[test]
fn a_worker_that_crashes_hangs_or_runs_out_of_memory_costs_that_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("contained-faults");
    fs::create_dir(&input).unwrap();
    write(&input, "good.pdf", good_pdf());
    let mut names = Vec::new();
    for kind in ["crash", "hang", "memory"] {
        // Distinct bytes, so that each file is read on its own.
        let name = format!("{kind}.txt");
        write(
            &input,
            &name,
            format!("Leaders have improved practice ({kind})."),
        );
        names.push((kind, name));
    }
    let limit = ofsted_themes::pipeline::worker::time_limit(1);
    for (kind, name) in &names {
        let out = dir.path().join(format!("out-{kind}"));
        let fault = format!("{kind}:{name}");
        let ran = run_contained(
            &[&input],
            &out,
            &[(FAULT_VARIABLE, &fault)],
            None,
            limit + Duration::from_secs(60),
        );
        ran.expect_code(2);
        let errors = errors_by_name(&out);
        let reason = &errors[name.as_str()];
        let expected = match *kind {
            "crash" => "the text reader crashed (signal 6)".to_string(),
            "hang" => format!("reading ran over {} s", limit.as_secs()),
            _ => "reading needed over 1024 MB of memory".to_string(),
        };
        assert!(reason.contains(&expected), "{kind}: {reason}");
        assert_eq!(errors.len(), 1, "{errors:?}");
        // Workers that outlive their run end when their requests pipe closes.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !processes_with(FAULT_VARIABLE, &fault).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            processes_with(FAULT_VARIABLE, &fault).is_empty(),
            "{kind}: a worker was left behind: {:?}",
            processes_with(FAULT_VARIABLE, &fault)
        );
        // The good report and the two faultless texts.
        assert_eq!(report_count(&out), 3);
    }
}

/// A PDF whose objects refer to themselves where the reader follows references.
fn self_reference_pdf() -> Vec<u8> {
    let mut objects = one_page(
        "<< /Type /Page /Parent 2 0 R /MediaBox 7 0 R /Resources 8 0 R /Contents 5 0 R >>",
        stream(&content(&TEXT), ""),
    );
    objects.insert(7, b"7 0 R".to_vec());
    objects.insert(8, b"<< /Font 8 0 R /XObject 8 0 R >>".to_vec());
    pdf(&objects)
}

/// Forms that each draw the next one twice, `levels` deep: 2^levels draws for one page.
fn fan_out_pdf(levels: u32) -> Vec<u8> {
    let page = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << \
                /F1 4 0 R >> /XObject << /X 10 0 R >> >> /Contents 5 0 R >>";
    let mut objects = one_page(page, {
        let mut data = content(&TEXT);
        data.extend_from_slice(b"\n/X Do\n");
        stream(&data, "")
    });
    for level in 0..levels {
        // The last form draws nothing (without resources of its own it would draw itself).
        let (next, draws): (String, &[u8]) = if level + 1 < levels {
            (
                format!(" /Resources << /XObject << /X {} 0 R >> >>", 11 + level),
                b"/X Do /X Do",
            )
        } else {
            (String::new(), b"0 0 m 1 1 l S")
        };
        objects.insert(
            10 + level,
            stream(
                draws,
                &format!(" /Type /XObject /Subtype /Form /BBox [0 0 10 10]{next}"),
            ),
        );
    }
    pdf(&objects)
}

/// Seeded fuzzing of the PDF reader's hostile shapes through the release binary: loops in
/// the page tree and in form XObjects, self-referencing objects, deep trees, fan-out forms
/// and compression bombs, each mutated, in one run that must finish in bounded time and
/// account for every input (its report id in reports.csv, or its path in errors.csv).
#[test]
fn fuzzed_hostile_pdf_shapes_are_all_accounted_for() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("fuzz");
    fs::create_dir(&input).unwrap();
    let mut rng = XorShift(0x0C04_7A14_ED27);
    let bases = [
        xobject_loop_pdf("/X1"),
        parent_cycle_pdf(),
        deep_tree_pdf(300),
        bomb_pdf(80),
        self_reference_pdf(),
        fan_out_pdf(24),
        good_pdf(),
    ];
    let mut inputs: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
    for (i, base) in bases.iter().enumerate() {
        inputs.insert(input.join(format!("base{i}.pdf")), base.clone());
    }
    for i in 0..70 {
        let base = &bases[i % bases.len()];
        inputs.insert(input.join(format!("pdf{i:03}.pdf")), mutate(&mut rng, base));
    }
    for (path, bytes) in &inputs {
        fs::write(path, bytes).unwrap();
    }
    let out = dir.path().join("out");
    let ran = run_rules(&[&input], &out, &[]);
    assert!(
        matches!(ran.code, Some(0 | 2)),
        "exit {:?} after {:?} (None = killed at the time limit); stderr:\n{}",
        ran.code,
        ran.took,
        ran.stderr
    );
    let used: BTreeSet<String> = column(&csv_rows(&out.join("reports.csv")), "report_id")
        .into_iter()
        .collect();
    let named: BTreeSet<PathBuf> = column(&csv_rows(&out.join("errors.csv")), "path")
        .into_iter()
        .map(PathBuf::from)
        .collect();
    let unaccounted: Vec<String> = inputs
        .iter()
        .filter(|(path, bytes)| {
            let id = &ofsted_themes::files::sha256_hex(bytes)[..12];
            !used.contains(id) && !named.contains(*path)
        })
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(
        unaccounted.is_empty(),
        "neither used nor named: {unaccounted:?}"
    );
    let errors = errors_by_name(&out);
    for (name, expected) in [
        ("base0.pdf", "draws itself"),
        ("base3.pdf", "inflates to over"),
        ("base5.pdf", "form XObjects"),
    ] {
        assert!(errors[name].contains(expected), "{name}: {}", errors[name]);
    }
    eprintln!(
        "hostile PDF fuzz: {} inputs, {} reports, {} skipped, {:.1} s",
        inputs.len(),
        used.len(),
        named.len(),
        ran.took.as_secs_f64()
    );
}
