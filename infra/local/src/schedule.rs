//! EventBridge schedule expressions: `rate(N unit)` and `cron(min hour dom month dow year)` (UTC),
//! so the local stack fires the template's schedules on their timetable.

use anyhow::{Result, anyhow, bail};
use time::UtcDateTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// Every N seconds, first fire one interval after start (as EventBridge does).
    Rate(i64),
    Cron(Box<Cron>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<bool>,     // 0..60
    hours: Vec<bool>,       // 0..24
    dom: Option<Vec<bool>>, // 1..=31 (None = `?`)
    months: Vec<bool>,      // 1..=12
    dow: Option<Vec<bool>>, // 1..=7, 1 = Sunday (None = `?`)
    years: Option<(i64, i64)>,
}

impl Schedule {
    pub fn parse(expr: &str) -> Result<Self> {
        let expr = expr.trim();
        if let Some(inner) = expr.strip_prefix("rate(").and_then(|s| s.strip_suffix(')')) {
            let (n, unit) = inner
                .trim()
                .split_once(' ')
                .ok_or_else(|| anyhow!("bad rate `{expr}`"))?;
            let n: i64 = n
                .parse()
                .map_err(|_| anyhow!("bad rate value in `{expr}`"))?;
            if n <= 0 {
                bail!("rate must be positive: `{expr}`");
            }
            let secs = match unit.trim() {
                "minute" | "minutes" => 60,
                "hour" | "hours" => 3600,
                "day" | "days" => 86_400,
                other => bail!("unknown rate unit `{other}`"),
            };
            return Ok(Schedule::Rate(n * secs));
        }
        if let Some(inner) = expr.strip_prefix("cron(").and_then(|s| s.strip_suffix(')')) {
            return Ok(Schedule::Cron(Box::new(Cron::parse(inner)?)));
        }
        bail!("unsupported schedule expression `{expr}` (rate(...) or cron(...))")
    }

    /// The first fire time strictly after `after` (unix seconds), given the schedule started at
    /// `start`.
    pub fn next_after(&self, start: i64, after: i64) -> Option<i64> {
        match self {
            Schedule::Rate(every) => {
                let k = (after - start).div_euclid(*every) + 1;
                Some(start + k * every)
            }
            Schedule::Cron(c) => c.next_after(after),
        }
    }
}

fn field(spec: &str, lo: u32, hi: u32, names: &[&str]) -> Result<Vec<bool>> {
    let mut set = vec![false; hi as usize + 1];
    for part in spec.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>().map_err(|_| anyhow!("bad step `{part}`"))?,
            ),
            None => (part, 1),
        };
        if step == 0 {
            bail!("step 0 in `{part}`");
        }
        let num = |s: &str| -> Result<u32> {
            if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
                return Ok(lo + i as u32);
            }
            s.parse::<u32>()
                .map_err(|_| anyhow!("`{s}` is not supported (L, W and # are not)"))
        };
        let (a, b) = match range {
            "*" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (num(a)?, num(b)?),
                None if part.contains('/') => (num(r)?, hi),
                None => (num(r)?, num(r)?),
            },
        };
        if a < lo || b > hi || a > b {
            bail!("`{part}` is out of range {lo}-{hi}");
        }
        let mut v = a;
        while v <= b {
            set[v as usize] = true;
            v += step;
        }
    }
    Ok(set)
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

impl Cron {
    fn parse(s: &str) -> Result<Self> {
        let f: Vec<&str> = s.split_whitespace().collect();
        if f.len() != 6 {
            bail!("cron needs 6 fields (minutes hours day-of-month month day-of-week year): `{s}`");
        }
        let dom = if f[2] == "?" {
            None
        } else {
            Some(field(f[2], 1, 31, &[])?)
        };
        let dow = if f[4] == "?" {
            None
        } else {
            Some(field(f[4], 1, 7, &DAYS)?)
        };
        if dom.is_some() == dow.is_some() {
            bail!("exactly one of day-of-month and day-of-week must be `?`: `{s}`");
        }
        let years = if f[5] == "*" {
            None
        } else {
            let (a, b) = f[5].split_once('-').unwrap_or((f[5], f[5]));
            Some((
                a.parse().map_err(|_| anyhow!("bad year"))?,
                b.parse().map_err(|_| anyhow!("bad year"))?,
            ))
        };
        Ok(Cron {
            minutes: field(f[0], 0, 59, &[])?,
            hours: field(f[1], 0, 23, &[])?,
            dom,
            months: field(f[3], 1, 12, &MONTHS)?,
            dow,
            years,
        })
    }

    fn matches(&self, t: i64) -> bool {
        // Beyond the years -9999..=9999 nothing fires.
        let Ok(at) = UtcDateTime::from_unix_timestamp(t) else {
            return false;
        };
        let weekday = at.weekday().number_days_from_sunday() + 1; // 1 = Sunday
        self.minutes[usize::from(at.minute())]
            && self.hours[usize::from(at.hour())]
            && self.months[usize::from(u8::from(at.month()))]
            && self.dom.as_ref().is_none_or(|s| s[usize::from(at.day())])
            && self.dow.as_ref().is_none_or(|s| s[usize::from(weekday)])
            && self
                .years
                .is_none_or(|(a, b)| (a..=b).contains(&i64::from(at.year())))
    }

    fn next_after(&self, after: i64) -> Option<i64> {
        let mut t = (after.div_euclid(60) + 1) * 60;
        // Search minute by minute, at most five years ahead.
        for _ in 0..(5 * 366 * 24 * 60) {
            if self.matches(t) {
                return Some(t);
            }
            t += 60;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_26_2026: i64 = 1_795_651_200; // 2026-11-26T00:00:00Z, a Thursday

    #[test]
    fn rates() {
        assert_eq!(
            Schedule::parse("rate(10 minutes)").unwrap(),
            Schedule::Rate(600)
        );
        assert_eq!(
            Schedule::parse("rate(1 day)").unwrap(),
            Schedule::Rate(86_400)
        );
        let s = Schedule::Rate(600);
        assert_eq!(s.next_after(1000, 1000), Some(1600));
        assert_eq!(s.next_after(1000, 1599), Some(1600));
        assert_eq!(s.next_after(1000, 1600), Some(2200));
        assert!(Schedule::parse("rate(0 minutes)").is_err());
        assert!(Schedule::parse("rate(5 fortnights)").is_err());
    }

    #[test]
    fn cron_every_ten_minutes() {
        let s = Schedule::parse("cron(0/10 * * * ? *)").unwrap();
        assert_eq!(s.next_after(0, NOV_26_2026), Some(NOV_26_2026 + 600));
        assert_eq!(s.next_after(0, NOV_26_2026 + 1), Some(NOV_26_2026 + 600));
    }

    #[test]
    fn cron_weekdays_at_nine() {
        let s = Schedule::parse("cron(0 9 ? * MON-FRI *)").unwrap();
        // Thursday 09:00, then Friday 09:00, then Monday 09:00.
        let thu = s.next_after(0, NOV_26_2026).unwrap();
        assert_eq!(thu, NOV_26_2026 + 9 * 3600);
        let fri = s.next_after(0, thu).unwrap();
        assert_eq!(fri, thu + 86_400);
        assert_eq!(s.next_after(0, fri), Some(fri + 3 * 86_400));
    }

    #[test]
    fn cron_first_of_month() {
        let s = Schedule::parse("cron(15 3 1 * ? *)").unwrap();
        // 2026-12-01T03:15:00Z
        assert_eq!(
            s.next_after(0, NOV_26_2026),
            Some(NOV_26_2026 + 5 * 86_400 + 3 * 3600 + 15 * 60)
        );
    }

    #[test]
    fn bad_crons_say_why() {
        assert!(
            Schedule::parse("cron(0 9 * * * *)")
                .unwrap_err()
                .to_string()
                .contains("`?`")
        );
        assert!(Schedule::parse("cron(0 9 L * ? *)").is_err());
        assert!(Schedule::parse("cron(61 * * * ? *)").is_err());
        assert!(Schedule::parse("cron(0 9 * *)").is_err());
        assert!(Schedule::parse("every day").is_err());
    }

    #[test]
    fn calendar() {
        // The dates the cron fields see: 1970-01-01 (a Thursday), 2026-11-26, 2000-02-29.
        let at = |expr: &str, after: i64| Schedule::parse(expr).unwrap().next_after(0, after);
        assert_eq!(at("cron(0 0 1 1 ? 1970)", -1), Some(0));
        assert_eq!(at("cron(0 0 ? * THU 1970)", -1), Some(0));
        assert_eq!(
            at("cron(0 0 26 11 ? 2026)", NOV_26_2026 - 1),
            Some(NOV_26_2026)
        );
        assert_eq!(at("cron(0 0 29 2 ? *)", 946_684_800), Some(11_016 * 86_400));
    }

    #[test]
    fn cron_days_of_month_follow_the_calendar() {
        const MAR_1_2026: i64 = 1_772_323_200;
        const FEB_29_2028: i64 = 1_835_395_200;
        // 29 February: not in 2026 or 2027, next in 2028.
        let leap = Schedule::parse("cron(0 12 29 2 ? *)").unwrap();
        assert_eq!(
            leap.next_after(0, NOV_26_2026),
            Some(FEB_29_2028 + 12 * 3600)
        );
        // 31 February never comes (the search gives up after five years).
        let never = Schedule::parse("cron(0 0 31 2 ? *)").unwrap();
        assert_eq!(never.next_after(0, NOV_26_2026), None);
        // The 31st skips the months that have 30 days: after 2026-03-31 comes 2026-05-31.
        let last = Schedule::parse("cron(0 0 31 * ? *)").unwrap();
        let march = last.next_after(0, MAR_1_2026).unwrap();
        assert_eq!(march, MAR_1_2026 + 30 * 86_400);
        assert_eq!(last.next_after(0, march), Some(march + 61 * 86_400));
        // Days of the week across a month end: Monday 2026-11-30, then Monday 2026-12-07.
        let mondays = Schedule::parse("cron(0 0 ? * MON *)").unwrap();
        let mon = mondays.next_after(0, NOV_26_2026).unwrap();
        assert_eq!(mon, NOV_26_2026 + 4 * 86_400);
        assert_eq!(mondays.next_after(0, mon), Some(mon + 7 * 86_400));
    }
}
