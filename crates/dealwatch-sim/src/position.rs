//! Stream positions: opaque standard base64 strings that name a topic, a partition and
//! an offset.
//!
//! Decoded, a position reads like the ones in Sell's documentation,
//! `firehose.deal.by_account,3,46760`, behind a fixed binary prefix. The prefix encodes
//! as `++++////`, and the text is sized so that the encoding always ends in `=`
//! padding. Every position therefore contains `+`, `/` and `=`, so a client that
//! forgets to URL-encode it sends a different string and gets a 400.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// Bytes that base64 encodes as `++++////`.
const PREFIX: [u8; 6] = [0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff];

/// Partition number written into every position. Sell's examples show partition 3.
const PARTITION: &str = "3";

/// Maximum accepted length of a position string, well above any position this module
/// encodes, so that decoding never works on large inputs.
const MAX_ENCODED_LEN: usize = 256;

/// Reasons a position string is rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PositionError {
    /// The string is not a position this server issued.
    Malformed,
    /// The string is a valid position of another stream.
    OtherStream { topic: String },
}

/// Returns the Kafka-style topic name of a stream's record type, such as
/// `firehose.deal.by_account`.
pub(crate) fn topic_for(record_type: &str) -> String {
    format!("firehose.{record_type}.by_account")
}

/// A decoded position: where the next page starts and when the position was
/// issued, on the simulator's clock, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decoded {
    pub(crate) offset: u64,
    pub(crate) issued_at: i64,
}

/// Encodes a position for `offset` in `topic`, issued at `issued_at` (Unix
/// seconds). Sell expires a position 72 hours after it was issued, so the
/// position carries its issue time.
pub(crate) fn encode(topic: &str, offset: u64, issued_at: i64) -> String {
    let mut text = format!("{topic},{PARTITION},{offset},{issued_at}");
    if (PREFIX.len() + text.len()).is_multiple_of(3) {
        // A leading zero on the offset makes the length indivisible by 3, so the
        // encoding ends in padding, and it decodes to the same offset.
        text = format!("{topic},{PARTITION},0{offset},{issued_at}");
    }

    let mut bytes = Vec::with_capacity(PREFIX.len() + text.len());
    bytes.extend_from_slice(&PREFIX);
    bytes.extend_from_slice(text.as_bytes());
    STANDARD.encode(bytes)
}

/// Decodes a position, provided that it belongs to `topic`.
pub(crate) fn decode(position: &str, topic: &str) -> Result<Decoded, PositionError> {
    if position.len() > MAX_ENCODED_LEN {
        return Err(PositionError::Malformed);
    }
    let bytes = STANDARD
        .decode(position)
        .map_err(|_| PositionError::Malformed)?;
    let text = bytes
        .strip_prefix(&PREFIX[..])
        .and_then(|rest| std::str::from_utf8(rest).ok())
        .ok_or(PositionError::Malformed)?;

    let mut fields = text.split(',');
    let (Some(found_topic), Some(partition), Some(offset), Some(issued_at), None) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Err(PositionError::Malformed);
    };
    let digits = |field: &str| !field.is_empty() && field.bytes().all(|byte| byte.is_ascii_digit());
    if partition != PARTITION || !digits(offset) || !digits(issued_at) {
        return Err(PositionError::Malformed);
    }
    let offset: u64 = offset.parse().map_err(|_| PositionError::Malformed)?;
    let issued_at: i64 = issued_at.parse().map_err(|_| PositionError::Malformed)?;
    if found_topic != topic {
        return Err(PositionError::OtherStream {
            topic: found_topic.to_owned(),
        });
    }
    Ok(Decoded { offset, issued_at })
}

/// Percent-encodes a position for a query string. Positions contain only base64
/// characters, of which `+`, `/` and `=` need encoding.
pub(crate) fn url_encode(position: &str) -> String {
    let mut encoded = String::with_capacity(position.len() + 16);
    for character in position.chars() {
        match character {
            '+' => encoded.push_str("%2B"),
            '/' => encoded.push_str("%2F"),
            '=' => encoded.push_str("%3D"),
            other => encoded.push(other),
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_always_has_plus_slash_and_padding() {
        let topic = topic_for("deal");
        for offset in [0, 1, 9, 10, 99, 100, 46_760, 1_000_000, u64::MAX] {
            let position = encode(&topic, offset, 1_700_000_000);
            assert!(position.starts_with("++++////"), "{position}");
            assert!(position.ends_with('='), "{position} has no padding");
            let decoded = decode(&position, &topic);
            assert_eq!(decoded.clone().map(|d| d.offset), Ok(offset), "{position}");
            assert_eq!(
                decoded.map(|d| d.issued_at),
                Ok(1_700_000_000),
                "{position}"
            );
        }
    }

    #[test]
    fn encoding_covers_both_padding_lengths() {
        let topic = topic_for("deal");
        let paddings: std::collections::BTreeSet<usize> = (0..30)
            .map(|offset| encode(&topic, offset, 1_700_000_000 + offset as i64))
            .map(|position| position.len() - position.trim_end_matches('=').len())
            .collect();
        assert!(paddings.iter().all(|count| *count == 1 || *count == 2));
    }

    #[test]
    fn decode_rejects_other_stream() {
        let position = encode(&topic_for("lead"), 5, 0);
        assert_eq!(
            decode(&position, &topic_for("deal")),
            Err(PositionError::OtherStream {
                topic: "firehose.lead.by_account".to_owned()
            })
        );
    }

    #[test]
    fn decode_rejects_malformed_strings() {
        let topic = topic_for("deal");
        let valid = encode(&topic, 12, 0);
        let unencoded_plus = valid.replace('+', " ");
        let unpadded = valid.trim_end_matches('=').to_owned();
        let foreign = STANDARD.encode("firehose.deal.by_account,3,12");
        let bad_offset = {
            let mut bytes = PREFIX.to_vec();
            bytes.extend_from_slice(b"firehose.deal.by_account,3,-1");
            STANDARD.encode(bytes)
        };
        let too_long = "A".repeat(MAX_ENCODED_LEN + 4);
        for input in [
            "",
            "not base64!",
            unencoded_plus.as_str(),
            unpadded.as_str(),
            foreign.as_str(),
            bad_offset.as_str(),
            too_long.as_str(),
        ] {
            assert_eq!(
                decode(input, &topic),
                Err(PositionError::Malformed),
                "{input:?}"
            );
        }
    }

    #[test]
    fn url_encode_escapes_base64_specials() {
        assert_eq!(url_encode("++//ab=="), "%2B%2B%2F%2Fab%3D%3D");
    }
}
