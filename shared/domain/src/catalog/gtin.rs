//! GS1 GTIN check (spec/platforms.md §4): lengths 8, 12, 13, 14; weight the rightmost data digit 3,
//! then alternate 1, 3 moving left; check digit = (10 − sum mod 10) mod 10.

/// Why a GTIN is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GtinError {
    NotDigits,
    Length(usize),
    CheckDigit { expected: u8, found: u8 },
}

/// The check digit of `data` (the GTIN without its last digit); `None` if not all digits.
pub fn check_digit(data: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, c) in data.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        let d = u32::from(c - b'0');
        sum += if i % 2 == 0 { 3 * d } else { d };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// Validate a GTIN-8, -12 (UPC), -13 (EAN) or -14.
pub fn validate(gtin: &str) -> Result<(), GtinError> {
    if gtin.is_empty() || !gtin.bytes().all(|c| c.is_ascii_digit()) {
        return Err(GtinError::NotDigits);
    }
    if !matches!(gtin.len(), 8 | 12 | 13 | 14) {
        return Err(GtinError::Length(gtin.len()));
    }
    let (data, check) = gtin.split_at(gtin.len() - 1);
    let found = check.as_bytes()[0] - b'0';
    let expected = check_digit(data).ok_or(GtinError::NotDigits)?;
    if expected == found {
        Ok(())
    } else {
        Err(GtinError::CheckDigit { expected, found })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_spec_vector() {
        assert_eq!(check_digit("629104150021"), Some(3));
        assert_eq!(validate("6291041500213"), Ok(()));
        assert_eq!(
            validate("6291041500214"),
            Err(GtinError::CheckDigit {
                expected: 3,
                found: 4
            })
        );
    }

    #[test]
    fn every_length_and_the_wrong_ones() {
        assert_eq!(validate("96385074"), Ok(())); // GTIN-8
        assert_eq!(validate("036000291452"), Ok(())); // UPC-A
        assert_eq!(validate("4006381333931"), Ok(())); // EAN-13
        assert_eq!(validate("10614141000415"), Ok(())); // GTIN-14
        assert_eq!(validate("12345"), Err(GtinError::Length(5)));
        assert_eq!(validate("0360002914a2"), Err(GtinError::NotDigits));
        assert_eq!(validate(""), Err(GtinError::NotDigits));
    }

    proptest! {
        #[test]
        fn any_data_with_its_check_digit_validates_and_any_other_digit_does_not(
            data in "[0-9]{12}", other in 0u8..10
        ) {
            let c = check_digit(&data).unwrap();
            let good = format!("{}{}", data, c);
            prop_assert!(validate(&good).is_ok());
            if other != c {
                let bad = format!("{}{}", data, other);
                prop_assert!(validate(&bad).is_err());
            }
        }
    }
}
