//! Comparison of decimal strings without going through a float, so that
//! `"12345678901234567890.12"` compares exactly.

use std::cmp::Ordering;

/// A parsed decimal: sign, integer digits without leading zeros, fraction
/// digits without trailing zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    integer: String,
    fraction: String,
}

impl Decimal {
    /// Parses `-?digits(.digits)?`. Returns `None` for anything else.
    pub fn parse(text: &str) -> Option<Decimal> {
        let text = text.trim();
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (integer, fraction) = rest.split_once('.').unwrap_or((rest, ""));
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if (integer.is_empty() && fraction.is_empty()) || !digits(integer) || !digits(fraction) {
            return None;
        }
        let integer = integer.trim_start_matches('0').to_owned();
        let fraction = fraction.trim_end_matches('0').to_owned();
        let zero = integer.is_empty() && fraction.is_empty();
        Some(Decimal {
            negative: negative && !zero,
            integer,
            fraction,
        })
    }

    fn magnitude_cmp(&self, other: &Decimal) -> Ordering {
        self.integer
            .len()
            .cmp(&other.integer.len())
            .then_with(|| self.integer.cmp(&other.integer))
            .then_with(|| self.fraction.cmp(&other.fraction))
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.magnitude_cmp(other),
            (true, true) => other.magnitude_cmp(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::parse(text).unwrap()
    }

    #[test]
    fn compares_exactly() {
        assert!(d("12345678901234567890.12") > d("12345678901234567890.11"));
        assert!(d("100") > d("99.999"));
        assert_eq!(d("1.50").cmp(&d("01.5")), Ordering::Equal);
        assert!(d("-2") < d("-1.5"));
        assert!(d("-0.0") == d("0"));
        assert!(d(".5") < d("1"));
    }

    #[test]
    fn rejects_non_decimals() {
        for text in ["", "-", ".", "1e5", "1,000", "abc", "1.2.3", "NaN"] {
            assert!(Decimal::parse(text).is_none(), "{text}");
        }
    }
}
