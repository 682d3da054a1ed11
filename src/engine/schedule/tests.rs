use super::*;

/// Paris, with its daylight saving rules (a POSIX rule: no tz database needed).
fn paris() -> TimeZone {
    TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap()
}

/// A local time in Paris (the later of two on the day clocks fall back).
fn at(text: &str) -> ZonedDateTime {
    let civil: jiff::civil::DateTime = text.parse().unwrap();
    civil.to_zoned_datetime(paris()).unwrap()
}

/// An instant given in UTC, seen in Paris.
fn utc(text: &str) -> ZonedDateTime {
    let instant: Timestamp = text.parse().unwrap();
    instant.to_zoned_datetime(paris())
}

fn rule(from: &str, to: &str, applies_to: Scope, effect: Effect) -> Rule {
    Rule {
        days: Vec::new(),
        from: from.parse().unwrap(),
        to: to.parse().unwrap(),
        applies_to,
        effect,
    }
}

const ANY: Facts<'static> = Facts {
    group: None,
    category: Category::Other,
    policy: CostPolicy::Default,
};

fn may_run(rules: &[Rule], facts: &Facts<'_>, now: &str) -> bool {
    gate(rules, facts, &at(now)).may_run
}

#[test]
fn a_window_across_midnight_opens_and_closes_on_the_minute() {
    let night = [rule("23:00", "02:00", Scope::All, Effect::MayRun)];
    assert!(!may_run(&night, &ANY, "2026-05-05T22:59"));
    assert!(may_run(&night, &ANY, "2026-05-05T23:00"));
    assert!(may_run(&night, &ANY, "2026-05-06T01:59"));
    assert!(!may_run(&night, &ANY, "2026-05-06T02:00"));
    let next = opens_at(&night, &ANY, &at("2026-05-05T12:00")).unwrap();
    assert_eq!(next.datetime(), "2026-05-05T23:00".parse().unwrap());
}

#[test]
fn days_name_where_a_window_starts() {
    let mut work = rule("09:00", "18:00", Scope::All, Effect::Limit { kib: 2048 });
    work.days = vec![Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri];
    // 2026-05-09 is a Saturday, 2026-05-11 a Monday.
    assert_eq!(
        gate(&[work.clone()], &ANY, &at("2026-05-09T10:00")).limit,
        None
    );
    assert_eq!(
        gate(&[work], &ANY, &at("2026-05-11T10:00")).limit,
        Some(2 << 20)
    );
    // Friday night to Saturday morning belongs to Friday.
    let mut friday_night = rule("22:00", "06:00", Scope::All, Effect::MayRun);
    friday_night.days = vec![Day::Fri];
    let rules = [friday_night];
    assert!(may_run(&rules, &ANY, "2026-05-09T03:00"), "Saturday 03:00");
    assert!(!may_run(&rules, &ANY, "2026-05-10T03:00"), "Sunday 03:00");
    let next = opens_at(&rules, &ANY, &at("2026-05-10T03:00")).unwrap();
    assert_eq!(next.datetime(), "2026-05-15T22:00".parse().unwrap());
}

#[test]
fn a_start_in_the_hour_clocks_skip_opens_at_the_jump() {
    // 2026-03-29 in Paris: 02:00 becomes 03:00.
    let night = [rule("02:30", "05:00", Scope::All, Effect::MayRun)];
    let next = opens_at(&night, &ANY, &at("2026-03-29T00:00")).unwrap();
    assert_eq!(next.timestamp(), "2026-03-29T01:00:00Z".parse().unwrap());
    assert_eq!(next.datetime(), "2026-03-29T03:00".parse().unwrap());
    assert!(!gate(&night, &ANY, &utc("2026-03-29T00:59:00Z")).may_run);
    assert!(gate(&night, &ANY, &utc("2026-03-29T01:10:00Z")).may_run);
    assert!(
        !gate(&night, &ANY, &utc("2026-03-29T03:00:00Z")).may_run,
        "05:00 CEST"
    );
}

#[test]
fn a_window_in_the_hour_clocks_repeat_is_open_both_times() {
    // 2026-10-25 in Paris: 03:00 CEST becomes 02:00 CET; 02:00–02:59 twice.
    let rules = [rule("02:15", "02:45", Scope::All, Effect::MayRun)];
    let first = utc("2026-10-25T00:20:00Z");
    let between = utc("2026-10-25T00:50:00Z");
    let second = utc("2026-10-25T01:20:00Z");
    assert_eq!(first.datetime(), second.datetime(), "the same local time");
    assert!(gate(&rules, &ANY, &first).may_run);
    assert!(!gate(&rules, &ANY, &between).may_run);
    assert!(gate(&rules, &ANY, &second).may_run);
    let next = opens_at(&rules, &ANY, &between).unwrap();
    assert_eq!(next.timestamp(), "2026-10-25T01:15:00Z".parse().unwrap());
}

#[test]
fn overlapping_rules_the_most_restrictive_wins() {
    let limits = [
        rule("09:00", "18:00", Scope::All, Effect::Limit { kib: 2048 }),
        rule("12:00", "14:00", Scope::All, Effect::Limit { kib: 512 }),
    ];
    assert_eq!(
        gate(&limits, &ANY, &at("2026-05-05T10:00")).limit,
        Some(2 << 20)
    );
    assert_eq!(
        gate(&limits, &ANY, &at("2026-05-05T13:00")).limit,
        Some(512 << 10)
    );
    assert_eq!(gate(&limits, &ANY, &at("2026-05-05T19:00")).limit, None);

    let rules = [
        rule("00:00", "08:00", Scope::All, Effect::MayRun),
        rule(
            "03:00",
            "04:00",
            Scope::Category(Category::Videos),
            Effect::MayNotRun,
        ),
    ];
    let video = Facts {
        category: Category::Videos,
        ..ANY
    };
    assert!(!may_run(&rules, &video, "2026-05-05T03:30"));
    assert!(may_run(&rules, &ANY, "2026-05-05T03:30"));
    assert!(may_run(&rules, &video, "2026-05-05T04:00"));
    assert!(!may_run(&rules, &ANY, "2026-05-05T08:00"));
}

#[test]
fn a_rule_applies_to_its_group_category_or_policy_only() {
    let rules = [
        rule(
            "01:00",
            "07:00",
            Scope::Group("night".into()),
            Effect::MayRun,
        ),
        rule(
            "00:00",
            "00:00",
            Scope::Policy(CostPolicy::UnrestrictedOnly),
            Effect::Limit { kib: 100 },
        ),
    ];
    let night = Facts {
        group: Some("night"),
        ..ANY
    };
    assert!(!may_run(&rules, &night, "2026-05-05T12:00"));
    assert!(may_run(&rules, &ANY, "2026-05-05T12:00"), "another group");
    let careful = Facts {
        policy: CostPolicy::UnrestrictedOnly,
        ..ANY
    };
    assert_eq!(
        gate(&rules, &careful, &at("2026-05-05T12:00")).limit,
        Some(100 << 10),
        "equal ends: all day"
    );
    assert_eq!(gate(&rules, &ANY, &at("2026-05-05T12:00")).limit, None);
}

#[test]
fn scoped_limits_are_the_lowest_open_one_of_each_scope() {
    let night = Scope::Group("night".into());
    let videos = Scope::Category(Category::Videos);
    let rules = [
        rule("09:00", "18:00", night.clone(), Effect::Limit { kib: 1024 }),
        rule("12:00", "14:00", night.clone(), Effect::Limit { kib: 256 }),
        rule("20:00", "22:00", videos.clone(), Effect::Limit { kib: 64 }),
        rule("00:00", "00:00", Scope::All, Effect::Limit { kib: 8 }),
        rule("00:00", "00:00", videos.clone(), Effect::MayRun),
    ];
    assert_eq!(
        scoped_limits(&rules, &at("2026-05-05T13:00")),
        [(night.clone(), Some(256 << 10)), (videos.clone(), None)],
        "overlapping windows: the lower; a closed one: none; all transfers apart"
    );
    assert_eq!(
        scoped_limits(&rules, &at("2026-05-05T21:00")),
        [(night, None), (videos, Some(64 << 10))]
    );
}

#[test]
fn run_anyway_passes_the_run_gates_not_the_limits() {
    let rules = [
        rule("01:00", "07:00", Scope::All, Effect::MayRun),
        rule("00:00", "00:00", Scope::All, Effect::Limit { kib: 64 }),
    ];
    let anyway = Facts {
        policy: CostPolicy::Always,
        ..ANY
    };
    let now = gate(&rules, &anyway, &at("2026-05-05T12:00"));
    assert!(now.may_run);
    assert_eq!(now.limit, Some(64 << 10));
}

#[test]
fn a_gate_that_never_opens_has_no_time() {
    let never = [rule("00:00", "00:00", Scope::All, Effect::MayNotRun)];
    assert!(!may_run(&never, &ANY, "2026-05-05T12:00"));
    assert_eq!(opens_at(&never, &ANY, &at("2026-05-05T12:00")), None);
}

#[test]
fn rules_read_from_the_config_file() {
    #[derive(Deserialize)]
    struct File {
        schedule: Vec<Rule>,
    }
    let file: File = toml::from_str(
        r#"
        [[schedule]]
        days = ["sat", "sun"]
        from = "01:00"
        to = "07:00"
        applies-to = { group = "night" }
        effect = "may-run"

        [[schedule]]
        from = "09:00"
        to = "18:00"
        effect = { limit = { kib = 2048 } }
        "#,
    )
    .unwrap();
    assert_eq!(file.schedule[0].days, [Day::Sat, Day::Sun]);
    assert_eq!(file.schedule[0].applies_to, Scope::Group("night".into()));
    assert_eq!(file.schedule[0].effect, Effect::MayRun);
    assert_eq!(file.schedule[1].applies_to, Scope::All);
    assert_eq!(file.schedule[1].effect, Effect::Limit { kib: 2048 });
    assert_eq!(file.schedule[1].from.to_string(), "09:00");
    for bad in ["25:00", "7", "07:60", "ab:cd"] {
        assert!(bad.parse::<TimeOfDay>().is_err(), "{bad}");
    }
}

#[test]
fn days_are_read_as_lists_and_ranges() {
    assert_eq!(parse_days("").unwrap(), []);
    assert_eq!(
        parse_days("mon-fri").unwrap(),
        [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri]
    );
    assert_eq!(parse_days("sat, Sun,sat").unwrap(), [Day::Sat, Day::Sun]);
    assert!(parse_days("fri-mon").is_err());
    assert!(parse_days("funday").is_err());
}
