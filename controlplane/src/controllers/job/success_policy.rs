//! `successPolicy` of an Indexed Job (`success_policy.go`): the Job has succeeded once the
//! indexes of a rule (or a count of them, or of any) have succeeded.

use k8s_openapi::api::batch::v1::SuccessPolicy;

use super::indexed::Intervals;

/// `matchSuccessPolicy`: the message of the first rule met.
pub fn match_success_policy(policy: Option<&SuccessPolicy>, completions: i64, succeeded: &Intervals) -> Option<String> {
    let policy = policy?;
    if succeeded.is_empty() {
        return None;
    }
    for (index, rule) in policy.rules.iter().enumerate() {
        let met = match &rule.succeeded_indexes {
            Some(required) => {
                let required = Intervals::parse(required, completions);
                if required.is_empty() {
                    continue;
                }
                let contains = overlap(&required, succeeded);
                match rule.succeeded_count {
                    None => contains == required.total(),
                    Some(count) => contains >= i64::from(count),
                }
            }
            None => rule.succeeded_count.is_some_and(|count| succeeded.total() >= i64::from(count)),
        };
        if met {
            return Some(format!("Matched rules at index {index}"));
        }
    }
    None
}

/// How many indexes the two interval lists share.
fn overlap(a: &Intervals, b: &Intervals) -> i64 {
    let mut n = 0;
    for x in &a.0 {
        for y in &b.0 {
            n += (x.last.min(y.last) - x.first.max(y.first) + 1).max(0);
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::batch::v1::SuccessPolicyRule;

    use super::*;

    #[test]
    fn rules_of_indexes_and_counts() {
        let rule = |indexes: Option<&str>, count: Option<i32>| SuccessPolicyRule {
            succeeded_indexes: indexes.map(Into::into),
            succeeded_count: count,
        };
        let done = Intervals::default().with_indexes([0, 2, 3]);
        let p = SuccessPolicy { rules: vec![rule(Some("1-3"), None), rule(Some("0-3"), Some(3))] };
        assert_eq!(match_success_policy(Some(&p), 5, &done).as_deref(), Some("Matched rules at index 1"));
        let p = SuccessPolicy { rules: vec![rule(None, Some(4))] };
        assert_eq!(match_success_policy(Some(&p), 5, &done), None);
        let p = SuccessPolicy { rules: vec![rule(Some("2,3"), None)] };
        assert_eq!(match_success_policy(Some(&p), 5, &done).as_deref(), Some("Matched rules at index 0"));
    }
}
