//! The audit log: every request the API server handled, so a learner can see that every
//! component works through the API server.
//!
//! The log is a ring of compact entries. A request's user and namespace, a few dozen strings
//! used over and over, are interned in a symbol table the log owns, counted by the entries
//! that use them and removed with the last one (verbs and resources, constants of the API
//! server, are numbered apart). Names, which are mostly new (every Event's is), are written
//! one after another into a buffer beside the block of entries that uses them and go with
//! it: no look-up, no allocation of their own. A full ring costs a few dozen bytes a request
//! and holds nothing of records dropped (names of objects long deleted do not pile up).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::Arc;

use crate::fasthash::HashMap;

use chrono::{DateTime, Utc};

use super::handler::RequestInfo;
use super::user::UserInfo;

/// One request, as an audit event at the Metadata level: a view of a record the log keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditRecord<'a> {
    pub time: DateTime<Utc>,
    /// Who asked: `kubectl`, `kube-scheduler`, `kubelet/node-1`, ...
    pub user: &'a str,
    /// create, get, list, update, patch, delete, watch.
    pub verb: &'static str,
    /// `pods`, `deployments.apps`, with `/status` for the status subresource.
    pub resource: &'static str,
    pub namespace: &'a str,
    pub name: &'a str,
    /// HTTP status code of the response.
    pub code: u16,
    /// The store's revision after the request (a write that changed something raised it).
    pub revision: i64,
}

/// A request's audit event while it is served: opened when the request arrives, so a request
/// that is refused (or fails) anywhere is audited alike, and written to the log with the
/// response's code when it completes (the Metadata level logs the ResponseComplete stage).
#[derive(Debug, Clone)]
pub struct AuditEvent<'a> {
    time: DateTime<Utc>,
    user: &'a str,
    verb: &'static str,
    resource: &'static str,
    namespace: &'a str,
    /// The object's name; a create with `generateName` learns it while it is served.
    pub name: Cow<'a, str>,
}

impl<'a> AuditEvent<'a> {
    pub(super) fn open(time: DateTime<Utc>, user: &'a UserInfo, request: &RequestInfo<'a>) -> Self {
        // Nothing formatted: every request opens one.
        let resource = if request.sub.is_empty() {
            request.info.group_resource_name
        } else {
            with_subresource(request.info.group_resource_name, request.sub)
        };
        AuditEvent {
            time,
            user: &user.name,
            verb: request.verb,
            resource,
            namespace: request.namespace,
            name: Cow::Borrowed(request.name),
        }
    }

    /// The event as written when the response is: with its code and the store's revision.
    pub(super) fn complete(&self, code: u16, revision: i64) -> AuditRecord<'_> {
        AuditRecord {
            time: self.time,
            user: self.user,
            verb: self.verb,
            resource: self.resource,
            namespace: self.namespace,
            name: &self.name,
            code,
            revision,
        }
    }
}

/// `deployments.apps/status`: a resource and subresource joined once for the process (both
/// come from fixed tables, so there are a few dozen pairs at most).
fn with_subresource(resource: &'static str, sub: &'static str) -> &'static str {
    use std::cell::RefCell;
    thread_local! {
        static JOINED: RefCell<HashMap<(&'static str, &'static str), &'static str>> =
            RefCell::new(HashMap::default());
    }
    JOINED.with(|joined| {
        *joined
            .borrow_mut()
            .entry((resource, sub))
            .or_insert_with(|| Box::leak(format!("{resource}/{sub}").into_boxed_str()))
    })
}

/// The index of `text` in `table`, added if new: the same constant is usually the same
/// pointer, so most look-ups compare no bytes.
fn index_of(table: &mut Vec<&'static str>, text: &'static str) -> u16 {
    let found = table.iter().position(|t| std::ptr::eq(*t, text)).or_else(|| table.iter().position(|t| *t == text));
    let i = found.unwrap_or_else(|| {
        table.push(text);
        table.len() - 1
    });
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// An interned string's id in a [`Symbols`] table.
type Symbol = u32;

/// Interned strings, each counted by the records that use it and removed with the last one.
/// Ids of removed strings are reused, so the table never outgrows the most it held at once.
#[derive(Debug, Clone, Default)]
struct Symbols {
    /// By id: the text and how many uses it has; `None` once free.
    slots: Vec<Option<(Arc<str>, u32)>>,
    /// Free ids, reused before the table grows.
    free: Vec<Symbol>,
    /// Lookup only: never iterated, so its order decides nothing.
    ids: HashMap<Arc<str>, Symbol>,
    /// The last ids handed out, tried first: requests come in runs from one user in one
    /// namespace, and comparing a short text costs less than hashing it.
    recent: [Symbol; 2],
}

impl Symbols {
    /// The id of `text`, with one more use.
    fn intern(&mut self, text: &str) -> Symbol {
        for id in self.recent {
            if let Some((held, uses)) = self.slots.get_mut(id as usize).and_then(Option::as_mut) {
                if **held == *text {
                    *uses += 1;
                    return id;
                }
            }
        }
        let id = self.intern_new(text);
        self.recent = [id, self.recent[0]];
        id
    }

    /// `intern` by the table.
    fn intern_new(&mut self, text: &str) -> Symbol {
        if let Some(&id) = self.ids.get(text) {
            if let Some((_, uses)) = &mut self.slots[id as usize] {
                *uses += 1;
            }
            return id;
        }
        let text: Arc<str> = Arc::from(text);
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.slots.push(None);
                // More live strings than u32 ids would need a ring of a billion records.
                Symbol::try_from(self.slots.len() - 1).unwrap_or(Symbol::MAX)
            }
        };
        self.slots[id as usize] = Some((text.clone(), 1));
        self.ids.insert(text, id);
        id
    }

    /// One use of `id` fewer; the string goes with its last use.
    fn release(&mut self, id: Symbol) {
        let slot = &mut self.slots[id as usize];
        let Some((text, uses)) = slot else { return };
        *uses -= 1;
        if *uses == 0 {
            self.ids.remove(&**text);
            *slot = None;
            self.free.push(id);
        }
    }

    fn get(&self, id: Symbol) -> &str {
        self.slots[id as usize].as_ref().map_or("", |(text, _)| text)
    }

    /// How many strings are held.
    fn len(&self) -> usize {
        self.ids.len()
    }

    /// Give back the memory of ids no longer used after the table shrank a lot.
    fn shrink(&mut self) {
        while let Some(None) = self.slots.last() {
            self.slots.pop();
        }
        let len = self.slots.len();
        self.free.retain(|&id| (id as usize) < len);
        self.slots.shrink_to_fit();
        self.free.shrink_to_fit();
        self.ids.shrink_to_fit();
    }
}

/// A record as the ring keeps it: the time, interned strings, the verb's index, the code and
/// the revision (40 bytes, no allocation of its own). Its name is in its block's names.
#[derive(Debug, Clone, Copy)]
struct Entry {
    time: DateTime<Utc>,
    revision: i64,
    user: Symbol,
    /// Index in [`AuditLog::resources`].
    resource: u16,
    namespace: Symbol,
    /// Where the name ends in its block's names; it starts where the entry before it ends
    /// (at 0 for a block's first).
    name_end: u32,
    code: u16,
    /// Index in [`AuditLog::verbs`].
    verb: u16,
}

/// [`Ring::BLOCK`] entries and their names, one after another.
#[derive(Debug, Clone, Default)]
struct Block {
    entries: Vec<Entry>,
    names: String,
}

impl Block {
    /// Entry `i` and its name.
    fn get(&self, i: usize) -> Option<(&Entry, &str)> {
        let e = self.entries.get(i)?;
        let start = i.checked_sub(1).and_then(|p| self.entries.get(p)).map_or(0, |p| p.name_end as usize);
        Some((e, self.names.get(start..e.name_end as usize).unwrap_or("")))
    }
}

/// Entries in blocks of [`Ring::BLOCK`], oldest first: the ring grows a block at a time and
/// reuses the block that falls off its front, so it holds what it keeps and a block more,
/// never a doubled buffer or the copy a growing one makes.
#[derive(Debug, Clone, Default)]
struct Ring {
    /// Every block but the last is full.
    blocks: VecDeque<Block>,
    /// The oldest entry's index in the first block.
    head: usize,
    len: usize,
    /// The last block emptied, kept for the next one needed.
    spare: Option<Block>,
}

impl Ring {
    const BLOCK: usize = 1024;

    fn len(&self) -> usize {
        self.len
    }

    /// The entry `i` places after the oldest, and its name; `i` is below `len`.
    fn get(&self, i: usize) -> (&Entry, &str) {
        let at = self.head + i;
        self.blocks.get(at / Ring::BLOCK).and_then(|b| b.get(at % Ring::BLOCK)).unwrap_or_else(|| {
            unreachable!("entry {i} of a ring of {}", self.len);
        })
    }

    /// Add an entry whose `name_end` is set here.
    fn push(&mut self, mut entry: Entry, name: &str) {
        if self.blocks.back().is_none_or(|b| b.entries.len() == Ring::BLOCK) {
            self.blocks.push_back(self.spare.take().unwrap_or_default());
        }
        if let Some(block) = self.blocks.back_mut() {
            block.names.push_str(name);
            // A block of 1,024 names stays far below 4 GiB (a name past it would read as empty).
            entry.name_end = u32::try_from(block.names.len()).unwrap_or(u32::MAX);
            block.entries.push(entry);
            self.len += 1;
        }
    }

    /// Take the oldest entry out.
    fn pop(&mut self) -> Option<Entry> {
        let first = self.blocks.front()?;
        let entry = *first.entries.get(self.head)?;
        self.head += 1;
        self.len -= 1;
        if self.head == first.entries.len() && (self.head == Ring::BLOCK || self.len == 0) {
            if let Some(mut block) = self.blocks.pop_front() {
                block.entries.clear();
                block.names.clear();
                self.spare = Some(block);
            }
            self.head = 0;
        }
        Some(entry)
    }
}

/// The audit log: the latest requests, oldest first. Like kube-apiserver's log file, which is
/// rotated at a size, it keeps only the newest [`AuditLog::DEFAULT_LIMIT`] records, so a
/// cluster left running for simulated months does not grow. Every record has a position that
/// never changes (how many records came before it), so marks taken by other components stay
/// valid after older records are dropped.
#[derive(Debug, Clone)]
pub struct AuditLog {
    records: Ring,
    symbols: Symbols,
    /// The verbs seen, in first-seen order: a handful of the API server's own constants.
    verbs: Vec<&'static str>,
    /// The resources seen, in first-seen order: names from the kinds' fixed table (and their
    /// subresources), a few dozen at most, so they need no counting.
    resources: Vec<&'static str>,
    /// Records dropped from the front: the position of the oldest one kept.
    dropped: usize,
    limit: usize,
}

impl Default for AuditLog {
    fn default() -> Self {
        AuditLog {
            records: Ring::default(),
            symbols: Symbols::default(),
            verbs: Vec::new(),
            resources: Vec::new(),
            dropped: 0,
            limit: AuditLog::DEFAULT_LIMIT,
        }
    }
}

impl AuditLog {
    /// How many records are kept by default.
    pub const DEFAULT_LIMIT: usize = 100_000;

    /// The records kept, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = AuditRecord<'_>> + ExactSizeIterator {
        self.since(self.dropped)
    }

    /// The records kept with their positions, oldest first.
    pub fn positioned(&self) -> impl DoubleEndedIterator<Item = (usize, AuditRecord<'_>)> + ExactSizeIterator {
        (0..self.records.len()).map(move |i| (self.dropped + i, self.view(i)))
    }

    /// The records kept from position `from` on (all kept ones if `from` was dropped).
    pub fn since(&self, from: usize) -> impl DoubleEndedIterator<Item = AuditRecord<'_>> + ExactSizeIterator {
        let start = from.saturating_sub(self.dropped).min(self.records.len());
        (start..self.records.len()).map(|i| self.view(i))
    }

    /// How many records are kept.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.len() == 0
    }

    /// How many records were ever written: the position the next one will have.
    pub fn written(&self) -> usize {
        self.dropped + self.records.len()
    }

    /// How many distinct users and namespaces the kept records use (and the log holds).
    pub fn symbols(&self) -> usize {
        self.symbols.len()
    }

    /// Keep at most `limit` records (at least one); older ones are dropped now.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit.max(1);
        self.trim();
        self.records.spare = None;
        self.symbols.shrink();
    }

    pub(super) fn push(&mut self, record: AuditRecord<'_>) {
        let verb = index_of(&mut self.verbs, record.verb);
        let resource = index_of(&mut self.resources, record.resource);
        let entry = Entry {
            time: record.time,
            revision: record.revision,
            user: self.symbols.intern(record.user),
            resource,
            namespace: self.symbols.intern(record.namespace),
            name_end: 0,
            code: record.code,
            verb,
        };
        self.records.push(entry, record.name);
        self.trim();
    }

    fn trim(&mut self) {
        while self.records.len() > self.limit {
            let Some(e) = self.records.pop() else { break };
            for id in [e.user, e.namespace] {
                self.symbols.release(id);
            }
            self.dropped += 1;
        }
    }

    /// The record `i` places after the oldest kept.
    fn view(&self, i: usize) -> AuditRecord<'_> {
        let (e, name) = self.records.get(i);
        AuditRecord {
            time: e.time,
            user: self.symbols.get(e.user),
            verb: self.verbs.get(e.verb as usize).copied().unwrap_or(""),
            resource: self.resources.get(e.resource as usize).copied().unwrap_or(""),
            namespace: self.symbols.get(e.namespace),
            name,
            code: e.code,
            revision: e.revision,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str) -> AuditRecord<'_> {
        AuditRecord {
            time: DateTime::<Utc>::default(),
            user: "kubectl",
            verb: "get",
            resource: "pods",
            namespace: "default",
            name,
            code: 200,
            revision: 1,
        }
    }

    #[test]
    fn issue_10_the_audit_log_is_a_ring_with_stable_positions() {
        let mut log = AuditLog::default();
        log.set_limit(3);
        for n in ["a", "b", "c", "d", "e"] {
            log.push(record(n));
        }
        let kept: Vec<(usize, &str)> = log.positioned().map(|(i, r)| (i, r.name)).collect();
        assert_eq!(kept, [(2, "c"), (3, "d"), (4, "e")]);
        assert_eq!((log.len(), log.written()), (3, 5));
        assert_eq!(log.since(4).map(|r| r.name).collect::<Vec<_>>(), ["e"]);
        assert_eq!(log.since(0).len(), 3, "a dropped position gives every record kept");
        assert_eq!(log.since(9).len(), 0);
        assert_eq!(log.iter().next_back(), Some(record("e")), "a record reads back as written");
    }

    #[test]
    fn issue_11_the_ring_spans_blocks_and_reuses_them() {
        let mut log = AuditLog::default();
        log.set_limit(2500);
        let names: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
        for name in &names {
            log.push(record(name));
        }
        let kept: Vec<(usize, &str)> = log.positioned().map(|(i, r)| (i, r.name)).collect();
        let expected: Vec<(usize, &str)> = (7500..10_000).map(|i| (i, names[i].as_str())).collect();
        assert_eq!(kept, expected);
        assert_eq!(log.iter().next_back().map(|r| r.name), Some("9999"));
        assert_eq!(log.since(9000).map(|r| r.name).collect::<Vec<_>>(), names[9000..]);
        assert!(log.records.blocks.len() <= 2500 / Ring::BLOCK + 2, "{} blocks", log.records.blocks.len());
        log.set_limit(1);
        assert_eq!(log.iter().map(|r| r.name).collect::<Vec<_>>(), ["9999"]);
        assert_eq!(log.records.blocks.len(), 1);
    }

    #[test]
    fn issue_11_a_kept_record_is_compact() {
        assert!(std::mem::size_of::<Entry>() <= 40, "{} bytes", std::mem::size_of::<Entry>());
    }

    #[test]
    fn issue_11_the_symbol_table_holds_only_what_the_ring_does() {
        let mut log = AuditLog::default();
        log.set_limit(10);
        let names: Vec<String> = (0..1000).map(|i| format!("pod-{i}")).collect();
        for (i, name) in names.iter().enumerate() {
            let namespace = if i % 100 == 0 { "rare" } else { "default" };
            log.push(AuditRecord { namespace, ..record(name) });
        }
        // kubectl and default: `rare`'s last record was dropped (resources and names are kept
        // apart).
        assert_eq!(log.symbols(), 2, "strings of dropped records are gone");
        assert!(log.symbols.slots.len() <= 3, "ids are reused: {}", log.symbols.slots.len());
        let kept: Vec<&str> = log.iter().map(|r| r.name).collect();
        assert_eq!(kept, names[990..].iter().map(String::as_str).collect::<Vec<_>>());
        log.set_limit(2);
        log.push(AuditRecord { user: "system:node:node-1", verb: "update", ..record("node-1") });
        log.push(record("pod-999"));
        log.push(AuditRecord { namespace: "", ..record("pod-999") });
        assert_eq!(log.symbols(), 3, "kubectl, default and the empty namespace");
        let last: Vec<(&str, &str, &str, &str)> = log.iter().map(|r| (r.user, r.verb, r.namespace, r.name)).collect();
        assert_eq!(last, [("kubectl", "get", "default", "pod-999"), ("kubectl", "get", "", "pod-999")]);
    }

    #[test]
    fn a_blocks_names_are_read_back_across_blocks_and_after_reuse() {
        let mut log = AuditLog::default();
        log.set_limit(Ring::BLOCK + 3);
        let names: Vec<String> =
            (0..3 * Ring::BLOCK).map(|i| if i % 7 == 0 { String::new() } else { format!("n{i}") }).collect();
        for name in &names {
            log.push(record(name));
        }
        let kept: Vec<&str> = log.iter().map(|r| r.name).collect();
        assert_eq!(kept, names[2 * Ring::BLOCK - 3..].iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(log.iter().next().map(|r| r.user), Some("kubectl"));
    }
}
