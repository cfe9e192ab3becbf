//! `expiry-time="YYYYMMDD[HHMM[SS]]"` values, read without a clock or a time zone database:
//! local time (sshd's reading) is compared with the UTC offset the caller gives.

/// An `expiry-time=` value: the date and time as written, as seconds from 1970-01-01 00:00
/// of the same calendar, and whether it names UTC (a `Z` or `UTC` suffix) or, as sshd reads
/// it otherwise, the server's local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpiryTime {
    /// The written date and time in seconds since 1970-01-01 00:00 (unix seconds when `utc`).
    pub seconds: u64,
    /// True for a `Z`/`UTC` value.
    pub utc: bool,
}

impl ExpiryTime {
    /// True when the time has passed at `now_unix`, the local time then being `utc_offset`
    /// seconds ahead of UTC. (sshd converts with the offset at the expiry date instead; the
    /// two differ only within an hour of a daylight-saving change.)
    pub fn has_passed(&self, now_unix: u64, utc_offset: i32) -> bool {
        let now = i128::from(now_unix) + if self.utc { 0 } else { i128::from(utc_offset) };
        i128::from(self.seconds) < now
    }
}

/// Parses an OpenSSH absolute time, local unless it ends in `Z` or `UTC`. Returns `None` for
/// anything malformed or before 1970-01-01T00:00:01.
pub fn parse_expiry_time(s: &str) -> Option<ExpiryTime> {
    let written = s;
    let s = s
        .strip_suffix(['Z', 'z'])
        .or_else(|| {
            let cut = s.len().checked_sub(3)?;
            s.get(cut..)
                .filter(|t| t.eq_ignore_ascii_case("utc"))
                .and_then(|_| s.get(..cut))
        })
        .unwrap_or(s);
    if !matches!(s.len(), 8 | 12 | 14) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let field = |from: usize, len: usize| -> Option<u64> { s.get(from..from + len)?.parse().ok() };
    let year = field(0, 4)?;
    let month = field(4, 2)?;
    let day = field(6, 2)?;
    let hour = field(8, 2).unwrap_or(0);
    let minute = field(10, 2).unwrap_or(0);
    let second = field(12, 2).unwrap_or(0);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
        || year < 1970
    {
        return None;
    }
    let days = days_since_epoch(year, month, day)?;
    let t = days
        .checked_mul(86_400)?
        .checked_add(hour * 3600 + minute * 60 + second)?;
    let utc = written.len() != s.len();
    (t > 0).then_some(ExpiryTime { seconds: t, utc })
}

fn is_leap(year: u64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given date (year >= 1970), by counting whole years and
/// months: at most 8030 years of four-digit input, so the loop is small.
fn days_since_epoch(year: u64, month: u64, day: u64) -> Option<u64> {
    let mut days = 0u64;
    for y in 1970..year {
        days = days.checked_add(if is_leap(y) { 366 } else { 365 })?;
    }
    for m in 1..month {
        days = days.checked_add(days_in_month(year, m))?;
    }
    days.checked_add(day - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(seconds: u64) -> ExpiryTime {
        ExpiryTime {
            seconds,
            utc: false,
        }
    }

    fn utc(seconds: u64) -> ExpiryTime {
        ExpiryTime { seconds, utc: true }
    }

    #[test]
    fn local_times_pass_by_the_callers_offset_and_utc_times_do_not_care() {
        // 2025-01-01 00:00 local, at 00:30 UTC.
        let t = parse_expiry_time("20250101").unwrap();
        let now = 1_735_691_400;
        assert!(t.has_passed(now, 0), "UTC+0: passed half an hour ago");
        assert!(t.has_passed(now, 3600), "UTC+1: local time is 01:30");
        assert!(
            !t.has_passed(now, -3600),
            "UTC-1: local time is 23:30 the day before"
        );
        let z = parse_expiry_time("20250101Z").unwrap();
        assert!(z.has_passed(now, -3600));
        assert!(
            !z.has_passed(1_735_689_600, 3600),
            "not before the second itself"
        );
    }

    #[test]
    fn known_dates_convert_to_unix_time() {
        assert_eq!(parse_expiry_time("19700102"), Some(local(86_400)));
        assert_eq!(parse_expiry_time("20000101"), Some(local(946_684_800)));
        assert_eq!(parse_expiry_time("20240229"), Some(local(1_709_164_800)));
        assert_eq!(
            parse_expiry_time("203801190314"),
            Some(local(2_147_483_640))
        );
        assert_eq!(
            parse_expiry_time("20380119031407"),
            Some(local(2_147_483_647))
        );
        assert_eq!(
            parse_expiry_time("20380119031407Z"),
            Some(utc(2_147_483_647))
        );
        assert_eq!(
            parse_expiry_time("20380119031407UTC"),
            Some(utc(2_147_483_647))
        );
    }

    #[test]
    fn malformed_times_are_rejected() {
        for s in [
            "",
            "2024",
            "2024010",
            "202401011",
            "20241301",
            "20230229",
            "20240132",
            "20240101246",
            "202401012400",
            "202401010060",
            "20240101000060",
            "2024-01-01",
            "19691231",
            "19700101",
            "+0240101",
            "20240101Zx",
            "２０２４０１０１",
        ] {
            assert_eq!(parse_expiry_time(s), None, "{s:?}");
        }
    }
}
