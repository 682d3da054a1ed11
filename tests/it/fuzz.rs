//! Property-based fuzzing (proptest) of everything that parses what others wrote:
//! file names from servers, URLs and destinations, requests on the agent's socket,
//! answer lines, the config file and the database's records.
//!
//! CI runs each target for a modest number of cases; `tests/fuzz.sh` runs them for
//! a bounded time with many more (`PROPTEST_CASES`). A failure is shrunk and kept
//! in `tests/it/fuzz.proptest-regressions`, which is committed so every later run
//! tries it first; the cases it found are also spelled out as tests at the end.

use crate::support;

use std::path::{Path, PathBuf};

use ferry::engine::filename;
use ferry::engine::validate;
use ferry::ipc;
use proptest::prelude::*;
use serde_json::Value;

/// `PROPTEST_CASES` when set, else `default` (kept small for CI). Under
/// `cargo test` the inputs are the same on every run (the committed regressions
/// first, then a fixed seed), so a red CI means a regression, never an unlucky
/// draw; `tests/fuzz.sh` sets `FUZZ_FRESH_SEEDS=1` to explore new inputs, and
/// `PROPTEST_RNG_SEED` replays one.
fn config(default: u32) -> ProptestConfig {
    use proptest::test_runner::RngSeed;
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default);
    let defaults = ProptestConfig::default();
    let fresh = std::env::var_os("FUZZ_FRESH_SEEDS").is_some()
        || std::env::var_os("PROPTEST_RNG_SEED").is_some();
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        rng_seed: if fresh {
            defaults.rng_seed
        } else {
            RngSeed::Fixed(0x00f3_2217)
        },
        ..defaults
    }
}

/// Bytes that make parsers work: separators, quotes, escapes, dots, controls,
/// multi-byte characters.
fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => any::<char>(),
        6 => prop::sample::select(vec![
            '/', '\\', '.', '"', '\'', ';', '=', '*', '%', ' ', '\t', '\n', '\r', '\0', ':',
            '<', '>', '|', '?', 'a', 'Z', '0', '-', '_', 'é', '\u{202e}', '\u{feff}', '\u{7f}',
        ]),
    ]
}

fn nasty_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(nasty_char(), 0..max).prop_map(|chars| chars.into_iter().collect())
}

fn percent_encoded(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u8>(), 0..max)
        .prop_map(|bytes| bytes.iter().map(|b| format!("%{b:02X}")).collect())
}

/// A `Content-Disposition` value: anything, or the shapes servers send with
/// hostile contents.
fn content_disposition() -> impl Strategy<Value = String> {
    prop_oneof![
        nasty_string(300),
        nasty_string(300).prop_map(|n| format!("attachment; filename=\"{n}\"")),
        nasty_string(300).prop_map(|n| format!("attachment; filename={n}")),
        percent_encoded(300).prop_map(|n| format!("attachment; filename*=UTF-8''{n}")),
        (nasty_string(20), nasty_string(20), nasty_string(300))
            .prop_map(|(c, l, n)| format!("inline; filename*={c}'{l}'{n}; filename=\"{n}\"")),
        Just(format!("attachment; filename=\"{}.iso\"", "é".repeat(300))),
    ]
}

/// A loopback URL with a hostile path, or an arbitrary host name.
fn download_url() -> impl Strategy<Value = reqwest::Url> {
    prop_oneof![
        percent_encoded(400).prop_map(|p| format!("http://127.0.0.1/{p}")),
        nasty_string(100).prop_map(|p| format!("http://127.0.0.1/a/{p}")),
        (1usize..64, 1usize..5).prop_map(|(len, labels)| {
            let label = "h".repeat(len);
            format!("http://{}/", vec![label; labels].join("."))
        }),
    ]
    .prop_filter_map("a URL", |text| reqwest::Url::parse(&text).ok())
}

/// The name is one ordinary component: joined to a folder it stays in it, and it
/// leaves room for the `.part` suffix within the usual 255-byte limit.
fn assert_safe_name(name: &str) {
    let folder = Path::new("/chosen/folder");
    let joined = folder.join(name);
    assert!(!name.is_empty(), "empty name");
    assert!(!name.contains(['/', '\0']), "separator or NUL in {name:?}");
    assert!(name != "." && name != "..", "{name:?}");
    assert!(!name.starts_with('.'), "hidden: {name:?}");
    assert_eq!(joined.parent(), Some(folder), "{name:?} escapes");
    assert!(
        name.len() + ".part".len() <= 255,
        "{} bytes: {name:?}",
        name.len()
    );
    assert!(!name.chars().any(char::is_control), "control in {name:?}");
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn a_server_chosen_name_stays_in_the_folder(header in content_disposition(), url in download_url()) {
        assert_safe_name(&filename::choose(Some(&header), &url));
        assert_safe_name(&filename::choose(None, &url));
    }

    #[test]
    fn sanitized_names_are_single_safe_components(name in nasty_string(600)) {
        if let Some(clean) = filename::sanitize(&name) {
            assert_safe_name(&clean);
        }
    }

    #[test]
    fn urls_are_checked_without_panicking(text in prop_oneof![
        nasty_string(200),
        nasty_string(100).prop_map(|rest| format!("http://{rest}")),
        nasty_string(100).prop_map(|rest| format!("ftp://{rest}")),
        (nasty_string(20), nasty_string(60)).prop_map(|(s, rest)| format!("{s}://{rest}")),
    ]) {
        if let Ok(url) = validate::url(&text) {
            prop_assert!(["http", "https", "ftp", "ftps"].contains(&url.scheme()), "{url}");
            prop_assert!(url.host_str().is_some_and(|h| !h.is_empty()), "{url}");
        }
    }
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn destinations_are_absolute_and_in_an_existing_folder(
        rest in nasty_string(80),
        absolute in any::<bool>(),
        trailing in any::<bool>(),
        into_folder in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = if absolute {
            format!("{}/{rest}", dir.path().display())
        } else {
            rest
        };
        if trailing {
            text.push('/');
        }
        // Folders are made now: none outside the case's own directory.
        let path = Path::new(&text);
        let outside = path.is_absolute() && !path.starts_with(dir.path());
        if text.contains('\0')
            || outside
            || path.components().any(|c| c == std::path::Component::ParentDir)
        {
            return Ok(());
        }
        match validate::target(Some(Path::new(&text)), into_folder, dir.path()) {
            Ok(ferry::engine::Target::File(file)) => {
                prop_assert!(file.is_absolute());
                prop_assert!(file.parent().is_some_and(Path::is_dir), "{}", file.display());
            }
            Ok(ferry::engine::Target::Folder(folder)) => prop_assert!(folder.is_dir()),
            Err(_) => {}
        }
    }
}

/// Request lines the agent understands, to mutate. None creates a transfer or runs
/// a program: the mutants must not reach a network or start anything.
fn request_corpus() -> Vec<String> {
    [
        r#"{"op":"hello","protocol":1}"#,
        r#"{"op":"list"}"#,
        r#"{"op":"show","id":"3f2a"}"#,
        r#"{"op":"pause","target":"all"}"#,
        r#"{"op":"resume","target":{"id":"3f2a"}}"#,
        r#"{"op":"cancel","id":"3f2a"}"#,
        r#"{"op":"restart","id":"00000000-0000-0000-0000-000000000000"}"#,
        r#"{"op":"remove","id":"3f"}"#,
        r#"{"op":"set_policy","id":"3f2a","policy":"UnrestrictedOnly"}"#,
        r#"{"op":"set_priority","id":"3f2a","priority":"High"}"#,
        r#"{"op":"set_limit","limit":5000000}"#,
        r#"{"op":"set_limit","id":"3f2a","limit":null}"#,
        r#"{"op":"create_group","name":"g","behavior":"Parallel"}"#,
        r#"{"op":"enable_group","name":"g"}"#,
        r#"{"op":"groups"}"#,
        r#"{"op":"show_group","name":"g"}"#,
        r#"{"op":"status"}"#,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// A mutation of `line`: bytes flipped, cut, doubled or inserted.
fn mutant(corpus: Vec<String>) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(corpus),
        prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..6),
    )
        .prop_map(|(line, edits)| {
            let mut bytes = line.into_bytes();
            for (at, kind, byte) in edits {
                if bytes.is_empty() {
                    bytes.push(byte);
                    continue;
                }
                let i = at.index(bytes.len());
                match kind {
                    0 => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    2 => {
                        bytes.remove(i);
                    }
                    _ => {
                        let copy = bytes[i..].to_vec();
                        bytes.splice(i..i, copy);
                    }
                }
            }
            bytes
        })
}

/// A JSON value that stresses the decoder: numbers at their edges, long and odd
/// strings, deep nesting.
fn odd_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop::sample::select(vec![
            serde_json::json!(0),
            serde_json::json!(-1),
            serde_json::json!(u64::MAX),
            serde_json::json!(i64::MIN),
            serde_json::json!(1e308),
            serde_json::json!(-0.0),
            serde_json::json!(0.5),
            serde_json::json!(4294967296u64),
        ]),
        nasty_string(40).prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((nasty_string(10), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn request_lines_never_upset_the_parser(line in mutant(request_corpus())) {
        let mut reader = tokio::io::BufReader::new(std::io::Cursor::new(line));
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        if let Ok(Some(text)) = runtime.block_on(ipc::read_line(&mut reader)) {
            let _ = serde_json::from_str::<ipc::Request>(&text);
        }
    }

    #[test]
    fn requests_with_odd_fields_are_refused_or_understood(
        op in prop::sample::select(vec!["create", "show", "pause", "set_limit", "create_group", "read", "watch"]),
        fields in prop::collection::vec((prop::sample::select(vec!["id", "target", "request", "limit", "name", "behavior", "offset", "ids", "policy"]), odd_json()), 0..4),
    ) {
        let mut object = serde_json::Map::new();
        object.insert("op".into(), op.into());
        for (name, value) in fields {
            object.insert(name.into(), value);
        }
        let text = Value::Object(object).to_string();
        if let Ok(ipc::Request::Create { request }) = serde_json::from_str::<ipc::Request>(&text) {
            // A decoded request still meets the bounds before anything is kept.
            let _ = validate::sizes(&request);
        }
    }

    /// The client's fast path for answers agrees with serde's own decoding.
    #[test]
    fn answer_lines_decode_as_serde_decodes_them(value in odd_json(), kind in prop::sample::select(vec!["snapshots", "snapshot", "error", "welcome", "ok"])) {
        let mut object = serde_json::Map::new();
        object.insert("type".into(), kind.into());
        object.insert(if kind == "snapshots" { "snapshots" } else { "snapshot" }.into(), value);
        let line = Value::Object(object).to_string();
        let fast = ipc::decode_answer(&line).ok();
        let slow = serde_json::from_str::<ipc::Response>(&line).ok();
        prop_assert_eq!(fast, slow);
    }
}

/// Every setting's dotted name, from the defaults written out.
fn setting_names() -> Vec<String> {
    fn walk(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
        for (key, value) in table {
            let name = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                toml::Value::Table(inner) => walk(&name, inner, out),
                _ => out.push(name),
            }
        }
    }
    let defaults = toml::Table::try_from(ferry::config::Config::default()).unwrap();
    let mut names = Vec::new();
    walk("", &defaults, &mut names);
    names.extend(
        [
            "proxy",
            "limit",
            "data_budget",
            "unknown",
            "retries.unknown",
        ]
        .map(String::from),
    );
    names
}

fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        prop::sample::select(vec![
            "0",
            "-1",
            "1e400",
            "-0.0",
            "nan",
            "inf",
            "-inf",
            "0.000001",
            "33",
            "9223372036854775807",
            "true",
            "\"auto\"",
            "\"\"",
            "[]",
            "{}",
            "[1, \"a\"]",
            "\"5M\"",
            "\"-5M\"",
            "\"99999999999T\"",
            "1979-05-27T07:32:00Z",
        ])
        .prop_map(str::to_owned),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        nasty_string(30).prop_map(|s| format!("{s:?}")),
    ]
}

proptest! {
    #![proptest_config(config(2000))]

    /// Any config file gives settings the engine can run with, and a warning for
    /// each value it could not use; what it keeps is written back without loss.
    #[test]
    fn any_config_file_gives_usable_settings(
        lines in prop::collection::vec((prop::sample::select(setting_names()), toml_value()), 0..12),
        garbage in prop::option::of(nasty_string(60)),
    ) {
        let mut text: String = lines
            .iter()
            .map(|(name, value)| format!("{name} = {value}\n"))
            .collect();
        if let Some(garbage) = garbage {
            text.push_str(&garbage);
        }
        let path = Path::new("/home/u/.config/ferry/config.toml");
        let loaded = ferry::config::parse(&text, path);
        let _ = loaded.config.engine_options(PathBuf::from("/tmp/ferry-fuzz-data"));
        let written = toml::to_string(&loaded.config).unwrap();
        let again = ferry::config::parse(&written, path);
        prop_assert!(again.warnings.is_empty(), "{:?} from\n{written}", again.warnings);
        prop_assert_eq!(toml::to_string(&again.config).unwrap(), written);
    }
}

mod records {
    //! The database's records: valid ones with fields changed to odd values, and
    //! damaged bytes. Opening never panics; a record that cannot be read is
    //! skipped with a notice; one that can is one the engine starts with.

    use std::sync::OnceLock;

    use ferry::engine::store::Store;
    use ferry::engine::{Request, Status};
    use redb::{ReadableDatabase, TableDefinition};

    use super::support::server::{Resource, TestServer};
    use super::support::*;
    use super::*;

    /// The operations table as it is on disk.
    const OPERATIONS: TableDefinition<u128, &[u8]> = TableDefinition::new("operations");

    /// Records of a finished download, a segmented one paused half-way and a
    /// failed one, as the engine wrote them.
    /// With the folder they were made in, which each case swaps for its own.
    fn corpus() -> &'static (String, Vec<Value>) {
        static CORPUS: OnceLock<(String, Vec<Value>)> = OnceLock::new();
        CORPUS.get_or_init(|| {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async {
                let dir = tempfile::tempdir().unwrap();
                let server = TestServer::start().await;
                server.put("/small", Resource::new(data(70_000, 1)));
                server.put("/big", Resource::new(data(8 << 20, 2)).rate(2 << 20));
                let mut options = options(dir.path());
                options.retry.max_retries = 0;
                let engine = open(options.clone()).await;
                let mut events = engine.subscribe();
                let small = run_to_end(
                    &engine,
                    &mut events,
                    Request::download(server.url("/small"), None).header("X-A", "b"),
                )
                .await;
                assert_eq!(small.status, Status::Completed);
                let big = engine
                    .create(Request::download(server.url("/big"), None).connections(4))
                    .await
                    .unwrap()
                    .id;
                wait_bytes(&engine, &mut events, big, 2 << 20).await;
                engine.pause(big).await.unwrap();
                let failed = run_to_end(
                    &engine,
                    &mut events,
                    Request::download("http://127.0.0.1:1/nothing", None),
                )
                .await;
                assert_eq!(failed.status, Status::Error);
                engine.shutdown().await;
                drop(engine);
                let db = redb::Database::open(options.database_path()).unwrap();
                let read = db.begin_read().unwrap();
                let table = read.open_table(OPERATIONS).unwrap();
                let records: Vec<Value> = redb::ReadableTable::iter(&table)
                    .unwrap()
                    .map(|e| serde_json::from_slice(e.unwrap().1.value()).unwrap())
                    .collect();
                assert_eq!(records.len(), 3);
                (dir.path().display().to_string(), records)
            })
        })
    }

    /// Every leaf of `value` with its path.
    fn leaves(value: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    path.push(k.clone());
                    leaves(v, path, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(i.to_string());
                    leaves(v, path, out);
                    path.pop();
                }
            }
            _ => out.push(path.clone()),
        }
    }

    fn at<'v>(value: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
        path.iter().try_fold(value, |v, key| match v {
            Value::Object(map) => map.get_mut(key),
            Value::Array(items) => items.get_mut(key.parse::<usize>().ok()?),
            _ => None,
        })
    }

    /// Odd values for a leaf. Strings that were absolute paths stay inside `dir`
    /// (the engine must not be sent to write elsewhere by the fuzzer itself); none
    /// is a URL, so nothing can leave the loopback.
    fn replacement(original: &Value, pick: usize, dir: &Path, odd: Value) -> Value {
        let was_path = original.as_str().is_some_and(|s| s.starts_with('/'));
        if was_path {
            let d = dir.display();
            let paths = [
                format!("{d}"),
                format!("{d}/"),
                format!("{d}/../x"),
                format!("{d}/a/b/c"),
                format!("{d}/{}", "n".repeat(300)),
                String::new(),
                "relative".to_owned(),
            ];
            return Value::String(paths[pick % paths.len()].clone());
        }
        let fixed = [
            serde_json::json!(0),
            serde_json::json!(u64::MAX),
            serde_json::json!(-1),
            serde_json::json!(1e300),
            Value::Null,
            serde_json::json!(""),
            serde_json::json!("Running"),
            serde_json::json!([]),
            serde_json::json!({}),
        ];
        if pick < fixed.len() {
            fixed[pick].clone()
        } else {
            odd
        }
    }

    /// Keep every URL on the loopback, whatever a mutation did.
    fn pin_urls(value: &mut Value) {
        match value {
            Value::String(s) if s.contains("://") => *s = "http://127.0.0.1:1/x".into(),
            Value::Object(map) => map.values_mut().for_each(pin_urls),
            Value::Array(items) => items.iter_mut().for_each(pin_urls),
            _ => {}
        }
    }

    /// Record `which` with its paths moved into `dir`.
    fn moved(which: usize, dir: &Path) -> Value {
        let (made_in, records) = corpus();
        let text = records[which]
            .to_string()
            .replace(made_in.as_str(), &dir.display().to_string());
        serde_json::from_str(&text).unwrap()
    }

    fn write_record(db_path: &Path, key: u128, bytes: &[u8]) {
        let db = redb::Database::create(db_path).unwrap();
        let write = db.begin_write().unwrap();
        {
            let mut table = write.open_table(OPERATIONS).unwrap();
            table.insert(key, bytes).unwrap();
        }
        write.commit().unwrap();
    }

    fn key_of(record: &Value) -> u128 {
        let id = record["id"].as_str().unwrap();
        u128::from_str_radix(&id.replace('-', ""), 16).unwrap()
    }

    /// Every number of every record set to the largest one a field can hold, one
    /// at a time: computations on values read from disk must not overflow (a
    /// `seq` of `u64::MAX` made `seq + 1` panic in `Engine::open`).
    #[test]
    fn the_largest_number_in_any_field_opens() {
        let (_, records) = corpus();
        for which in 0..records.len() {
            let dir = tempfile::tempdir().unwrap();
            let template = moved(which, dir.path());
            let mut numbers = Vec::new();
            leaves(&template, &mut Vec::new(), &mut numbers);
            numbers.retain(|path| {
                let mut probe = template.clone();
                at(&mut probe, path).is_some_and(|leaf| leaf.is_u64())
            });
            assert!(numbers.len() > 5, "record {which} has numbers");
            for path in numbers {
                let case = tempfile::tempdir().unwrap();
                let mut record = moved(which, case.path());
                *at(&mut record, &path).unwrap() = serde_json::json!(u64::MAX);
                pin_urls(&mut record);
                let options = options(case.path());
                std::fs::create_dir_all(&options.data_dir).unwrap();
                let key = key_of(&record);
                write_record(&options.database_path(), key, record.to_string().as_bytes());
                let runtime = tokio::runtime::Runtime::new().unwrap();
                runtime.block_on(async {
                    let engine = ferry::engine::Engine::open(options).await.expect("opens");
                    let listed = engine.list();
                    assert!(listed.len() <= 1, "{path:?}");
                    // A new operation after it still gets a place in the queue.
                    let request = Request::download(
                        "http://127.0.0.1:1/next",
                        Some(case.path().join("next.bin")),
                    );
                    let created = engine.create(request).await.expect("created");
                    assert!(
                        created.seq >= listed.first().map_or(0, |s| s.seq),
                        "{path:?}"
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    let _ = engine.list();
                    engine.shutdown().await;
                });
            }
        }
    }

    proptest! {
        #![proptest_config(config(150))]

        #[test]
        fn records_with_odd_fields_open_or_are_skipped(
            which in 0usize..3,
            edits in prop::collection::vec((any::<prop::sample::Index>(), 0usize..14, odd_json()), 1..4),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut record = moved(which, dir.path());
            let key = key_of(&record);
            let mut paths = Vec::new();
            leaves(&record, &mut Vec::new(), &mut paths);
            for (index, pick, odd) in edits {
                let path = index.get(&paths).clone();
                if let Some(leaf) = at(&mut record, &path) {
                    *leaf = replacement(leaf, pick, dir.path(), odd);
                }
            }
            pin_urls(&mut record);
            let options = options(dir.path());
            std::fs::create_dir_all(&options.data_dir).unwrap();
            write_record(&options.database_path(), key, record.to_string().as_bytes());
            let runtime = tokio::runtime::Runtime::new().unwrap();
            runtime.block_on(async {
                let engine = ferry::engine::Engine::open(options).await.expect("opens");
                let listed = engine.list();
                prop_assert!(listed.len() <= 1);
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                let _ = engine.list();
                engine.shutdown().await;
                Ok(())
            })?;
        }

        #[test]
        fn damaged_record_bytes_are_skipped_not_fatal(
            which in 0usize..3,
            line in mutant(vec![String::new()]),
            cut in any::<prop::sample::Index>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let record = moved(which, dir.path()).to_string();
            // Damage: the record cut short and garbage appended.
            let mut bytes = record.as_bytes()[..cut.index(record.len())].to_vec();
            bytes.extend_from_slice(&line);
            let path = dir.path().join("ferry.redb");
            write_record(&path, key_of(&corpus().1[which]), &bytes);
            let opened = Store::open(&path).expect("opens");
            prop_assert!(opened.records.len() <= 1);
            if opened.records.is_empty() {
                prop_assert!(!opened.notices.is_empty(), "a skipped record is told");
            }
        }
    }
}

/// Calls to the aria2 RPC a client could send, valid ones first: the mutants
/// start from these.
fn rpc_corpus(token: &str, dir: &str) -> Vec<String> {
    [
        format!(r#"{{"jsonrpc":"2.0","id":1,"method":"aria2.getVersion","params":["{token}"]}}"#),
        format!(r#"{{"jsonrpc":"2.0","id":"a","method":"aria2.addUri","params":["{token}",["http://127.0.0.1:1/x.iso"],{{"dir":"{dir}","out":"x.iso","header":["Cookie: a=b"],"split":"4","max-download-limit":"1M"}}]}}"#),
        format!(r#"{{"jsonrpc":"2.0","id":2,"method":"aria2.tellStatus","params":["{token}","0123456789abcdef",["gid","status"]]}}"#),
        format!(r#"{{"jsonrpc":"2.0","id":3,"method":"aria2.tellWaiting","params":["{token}",-1,1000]}}"#),
        format!(r#"{{"jsonrpc":"2.0","id":4,"method":"aria2.changeGlobalOption","params":["{token}",{{"max-concurrent-downloads":"2"}}]}}"#),
        format!(r#"[{{"jsonrpc":"2.0","id":5,"method":"aria2.getGlobalStat","params":["{token}"]}},{{"jsonrpc":"2.0","id":6,"method":"system.listMethods"}}]"#),
        format!(r#"{{"jsonrpc":"2.0","id":7,"method":"system.multicall","params":[[{{"methodName":"aria2.getSessionInfo","params":["{token}"]}}]]}}"#),
        format!(r#"{{"jsonrpc":"2.0","id":8,"method":"aria2.changePosition","params":["{token}","01",-3,"POS_CUR"]}}"#),
    ]
    .to_vec()
}

/// A structured call: any of `methods`, any parameters, with or without the token.
fn rpc_call(methods: Vec<String>, token: String, dir: String) -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(Value::String(token)),
        Just(Value::String(dir)),
        Just(Value::String("http://127.0.0.1:1/f.bin".into())),
        "[0-9a-f]{0,17}".prop_map(Value::String),
        nasty_string(40).prop_map(Value::String),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ];
    let value = leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "dir",
                        "out",
                        "header",
                        "split",
                        "checksum",
                        "pause",
                        "referer",
                        "max-download-limit",
                        "max-concurrent-downloads",
                        "gid",
                        "methodName",
                        "params",
                    ]),
                    inner,
                ),
                0..4,
            )
            .prop_map(|pairs| Value::Object(
                pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    });
    (
        prop::sample::select(methods),
        prop::collection::vec(value, 0..5),
        any::<bool>(),
    )
        .prop_map(|(method, params, with_id)| {
            let mut call =
                serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params});
            if with_id {
                call["id"] = Value::from(9);
            }
            serde_json::to_vec(&call).unwrap()
        })
}

/// Any body to the aria2 RPC (mutants of real calls, and any method with any
/// parameters) gets a JSON-RPC answer or a 4xx refusal, never a dropped
/// connection; the RPC answers as before afterwards.
#[test]
fn rpc_bodies_never_upset_the_rpc() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let engine = runtime.block_on(support::open(support::options(dir.path())));
    let token = "token:fuzz-secret";
    let settings = ferry::rpc::Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        secret: "fuzz-secret".into(),
        allowed_origins: Vec::new(),
    };
    let quit = std::sync::Arc::new(tokio::sync::Notify::new());
    let rpc = runtime
        .block_on(ferry::rpc::start(settings, engine, quit))
        .unwrap();
    let url = format!("http://{}/jsonrpc", rpc.address);
    let client = reqwest::Client::new();
    let post = |body: Vec<u8>| -> Result<(), TestCaseError> {
        let answer = runtime
            .block_on(client.post(&url).body(body).send())
            .map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
        let status = answer.status().as_u16();
        let bytes = runtime.block_on(answer.bytes()).unwrap();
        prop_assert!(
            status == 200 || (400..500).contains(&status),
            "status {status}"
        );
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| TestCaseError::fail(format!("not JSON ({e}): {bytes:?}")))?;
        let answers = match &value {
            Value::Array(all) => all.clone(),
            one => vec![one.clone()],
        };
        for one in answers {
            prop_assert!(
                one.get("result").is_some() != one.get("error").is_some(),
                "a result or an error: {one}"
            );
        }
        Ok(())
    };
    let folder = dir.path().join("rpc-downloads").display().to_string();
    let mut runner = proptest::test_runner::TestRunner::new(config(250));
    runner
        .run(&mutant(rpc_corpus(token, &folder)), post)
        .unwrap();
    // Every method the RPC names, and one it does not have.
    let listed = runtime
        .block_on(async {
            client
                .post(&url)
                .body(r#"{"jsonrpc":"2.0","id":1,"method":"system.listMethods"}"#)
                .send()
                .await?
                .bytes()
                .await
        })
        .unwrap();
    let mut methods: Vec<String> = serde_json::from_slice::<Value>(&listed).unwrap()["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    methods.push("aria2.nothing".into());
    let mut runner = proptest::test_runner::TestRunner::new(config(250));
    runner
        .run(&rpc_call(methods, token.to_owned(), folder), post)
        .unwrap();
    let version =
        format!(r#"{{"jsonrpc":"2.0","id":1,"method":"aria2.getVersion","params":["{token}"]}}"#);
    post(version.into_bytes()).unwrap();
}

/// What the fuzzing found, kept as plain tests.
mod found {
    use super::*;

    /// The name made from the host when neither header nor path gives one: a host
    /// of 253 bytes plus `.download` plus `.part` passed the 255-byte limit, and
    /// the download failed with "File name too long" before its first byte.
    #[test]
    fn a_name_from_a_long_host_leaves_room_for_the_part_suffix() {
        let host = vec!["h".repeat(62); 4].join(".");
        let url = reqwest::Url::parse(&format!("http://{host}/")).unwrap();
        let name = filename::choose(None, &url);
        assert_safe_name(&name);
        assert!(name.ends_with(".download"), "{name}");
    }
}
