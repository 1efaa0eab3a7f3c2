//! Resource quantities (`100m`, `1.5`, `128Mi`, `1G`, `2e3`), exact fixed-point values.
//!
//! Parsing, rounding, arithmetic and the string form follow k8s.io/apimachinery
//! `pkg/api/resource` (`quantity.go`, `amount.go`, `suffix.go`) as released with Kubernetes 1.33.
//! The value is held as an `i128` count of nano-units: parsing rounds to 1n away from zero as
//! upstream does, and anything up to about ±1.7e29 is exact. Larger values, which upstream
//! would keep in an arbitrary-precision decimal, are rejected with [`QuantityError::OutOfRange`]
//! (binary-suffixed ones are capped, as upstream does, however large).
//!
//! Upstream's quirks are kept, since they are what an API server sends back: input text that
//! passes upstream's quick canonical check prints verbatim (`+1`, `01`, `1E3`, `1.500k`);
//! values past the largest suffix print without one (`1000E` prints as `1`); parsed BinarySI
//! values are capped at 2^63-1 (`8Ei` is 9223372036854775807).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Neg;
use std::str::FromStr;
use std::sync::Arc;

const NANOS_PER_UNIT: i128 = 1_000_000_000;
/// Upstream caps BinarySI quantities at 2^63-1 units when parsing.
const MAX_BINARY_SI_NANOS: i128 = i64::MAX as i128 * NANOS_PER_UNIT;

/// The largest magnitude, in whole units, of a quantity in an API object. Upstream documents
/// 2^63-1 for every quantity ("no quantity may represent a number greater than 2^63-1 in
/// magnitude") but enforces it only for binary suffixes, by capping; it keeps larger decimal
/// values, whose `Value()` then wraps or reads 0. kubesim refuses them instead.
pub const API_MAX_VALUE: i64 = i64::MAX;

/// How a quantity prints; remembered from the parsed suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// `12e6`
    DecimalExponent,
    /// `12Mi` (12 * 2^20)
    BinarySI,
    /// `12M` (12 * 10^6)
    #[default]
    DecimalSI,
}

/// Why a string is not a quantity. The first three carry upstream's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")]
    FormatWrong,
    #[error("unable to parse numeric part of quantity")]
    Numeric,
    #[error("unable to parse quantity's suffix")]
    Suffix,
    /// Larger than this type represents (upstream would accept it).
    #[error("quantity is too large to represent")]
    OutOfRange,
}

/// An exact resource quantity. Equality, ordering and hashing are by value (`1Gi == 1073741824`);
/// the format only affects printing.
#[derive(Clone)]
pub struct Quantity {
    nanos: i128,
    format: Format,
    /// The input text, kept when upstream would print it back verbatim although it differs from
    /// the canonical form (`+1`, `01`, `1E3`, `1.500k`).
    spelling: Option<Arc<str>>,
}

impl Quantity {
    /// Zero, DecimalSI.
    pub fn zero() -> Quantity {
        Quantity::from_nanos(0, Format::DecimalSI)
    }

    /// `value` whole units (`resource.NewQuantity`).
    pub fn from_value(value: i64, format: Format) -> Quantity {
        Quantity::from_nanos(i128::from(value) * NANOS_PER_UNIT, format)
    }

    /// `value` thousandths, DecimalSI (`resource.NewMilliQuantity(value, DecimalSI)`).
    pub fn from_milli(value: i64) -> Quantity {
        Quantity::from_nanos(i128::from(value) * 1_000_000, Format::DecimalSI)
    }

    /// `nanos` billionths. Panics on `i128::MIN`, the one value whose negation does not exist.
    pub fn from_nanos(nanos: i128, format: Format) -> Quantity {
        assert!(nanos != i128::MIN, "quantity out of range");
        Quantity { nanos, format, spelling: None }
    }

    /// Upstream's `ParseQuantity`; see the module documentation for the accepted forms.
    pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
        parse(s)
    }

    /// Parses an API object's quantity, surrounding whitespace ignored as upstream's JSON
    /// decoding does.
    pub fn from_k8s(q: &k8s_openapi::apimachinery::pkg::api::resource::Quantity) -> Result<Quantity, QuantityError> {
        parse(q.0.trim())
    }

    /// The API form, this quantity's string.
    pub fn to_k8s(&self) -> k8s_openapi::apimachinery::pkg::api::resource::Quantity {
        k8s_openapi::apimachinery::pkg::api::resource::Quantity(self.to_string())
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// The exact value in billionths of a unit.
    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// Whole units, rounded away from zero (`Value()`); saturates at the `i64` bounds.
    pub fn value(&self) -> i64 {
        saturate(self.exact_value())
    }

    /// Thousandths, rounded away from zero (`MilliValue()`); saturates at the `i64` bounds.
    pub fn milli_value(&self) -> i64 {
        saturate(self.exact_milli_value())
    }

    /// Whole units, rounded away from zero, without `value`'s bound: for totals that may pass it.
    pub fn exact_value(&self) -> i128 {
        round_away_from_zero(self.nanos, NANOS_PER_UNIT)
    }

    /// Thousandths, rounded away from zero, without `milli_value`'s bound.
    pub fn exact_milli_value(&self) -> i128 {
        round_away_from_zero(self.nanos, 1_000_000)
    }

    /// The value as a float, for ratios and display; not exact.
    pub fn as_f64(&self) -> f64 {
        self.nanos as f64 / NANOS_PER_UNIT as f64
    }

    /// `self + rhs`, `None` on overflow. The result takes `rhs`'s format when `self` is zero.
    pub fn checked_add(&self, rhs: &Quantity) -> Option<Quantity> {
        let nanos = self.nanos.checked_add(rhs.nanos).filter(|&n| n != i128::MIN)?;
        Some(Quantity { nanos, format: self.format_with(rhs), spelling: None })
    }

    /// `self - rhs`, `None` on overflow. The result takes `rhs`'s format when `self` is zero.
    pub fn checked_sub(&self, rhs: &Quantity) -> Option<Quantity> {
        let nanos = self.nanos.checked_sub(rhs.nanos).filter(|&n| n != i128::MIN)?;
        Some(Quantity { nanos, format: self.format_with(rhs), spelling: None })
    }

    /// `self + rhs`, held at the largest (or smallest) value instead of overflowing. For totals
    /// over API objects: each of their quantities is within [`API_MAX_VALUE`], so no real sum
    /// comes near the bound (it would take 10^10 of the largest).
    pub fn saturating_add(&self, rhs: &Quantity) -> Quantity {
        let nanos = self.nanos.saturating_add(rhs.nanos).max(-i128::MAX);
        Quantity { nanos, format: self.format_with(rhs), spelling: None }
    }

    /// Whether an API object may hold this quantity: at most [`API_MAX_VALUE`] in magnitude.
    pub fn within_api_range(&self) -> bool {
        self.nanos.unsigned_abs() <= MAX_BINARY_SI_NANOS.unsigned_abs()
    }

    /// `self * factor`, `None` on overflow; the format is kept.
    pub fn checked_mul(&self, factor: i64) -> Option<Quantity> {
        let nanos = self.nanos.checked_mul(i128::from(factor)).filter(|&n| n != i128::MIN)?;
        Some(Quantity { nanos, format: self.format, spelling: None })
    }

    /// Upstream's `Add`/`Sub` adopt the other operand's format when the receiver is zero.
    fn format_with(&self, rhs: &Quantity) -> Format {
        if self.nanos == 0 {
            rhs.format
        } else {
            self.format
        }
    }
}

fn round_away_from_zero(nanos: i128, per: i128) -> i128 {
    let quotient = nanos / per;
    if nanos % per != 0 {
        quotient + nanos.signum()
    } else {
        quotient
    }
}

fn saturate(v: i128) -> i64 {
    v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

// ---------------------------------------------------------------------------------------------
// Parsing (upstream `parseQuantityString` + `ParseQuantity`).

/// The pieces of `[+-]<num>.<denom><suffix>`; `num` without leading zeros (`"0"` if none left).
struct Parts<'a> {
    negative: bool,
    num: &'a str,
    denom: &'a str,
    suffix: &'a str,
    /// Whether the numeric part (sign, digits and point) holds a digit at all.
    has_digit: bool,
}

fn scan(s: &str) -> Result<Parts<'_>, QuantityError> {
    let b = s.as_bytes();
    let end = b.len();
    let digit_run = |from: usize| from + b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut parts = Parts { negative: false, num: "0", denom: "", suffix: "", has_digit: true };
    let mut pos = 0;
    match b.first() {
        Some(b'-') => {
            parts.negative = true;
            pos = 1;
        }
        Some(b'+') => pos = 1,
        _ => {}
    }
    let zeros_start = pos;
    while pos < end && b[pos] == b'0' {
        pos += 1;
    }
    if pos == end {
        return Ok(parts);
    }
    let num_start = pos;
    pos = digit_run(pos);
    if num_start < pos {
        parts.num = &s[num_start..pos];
    }
    if pos == end {
        return Ok(parts);
    }
    if b[pos] == b'.' {
        let denom_start = pos + 1;
        pos = digit_run(denom_start);
        parts.denom = &s[denom_start..pos];
        if pos == end {
            return Ok(parts);
        }
    }
    parts.has_digit = s[zeros_start..pos].bytes().any(|c| c.is_ascii_digit());
    let suffix_start = pos;
    while pos < end && b"eEinumkKMGTP".contains(&b[pos]) {
        pos += 1;
    }
    if pos < end && matches!(b[pos], b'-' | b'+') {
        pos += 1;
    }
    if pos < end {
        pos = digit_run(pos);
    }
    if pos < end {
        return Err(QuantityError::FormatWrong);
    }
    parts.suffix = &s[suffix_start..];
    Ok(parts)
}

/// `(base 2?, exponent, format)` for a suffix.
fn interpret_suffix(suffix: &str) -> Result<(bool, i32, Format), QuantityError> {
    let decimal = |e| Ok((false, e, Format::DecimalSI));
    let binary = |e| Ok((true, e, Format::BinarySI));
    match suffix {
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "" => decimal(0),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        _ if suffix.len() > 1 && suffix.starts_with(['e', 'E']) => {
            // An int64 exponent, truncated to int32 as upstream does.
            let exponent = suffix[1..].parse::<i64>().map_err(|_| QuantityError::Suffix)?;
            Ok((false, exponent as i32, Format::DecimalExponent))
        }
        _ => Err(QuantityError::Suffix),
    }
}

/// [`parse_uncached`], remembered: a cluster parses the same few spellings (`100m`, `128Mi`)
/// over and over, in every scheduling cycle and validation, and a parse is thousands of
/// instructions of exact arithmetic. The memo is per thread and cleared when it fills.
fn parse(s: &str) -> Result<Quantity, QuantityError> {
    const CAPACITY: usize = 4096;
    thread_local! {
        static MEMO: crate::memo::Table<Result<Quantity, QuantityError>> = crate::memo::Table::default();
    }
    crate::memo::remembered(&MEMO, CAPACITY, s, || parse_uncached(s))
}

fn parse_uncached(s: &str) -> Result<Quantity, QuantityError> {
    if s.is_empty() {
        return Err(QuantityError::FormatWrong);
    }
    let p = scan(s)?;
    let (base2, exponent, mut format) = interpret_suffix(p.suffix)?;

    // Upstream first tries an int64 fast path, for short numbers precise to at most 1n; only its
    // results may keep the input spelling. The slow path fails on a number without digits.
    let fast_scale = if base2 {
        let precision = 15 - p.num.len() as i32 - exponent * 3 / 10 - 1;
        (p.denom.is_empty() && precision >= 0).then_some(0)
    } else {
        let precision = 18 - (p.num.len() + p.denom.len()) as i32;
        Some(exponent.wrapping_sub(p.denom.len() as i32)).filter(|&scale| precision >= 0 && scale >= -9)
    };
    if fast_scale.is_none() && !p.has_digit {
        return Err(QuantityError::Numeric);
    }

    // value = digits * 2^pow2 * 10^pow10, in nano-units.
    let (pow2, pow10) = match (base2, fast_scale) {
        (true, _) => (exponent as u32, 9 - p.denom.len() as i64),
        (false, Some(scale)) => (0, i64::from(scale) + 9),
        // The slow path adjusts an int32 decimal scale, wrapping.
        (false, None) => (0, 9 - i64::from((p.denom.len() as i32).wrapping_add(exponent.wrapping_neg()))),
    };
    let (magnitude, inexact) = match scale_digits(p.num, p.denom, pow2, pow10) {
        Err(QuantityError::OutOfRange) if base2 => (u128::MAX, false),
        other => other?,
    };
    // Non-zero values are rounded up to the next nano-unit.
    let mut magnitude = magnitude.saturating_add(u128::from(inexact));
    if base2 {
        // Upstream caps binary-suffixed values at 2^63-1, however large.
        magnitude = magnitude.min(MAX_BINARY_SI_NANOS.unsigned_abs());
    }
    let mut nanos = i128::try_from(magnitude).map_err(|_| QuantityError::OutOfRange)?;
    if format == Format::BinarySI && nanos < NANOS_PER_UNIT {
        format = if nanos == 0 { Format::BinarySI } else { Format::DecimalSI };
    }
    if p.negative {
        nanos = -nanos;
    }
    let mut q = Quantity { nanos, format, spelling: None };

    // Upstream keeps the input string when it looks canonical to its quick check.
    let keeps_spelling = match fast_scale {
        None => false,
        Some(_) if base2 => p.num.parse::<u64>().is_ok_and(|v| v & 7 != 0),
        Some(scale) => {
            let shifted = format!("{}{}", p.num, p.denom);
            scale % 3 == 0 && !shifted.ends_with("000") && !shifted.starts_with('0')
        }
    };
    if keeps_spelling && canonical(q.nanos, q.format) != s {
        q.spelling = Some(Arc::from(s));
    }
    Ok(q)
}

/// `digits(num ++ denom) * 2^pow2 * 10^pow10` as a magnitude, and whether the result was
/// truncated (it is then to be rounded up).
fn scale_digits(num: &str, denom: &str, pow2: u32, pow10: i64) -> Result<(u128, bool), QuantityError> {
    // Decimal digits, most significant first, without leading zeros.
    let mut digits: Vec<u8> = num.bytes().chain(denom.bytes()).map(|c| c - b'0').skip_while(|&d| d == 0).collect();
    if digits.is_empty() {
        return Ok((0, false));
    }
    for _ in 0..pow2 {
        let mut carry = 0;
        for d in digits.iter_mut().rev() {
            let doubled = *d * 2 + carry;
            *d = doubled % 10;
            carry = doubled / 10;
        }
        if carry > 0 {
            digits.insert(0, carry);
        }
    }
    // u128 holds at most 39 decimal digits.
    const MAX_DIGITS: i64 = 39;
    let mut inexact = false;
    if pow10 >= 0 {
        if digits.len() as i64 + pow10 > MAX_DIGITS {
            return Err(QuantityError::OutOfRange);
        }
        digits.resize(digits.len() + pow10 as usize, 0);
    } else {
        let drop = usize::try_from(pow10.unsigned_abs()).unwrap_or(usize::MAX).min(digits.len());
        let keep = digits.len() - drop;
        inexact = digits[keep..].iter().any(|&d| d != 0);
        digits.truncate(keep);
        if digits.len() as i64 > MAX_DIGITS {
            return Err(QuantityError::OutOfRange);
        }
    }
    let mut value: u128 = 0;
    for d in digits {
        value = value.checked_mul(10).and_then(|v| v.checked_add(u128::from(d))).ok_or(QuantityError::OutOfRange)?;
    }
    Ok((value, inexact))
}

// ---------------------------------------------------------------------------------------------
// The canonical string (upstream `CanonicalizeBytes`).

/// No fractional digits, the largest suffix (or exponent, a multiple of 3) that loses nothing;
/// BinarySI falls back to DecimalSI below 1024 or when not a whole number.
fn canonical(nanos: i128, format: Format) -> String {
    if nanos == 0 {
        return "0".to_string();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let magnitude = nanos.unsigned_abs();
    let per_unit = NANOS_PER_UNIT as u128;
    let format = match format {
        Format::BinarySI if magnitude < 1024 * per_unit || !magnitude.is_multiple_of(per_unit) => Format::DecimalSI,
        other => other,
    };
    if format == Format::BinarySI {
        let mut mantissa = magnitude / per_unit;
        let mut power = 0;
        while mantissa >= 1024 && mantissa.is_multiple_of(1024) {
            mantissa /= 1024;
            power += 1;
        }
        // Beyond Ei upstream finds no suffix and prints none.
        let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"].get(power).copied().unwrap_or("");
        return format!("{sign}{mantissa}{suffix}");
    }
    let mut mantissa = magnitude;
    let mut exponent: i32 = -9;
    while mantissa.is_multiple_of(10) {
        mantissa /= 10;
        exponent += 1;
    }
    while exponent % 3 != 0 {
        mantissa *= 10;
        exponent -= 1;
    }
    if format == Format::DecimalExponent {
        return match exponent {
            0 => format!("{sign}{mantissa}"),
            e => format!("{sign}{mantissa}e{e}"),
        };
    }
    // Beyond E (10^18) upstream finds no suffix and prints none.
    let suffix = match exponent {
        -9 => "n",
        -6 => "u",
        -3 => "m",
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        15 => "P",
        18 => "E",
        _ => "",
    };
    format!("{sign}{mantissa}{suffix}")
}

impl fmt::Display for Quantity {
    /// Upstream's `String()`: the canonical form, or the parsed text where upstream keeps it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.spelling {
            Some(s) => f.pad(s),
            None => f.pad(&canonical(self.nanos, self.format)),
        }
    }
}

impl fmt::Debug for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Quantity({self}, {:?})", self.format)
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Quantity, QuantityError> {
        parse(s)
    }
}

impl Default for Quantity {
    fn default() -> Quantity {
        Quantity::zero()
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Quantity) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Quantity) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Quantity) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl Hash for Quantity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.nanos.hash(state);
    }
}

// No `+`, `-` or `*`: quantities come from users, so every combination says what happens at the
// bounds (`checked_*`, `saturating_add`). Negation cannot overflow: `i128::MIN` is never held.

impl Neg for &Quantity {
    type Output = Quantity;

    fn neg(self) -> Quantity {
        Quantity { nanos: -self.nanos, format: self.format, spelling: None }
    }
}

impl Neg for Quantity {
    type Output = Quantity;

    fn neg(self) -> Quantity {
        -&self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Parses `input` and compares its string form, or the error's text, with `want`.
    fn check(input: &str, want: &str) {
        let got = match Quantity::parse(input) {
            Ok(q) => q.to_string(),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, want, "parse({input:?})");
    }

    const WRONG: &str =
        "error: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
    const SUFFIX: &str = "error: unable to parse quantity's suffix";
    const NUMERIC: &str = "error: unable to parse numeric part of quantity";
    const RANGE: &str = "error: quantity is too large to represent";

    /// `mantissa * 10^exponent` in nano-units.
    fn nanos(mantissa: i128, exponent: i32) -> i128 {
        let shift = exponent + 9;
        if shift >= 0 {
            mantissa * 10i128.pow(shift as u32)
        } else {
            mantissa / 10i128.pow((-shift) as u32)
        }
    }

    #[test]
    fn parses_values_and_formats_like_upstream() {
        use Format::*;
        // Upstream's TestQuantityParse table: input, value as mantissa * 10^exponent, format.
        let table: &[(&str, i128, i32, Format)] = &[
            ("0", 0, 0, DecimalSI),
            ("0n", 0, 0, DecimalSI),
            ("0u", 0, 0, DecimalSI),
            ("0m", 0, 0, DecimalSI),
            ("0Ki", 0, 0, BinarySI),
            ("0k", 0, 0, DecimalSI),
            ("0Mi", 0, 0, BinarySI),
            ("0M", 0, 0, DecimalSI),
            ("0Gi", 0, 0, BinarySI),
            ("0G", 0, 0, DecimalSI),
            ("0Ti", 0, 0, BinarySI),
            ("0T", 0, 0, DecimalSI),
            ("1", 1, 0, DecimalSI),
            ("1Ki", 1024, 0, BinarySI),
            ("8Ki", 8 * 1024, 0, BinarySI),
            ("7Mi", 7 << 20, 0, BinarySI),
            ("6Gi", 6 << 30, 0, BinarySI),
            ("5Ti", 5 << 40, 0, BinarySI),
            ("4Pi", 4 << 50, 0, BinarySI),
            ("3Ei", 3 << 60, 0, BinarySI),
            ("10Ti", 10 << 40, 0, BinarySI),
            ("100Ti", 100 << 40, 0, BinarySI),
            ("5n", 5, -9, DecimalSI),
            ("4u", 4, -6, DecimalSI),
            ("3m", 3, -3, DecimalSI),
            ("9", 9, 0, DecimalSI),
            ("8k", 8, 3, DecimalSI),
            ("50k", 5, 4, DecimalSI),
            ("7M", 7, 6, DecimalSI),
            ("6G", 6, 9, DecimalSI),
            ("5T", 5, 12, DecimalSI),
            ("40T", 4, 13, DecimalSI),
            ("300T", 3, 14, DecimalSI),
            ("2P", 2, 15, DecimalSI),
            ("1E", 1, 18, DecimalSI),
            ("1E-3", 1, -3, DecimalExponent),
            ("1e3", 1, 3, DecimalExponent),
            ("1E6", 1, 6, DecimalExponent),
            ("1e9", 1, 9, DecimalExponent),
            ("1E12", 1, 12, DecimalExponent),
            ("1e15", 1, 15, DecimalExponent),
            ("1E18", 1, 18, DecimalExponent),
            ("1e14", 1, 14, DecimalExponent),
            ("1e13", 1, 13, DecimalExponent),
            ("100.035k", 100035, 0, DecimalSI),
            ("0.001", 1, -3, DecimalSI),
            ("0.0005k", 5, -1, DecimalSI),
            ("0.005", 5, -3, DecimalSI),
            ("0.05", 5, -2, DecimalSI),
            ("0.5", 5, -1, DecimalSI),
            ("0.00050k", 5, -1, DecimalSI),
            ("0.00500", 5, -3, DecimalSI),
            ("0.05000", 5, -2, DecimalSI),
            ("0.50000", 5, -1, DecimalSI),
            ("0.5e0", 5, -1, DecimalExponent),
            ("0.5e-1", 5, -2, DecimalExponent),
            ("0.5e-2", 5, -3, DecimalExponent),
            ("10.035M", 10035, 3, DecimalSI),
            ("1.2e3", 12, 2, DecimalExponent),
            ("1.3E+6", 13, 5, DecimalExponent),
            ("1.40e9", 14, 8, DecimalExponent),
            ("1.53E12", 153, 10, DecimalExponent),
            ("1.6e15", 16, 14, DecimalExponent),
            ("1.7E18", 17, 17, DecimalExponent),
            ("9.01", 901, -2, DecimalSI),
            ("8.1k", 81, 2, DecimalSI),
            ("7.123456M", 7123456, 0, DecimalSI),
            ("6.987654321G", 6987654321, 0, DecimalSI),
            ("5.444T", 5444, 9, DecimalSI),
            ("40.1T", 401, 11, DecimalSI),
            ("300.2T", 3002, 11, DecimalSI),
            ("2.5P", 25, 14, DecimalSI),
            ("1.01E", 101, 16, DecimalSI),
            // Things that saturate or round.
            ("3.001n", 4, -9, DecimalSI),
            ("1.1E-9", 2, -9, DecimalExponent),
            ("0.0000000001", 1, -9, DecimalSI),
            ("0.0000000005", 1, -9, DecimalSI),
            ("0.00000000050", 1, -9, DecimalSI),
            ("0.5e-9", 1, -9, DecimalExponent),
            ("0.9n", 1, -9, DecimalSI),
            ("0.00000012345", 124, -9, DecimalSI),
            ("0.00000012354", 124, -9, DecimalSI),
            ("9Ei", i64::MAX as i128, 0, BinarySI),
            ("9223372036854775807Ki", i64::MAX as i128, 0, BinarySI),
            ("12E", 12, 18, DecimalSI),
            // Fractional binary values.
            ("100.035Ki", 10243584, -2, BinarySI),
            ("0.5Mi", 524288, 0, BinarySI),
            ("0.05Gi", 536870912, -1, BinarySI),
            ("0.025Ti", 274877906944, -1, BinarySI),
            // "Things written by trolls".
            ("0.000000000001Ki", 2, -9, DecimalSI),
            (".001", 1, -3, DecimalSI),
            (".0001k", 100, -3, DecimalSI),
            ("1.", 1, 0, DecimalSI),
            ("1.G", 1, 9, DecimalSI),
        ];
        for &(input, mantissa, exponent, format) in table {
            let want = nanos(mantissa, exponent);
            for (prefix, sign) in [("", 1), ("-", -1), ("+", 1)] {
                let text = format!("{prefix}{input}");
                let q = Quantity::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
                assert_eq!(q.nanos(), sign * want, "{text}");
                assert_eq!(q.format(), format, "{text}");
            }
        }
    }

    #[test]
    fn rejects_what_upstream_rejects() {
        let table = [
            ("", WRONG),
            ("1.1.M", WRONG),
            ("1+1.0M", WRONG),
            ("0.1mi", SUFFIX),
            ("0.1am", WRONG),
            ("aoeu", WRONG),
            (".5i", SUFFIX),
            ("1i", SUFFIX),
            ("-3.01i", SUFFIX),
            ("-3.01e-", SUFFIX),
            (" 1", WRONG),
            ("1 ", WRONG),
            ("1K", SUFFIX),
            ("1ki", SUFFIX),
            ("1e", SUFFIX),
            ("1Ee5", SUFFIX),
            ("1e5.5", WRONG),
            ("1e99999999999999999999", SUFFIX),
            ("--1", SUFFIX),
            ("1-", SUFFIX),
            ("1.-1", SUFFIX),
            ("1,5", WRONG),
            // Only upstream's slow path needs digits.
            (".Pi", NUMERIC),
            ("Ei", NUMERIC),
            ("-Ei", NUMERIC),
            (".e-10", NUMERIC),
            // Beyond what an i128 of nano-units holds.
            ("1e100", RANGE),
            ("170141183460469231731687303715.884105728", RANGE),
            ("-170141183460469231731687303716", RANGE),
        ];
        for (input, want) in table {
            check(input, want);
        }
    }

    #[test]
    fn prints_canonical_form() {
        let table = [
            // From the brief and kubectl experience.
            ("1.5", "1500m"),
            ("1024Mi", "1Gi"),
            ("2e3", "2e3"),
            ("0.5Gi", "512Mi"),
            ("1.5Gi", "1536Mi"),
            ("1000m", "1"),
            ("100m", "100m"),
            ("128974848", "128974848"),
            ("129e6", "129e6"),
            ("129M", "129M"),
            ("123Mi", "123Mi"),
            ("0.1", "100m"),
            ("0.1m", "100u"),
            ("1.5n", "2n"),
            ("1536Ki", "1536Ki"),
            ("1025Mi", "1025Mi"),
            ("100.035Ki", "102435840m"),
            ("0.5Mi", "512Ki"),
            ("1.1E-9", "2e-9"),
            ("0.5e-9", "1e-9"),
            ("1e1", "10"),
            ("1.0e3", "1e3"),
            ("1.5k", "1500"),
            ("100.035k", "100.035k"),
            ("10.035M", "10.035M"),
            ("10.0350M", "10035k"),
            ("1.0", "1"),
            ("-1.5", "-1500m"),
            ("-0", "0"),
            ("-0.0Ki", "0"),
            ("12E", "12E"),
            ("7Ei", "7Ei"),
            ("8Ei", "9223372036854775807"),
            ("9Ei", "9223372036854775807"),
            ("1000000000000000000000000000000000Ki", "9223372036854775807"),
            ("99999999999999999999Ei", "9223372036854775807"),
            ("-100000000000000000000000Ki", "-9223372036854775807"),
            ("-9Ei", "-9223372036854775807"),
            ("170141183460469231731.687303715", "170141183460469231731687303715n"),
            ("170141183460469231731687303715.884105727", "170141183460469231731687303715884105727n"),
            ("-170141183460469231731687303715884105727e-9", "-170141183460469231731687303715884105727e-9"),
            // Upstream's TestQuantityParseEmit.
            ("1Ki", "1Ki"),
            ("1Mi", "1Mi"),
            ("1Gi", "1Gi"),
            ("1000M", "1G"),
            (".001Ki", "1024m"),
            (".000001Ki", "1024u"),
            (".000000001Ki", "1024n"),
            (".000000000001Ki", "2n"),
            ("-1Ki", "-1Ki"),
            ("-.001Ki", "-1024m"),
            ("-.000000000001Ki", "-2n"),
            // Upstream keeps the input text when its quick check finds it canonical.
            ("+1", "+1"),
            ("01", "01"),
            ("+123Mi", "+123Mi"),
            ("007Ki", "007Ki"),
            ("1E3", "1E3"),
            ("1e+3", "1e+3"),
            ("1e0", "1e0"),
            ("1.500k", "1.500k"),
            ("1.500", "1.500"),
            ("1.001", "1.001"),
            ("1.441k", "1.441k"),
            ("1.000001", "1.000001"),
            ("1.44", "1440m"),
            ("1E-3", "1E-3"),
            // Input forms upstream accepts as zero.
            ("k", "0"),
            ("Ki", "0"),
            ("-", "0"),
            ("+", "0"),
            (".", "0"),
            ("-.", "0"),
            // Upstream has no suffix beyond E (or Ei) and prints the bare mantissa.
            ("1000E", "1"),
            ("5000E", "5"),
            ("1e21", "1e21"),
        ];
        for (input, want) in table {
            check(input, want);
        }
    }

    #[test]
    fn prints_values_built_in_code_like_upstream() {
        use Format::*;
        const G: i128 = 1 << 30;
        // Upstream's TestQuantityString: value as mantissa * 10^exponent, format, canonical
        // string, and a non-canonical spelling of it.
        let table: &[(i128, i32, Format, &str, &str)] = &[
            (G, 0, BinarySI, "1Gi", "1024Mi"),
            (300 << 20, 0, BinarySI, "300Mi", "307200Ki"),
            (6 * 1024, 0, BinarySI, "6Ki", ""),
            (1001 * G, 0, BinarySI, "1001Gi", "1025024Mi"),
            (1024 * G, 0, BinarySI, "1Ti", "1024Gi"),
            (5, 0, BinarySI, "5", "5000m"),
            (500, -3, BinarySI, "500m", "0.5"),
            (1, 9, DecimalSI, "1G", "1000M"),
            (1000, 6, DecimalSI, "1G", "0.001T"),
            (1000000, 3, DecimalSI, "1G", ""),
            (1000000000, 0, DecimalSI, "1G", ""),
            (1, -3, DecimalSI, "1m", "1000u"),
            (80, -3, DecimalSI, "80m", ""),
            (1080, -3, DecimalSI, "1080m", "1.08"),
            (108, -2, DecimalSI, "1080m", "1080000000n"),
            (10800, -4, DecimalSI, "1080m", ""),
            (300, 6, DecimalSI, "300M", ""),
            (1, 12, DecimalSI, "1T", ""),
            (1234567, 6, DecimalSI, "1234567M", ""),
            (1234567, -3, BinarySI, "1234567m", ""),
            (3, 3, DecimalSI, "3k", ""),
            (1025, 0, BinarySI, "1025", ""),
            (0, 0, DecimalSI, "0", ""),
            (0, 0, BinarySI, "0", ""),
            (1, 9, DecimalExponent, "1e9", ".001e12"),
            (1, -3, DecimalExponent, "1e-3", "0.001e0"),
            (1, -9, DecimalExponent, "1e-9", "1000e-12"),
            (80, -3, DecimalExponent, "80e-3", ""),
            (300, 6, DecimalExponent, "300e6", ""),
            (1, 12, DecimalExponent, "1e12", ""),
            (1, 3, DecimalExponent, "1e3", ""),
            (3, 3, DecimalExponent, "3e3", ""),
            (0, 0, DecimalExponent, "0", "00"),
            (1, -9, DecimalSI, "1n", ""),
            (80, -9, DecimalSI, "80n", ""),
            (1080, -9, DecimalSI, "1080n", ""),
            (108, -8, DecimalSI, "1080n", ""),
            (1, -6, DecimalSI, "1u", ""),
            (80, -6, DecimalSI, "80u", ""),
            (1080, -6, DecimalSI, "1080u", ""),
        ];
        for &(mantissa, exponent, format, want, alternate) in table {
            let q = Quantity::from_nanos(nanos(mantissa, exponent), format);
            assert_eq!(q.to_string(), want, "{mantissa}e{exponent} {format:?}");
            if !q.is_zero() {
                assert_eq!((-&q).to_string(), format!("-{want}"));
            }
            check(want, want);
            if !alternate.is_empty() {
                check(alternate, want);
            }
        }
        // Upstream's TestNewSet and TestMilliNewSet.
        assert_eq!(Quantity::from_value(1, DecimalSI).to_string(), "1");
        assert_eq!(Quantity::from_value(1000, DecimalSI).to_string(), "1k");
        assert_eq!(Quantity::from_value(1234000, DecimalSI).to_string(), "1234k");
        assert_eq!(Quantity::from_value(1024, BinarySI).to_string(), "1Ki");
        assert_eq!(Quantity::from_value(1000000, DecimalExponent).to_string(), "1e6");
        assert_eq!(Quantity::from_value(1024 * 1024, BinarySI).to_string(), "1Mi");
        assert_eq!(Quantity::from_milli(1).to_string(), "1m");
        assert_eq!(Quantity::from_milli(1000).to_string(), "1");
        assert_eq!(Quantity::from_milli(1234000).to_string(), "1234");
        assert_eq!(Quantity::from_nanos(1024 * 1_000_000, BinarySI).to_string(), "1024m");
        assert_eq!(Quantity::from_nanos(1024 * 1024 * 1_000_000, BinarySI).to_string(), "1048576m");
        assert_eq!(Quantity::from_nanos(1_000_000 * 1_000_000, DecimalExponent).to_string(), "1e3");
        // Beyond 1024^6 upstream finds no binary suffix.
        assert_eq!(Quantity::from_nanos((1i128 << 70) * NANOS_PER_UNIT, BinarySI).to_string(), "1");
        // Width and alignment apply.
        assert_eq!(format!("{:>6}|{:<5}|", Quantity::from_milli(100), Quantity::parse("+1").unwrap()), "  100m|+1   |");
    }

    #[test]
    fn rounds_values_away_from_zero() {
        // input, value(), milli_value()
        let table = [
            ("0", 0, 0),
            ("1.5", 2, 1500),
            ("100m", 1, 100),
            ("1n", 1, 1),
            ("1.0001m", 1, 2),
            ("-1.5", -2, -1500),
            ("-1n", -1, -1),
            ("1Gi", 1 << 30, 1000 << 30),
            ("9Ei", i64::MAX, i64::MAX),
            ("12E", i64::MAX, i64::MAX),
            ("-12E", i64::MIN, i64::MIN),
        ];
        for (input, value, milli) in table {
            let q = Quantity::parse(input).unwrap();
            assert_eq!((q.value(), q.milli_value()), (value, milli), "{input}");
        }
        // Upstream's TestScaledValue, for the scales these accessors use.
        for (input, value, milli) in [("1n", 1, 1), ("1u", 1, 1), ("1m", 1, 1), ("1", 1, 1000)] {
            let q = Quantity::parse(input).unwrap();
            assert_eq!((q.value(), q.milli_value()), (value, milli), "{input}");
        }
    }

    #[test]
    fn compares_and_adds_by_value() {
        let q = |s: &str| Quantity::parse(s).unwrap();
        assert_eq!(q("1Gi"), q("1073741824"));
        assert_eq!(q("1"), q("1000m"));
        assert_eq!(q("0"), q("0Ki"));
        assert!(q("100m") > q("50m"));
        assert!(q("10000T") > q("100Gi"));
        assert!(q("-1") < q("1n"));
        assert_eq!(q("1.5").cmp(&q("1500m")), Ordering::Equal);

        // Upstream's TestAdd / TestSub: the sum keeps the receiver's format unless it is zero.
        let add = |a: &str, b: &str| q(a).checked_add(&q(b)).unwrap();
        let sub = |a: &str, b: &str| q(a).checked_sub(&q(b)).unwrap();
        assert_eq!(add("10", "1e1").to_string(), "20");
        assert_eq!(add("10", "1Ki").to_string(), "1034");
        assert_eq!(add("2Ki", "1").format(), Format::BinarySI);
        assert_eq!(add("0", "1Ki").to_string(), "1Ki");
        assert_eq!(add("1Ki", "0").to_string(), "1Ki");
        assert_eq!(add("100m", "0").to_string(), "100m");
        assert_eq!(sub("0", "1Ki").to_string(), "-1Ki");
        assert_eq!(sub("10", "1e1").to_string(), "0");
        assert_eq!(sub("1Gi", "512Mi").to_string(), "512Mi");
        assert_eq!(sub("1", "1500m").to_string(), "-500m");
        assert_eq!(add("+1", "0").to_string(), "1");
        assert_eq!((-q("+1")).to_string(), "-1");
        assert_eq!(add("1.5Ki", "0.5").to_string(), "1536500m");
        assert_eq!(q("0").saturating_add(&q("1Ki")).to_string(), "1Ki");
        assert_eq!(q("128Mi").saturating_add(&q("896Mi")).to_string(), "1Gi");

        assert_eq!(q("10").checked_mul(10).unwrap().to_string(), "100");
        assert_eq!(q("10Ki").checked_mul(-1).unwrap().to_string(), "-10Ki");
        assert_eq!(q("-50").checked_mul(-50).unwrap().to_string(), "2500");
        assert_eq!(q("1.5").checked_mul(0).map(|z| z.to_string()).as_deref(), Some("0"));

        let max = Quantity::from_nanos(i128::MAX, Format::DecimalSI);
        assert!(max.checked_add(&q("1n")).is_none());
        assert!((-&max).checked_sub(&q("1n")).is_none());
        assert!(max.checked_mul(2).is_none());
        assert_eq!(max.checked_add(&q("-1n")).map(|s| s.nanos()), Some(i128::MAX - 1));
        assert_eq!(max.saturating_add(&max).nanos(), i128::MAX);
        assert_eq!((-&max).saturating_add(&-&max).nanos(), -i128::MAX);
        assert!(q("8Ei").within_api_range() && q("-9223372036854775807").within_api_range());
        assert!(!q("9223372036854775808").within_api_range() && !q("-12E").within_api_range());
        assert_eq!((q("1e29").exact_value(), q("1e29").value()), (10i128.pow(29), i64::MAX));
        assert_eq!(q("-1.5n").exact_milli_value(), -1);
        assert!(!q("1").is_zero() && q("0m").is_zero());
        assert_eq!(q("1.5").as_f64(), 1.5);
        assert_eq!(format!("{:?}", q("1.5Gi")), "Quantity(1536Mi, BinarySI)");
    }

    #[test]
    fn converts_api_quantities() {
        use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
        let from = |s: &str| Quantity::from_k8s(&K8sQuantity(s.to_string())).map(|q| q.to_string());
        assert_eq!(from(" 1.5Gi\n").as_deref(), Ok("1536Mi"));
        assert_eq!(from("\t+1 ").as_deref(), Ok("+1"));
        assert_eq!(from("x"), Err(QuantityError::FormatWrong));
        assert_eq!(Quantity::parse("0.5").unwrap().to_k8s(), K8sQuantity("500m".to_string()));
        assert_eq!("2Gi".parse::<Quantity>().unwrap().value(), 2 << 30);
    }

    fn any_format() -> impl Strategy<Value = Format> {
        prop_oneof![Just(Format::DecimalSI), Just(Format::BinarySI), Just(Format::DecimalExponent)]
    }

    /// Values whose canonical form upstream can print (below 10^21 in magnitude).
    fn printable_nanos() -> impl Strategy<Value = i128> {
        const LIMIT: i128 = 1_000_000_000_000_000_000_000_000_000_000;
        prop_oneof![
            any::<i32>().prop_map(i128::from),
            any::<i64>().prop_map(i128::from),
            any::<i32>().prop_map(|v| i128::from(v) * 1_000_000),
            (any::<i32>(), 0u32..7).prop_map(|(v, p)| i128::from(v) * (1i128 << (10 * p)) * NANOS_PER_UNIT),
            (any::<i16>(), 0u32..26).prop_map(|(v, p)| i128::from(v) * 10i128.pow(p)),
            (-LIMIT + 1)..LIMIT,
        ]
    }

    /// Quantity text within the API's bound, in every form.
    fn api_text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<i64>().prop_map(|v| v.to_string()),
            (any::<i64>(), 0u32..7).prop_map(|(v, p)| format!(
                "{}{}",
                v >> (10 * p),
                ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][p as usize]
            )),
            (any::<i32>(), prop_oneof![Just("m"), Just("n"), Just("k"), Just("M"), Just("G")])
                .prop_map(|(v, s)| format!("{v}{s}")),
            (0u64..1_000_000_000, 0u32..10).prop_map(|(v, e)| format!("{v}e{e}")),
            "[0-9]{1,18}\\.[0-9]{1,12}",
        ]
    }

    /// Upstream caps parsed BinarySI values at 2^63-1, so larger ones cannot round-trip.
    fn below_binary_si_cap(nanos: i128, format: Format) -> i128 {
        if format == Format::BinarySI {
            nanos % (MAX_BINARY_SI_NANOS + 1)
        } else {
            nanos
        }
    }

    proptest! {
        /// The memo gives what a fresh parse gives: value, format, kept spelling, or error.
        #[test]
        fn remembered_parses_equal_fresh_ones(text in "[+-]?[0-9.]{0,6}[eEinumkKMGTP]{0,2}[-+]?[0-9]{0,2}") {
            let fresh = parse_uncached(&text).map(|q| (q.nanos, q.format, q.to_string()));
            for _ in 0..2 {
                let remembered = parse(&text).map(|q| (q.nanos, q.format, q.to_string()));
                prop_assert_eq!(&remembered, &fresh);
            }
        }

        #[test]
        fn display_parses_back_to_the_same_value(nanos in printable_nanos(), format in any_format()) {
            let q = Quantity::from_nanos(below_binary_si_cap(nanos, format), format);
            let text = q.to_string();
            let back = Quantity::parse(&text).unwrap();
            prop_assert_eq!(&back, &q, "{} -> {:?}", text, back);
            // Printing is stable, except that a BinarySI value printed without a binary suffix
            // parses back as DecimalSI (10000 BinarySI prints "10000", which then prints "10k").
            if format != Format::BinarySI || text.ends_with('i') {
                prop_assert_eq!(back.to_string(), text);
            }
        }

        #[test]
        fn sign_and_plus_prefix_do_not_change_magnitude(nanos in printable_nanos(), format in any_format()) {
            let q = Quantity::from_nanos(below_binary_si_cap(nanos, format).abs(), format);
            let text = q.to_string();
            prop_assert_eq!(Quantity::parse(&format!("-{text}")).unwrap(), -&q);
            prop_assert_eq!(Quantity::parse(&format!("+{text}")).unwrap(), q);
        }

        #[test]
        fn decimal_strings_parse_exactly(int in 0u64..1_000_000_000_000, frac in 0u32..1_000_000_000) {
            let q = Quantity::parse(&format!("{int}.{frac:09}")).unwrap();
            prop_assert_eq!(q.nanos(), i128::from(int) * NANOS_PER_UNIT + i128::from(frac));
        }

        #[test]
        fn addition_is_exact(a in printable_nanos(), b in printable_nanos()) {
            let (qa, qb) = (Quantity::from_nanos(a, Format::DecimalSI), Quantity::from_nanos(b, Format::BinarySI));
            let sum = qa.checked_add(&qb).unwrap();
            prop_assert_eq!(sum.nanos(), a + b);
            prop_assert_eq!(sum.checked_sub(&qb).unwrap(), qa);
        }

        /// Over the whole range: a checked sum is exact or refused, a saturating one is exact or
        /// held at the bound, and neither panics.
        #[test]
        fn sums_are_exact_refused_or_held(a in (-i128::MAX)..=i128::MAX, b in (-i128::MAX)..=i128::MAX, factor in any::<i64>()) {
            let (qa, qb) = (Quantity::from_nanos(a, Format::DecimalSI), Quantity::from_nanos(b, Format::DecimalSI));
            let exact = a.checked_add(b).filter(|&n| n != i128::MIN);
            prop_assert_eq!(qa.checked_add(&qb).map(|q| q.nanos()), exact);
            prop_assert_eq!(qa.checked_sub(&qb).map(|q| q.nanos()), a.checked_sub(b).filter(|&n| n != i128::MIN));
            prop_assert_eq!(qa.saturating_add(&qb).nanos(), exact.unwrap_or(if a > 0 { i128::MAX } else { -i128::MAX }));
            let product = a.checked_mul(i128::from(factor)).filter(|&n| n != i128::MIN);
            prop_assert_eq!(qa.checked_mul(factor).map(|q| q.nanos()), product);
            let _ = (qa.to_string(), qa.value(), qa.milli_value(), qa.exact_milli_value(), -&qa);
        }

        /// Quantities an API object may hold add up exactly, however many a pod or node has.
        #[test]
        fn api_quantities_sum_exactly(texts in proptest::collection::vec(api_text(), 0..64)) {
            let parsed: Vec<Quantity> = texts.iter().map(|t| Quantity::parse(t).unwrap()).collect();
            let mut total = Quantity::zero();
            let mut exact: i128 = 0;
            for q in &parsed {
                prop_assert!(q.within_api_range(), "{}", q);
                total = total.saturating_add(q);
                exact += q.nanos();
            }
            prop_assert_eq!(total.nanos(), exact);
            prop_assert!(total.nanos().unsigned_abs() <= 64 * MAX_BINARY_SI_NANOS.unsigned_abs());
        }

        /// Any number with any suffix parses or is refused; binary-suffixed ones are never too
        /// large (they are capped), decimal ones past an `i128` of nano-units are.
        #[test]
        fn large_values_are_capped_or_refused(digits in "[1-9][0-9]{0,60}", suffix in "(|Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|e[0-9]{1,3})", negative in any::<bool>()) {
            let text = format!("{}{digits}{suffix}", if negative { "-" } else { "" });
            match Quantity::parse(&text) {
                Ok(q) if suffix.ends_with('i') => prop_assert!(q.within_api_range(), "{} -> {}", text, q),
                Ok(q) => prop_assert!(q.nanos() != i128::MIN),
                Err(e) => {
                    prop_assert_eq!(e, QuantityError::OutOfRange);
                    prop_assert!(!suffix.ends_with('i'), "{}", text);
                }
            }
        }

        #[test]
        fn never_panics(s in "[-+]?[0-9.]{0,25}[eEinumkKMGTP]{0,3}[-+]?[0-9]{0,12}") {
            let _ = Quantity::parse(&s).map(|q| q.to_string());
        }
    }
}
