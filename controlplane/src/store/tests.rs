use super::*;

#[derive(Debug, Clone, PartialEq)]
struct Val {
    data: &'static str,
    rev: i64,
}

impl Revisioned for Val {
    fn set_revision(&mut self, revision: i64) {
        self.rev = revision;
    }
}

fn v(data: &'static str) -> Val {
    Val { data, rev: 0 }
}

#[test]
fn revisions_and_versions() {
    let mut s = Store::new();
    assert_eq!(s.revision(), 1);
    assert_eq!(s.put("/a", v("1")), 2);
    assert_eq!(s.put("/b", v("x")), 3);
    assert_eq!(s.put("/a", v("2")), 4);
    let a = s.get("/a").unwrap();
    assert_eq!((a.create_revision, a.mod_revision, a.version), (2, 4, 2));
    assert_eq!(a.value.data, "2");
    assert_eq!(a.value.rev, 4, "the store stamps the revision into the value");
    assert_eq!(s.delete("/a"), Some(5));
    assert_eq!(s.delete("/a"), None);
    assert_eq!(s.revision(), 5, "deleting an absent key does not bump the revision");
    s.put("/a", v("3"));
    let a = s.get("/a").unwrap();
    assert_eq!((a.create_revision, a.version), (6, 1), "a recreated key starts over");
}

#[test]
fn range_by_prefix() {
    let mut s = Store::new();
    for k in
        ["/registry/pods/default/b", "/registry/pods/default/a", "/registry/pods/kube-system/c", "/registry/podsx/d"]
    {
        s.put(k, v("p"));
    }
    let keys: Vec<_> = s.range("/registry/pods/").map(|kv| kv.key.to_string()).collect();
    assert_eq!(keys, ["/registry/pods/default/a", "/registry/pods/default/b", "/registry/pods/kube-system/c"]);
    assert_eq!(s.count("/registry/pods/default/"), 2);
    assert_eq!(s.count("/nothing/"), 0);
}

#[test]
fn txn_compares_mod_revision() {
    let mut s = Store::new();
    let rev = s.put("/k", v("1"));
    // A stale writer loses.
    let stale = s.txn(Txn::new(
        [Compare::mod_revision("/k", rev - 1)],
        [Op::Put("/k".into(), v("stale"))],
        [Op::Get("/k".into())],
    ));
    assert!(!stale.succeeded);
    assert_eq!(stale.responses[0].as_ref().unwrap().value.data, "1");
    assert_eq!(s.revision(), rev, "a failed txn with only reads does not bump the revision");
    // The current writer wins.
    let ok = s.txn(Txn::new([Compare::mod_revision("/k", rev)], [Op::Put("/k".into(), v("2"))], []));
    assert!(ok.succeeded);
    assert_eq!(ok.revision, rev + 1);
    assert_eq!(s.get("/k").unwrap().value.data, "2");
    // Create-if-absent.
    let dup = s.txn(Txn::new([Compare::absent("/k")], [Op::Put("/k".into(), v("dup"))], []));
    assert!(!dup.succeeded);
    let fresh = s.txn(Txn::new([Compare::absent("/n")], [Op::Put("/n".into(), v("n"))], []));
    assert!(fresh.succeeded);
}

#[test]
fn txn_writes_share_one_revision() {
    let mut s = Store::new();
    let r = s.txn(Txn::new([], [Op::Put("/x".into(), v("x")), Op::Put("/y".into(), v("y"))], []));
    assert_eq!(r.revision, 2);
    assert_eq!(s.get("/x").unwrap().mod_revision, 2);
    assert_eq!(s.get("/y").unwrap().mod_revision, 2);
}

#[test]
fn watch_from_revision() {
    let mut s = Store::new();
    let r1 = s.put("/p/a", v("a1"));
    s.put("/q/z", v("z"));
    let r3 = s.put("/p/a", v("a2"));
    s.delete("/p/a");
    let all = s.watch("/p/", r1).unwrap();
    let summary: Vec<_> = all.iter().map(|e| (e.event_type, e.kv.key.to_string(), e.revision())).collect();
    assert_eq!(
        summary,
        [(EventType::Put, "/p/a".into(), 2), (EventType::Put, "/p/a".into(), 4), (EventType::Delete, "/p/a".into(), 5)]
    );
    assert_eq!(all[1].prev_kv.as_ref().unwrap().value.data, "a1");
    assert_eq!(all[2].kv.value.data, "a2", "a delete event carries the last value");
    assert_eq!(s.watch("/p/", r3 + 1).unwrap().len(), 1);
    assert!(s.watch("/p/", 0).unwrap().is_empty(), "0 means from now");
    assert_eq!(s.watch("/p/", 100), Err(StoreError::FutureRevision));
}

#[test]
fn compaction() {
    let mut s = Store::new();
    for i in 0..10 {
        s.put(&format!("/k/{i}"), v("x"));
    }
    s.compact(6).unwrap();
    assert_eq!(s.watch("/k/", 6), Err(StoreError::Compacted { compacted: 6 }));
    assert_eq!(s.watch("/k/", 7).unwrap().len(), 5);
    assert_eq!(s.len(), 10, "compaction keeps current values");
    assert_eq!(s.compact(5), Err(StoreError::Compacted { compacted: 6 }));
    assert_eq!(s.compact(100), Err(StoreError::FutureRevision));
}

#[test]
fn keys_on_a_lease_expire_with_a_delete_event() {
    let mut s = Store::new();
    s.put("/e/a", v("a"));
    s.put("/e/b", v("b"));
    s.put("/e/c", v("c"));
    s.attach_lease("/e/a", 100);
    s.attach_lease("/e/b", 50);
    s.attach_lease("/e/missing", 10);
    assert_eq!(s.lease_count(), 2, "a lease needs a key");
    assert_eq!(s.expire(49), 0);
    let before = s.revision();
    assert_eq!(s.expire(50), 1);
    assert!(s.get("/e/b").is_none());
    let events = s.watch("/e/", before + 1).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].event_type, &*events[0].kv.key), (EventType::Delete, "/e/b"));
    // A new lease replaces the old one; a plain put detaches it, as etcd's put without a lease.
    s.attach_lease("/e/a", 500);
    assert_eq!(s.lease_deadline("/e/a"), Some(500));
    assert_eq!(s.expire(100), 0);
    s.put("/e/a", v("a2"));
    assert_eq!(s.lease_deadline("/e/a"), None);
    assert_eq!(s.expire(1_000), 0);
    assert_eq!(s.len(), 2);
    // A deleted key takes its lease with it.
    s.attach_lease("/e/c", 5);
    s.delete("/e/c");
    assert_eq!(s.lease_count(), 0);
}

#[test]
fn keys_sharing_a_deadline_expire_in_key_order_after_earlier_deadlines() {
    let mut s = Store::new();
    for (key, deadline) in [("/e/d", 20), ("/e/b", 20), ("/e/c", 10), ("/e/a", 20), ("/e/e", 30)] {
        s.put(key, v(key));
        s.attach_lease(key, deadline);
    }
    // Moved to a later lease, a key leaves the earlier deadline's keys.
    s.attach_lease("/e/d", 30);
    assert_eq!(s.lease_count(), 5);
    let before = s.revision();
    assert_eq!(s.expire(25), 3);
    let gone: Vec<_> = s.watch("/e/", before + 1).unwrap().iter().map(|e| e.kv.key.to_string()).collect();
    assert_eq!(gone, ["/e/c", "/e/a", "/e/b"]);
    assert_eq!(s.lease_count(), 2);
    assert_eq!(s.expire(30), 2);
    assert_eq!((s.lease_count(), s.len()), (0, 0));
}

mod ordered_index {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Ranges through the bucketed index are exactly the keys with the prefix, in order,
        /// for keys and prefixes of any number of segments, after puts and deletes; keys
        /// alike for more than the 32 bytes past their bucket that the index holds inline
        /// among them, and their bucket ordered or listed.
        #[test]
        fn range_is_every_key_with_the_prefix_in_order(
            keys in proptest::collection::vec(prop_oneof!["[/ab]{0,8}", "/a/b/a{30,33}[ab]{0,3}"], 0..40),
            deleted in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
            prefixes in proptest::collection::vec(prop_oneof!["[/ab]{0,6}", "/a/b/a{0,34}b?"], 1..10),
            listed in any::<bool>(),
        ) {
            let mut s = Store::new();
            if listed {
                // The bucket of the long keys keeps them in a list, sorted when read.
                s.keep_listed("/a/b/");
            }
            let mut model = std::collections::BTreeSet::new();
            for k in &keys {
                s.put(k, v("x"));
                model.insert(k.clone());
            }
            for d in &deleted {
                if keys.is_empty() {
                    break;
                }
                let k = d.get(&keys);
                s.delete(k);
                model.remove(k);
            }
            prop_assert_eq!(s.len(), model.len());
            for p in &prefixes {
                let got: Vec<String> = s.range(p).map(|kv| kv.key.to_string()).collect();
                let want: Vec<String> = model.iter().filter(|k| k.starts_with(p.as_str())).cloned().collect();
                prop_assert_eq!(s.count(p), want.len());
                if third_slash(p).is_some_and(|i| i + 1 == p.len()) {
                    prop_assert_eq!(s.bucket_has_keys(p), !want.is_empty());
                }
                prop_assert_eq!(got, want);
            }
            // Empty buckets go with their last key.
            for k in model.clone() {
                s.delete(&k);
            }
            prop_assert!(s.order.is_empty());
            prop_assert!(s.buckets.is_empty());
        }
    }
}
