//! Kubernetes quantities compared by value: the API server stores them canonically, so git's
//! `1000m`, `0.5`, `1024Mi` and `cpu: 1` come back as `"1"`, `"500m"`, `"1Gi"` and `"1"`.

use serde_json::Value;

/// A quantity as an exact number: `digits × 10^exp10 × 2^exp2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Quantity {
    digits: i128,
    exp10: i32,
    exp2: i32,
}

/// Parses a Kubernetes quantity (`<number><suffix>`: decimal SI `n u m k M G T P E`, binary SI
/// `Ki … Ei`, or an exponent `e3`). `None` for anything else.
fn parse(text: &str) -> Option<Quantity> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-')))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let (exp10, exp2) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        s if s.starts_with(['e', 'E']) => (s[1..].parse().ok()?, 0),
        _ => return None,
    };
    let (negative, number) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number.strip_prefix('+').unwrap_or(number)),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty()
        || !(whole.chars().chain(fraction.chars())).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let digits: i128 = format!("{whole}{fraction}").parse().ok()?;
    let exp10 = exp10 - i32::try_from(fraction.len()).ok()?;
    Some(Quantity {
        digits: if negative { -digits } else { digits },
        exp10,
        exp2,
    })
}

impl Quantity {
    /// `digits × 2^exp2` with the binary part folded in (exact, or `None` on overflow).
    fn decimal(self) -> Option<(i128, i32)> {
        let scaled = self
            .digits
            .checked_mul(1i128.checked_shl(self.exp2.try_into().ok()?)?)?;
        Some((scaled, self.exp10))
    }

    fn same(self, other: Quantity) -> bool {
        let (Some((a, ea)), Some((b, eb))) = (self.decimal(), other.decimal()) else {
            return false;
        };
        // bring both to the smaller exponent
        let scale = |v: i128, by: i32| -> Option<i128> {
            v.checked_mul(10i128.checked_pow(by.try_into().ok()?)?)
        };
        match ea.cmp(&eb) {
            std::cmp::Ordering::Equal => a == b,
            std::cmp::Ordering::Greater => scale(a, ea - eb) == Some(b),
            std::cmp::Ordering::Less => scale(b, eb - ea) == Some(a),
        }
    }
}

fn of(v: &Value) -> Option<Quantity> {
    match v {
        Value::String(s) => parse(s),
        Value::Number(n) => parse(&n.to_string()),
        _ => None,
    }
}

/// Whether two values are the same quantity. `strings` also lets two strings match by value
/// (only where the field is known to hold a quantity: elsewhere `"1000m"` and `"1"` are two
/// different strings); a number against its canonical string always may.
pub fn same_quantity(a: &Value, b: &Value, strings: bool) -> bool {
    let comparable = match (a, b) {
        (Value::Number(_), Value::String(_)) | (Value::String(_), Value::Number(_)) => true,
        (Value::String(_), Value::String(_)) => strings,
        _ => false,
    };
    comparable && matches!((of(a), of(b)), (Some(x), Some(y)) if x.same(y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_forms_are_the_same_quantity() {
        let same = [
            (json!("1000m"), json!("1")),
            (json!(0.5), json!("500m")),
            (json!("1024Mi"), json!("1Gi")),
            (json!(1), json!("1")),
            (json!("1G"), json!("1G")),
            (json!("0.1"), json!("100m")),
            (json!("2e3"), json!("2k")),
            (json!("536870912"), json!("512Mi")),
            (json!(80), json!("80")),
        ];
        for (a, b) in same {
            assert!(same_quantity(&a, &b, true), "{a} = {b}");
        }
        let different = [
            (json!("1"), json!("2")),
            (json!("1Gi"), json!("1G")),
            (json!("500m"), json!(0.4)),
            (json!("fast"), json!("fast")),
            (json!("10%"), json!("10")),
        ];
        for (a, b) in different {
            assert!(!same_quantity(&a, &b, true), "{a} ≠ {b}");
        }
        assert!(
            !same_quantity(&json!("1000m"), &json!("1"), false),
            "two strings elsewhere"
        );
    }
}
