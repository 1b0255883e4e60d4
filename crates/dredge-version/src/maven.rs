//! Maven versions, ordered as Maven's `ComparableVersion` (3.8.7) orders them: items split at `.`,
//! `-` and digit/letter transitions, `-` opening a sub-list; qualifiers `alpha` < `beta` <
//! `milestone` < `rc` (`cr`) < `snapshot` < release (``, `ga`, `final`, `release`) < `sp` < any
//! other text; trailing "null" items (0, release, empty lists) do not count.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Digits without leading zeros ("" is zero).
    Int(String),
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE_INDEX: usize = 5;

fn comparable_qualifier(q: &str) -> (usize, String) {
    match QUALIFIERS.iter().position(|x| *x == q) {
        Some(i) => (i, String::new()),
        // Unknown qualifiers sort after all known ones, among themselves as text.
        None => (QUALIFIERS.len(), q.to_string()),
    }
}

fn string_item(value: &str, followed_by_digit: bool) -> Item {
    let v = if followed_by_digit && value.len() == 1 {
        match value {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            v => v,
        }
    } else {
        value
    };
    let v = match v {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        v => v,
    };
    Item::Str(v.to_string())
}

fn int_item(digits: &str) -> Item {
    Item::Int(digits.trim_start_matches('0').to_string())
}

fn parse_item(is_digit: bool, buf: &str) -> Item {
    if is_digit { int_item(buf) } else { string_item(buf, false) }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(d) => d.is_empty(),
            Item::Str(s) => comparable_qualifier(s).0 == RELEASE_INDEX,
            Item::List(l) => l.is_empty(),
        }
    }

    /// Compares with another item, or with "nothing" (`None`) when the other side ran out.
    fn cmp_to(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Int(d), None) => {
                if d.is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Int(a), Some(Item::Int(b))) => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (Item::Int(_), Some(_)) => Ordering::Greater,
            (Item::Str(s), None) => comparable_qualifier(s).cmp(&(RELEASE_INDEX, String::new())),
            (Item::Str(_), Some(Item::Int(_))) | (Item::Str(_), Some(Item::List(_))) => Ordering::Less,
            (Item::Str(a), Some(Item::Str(b))) => comparable_qualifier(a).cmp(&comparable_qualifier(b)),
            // The whole list against nothing, not only its first item (MNG-6964).
            (Item::List(l), None) => l.iter().map(|i| i.cmp_to(None)).find(|o| *o != Ordering::Equal).unwrap_or(Ordering::Equal),
            (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
            (Item::List(a), Some(Item::List(b))) => {
                let n = a.len().max(b.len());
                for i in 0..n {
                    let r = match (a.get(i), b.get(i)) {
                        (None, None) => Ordering::Equal,
                        (None, Some(r)) => r.cmp_to(None).reverse(),
                        (Some(l), r) => l.cmp_to(r),
                    };
                    if r != Ordering::Equal {
                        return r;
                    }
                }
                Ordering::Equal
            }
        }
    }
}

/// Removes trailing null items of a list, stopping at the first non-null item that is not a list
/// (lists are normalized when they are closed, innermost first, as Maven does).
fn normalize(list: &mut Vec<Item>) {
    // Maven goes on past non-null lists: a null item before a trailing list is removed too.
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

fn parse(version: &str) -> Vec<Item> {
    let v = version.to_lowercase();
    let chars: Vec<char> = v.chars().collect();
    // The lists being filled, outermost first: a new list is always the last item of its parent
    // and the parser never returns to the parent, so a stack of owned lists is the whole tree.
    let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
    let mut is_digit = false;
    let mut start = 0;
    let sub = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    let top = |stack: &mut Vec<Vec<Item>>, item: Item| {
        if let Some(l) = stack.last_mut() {
            l.push(item);
        }
    };
    for (i, &c) in chars.iter().enumerate() {
        if c == '.' || c == '-' {
            let item = if i == start { Item::Int(String::new()) } else { parse_item(is_digit, &sub(start, i)) };
            top(&mut stack, item);
            start = i + 1;
            if c == '-' {
                stack.push(Vec::new());
            }
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                // `1.0.0.X1` < `1.0.0-X2`: a qualifier after other items starts a sub-list.
                if stack.last().is_some_and(|l| !l.is_empty()) {
                    stack.push(Vec::new());
                }
                top(&mut stack, string_item(&sub(start, i), true));
                start = i;
                stack.push(Vec::new());
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                top(&mut stack, parse_item(true, &sub(start, i)));
                start = i;
                stack.push(Vec::new());
            }
            is_digit = false;
        }
    }
    if chars.len() > start {
        // `.X` at the end is treated as `-X` for any qualifier X.
        if !is_digit && stack.last().is_some_and(|l| !l.is_empty()) {
            stack.push(Vec::new());
        }
        top(&mut stack, parse_item(is_digit, &sub(start, chars.len())));
    }
    while stack.len() > 1 {
        let mut child = stack.pop().unwrap_or_default();
        normalize(&mut child);
        top(&mut stack, Item::List(child));
    }
    let mut root = stack.pop().unwrap_or_default();
    normalize(&mut root);
    root
}

pub fn compare(a: &str, b: &str) -> Ordering {
    Item::List(parse(a)).cmp_to(Some(&Item::List(parse(b))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn known_orderings() {
        for (a, b, o) in [
            ("1.0", "1.0.0", Equal),
            ("1.0-alpha", "1.0", Less),
            ("1.0-alpha1", "1.0-beta1", Less),
            ("1.0-SNAPSHOT", "1.0", Less),
            ("1.0-rc1", "1.0-cr1", Equal),
            ("1.0-sp", "1.0", Greater),
            ("1.0.1", "1.0-1", Greater),
            ("1.0-ga", "1.0", Equal),
            ("2.0.0.Final", "2.0.0", Equal),
            ("1.0-foo", "1.0-sp", Greater),
            ("1.10", "1.9", Greater),
            ("1a1", "1-alpha-1", Equal),
        ] {
            assert_eq!(compare(a, b), o, "{a} vs {b}");
        }
        for s in ["", "-", "..", "--a", "1..2", "a.b.c"] {
            let _ = compare(s, "1.0");
        }
    }
}
