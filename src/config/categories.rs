//! The settings of the kinds of file: each category's folder and extensions, as
//! the config file has them (`[categories.videos]`…), and the engine's rules
//! made from them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine;

/// The rules of every category (`[categories.videos]`…).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CategoryRules {
    pub videos: CategoryRule,
    pub music: CategoryRule,
    pub pictures: CategoryRule,
    pub documents: CategoryRule,
    pub archives: CategoryRule,
    pub programs: CategoryRule,
    pub other: CategoryRule,
}

/// One category: its folder (empty: the download folder) and its extensions (an
/// extension listed under several categories belongs to the first).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CategoryRule {
    pub folder: String,
    pub extensions: Vec<String>,
}

impl CategoryRules {
    pub fn get(&self, category: engine::Category) -> &CategoryRule {
        use engine::Category as C;
        match category {
            C::Videos => &self.videos,
            C::Music => &self.music,
            C::Pictures => &self.pictures,
            C::Documents => &self.documents,
            C::Archives => &self.archives,
            C::Programs => &self.programs,
            C::Other => &self.other,
        }
    }

    pub fn get_mut(&mut self, category: engine::Category) -> &mut CategoryRule {
        use engine::Category as C;
        match category {
            C::Videos => &mut self.videos,
            C::Music => &mut self.music,
            C::Pictures => &mut self.pictures,
            C::Documents => &mut self.documents,
            C::Archives => &mut self.archives,
            C::Programs => &mut self.programs,
            C::Other => &mut self.other,
        }
    }

    /// The first category whose folder is set but not a full path.
    pub fn relative_folder(&self) -> Option<engine::Category> {
        engine::Category::ALL.into_iter().find(|c| {
            let folder = &self.get(*c).folder;
            !folder.is_empty() && !Path::new(folder).is_absolute()
        })
    }

    /// The engine's rules.
    pub fn categories(&self) -> engine::Categories {
        let mut categories = engine::Categories::default();
        for category in engine::Category::ALL {
            let rule = self.get(category);
            categories.set_extensions(category, &rule.extensions);
            let folder = Some(PathBuf::from(&rule.folder)).filter(|f| f.is_absolute());
            categories.set_folder(category, folder);
        }
        categories
    }
}

impl Default for CategoryRules {
    fn default() -> Self {
        let engine = engine::Categories::default();
        let rule = |category| CategoryRule {
            folder: String::new(),
            extensions: engine.extensions(category).to_vec(),
        };
        use engine::Category as C;
        Self {
            videos: rule(C::Videos),
            music: rule(C::Music),
            pictures: rule(C::Pictures),
            documents: rule(C::Documents),
            archives: rule(C::Archives),
            programs: rule(C::Programs),
            other: rule(C::Other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Config, Loaded, parse};
    use super::*;

    fn parse_str(text: &str) -> Loaded {
        parse(text, Path::new("config.toml"))
    }

    #[test]
    fn categories_take_folders_and_extensions_and_refuse_relative_folders() {
        let loaded = parse_str(
            "[categories.videos]\nfolder = \"/home/me/Videos\"\nextensions = [\"mkv\", \"ts\"]\n\
             [categories.music]\nfolder = \"relative/Music\"\n",
        );
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        assert!(loaded.warnings[0].contains("categories.music.folder"));
        let options = loaded.config.engine_options("/d".into());
        let rules = &options.categories;
        use engine::Category as C;
        assert_eq!(rules.folder(C::Videos), Some(Path::new("/home/me/Videos")));
        assert_eq!(rules.folder(C::Music), None);
        assert_eq!(rules.of("a.mkv", None), C::Videos);
        assert_eq!(rules.of("a.mp4", None), C::Other, "no longer listed");
        assert_eq!(rules.of("a.flac", None), C::Music, "defaults elsewhere");
        // The defaults are written out whole, so they can be edited.
        let text = toml::to_string_pretty(&Config::default()).unwrap();
        assert!(text.contains("[categories.archives]"), "{text}");
        assert_eq!(parse_str(&text).config, Config::default());
    }
}
