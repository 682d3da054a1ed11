//! The `[[schedule]]` tables of the config file, read rule by rule: a rule
//! that cannot be read is dropped with a warning, the others hold.

use std::path::Path;

use crate::engine;

/// The `[[schedule]]` tables that are rules; a warning for each that is not.
pub(super) fn rules(
    value: Option<toml::Value>,
    path: &Path,
    warnings: &mut Vec<String>,
) -> Vec<engine::schedule::Rule> {
    let tables = match value {
        None => return Vec::new(),
        Some(toml::Value::Array(tables)) => tables,
        Some(_) => {
            warnings.push(format!(
                "{}: `schedule` must be [[schedule]] tables; ignored",
                path.display()
            ));
            return Vec::new();
        }
    };
    let mut rules = Vec::new();
    for (n, table) in tables.into_iter().enumerate() {
        match table.try_into::<engine::schedule::Rule>() {
            Ok(rule) => rules.push(rule),
            Err(e) => warnings.push(format!(
                "{}: schedule rule {} ignored ({})",
                path.display(),
                n + 1,
                e.message()
            )),
        }
    }
    rules
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::engine::schedule::{Effect, Scope};

    #[test]
    fn a_bad_rule_is_dropped_with_a_warning_and_the_others_hold() {
        let loaded = crate::config::parse(
            r#"
            speed_limit_kib = 100

            [[schedule]]
            days = ["mon", "tue", "wed", "thu", "fri"]
            from = "09:00"
            to = "18:00"
            effect = { limit = { kib = 2048 } }

            [[schedule]]
            from = "25:00"
            to = "07:00"
            effect = "may-run"

            [[schedule]]
            from = "01:00"
            to = "07:00"
            applies-to = { group = "night" }
            effect = "may-run"
            "#,
            Path::new("config.toml"),
        );
        let rules = &loaded.config.schedule;
        assert_eq!(rules.len(), 2, "{:?}", loaded.warnings);
        assert_eq!(rules[0].effect, Effect::Limit { kib: 2048 });
        assert_eq!(rules[1].applies_to, Scope::Group("night".into()));
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        assert!(
            loaded.warnings[0].contains("schedule rule 2 ignored"),
            "{:?}",
            loaded.warnings
        );
        assert_eq!(
            loaded.config.speed_limit_kib, 100,
            "the rest of the file holds"
        );
        let options = loaded.config.engine_options("/d".into());
        assert_eq!(options.schedule, *rules);
    }
}
