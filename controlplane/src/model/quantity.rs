//! Resource quantities (`100m`, `1.5`, `128Mi`, `1G`, `2e3`), exact fixed-point values.
//!
//! Parsing, rounding, arithmetic and the string form follow k8s.io/apimachinery
//! `pkg/api/resource` (`quantity.go`, `amount.go`, `suffix.go`) as released with Kubernetes 1.33.
//! The value is held as an `i128` count of nano-units: parsing rounds to 1n away from zero as
//! upstream does, and anything up to about ±1.7e29 is exact. Larger values, which upstream
//! would keep in an arbitrary-precision decimal, are rejected with [`QuantityError::OutOfRange`].

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};
use std::str::FromStr;
use std::sync::Arc;

const NANOS_PER_UNIT: i128 = 1_000_000_000;
/// Upstream caps BinarySI quantities at 2^63-1 units when parsing.
const MAX_BINARY_SI_NANOS: i128 = i64::MAX as i128 * NANOS_PER_UNIT;

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
        round_away_from_zero(self.nanos, NANOS_PER_UNIT)
    }

    /// Thousandths, rounded away from zero (`MilliValue()`); saturates at the `i64` bounds.
    pub fn milli_value(&self) -> i64 {
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

fn round_away_from_zero(nanos: i128, per: i128) -> i64 {
    let mut quotient = nanos / per;
    if nanos % per != 0 {
        quotient += nanos.signum();
    }
    quotient.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
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

fn parse(s: &str) -> Result<Quantity, QuantityError> {
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
    let (magnitude, inexact) = scale_digits(p.num, p.denom, pow2, pow10)?;
    // Non-zero values are rounded up to the next nano-unit.
    let rounded = magnitude.checked_add(u128::from(inexact)).ok_or(QuantityError::OutOfRange)?;
    let mut nanos = i128::try_from(rounded).map_err(|_| QuantityError::OutOfRange)?;
    if format == Format::BinarySI {
        nanos = nanos.min(MAX_BINARY_SI_NANOS);
        if nanos < NANOS_PER_UNIT {
            format = if nanos == 0 { Format::BinarySI } else { Format::DecimalSI };
        }
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
        Format::BinarySI if magnitude < 1024 * per_unit || magnitude % per_unit != 0 => Format::DecimalSI,
        other => other,
    };
    if format == Format::BinarySI {
        let mut mantissa = magnitude / per_unit;
        let mut power = 0;
        while mantissa >= 1024 && mantissa % 1024 == 0 {
            mantissa /= 1024;
            power += 1;
        }
        // Beyond Ei upstream finds no suffix and prints none.
        let suffix = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"].get(power).copied().unwrap_or("");
        return format!("{sign}{mantissa}{suffix}");
    }
    let mut mantissa = magnitude;
    let mut exponent: i32 = -9;
    while mantissa % 10 == 0 {
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

// Arithmetic panics on overflow (beyond ±1.7e29 units), as `Duration`'s does; use the
// `checked_*` methods where that can happen.

impl Add<&Quantity> for &Quantity {
    type Output = Quantity;

    fn add(self, rhs: &Quantity) -> Quantity {
        self.checked_add(rhs).expect("overflow when adding quantities")
    }
}

impl Add for Quantity {
    type Output = Quantity;

    fn add(self, rhs: Quantity) -> Quantity {
        &self + &rhs
    }
}

impl Add<&Quantity> for Quantity {
    type Output = Quantity;

    fn add(self, rhs: &Quantity) -> Quantity {
        &self + rhs
    }
}

impl AddAssign<&Quantity> for Quantity {
    fn add_assign(&mut self, rhs: &Quantity) {
        *self = &*self + rhs;
    }
}

impl AddAssign for Quantity {
    fn add_assign(&mut self, rhs: Quantity) {
        *self = &*self + &rhs;
    }
}

impl Sub<&Quantity> for &Quantity {
    type Output = Quantity;

    fn sub(self, rhs: &Quantity) -> Quantity {
        self.checked_sub(rhs).expect("overflow when subtracting quantities")
    }
}

impl Sub for Quantity {
    type Output = Quantity;

    fn sub(self, rhs: Quantity) -> Quantity {
        &self - &rhs
    }
}

impl Sub<&Quantity> for Quantity {
    type Output = Quantity;

    fn sub(self, rhs: &Quantity) -> Quantity {
        &self - rhs
    }
}

impl SubAssign<&Quantity> for Quantity {
    fn sub_assign(&mut self, rhs: &Quantity) {
        *self = &*self - rhs;
    }
}

impl SubAssign for Quantity {
    fn sub_assign(&mut self, rhs: Quantity) {
        *self = &*self - &rhs;
    }
}

impl Mul<i64> for &Quantity {
    type Output = Quantity;

    fn mul(self, factor: i64) -> Quantity {
        self.checked_mul(factor).expect("overflow when multiplying a quantity")
    }
}

impl Mul<i64> for Quantity {
    type Output = Quantity;

    fn mul(self, factor: i64) -> Quantity {
        &self * factor
    }
}

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

impl Sum for Quantity {
    fn sum<I: Iterator<Item = Quantity>>(iter: I) -> Quantity {
        iter.fold(Quantity::zero(), |acc, q| &acc + &q)
    }
}

impl<'a> Sum<&'a Quantity> for Quantity {
    fn sum<I: Iterator<Item = &'a Quantity>>(iter: I) -> Quantity {
        iter.fold(Quantity::zero(), |acc, q| &acc + q)
    }
}
