//! Redis glob patterns (`KEYS`, `SCAN MATCH`, `PSUBSCRIBE`).
//!
//! Supported: `*` (any run), `?` (one byte), `[abc]`, `[^abc]`, `[a-z]` (reversed ranges
//! allowed, as in Redis), and `\x` to match `x` literally. A pattern is compiled once into
//! tokens and matched with the classic greedy-star backtracking walk, which is O(len(pattern) ×
//! len(subject)) in the worst case: no pattern can make matching exponential.

use alloc::vec::Vec;

use crate::Error;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Star,
    AnyByte,
    Literal(u8),
    Class {
        negated: bool,
        items: Vec<ClassItem>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum ClassItem {
    Byte(u8),
    Range(u8, u8),
}

/// A compiled glob pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    tokens: Vec<Token>,
    /// `*` alone matches everything; checked first so `KEYS *` costs nothing per key.
    match_all: bool,
}

impl Pattern {
    /// Compiles `pattern`. The only invalid input is a `[` class without its closing `]`.
    pub fn new(pattern: &[u8]) -> Result<Self, Error> {
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < pattern.len() {
            match pattern[i] {
                b'*' => {
                    if tokens.last() != Some(&Token::Star) {
                        tokens.push(Token::Star);
                    }
                    i += 1;
                }
                b'?' => {
                    tokens.push(Token::AnyByte);
                    i += 1;
                }
                b'\\' if i + 1 < pattern.len() => {
                    tokens.push(Token::Literal(pattern[i + 1]));
                    i += 2;
                }
                b'[' => {
                    i += 1;
                    let negated = pattern.get(i) == Some(&b'^');
                    if negated {
                        i += 1;
                    }
                    let mut items = Vec::new();
                    loop {
                        match pattern.get(i) {
                            None => return Err(Error::InvalidPattern("unterminated '[' class")),
                            Some(b']') => {
                                i += 1;
                                break;
                            }
                            Some(b'\\') if i + 1 < pattern.len() => {
                                items.push(ClassItem::Byte(pattern[i + 1]));
                                i += 2;
                            }
                            Some(&start) if i + 2 < pattern.len() && pattern[i + 1] == b'-' => {
                                let end = pattern[i + 2];
                                items.push(ClassItem::Range(start.min(end), start.max(end)));
                                i += 3;
                            }
                            Some(&b) => {
                                items.push(ClassItem::Byte(b));
                                i += 1;
                            }
                        }
                    }
                    tokens.push(Token::Class { negated, items });
                }
                b => {
                    tokens.push(Token::Literal(b));
                    i += 1;
                }
            }
        }
        let match_all = tokens == [Token::Star];
        Ok(Self { tokens, match_all })
    }

    /// Whether `subject` matches the whole pattern.
    pub fn matches(&self, subject: &[u8]) -> bool {
        if self.match_all {
            return true;
        }
        let tokens = &self.tokens;
        let (mut t, mut s) = (0, 0);
        // Where to resume after the most recent `*`: (token after the star, subject position).
        let mut resume: Option<(usize, usize)> = None;
        while s < subject.len() {
            match tokens.get(t) {
                Some(Token::Star) => {
                    resume = Some((t + 1, s));
                    t += 1;
                    continue;
                }
                Some(tok) if single_matches(tok, subject[s]) => {
                    t += 1;
                    s += 1;
                    continue;
                }
                _ => {}
            }
            match resume {
                Some((after_star, from)) => {
                    t = after_star;
                    s = from + 1;
                    resume = Some((after_star, from + 1));
                }
                None => return false,
            }
        }
        tokens[t..].iter().all(|tok| *tok == Token::Star)
    }
}

fn single_matches(tok: &Token, b: u8) -> bool {
    match tok {
        Token::Star => false,
        Token::AnyByte => true,
        Token::Literal(l) => *l == b,
        Token::Class { negated, items } => {
            let hit = items.iter().any(|item| match *item {
                ClassItem::Byte(c) => c == b,
                ClassItem::Range(lo, hi) => (lo..=hi).contains(&b),
            });
            hit != *negated
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Pattern::new(p.as_bytes()).unwrap().matches(s.as_bytes())
    }

    #[test]
    fn stars_and_questions() {
        assert!(m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("user:*", "user:1"));
        assert!(!m("user:*", "use"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!m("*a*b*c*", "xxaxxcxxbxx"));
        assert!(m("a*", "a"));
        assert!(!m("", "a"));
        assert!(m("", ""));
    }

    #[test]
    fn classes_ranges_and_escapes() {
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"), "reversed ranges work as in Redis");
        assert!(m("a\\*b", "a*b"));
        assert!(!m("a\\*b", "axb"));
        assert!(m("[\\]]", "]"));
        assert!(m("a\\", "a\\"), "a trailing backslash matches itself");
        assert!(!m("[]a", "a"), "an empty class matches nothing");
    }

    #[test]
    fn unterminated_class_is_an_error() {
        assert_eq!(
            Pattern::new(b"user:[abc"),
            Err(Error::InvalidPattern("unterminated '[' class"))
        );
    }

    #[test]
    fn many_stars_stay_polynomial() {
        let p = "*a".repeat(40) + "b";
        let s = "a".repeat(200);
        assert!(!m(&p, &s));
    }
}
