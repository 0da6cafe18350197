//! Integers as JSON Schema counts them: a number whose fraction is zero (`266.0`) is the integer
//! 266, which serde's integer types refuse. Fields a request schema calls `integer` take
//! `#[serde(deserialize_with = "json_int::int")]` (or `json_int::opt` with `#[serde(default)]`),
//! so a valid request is never refused for how its number was written. The value is read as
//! whatever number it is (`deserialize_any`: serde_json, serde's buffered content inside a
//! tagged enum, and serde_dynamo's numbers all say which).

use serde::de::{Deserialize, Deserializer, Error, Visitor};
use std::fmt;

struct Int(i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IntVisitor).map(Int)
    }
}

struct IntVisitor;

impl Visitor<'_> for IntVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<i64, E> {
        // Every f64 in this range with no fraction is an i64 exactly.
        const LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53
        if v.fract() == 0.0 && v.abs() <= LIMIT {
            #[allow(clippy::cast_possible_truncation)]
            Ok(v as i64)
        } else {
            Err(E::custom(format!("{v} is not an integer in range")))
        }
    }
}

fn narrow<T: TryFrom<i64>, E: Error>(v: i64) -> Result<T, E> {
    T::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))
}

/// An integer field.
pub fn int<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<T, D::Error> {
    narrow(Int::deserialize(d)?.0)
}

/// An optional integer field (`null` or absent is `None`; pair with `#[serde(default)]`).
pub fn opt<'de, D: Deserializer<'de>, T: TryFrom<i64>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<Int>::deserialize(d)?
        .map(|Int(v)| narrow(v))
        .transpose()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Body {
        #[serde(deserialize_with = "super::int")]
        at: i64,
        #[serde(default, deserialize_with = "super::opt")]
        days: Option<u32>,
    }

    fn read(json: &str) -> Result<Body, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn an_integer_written_with_a_zero_fraction_is_that_integer() {
        assert_eq!(
            read(r#"{"at": 4269.0, "days": 266.0}"#),
            Ok(Body {
                at: 4269,
                days: Some(266)
            })
        );
        assert_eq!(
            read(r#"{"at": -3, "days": null}"#),
            Ok(Body { at: -3, days: None })
        );
        assert_eq!(
            read(r#"{"at": 1e3}"#),
            Ok(Body {
                at: 1000,
                days: None
            })
        );
    }

    #[test]
    fn inside_a_tagged_enum_too() {
        #[derive(Deserialize, Debug, PartialEq)]
        #[serde(tag = "kind")]
        enum Tagged {
            A {
                #[serde(deserialize_with = "super::int")]
                at: i64,
            },
        }
        assert_eq!(
            serde_json::from_str::<Tagged>(r#"{"kind": "A", "at": 7.0}"#)
                .map_err(|e| e.to_string()),
            Ok(Tagged::A { at: 7 })
        );
    }

    #[test]
    fn fractions_and_numbers_out_of_range_are_refused() {
        assert!(read(r#"{"at": 1.5}"#).is_err());
        assert!(read(r#"{"at": 1e300}"#).is_err());
        assert!(read(r#"{"at": 18446744073709551615}"#).is_err());
        assert!(read(r#"{"at": 1, "days": -1}"#).is_err());
        assert!(read(r#"{"at": 1, "days": 4294967296}"#).is_err());
        assert!(read(r#"{"at": "1"}"#).is_err());
    }
}
