//! Cleans text that comes from the cloud before it reaches the status,
//! conditions or Events: `kubectl` prints those verbatim, so a control
//! character in an error or cause (an ESC starting a terminal escape sequence)
//! would act on the reader's terminal. Pure.

/// `text` without control characters (newlines and tabs are kept: they only
/// lay text out) and without the bidirectional overrides that make text read
/// differently from what it is.
pub fn cloud_text(text: &str) -> String {
    text.chars().filter(|c| !unsafe_char(*c)).collect()
}

/// The same for an optional field.
pub fn cloud_field(text: &Option<String>) -> Option<String> {
    text.as_deref().map(cloud_text)
}

fn unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_other_controls_are_removed_and_layout_is_kept() {
        assert_eq!(
            cloud_text("card \u{1b}[31mexpired\u{1b}[0m\r\n\tnext\u{7}\u{0}\u{9b}"),
            "card [31mexpired[0m\n\tnext"
        );
        assert_eq!(cloud_text("a\u{202E}b"), "ab");
        assert_eq!(cloud_text("unchanged – ünïcode"), "unchanged – ünïcode");
    }
}
