//! Ferry's look, in one place: the palette (light and dark), the spacing and
//! type scale, the icons, and the styles every screen uses. A screen says what
//! a thing is (`theme::secondary`, `theme::card`), never which colour it has.

use iced::border::{self, Border};
use iced::theme::palette::{self, Extended};
use iced::widget::{
    PickList, Text, TextInput, button, container, pick_list, progress_bar, text, text_input,
    tooltip,
};
use iced::{Background, Color, Element, Font, Theme, color};
use lucide_icons::Icon;

use ferry::config;
use ferry::engine::{Category, Status};

use crate::platform::appearance::Scheme;

/// The spacing scale: every gap and padding is one of these.
pub mod space {
    pub const XS: f32 = 4.0;
    pub const S: f32 = 8.0;
    pub const M: f32 = 12.0;
    pub const L: f32 = 16.0;
}

/// The type scale.
pub mod size {
    /// The window's title.
    pub const TITLE: f32 = 22.0;
    /// A screen's or a file's name.
    pub const HEADING: f32 = 15.0;
    pub const BODY: f32 = 14.0;
    /// Figures under a name, counts, hints.
    pub const SMALL: f32 = 12.0;
    pub const ICON: f32 = 16.0;
}

/// Corner radius of buttons, fields and cards.
const RADIUS: f32 = 6.0;

/// The icon font (Lucide), loaded with the window.
pub const ICON_FONT: Font = Font::with_name("lucide");
pub const ICON_FONT_BYTES: &[u8] = lucide_icons::LUCIDE_FONT_BYTES;

const LIGHT: palette::Palette = palette::Palette {
    background: color!(0xf6f7f9),
    text: color!(0x1d2330),
    primary: color!(0x1668b8),
    success: color!(0x1f7a3d),
    warning: color!(0xb26b00),
    danger: color!(0xc4312b),
};

const DARK: palette::Palette = palette::Palette {
    background: color!(0x16191f),
    text: color!(0xe4e7ec),
    primary: color!(0x4c9be8),
    success: color!(0x49b36b),
    warning: color!(0xd9a03f),
    danger: color!(0xec6a5e),
};

pub fn light() -> Theme {
    Theme::custom("Ferry light", LIGHT)
}

pub fn dark() -> Theme {
    Theme::custom("Ferry dark", DARK)
}

/// The theme for the user's choice, "System" following the desktop's preference
/// (light when it has none).
pub fn pick(choice: config::Theme, system: Scheme) -> Theme {
    match (choice, system) {
        (config::Theme::Dark, _) | (config::Theme::System, Scheme::Dark) => dark(),
        (config::Theme::Light | config::Theme::System, _) => light(),
    }
}

/// An icon as text in the icon font.
pub fn icon<'a>(icon: Icon) -> Text<'a> {
    text(char::from(icon).to_string())
        .font(ICON_FONT)
        .size(size::ICON)
        .line_height(1.0)
}

/// What a row shows for a kind of file.
pub fn category_icon(category: Category) -> Icon {
    match category {
        Category::Videos => Icon::Film,
        Category::Music => Icon::Music,
        Category::Pictures => Icon::Image,
        Category::Documents => Icon::FileText,
        Category::Archives => Icon::FileArchive,
        Category::Programs => Icon::Package,
        Category::Other => Icon::File,
    }
}

/// Each kind of file has its hue, so a list reads at a glance.
fn category_hue(category: Category, dark: bool) -> Color {
    let (light, night) = match category {
        Category::Videos => (color!(0x8e44ad), color!(0xc39bd3)),
        Category::Music => (color!(0xc2185b), color!(0xf48fb1)),
        Category::Pictures => (color!(0x00897b), color!(0x80cbc4)),
        Category::Documents => (color!(0x1565c0), color!(0x90caf9)),
        Category::Archives => (color!(0xb26b00), color!(0xffcc80)),
        Category::Programs => (color!(0x455a64), color!(0xb0bec5)),
        Category::Other => (color!(0x616161), color!(0xbdbdbd)),
    };
    if dark { night } else { light }
}

/// The tinted square behind a kind of file's icon.
pub fn badge(category: Category) -> impl Fn(&Theme) -> container::Style {
    move |theme| {
        let dark = theme.extended_palette().is_dark;
        let hue = category_hue(category, dark);
        container::Style {
            text_color: Some(hue),
            background: Some(Background::Color(hue.scale_alpha(0.14))),
            border: border::rounded(RADIUS),
            ..container::Style::default()
        }
    }
}

/// A tooltip's box.
pub fn tip(theme: &Theme) -> container::Style {
    let palette = theme.extended_palette();
    container::Style {
        text_color: Some(palette.background.strongest.text),
        background: Some(Background::Color(palette.background.base.color)),
        border: Border {
            color: palette.background.strong.color,
            width: 1.0,
            radius: RADIUS.into(),
        },
        shadow: iced::Shadow {
            color: Color::BLACK.scale_alpha(0.15),
            offset: iced::Vector::new(0.0, 2.0),
            blur_radius: 6.0,
        },
        ..container::Style::default()
    }
}

/// A control with its explanation on hover.
pub fn with_tip<'a, M: 'a>(
    content: impl Into<Element<'a, M>>,
    words: String,
    position: tooltip::Position,
) -> Element<'a, M> {
    tooltip(
        content,
        container(text(words).size(size::SMALL))
            .padding([space::XS, space::S])
            .style(tip),
        position,
    )
    .gap(space::XS)
    .into()
}

/// A button showing only an icon, its words in a tooltip (and for screen
/// readers and tests, the tooltip's text is the button's name).
pub fn icon_button<'a, M: Clone + 'a>(which: Icon, words: String, press: M) -> Element<'a, M> {
    with_tip(
        button(icon(which))
            .padding(space::S - 2.0)
            .style(ghost)
            .on_press(press),
        words,
        tooltip::Position::Bottom,
    )
}

/// An icon button that stays tinted while what it shows is on.
pub fn toggle<'a, M: Clone + 'a>(which: Icon, words: String, on: bool, press: M) -> Element<'a, M> {
    with_tip(
        button(icon(which))
            .padding(space::S - 2.0)
            .style(nav(on))
            .on_press(press),
        words,
        tooltip::Position::Bottom,
    )
}

/// An icon and words side by side, for a button's content.
pub fn labelled<'a, M: 'a>(which: Icon, words: String) -> Element<'a, M> {
    iced::widget::row![icon(which).size(size::BODY), text(words).size(size::BODY)]
        .spacing(space::S - 2.0)
        .align_y(iced::Alignment::Center)
        .into()
}

fn rounded(style: button::Style) -> button::Style {
    button::Style {
        border: Border {
            radius: RADIUS.into(),
            ..style.border
        },
        ..style
    }
}

/// The one thing a screen is for (New download, Save).
pub fn primary(theme: &Theme, status: button::Status) -> button::Style {
    rounded(button::primary(theme, status))
}

/// Everything else a screen offers: a quiet surface with a hairline.
pub fn secondary(theme: &Theme, status: button::Status) -> button::Style {
    let palette = theme.extended_palette();
    let background = match status {
        button::Status::Hovered => palette.background.weak.color,
        button::Status::Pressed => palette.background.strong.color,
        _ => palette.background.weakest.color,
    };
    let style = button::Style {
        background: Some(Background::Color(background)),
        text_color: palette.background.base.text,
        border: Border {
            color: palette.background.strong.color,
            width: 1.0,
            radius: RADIUS.into(),
        },
        ..button::Style::default()
    };
    if status == button::Status::Disabled {
        button::Style {
            text_color: style.text_color.scale_alpha(0.4),
            ..style
        }
    } else {
        style
    }
}

/// A destructive confirmation.
pub fn danger(theme: &Theme, status: button::Status) -> button::Style {
    rounded(button::danger(theme, status))
}

/// No surface until the pointer is on it: icon buttons, links, menu entries.
pub fn ghost(theme: &Theme, status: button::Status) -> button::Style {
    let palette = theme.extended_palette();
    let background = match status {
        button::Status::Hovered => Some(Background::Color(palette.background.weak.color)),
        button::Status::Pressed => Some(Background::Color(palette.background.strong.color)),
        _ => None,
    };
    let text_color = if status == button::Status::Disabled {
        palette.background.base.text.scale_alpha(0.4)
    } else {
        palette.background.base.text
    };
    button::Style {
        background,
        text_color,
        border: border::rounded(RADIUS),
        ..button::Style::default()
    }
}

/// An entry of the sidebar or a tab: tinted with the accent while in force.
pub fn nav(on: bool) -> impl Fn(&Theme, button::Status) -> button::Style {
    move |theme, status| {
        if !on {
            return ghost(theme, status);
        }
        let palette = theme.extended_palette();
        button::Style {
            background: Some(Background::Color(
                palette.primary.base.color.scale_alpha(0.14),
            )),
            text_color: palette.primary.strong.color,
            border: border::rounded(RADIUS),
            ..button::Style::default()
        }
    }
}

/// The grip of a bar that a drag moves: muted, the accent while dragged.
pub fn grip(theme: &Theme, dragging: bool) -> container::Style {
    let palette = theme.extended_palette();
    let color = if dragging {
        palette.primary.base.color
    } else {
        palette.background.strong.color
    };
    container::Style {
        background: Some(Background::Color(color)),
        border: border::rounded(2),
        ..container::Style::default()
    }
}

/// The sidebar and the footer: a surface a shade off the page.
pub fn panel(theme: &Theme) -> container::Style {
    let palette = theme.extended_palette();
    let surface = if palette.is_dark {
        palette.background.weaker
    } else {
        palette.background.weakest
    };
    container::Style {
        background: Some(Background::Color(surface.color)),
        border: border::rounded(RADIUS + 2.0),
        ..container::Style::default()
    }
}

/// A pick list: a field like the text boxes, the accent's edge on hover.
pub fn choice(theme: &Theme, status: pick_list::Status) -> pick_list::Style {
    let palette = theme.extended_palette();
    let edge = match status {
        pick_list::Status::Active => palette.background.strong.color,
        _ => palette.primary.base.color,
    };
    pick_list::Style {
        text_color: palette.background.base.text,
        placeholder_color: palette.background.base.text.scale_alpha(0.6),
        handle_color: palette.background.base.text.scale_alpha(0.8),
        background: Background::Color(field_color(palette)),
        border: Border {
            color: edge,
            width: 1.0,
            radius: RADIUS.into(),
        },
    }
}

/// A text box, rounded as the buttons are.
pub fn field(theme: &Theme, status: text_input::Status) -> text_input::Style {
    let style = text_input::default(theme, status);
    let palette = theme.extended_palette();
    text_input::Style {
        background: if matches!(status, text_input::Status::Disabled) {
            style.background
        } else {
            Background::Color(field_color(palette))
        },
        border: Border {
            radius: RADIUS.into(),
            ..style.border
        },
        placeholder: palette.background.base.text.scale_alpha(0.55),
        ..style
    }
}

/// A text box in Ferry's look.
pub fn text_box<'a, M: Clone + 'a>(placeholder: &str, value: &str) -> TextInput<'a, M> {
    text_input(placeholder, value).style(field)
}

/// A pick list in Ferry's look.
pub fn choose<'a, T, L, V, M>(
    options: L,
    selected: Option<V>,
    on_choice: impl Fn(T) -> M + 'a,
) -> PickList<'a, T, L, V, M>
where
    T: ToString + PartialEq + Clone + 'a,
    L: std::borrow::Borrow<[T]> + 'a,
    V: std::borrow::Borrow<T> + 'a,
    M: Clone + 'a,
{
    pick_list(options, selected, on_choice).style(choice)
}

/// Where the user types or picks: white on a light page, a shade up on a dark one.
fn field_color(palette: &Extended) -> Color {
    if palette.is_dark {
        palette.background.weakest.color
    } else {
        Color::WHITE
    }
}

/// A transfer's row: a card, tinted with the accent when picked.
pub fn card(picked: bool) -> impl Fn(&Theme) -> container::Style {
    move |theme| {
        let palette = theme.extended_palette();
        let (background, line) = if picked {
            (
                palette::mix(
                    palette.background.base.color,
                    palette.primary.base.color,
                    0.12,
                ),
                palette.primary.base.color.scale_alpha(0.6),
            )
        } else if palette.is_dark {
            (
                palette.background.weakest.color,
                palette.background.weak.color,
            )
        } else {
            // A light page's cards are paper white, a shade above the page.
            (Color::WHITE, palette.background.weak.color)
        };
        container::Style {
            background: Some(Background::Color(background)),
            border: Border {
                color: line,
                width: 1.0,
                radius: (RADIUS + 2.0).into(),
            },
            ..container::Style::default()
        }
    }
}

/// What a state means, as a colour: running in the accent, done in green,
/// held back in amber, failed in red, idle or canceled in grey.
fn status_color(palette: &Extended, status: Status) -> Color {
    match status {
        Status::Running => palette.primary.base.color,
        Status::Completed => palette.success.base.color,
        Status::Error | Status::NeedsNewAddress => palette.danger.base.color,
        Status::PausedByApplication
        | Status::PausedNoNetwork
        | Status::PausedCostedNetwork
        | Status::PausedSystemPolicy
        | Status::PausedBySchedule => palette.warning.base.color,
        Status::Idle | Status::Canceled => palette.background.strongest.color,
    }
}

/// A transfer's progress bar, in its state's colour.
pub fn progress(status: Status) -> impl Fn(&Theme) -> progress_bar::Style {
    move |theme| {
        let palette = theme.extended_palette();
        progress_bar::Style {
            background: Background::Color(palette.background.weak.color),
            bar: Background::Color(status_color(palette, status)),
            border: border::rounded(3),
        }
    }
}

/// A transfer's state in words, in its colour (running and idle stay quiet).
pub fn status_text(status: Status) -> impl Fn(&Theme) -> text::Style {
    move |theme| {
        let palette = theme.extended_palette();
        let color = match status {
            Status::Running | Status::Idle => None,
            _ => Some(status_color(palette, status)),
        };
        text::Style { color }
    }
}

/// Figures and hints: the text colour, softened.
pub fn muted(theme: &Theme) -> text::Style {
    let palette = theme.extended_palette();
    text::Style {
        color: Some(palette.background.base.text.scale_alpha(0.65)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_dark(theme: &Theme) -> bool {
        theme.extended_palette().is_dark
    }

    #[test]
    fn system_follows_the_desktop_and_a_choice_overrides_it() {
        use config::Theme as Choice;
        assert!(is_dark(&pick(Choice::System, Scheme::Dark)));
        assert!(!is_dark(&pick(Choice::System, Scheme::Light)));
        assert!(!is_dark(&pick(Choice::System, Scheme::NoPreference)));
        assert!(!is_dark(&pick(Choice::Light, Scheme::Dark)));
        assert!(is_dark(&pick(Choice::Dark, Scheme::Light)));
    }

    /// Text on each surface a screen uses stays readable (WCAG's 4.5:1 for
    /// body text) in both themes.
    #[test]
    fn text_is_readable_on_every_surface() {
        fn luminance(c: Color) -> f32 {
            let channel = |v: f32| {
                if v <= 0.03928 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)
        }
        fn contrast(a: Color, b: Color) -> f32 {
            let (a, b) = (luminance(a), luminance(b));
            (a.max(b) + 0.05) / (a.min(b) + 0.05)
        }
        for theme in [light(), dark()] {
            let p = theme.extended_palette();
            let text = p.background.base.text;
            for surface in [
                p.background.base.color,
                p.background.weaker.color,
                p.background.weak.color,
            ] {
                assert!(contrast(text, surface) >= 4.5, "{theme}: {surface:?}");
            }
            // A primary button's words on the accent.
            let primary = p.primary.base;
            assert!(contrast(primary.text, primary.color) >= 4.5, "{theme}");
            // A failure's words on the page.
            assert!(
                contrast(p.danger.base.color, p.background.base.color) >= 4.5,
                "{theme}"
            );
        }
    }
}
