//! The one Perl program people run in a Job, the Kubernetes docs' `pi` example: `perl
//! -Mbignum=bpi -wle 'print bpi(2000)'` prints π to that many significant digits. It takes a
//! moment, about a second per 400 digits, and exits 0.

use chrono::Duration;

/// What `perl` with these arguments prints and how long it runs, if it is a `print bpi(N)`.
pub fn bpi(args: &[&str]) -> Option<(Duration, String)> {
    let text = args.join(" ");
    let start = text.find("bpi(")? + 4;
    let end = start + text[start..].find(')')?;
    let digits: usize = text[start..end].trim().parse().ok().filter(|n| (1..=100_000).contains(n))?;
    let secs = digits.div_ceil(400) as i64;
    Some((Duration::seconds(secs), pi(digits)))
}

/// π rounded to `n` significant digits, as Math::BigFloat prints it (`3.14`).
pub fn pi(n: usize) -> String {
    let mut d = spigot(n + 3);
    let round_up = d[n] >= 5;
    d.truncate(n);
    if round_up {
        for x in d.iter_mut().rev() {
            if *x == 9 {
                *x = 0;
            } else {
                *x += 1;
                break;
            }
        }
    }
    let mut s: String = d.iter().map(|x| char::from(b'0' + x)).collect();
    if n > 1 {
        s.insert(1, '.');
    }
    s
}

/// The first `n` decimal digits of π (3, 1, 4, …), by Rabinowitz and Wagon's spigot.
fn spigot(n: usize) -> Vec<u8> {
    let len = n * 10 / 3 + 2;
    let mut a = vec![2u64; len];
    let mut out: Vec<u8> = Vec::with_capacity(n + 1);
    let (mut predigit, mut nines, mut first) = (0u8, 0usize, true);
    for _ in 0..=n {
        let mut q = 0u64;
        for i in (1..=len as u64).rev() {
            let x = 10 * a[i as usize - 1] + q * i;
            a[i as usize - 1] = x % (2 * i - 1);
            q = x / (2 * i - 1);
        }
        a[0] = q % 10;
        q /= 10;
        match q {
            9 => nines += 1,
            10 => {
                out.push(predigit + 1);
                out.extend(std::iter::repeat_n(0, nines));
                predigit = 0;
                nines = 0;
            }
            _ => {
                if !first {
                    out.push(predigit);
                }
                first = false;
                predigit = q as u8;
                out.extend(std::iter::repeat_n(9, nines));
                nines = 0;
            }
        }
    }
    out.push(predigit);
    out.truncate(n);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pi_to_so_many_digits() {
        assert_eq!(pi(1), "3");
        assert_eq!(pi(5), "3.1416");
        assert_eq!(pi(50), "3.1415926535897932384626433832795028841971693993751");
        let long = pi(2000);
        assert_eq!(long.len(), 2001);
        // Digits 762..767 are the Feynman point, six nines.
        assert_eq!(&long[763..769], "999999");
        assert!(long.ends_with("33904780275901"), "{}", &long[1940..]);
        assert!(pi(2010).contains("339047802759009"), "{}", &pi(2010)[1940..]);
        let (after, text) = bpi(&["-Mbignum=bpi", "-wle", "print bpi(2000)"]).unwrap();
        assert_eq!((after.num_seconds(), text.len()), (5, 2001));
        assert_eq!(bpi(&["-e", "print 1"]), None);
    }
}
