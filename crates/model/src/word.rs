//! ASCII words: the safe spelling of an id or a site in a key or a run name.

/// `text` with every character but ASCII letters, digits, `-` and `_` turned
/// into `_`, cut to `max_chars` characters (so also bytes).
pub fn ascii_word(text: &str, max_chars: usize) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(max_chars)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_ascii_word_characters_survive() {
        assert_eq!(super::ascii_word("a-b_c/d é", 100), "a-b_c_d__");
        assert_eq!(super::ascii_word("abcdef", 3), "abc");
        assert_eq!(super::ascii_word("", 3), "");
    }
}
