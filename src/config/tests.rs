use super::*;

fn parse_str(text: &str) -> Loaded {
    parse(text, Path::new("config.toml"))
}

#[test]
fn missing_keys_take_defaults() {
    let loaded = parse_str("max_running = 2\n[timeouts]\nstall = 0.5\n");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.config.max_running, 2);
    assert_eq!(loaded.config.timeouts.stall, 0.5);
    assert_eq!(loaded.config.timeouts.connect, 300.0);
    let options = loaded.config.engine_options("/d".into());
    assert_eq!(options.timeouts.stall, Duration::from_millis(500));
    assert_eq!(options.retry.max_retries, 3);
}

#[test]
fn unknown_keys_and_bad_values_are_reported_and_ignored() {
    let loaded = parse_str(
        "max_running = \"many\"\ncolour = \"blue\"\n[timeouts]\nconnect = -1\nresponse = 5\n[retries]\nmax = 1\n",
    );
    assert_eq!(loaded.config.max_running, 4);
    assert_eq!(loaded.config.timeouts.connect, 300.0);
    assert_eq!(loaded.config.timeouts.response, 5.0);
    assert_eq!(loaded.config.retries.max, 1);
    let all = loaded.warnings.join("\n");
    assert!(all.contains("`max_running`"), "{all}");
    assert!(all.contains("unknown setting `colour`"), "{all}");
    assert!(all.contains("`timeouts.connect`"), "{all}");
    assert_eq!(loaded.warnings.len(), 3, "{all}");
}

#[test]
fn a_broken_file_gives_the_defaults_and_says_so() {
    let loaded = parse_str("max_running = [\n");
    assert_eq!(loaded.config, Config::default());
    assert!(loaded.warnings[0].contains("not valid TOML"));
}

#[test]
fn saved_settings_load_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/config.toml");
    let config = Config {
        max_running: 7,
        download_dir: Some("/srv/in".into()),
        language: Language::French,
        theme: Theme::Dark,
        default_policy: Policy::UnrestrictedOnly,
        notifications: false,
        ..Config::default()
    };
    save(&path, &config).unwrap();
    let loaded = load(&path);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.config, config);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("language = \"fr\""), "{text}");
}

#[test]
fn connections_are_auto_or_a_number() {
    let defaults = Config::default().engine_options("/d".into());
    assert_eq!(defaults.connections, None, "auto by default");
    assert_eq!(defaults.connections_per_host, 32);
    let loaded = parse_str("connections = 4\nconnections_per_host = 16\n");
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let options = loaded.config.engine_options("/d".into());
    assert_eq!(options.connections, Some(4));
    assert_eq!(options.connections_per_host, 16);
    let loaded = parse_str("connections = \"auto\"\n");
    assert_eq!(loaded.config.connections, Connections::Auto);
    assert!(loaded.warnings.is_empty());
    for bad in [
        "connections = 0",
        "connections = 33",
        "connections = \"many\"",
        "connections = 300",
        "connections_per_host = 0",
    ] {
        let loaded = parse_str(bad);
        assert_eq!(loaded.warnings.len(), 1, "{bad}: {:?}", loaded.warnings);
        assert_eq!(loaded.config, Config::default(), "{bad}");
    }
    // Written back as it is spelled.
    let text = toml::to_string(&Config {
        connections: Connections::Fixed(6),
        ..Config::default()
    })
    .unwrap();
    assert!(text.contains("connections = 6"), "{text}");
    assert!(
        toml::to_string(&Config::default())
            .unwrap()
            .contains("connections = \"auto\"")
    );
}

#[test]
fn the_download_dir_is_optional_but_must_be_absolute() {
    let loaded = parse_str("download_dir = \"/srv/in\"\n");
    assert_eq!(
        loaded.config.download_dir.as_deref(),
        Some(Path::new("/srv/in"))
    );
    assert!(loaded.warnings.is_empty());
    let loaded = parse_str("download_dir = \"rel\"\n");
    assert_eq!(loaded.config.download_dir, None);
    assert_eq!(loaded.warnings.len(), 1);
}
