//! Translations: Fluent files in `i18n/<lang>/ferry.ftl`, embedded in the binary and
//! checked at compile time by the `tr!` macro (i18n-embed-fl reads `i18n.toml`).
//! Each window owns its [`Tr`], so switching language touches no global state.

use std::sync::Arc;

use i18n_embed::fluent::{FluentLanguageLoader, fluent_language_loader};
use i18n_embed::unic_langid::LanguageIdentifier;
use i18n_embed::{DesktopLanguageRequester, LanguageLoader};
use rust_embed::RustEmbed;

use ferry::config::Language;

#[derive(RustEmbed)]
#[folder = "i18n/"]
struct Localizations;

/// A loaded language; cheap to clone.
#[derive(Clone)]
pub struct Tr {
    loader: Arc<FluentLanguageLoader>,
    french: bool,
}

impl std::fmt::Debug for Tr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tr").field("french", &self.french).finish()
    }
}

impl Tr {
    /// The language asked for, or the system's best match (English when none).
    pub fn new(choice: Language) -> Self {
        let requested: Vec<LanguageIdentifier> = match choice {
            Language::English => vec!["en".parse().expect("valid tag")],
            Language::French => vec!["fr".parse().expect("valid tag")],
            Language::System => system_languages(),
        };
        let loader: FluentLanguageLoader = fluent_language_loader!();
        if let Err(e) = i18n_embed::select(&loader, &Localizations, &requested) {
            tracing::warn!(error = %e, "cannot load translations; using English");
            let _ = loader.load_fallback_language(&Localizations);
        }
        // After `select`: no Unicode isolation marks around arguments.
        loader.set_use_isolating(false);
        let french = loader
            .current_languages()
            .first()
            .is_some_and(|l| l.language.as_str() == "fr");
        Self {
            loader: Arc::new(loader),
            french,
        }
    }

    pub fn loader(&self) -> &FluentLanguageLoader {
        &self.loader
    }

    /// `,` in French, `.` in English: the decimal separator of numbers shown.
    pub fn decimal_separator(&self) -> char {
        if self.french { ',' } else { '.' }
    }
}

/// The desktop's languages, none (English) where the locale names no language:
/// unset, `C` or `POSIX` (a server, a container, a bare session), which the
/// desktop requester would report as an error it cannot parse.
fn system_languages() -> Vec<LanguageIdentifier> {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty());
    if names_no_language(locale.as_deref()) {
        return Vec::new();
    }
    DesktopLanguageRequester::requested_languages()
}

/// A locale setting that names no language.
fn names_no_language(locale: Option<&str>) -> bool {
    match locale {
        None => true,
        Some(value) => {
            let name = value.split(['.', '@']).next().unwrap_or_default();
            matches!(name, "" | "C" | "POSIX")
        }
    }
}

/// `tr!(tr, "message-id")` or `tr!(tr, "message-id", name = value, …)`: the message
/// in `tr`'s language. Ids and argument names are checked against the English
/// file when compiling.
macro_rules! tr {
    ($tr:expr, $id:literal) => {
        i18n_embed_fl::fl!($tr.loader(), $id)
    };
    ($tr:expr, $id:literal, $($args:tt)*) => {
        i18n_embed_fl::fl!($tr.loader(), $id, $($args)*)
    };
}
pub(crate) use tr;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_locales_name_no_language() {
        for plain in [None, Some("C"), Some("C.UTF-8"), Some("POSIX"), Some("")] {
            assert!(names_no_language(plain), "{plain:?}");
        }
        for real in ["fr_FR.UTF-8", "en_US", "de_DE@euro"] {
            assert!(!names_no_language(Some(real)), "{real}");
        }
    }

    fn keys(text: &str) -> std::collections::BTreeSet<String> {
        text.lines()
            .filter_map(|line| line.split_once('='))
            .map(|(key, _)| key.trim())
            .filter(|key| {
                !key.is_empty() && !key.starts_with('#') && !key.starts_with(['*', '[', ' '])
            })
            .filter(|key| {
                key.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            })
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn french_has_every_english_key_and_no_other() {
        let en = keys(include_str!("../i18n/en/ferry.ftl"));
        let fr = keys(include_str!("../i18n/fr/ferry.ftl"));
        assert!(en.len() > 100, "{} keys", en.len());
        let missing: Vec<_> = en.difference(&fr).collect();
        let extra: Vec<_> = fr.difference(&en).collect();
        assert!(missing.is_empty(), "French lacks {missing:?}");
        assert!(extra.is_empty(), "French has keys English lacks: {extra:?}");
    }

    #[test]
    fn a_language_can_be_chosen_and_arguments_fill_in() {
        let en = Tr::new(Language::English);
        let fr = Tr::new(Language::French);
        assert_eq!(tr!(en, "filter-failed"), "Failed");
        assert_eq!(tr!(fr, "filter-failed"), "En échec");
        assert_eq!(tr!(fr, "footer-total", count = 3), "3 transferts");
        assert_eq!(tr!(en, "footer-total", count = 1), "1 transfer");
        // French puts 0 in the "one" category: the number must be the count.
        assert_eq!(tr!(fr, "footer-total", count = 0), "0 transfert");
        assert_eq!(fr.decimal_separator(), ',');
    }
}
