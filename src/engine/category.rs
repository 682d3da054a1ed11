//! Categories: what kind of file a download is (videos, music, pictures,
//! documents, archives, programs, other), from its name's extension, else from
//! the media type the server gave it. The rules (extensions per category) and an
//! optional folder per category are settings; a download the user gave no folder
//! goes to its category's folder when it has one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Videos,
    Music,
    Pictures,
    Documents,
    Archives,
    Programs,
    #[default]
    Other,
}

impl Category {
    pub const ALL: [Self; 7] = [
        Self::Videos,
        Self::Music,
        Self::Pictures,
        Self::Documents,
        Self::Archives,
        Self::Programs,
        Self::Other,
    ];

    /// The name scripts and the config file use (`videos`…).
    pub fn name(self) -> &'static str {
        match self {
            Self::Videos => "videos",
            Self::Music => "music",
            Self::Pictures => "pictures",
            Self::Documents => "documents",
            Self::Archives => "archives",
            Self::Programs => "programs",
            Self::Other => "other",
        }
    }

    /// A name as [`Category::name`] gives it, in any case.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The extensions it has by default, lower case, without the dot.
    fn default_extensions(self) -> &'static [&'static str] {
        match self {
            Self::Videos => &[
                "mp4", "mkv", "webm", "avi", "mov", "m4v", "wmv", "flv", "mpg", "mpeg", "ts",
                "m2ts", "3gp", "ogv",
            ],
            Self::Music => &[
                "mp3", "flac", "ogg", "oga", "opus", "m4a", "aac", "wav", "wma", "aiff", "alac",
                "mid", "midi",
            ],
            Self::Pictures => &[
                "jpg", "jpeg", "png", "gif", "webp", "bmp", "tif", "tiff", "svg", "heic", "heif",
                "avif", "raw", "cr2", "nef", "ico", "psd",
            ],
            Self::Documents => &[
                "pdf", "doc", "docx", "odt", "rtf", "txt", "md", "xls", "xlsx", "ods", "csv",
                "ppt", "pptx", "odp", "epub", "mobi", "djvu", "tex", "json", "xml", "html", "htm",
            ],
            Self::Archives => &[
                "zip", "7z", "rar", "tar", "gz", "tgz", "bz2", "tbz2", "xz", "txz", "zst", "lz",
                "lzma", "cab", "iso", "img",
            ],
            Self::Programs => &[
                "exe", "msi", "deb", "rpm", "apk", "appimage", "dmg", "pkg", "flatpak", "snap",
                "run", "sh", "bat", "jar",
            ],
            Self::Other => &[],
        }
    }

    /// The category a media type says, when it says one.
    fn of_media_type(media_type: &str) -> Option<Self> {
        let media_type = media_type.trim().to_ascii_lowercase();
        let (kind, subtype) = media_type.split_once('/')?;
        let subtype = subtype.split(';').next().unwrap_or("").trim();
        match kind {
            "video" => Some(Self::Videos),
            "audio" => Some(Self::Music),
            "image" => Some(Self::Pictures),
            "text" => Some(Self::Documents),
            "application" => {
                match subtype {
                    "pdf" | "msword" | "rtf" | "epub+zip" | "vnd.ms-excel"
                    | "vnd.ms-powerpoint" => Some(Self::Documents),
                    s if s.starts_with("vnd.openxmlformats-officedocument")
                        || s.starts_with("vnd.oasis.opendocument") =>
                    {
                        Some(Self::Documents)
                    }
                    "zip" | "gzip" | "x-gzip" | "x-tar" | "x-7z-compressed"
                    | "x-rar-compressed" | "vnd.rar" | "x-bzip2" | "x-xz" | "zstd"
                    | "x-iso9660-image" => Some(Self::Archives),
                    "vnd.debian.binary-package"
                    | "x-rpm"
                    | "vnd.android.package-archive"
                    | "x-msdownload"
                    | "x-msi"
                    | "x-executable"
                    | "x-apple-diskimage" => Some(Self::Programs),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// An extension as the rules keep it: without its dot, lower case (`None`:
/// nothing but spaces and dots).
pub fn extension(typed: &str) -> Option<String> {
    let extension = typed.trim().trim_start_matches('.').to_ascii_lowercase();
    (!extension.is_empty()).then_some(extension)
}

/// The rules that give a download its category, and the folders by category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Categories {
    /// Lower-case extensions without the dot, for each category but `Other`.
    extensions: Vec<(Category, Vec<String>)>,
    folders: Vec<(Category, PathBuf)>,
}

impl Default for Categories {
    fn default() -> Self {
        Self {
            extensions: Category::ALL
                .into_iter()
                .filter(|c| *c != Category::Other)
                .map(|c| {
                    let extensions = c.default_extensions().iter().map(|e| (*e).to_owned());
                    (c, extensions.collect())
                })
                .collect(),
            folders: Vec::new(),
        }
    }
}

impl Categories {
    /// The extensions of `category` are these (with or without their dot, any
    /// case) instead of the defaults. An extension listed under several
    /// categories belongs to the first in [`Category::ALL`]'s order.
    pub fn set_extensions(&mut self, category: Category, extensions: &[String]) {
        if category == Category::Other {
            return;
        }
        let normal: Vec<String> = extensions.iter().filter_map(|e| extension(e)).collect();
        match self.extensions.iter_mut().find(|(c, _)| *c == category) {
            Some((_, list)) => *list = normal,
            None => {
                self.extensions.push((category, normal));
                self.extensions.sort_by_key(|(c, _)| *c);
            }
        }
    }

    /// The extensions of `category`.
    pub fn extensions(&self, category: Category) -> &[String] {
        self.extensions
            .iter()
            .find(|(c, _)| *c == category)
            .map_or(&[], |(_, list)| list.as_slice())
    }

    /// Downloads of `category` with no folder of their own go to `folder`.
    pub fn set_folder(&mut self, category: Category, folder: Option<PathBuf>) {
        self.folders.retain(|(c, _)| *c != category);
        if let Some(folder) = folder {
            self.folders.push((category, folder));
        }
    }

    pub fn folder(&self, category: Category) -> Option<&Path> {
        self.folders
            .iter()
            .find(|(c, _)| *c == category)
            .map(|(_, folder)| folder.as_path())
    }

    /// The category of a file named `name` (a file name or an address's last
    /// segment) that the server gave `media_type`: by its last extension first
    /// (so `x.tar.gz` is an archive), else by media type, else `Other`.
    pub fn of(&self, name: &str, media_type: Option<&str>) -> Category {
        self.of_name(name)
            .or_else(|| media_type.and_then(Category::of_media_type))
            .unwrap_or(Category::Other)
    }

    /// The category `name`'s extension says, if any.
    pub fn of_name(&self, name: &str) -> Option<Category> {
        let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let name = name.to_ascii_lowercase();
        let (_, extension) = name.rsplit_once('.')?;
        self.extensions
            .iter()
            .find(|(_, list)| list.iter().any(|e| e == extension))
            .map(|(c, _)| *c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_get_the_category_of_their_extension() {
        let rules = Categories::default();
        let cases = [
            ("debian-13.2-amd64-netinst.iso", Category::Archives),
            ("linux-6.12.tar.xz", Category::Archives),
            ("backup.tar.gz", Category::Archives),
            ("photos-2026.ZIP", Category::Archives),
            ("setup.7z", Category::Archives),
            ("conference-keynote.mkv", Category::Videos),
            ("trailer.MP4", Category::Videos),
            ("clip.webm", Category::Videos),
            ("lecture.mov", Category::Videos),
            ("song.mp3", Category::Music),
            ("album/track01.flac", Category::Music),
            ("podcast.opus", Category::Music),
            ("voice.m4a", Category::Music),
            ("holiday.jpeg", Category::Pictures),
            ("scan.TIFF", Category::Pictures),
            ("logo.svg", Category::Pictures),
            ("IMG_0001.HEIC", Category::Pictures),
            ("report-q3.pdf", Category::Documents),
            ("thesis.docx", Category::Documents),
            ("budget.ods", Category::Documents),
            ("README.md", Category::Documents),
            ("data.csv", Category::Documents),
            ("book.epub", Category::Documents),
            ("firefox-setup.exe", Category::Programs),
            ("ferry_0.1.0_amd64.deb", Category::Programs),
            ("app-release.apk", Category::Programs),
            ("Tool-x86_64.AppImage", Category::Programs),
            ("installer.msi", Category::Programs),
            ("package.rpm", Category::Programs),
            ("notes", Category::Other),
            ("archive.unknownext", Category::Other),
            ("", Category::Other),
            (".hidden", Category::Other),
            ("trailing.dot.", Category::Other),
        ];
        for (name, want) in cases {
            assert_eq!(rules.of(name, None), want, "{name}");
        }
    }

    #[test]
    fn without_a_known_extension_the_media_type_decides() {
        let rules = Categories::default();
        let cases = [
            ("watch", "video/mp4", Category::Videos),
            ("stream", "audio/mpeg", Category::Music),
            ("avatar", "image/png; charset=binary", Category::Pictures),
            ("page", "text/html; charset=utf-8", Category::Documents),
            ("download", "application/pdf", Category::Documents),
            ("download", "APPLICATION/ZIP", Category::Archives),
            (
                "get",
                "application/vnd.debian.binary-package",
                Category::Programs,
            ),
            (
                "sheet",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                Category::Documents,
            ),
            ("blob", "application/octet-stream", Category::Other),
            ("blob", "nonsense", Category::Other),
        ];
        for (name, media_type, want) in cases {
            assert_eq!(
                rules.of(name, Some(media_type)),
                want,
                "{name} {media_type}"
            );
        }
        // The extension wins over the media type a server often gets wrong.
        assert_eq!(
            rules.of("movie.mkv", Some("application/octet-stream")),
            Category::Videos
        );
        assert_eq!(rules.of("a.pdf", Some("video/mp4")), Category::Documents);
    }

    #[test]
    fn rules_can_be_changed_and_the_first_category_listing_an_extension_has_it() {
        let mut rules = Categories::default();
        rules.set_extensions(Category::Videos, &[".TS".into(), "mkv".into(), " ".into()]);
        assert_eq!(rules.extensions(Category::Videos), ["ts", "mkv"]);
        assert_eq!(
            rules.of("x.mp4", None),
            Category::Other,
            "no longer a video"
        );
        // `iso` listed under programs too: archives come first.
        rules.set_extensions(Category::Programs, &["iso".into(), "exe".into()]);
        assert_eq!(rules.of("disk.iso", None), Category::Archives);
        let archives: Vec<String> = rules
            .extensions(Category::Archives)
            .iter()
            .filter(|e| *e != "iso")
            .cloned()
            .collect();
        rules.set_extensions(Category::Archives, &archives);
        assert_eq!(rules.of("disk.iso", None), Category::Programs);
        rules.set_folder(Category::Videos, Some("/home/me/Videos".into()));
        assert_eq!(
            rules.folder(Category::Videos),
            Some(Path::new("/home/me/Videos"))
        );
        rules.set_folder(Category::Videos, None);
        assert_eq!(rules.folder(Category::Videos), None);
    }

    #[test]
    fn category_names_round_trip() {
        for category in Category::ALL {
            assert_eq!(Category::parse(category.name()), Some(category));
            let json = serde_json::to_string(&category).unwrap();
            assert_eq!(json, format!("\"{}\"", category.name()));
        }
        assert_eq!(Category::parse(" Videos "), Some(Category::Videos));
        assert_eq!(Category::parse("films"), None);
    }
}
