//! Who makes a request, as k8s.io/apiserver's `user.Info`: a name and the groups the
//! authenticator found. In one process the caller names itself; authentication gives the name
//! the groups kube-apiserver's authenticators would (a node's, a service account's, and
//! `system:authenticated` for everyone), so an authorizer can decide by group.

use std::borrow::Cow;
use std::sync::Arc;

/// The user of a request (`user.DefaultInfo`). Every request authenticates one, so the
/// well-known groups are borrowed, not copied, and a user is shared, not copied.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserInfo {
    pub name: Arc<str>,
    pub groups: Arc<[Cow<'static, str>]>,
}

/// The users authenticated so far, by name: a request's user is looked up, not made again
/// (there are a few hundred at most: the nodes, the controllers, kubectl's). Emptied should a
/// script make more, so it never grows without bound.
const AUTHENTICATED_KEPT: usize = 4096;

thread_local! {
    static SEEN: crate::memo::Table<UserInfo> = crate::memo::Table::default();
}

/// Every authenticated user's group (`user.AllAuthenticated`).
pub const ALL_AUTHENTICATED: &str = "system:authenticated";
/// The group of node credentials (`user.NodesGroup`).
pub const NODES_GROUP: &str = "system:nodes";
/// The prefix of node user names (`system:node:<node>`).
pub const NODE_USER_PREFIX: &str = "system:node:";
/// The prefix of service account user names (`system:serviceaccount:<namespace>:<name>`).
pub const SERVICE_ACCOUNT_USER_PREFIX: &str = "system:serviceaccount:";
/// Every service account's group (`serviceaccount.AllServiceAccountsGroup`).
pub const ALL_SERVICE_ACCOUNTS: &str = "system:serviceaccounts";

impl UserInfo {
    /// A user with exactly these groups.
    pub fn new(name: impl Into<String>, groups: impl IntoIterator<Item = impl Into<String>>) -> Self {
        UserInfo { name: Arc::from(name.into()), groups: groups.into_iter().map(|g| Cow::Owned(g.into())).collect() }
    }

    /// The user a credential with this name authenticates as: the groups its kind of
    /// credential carries upstream, then `system:authenticated`.
    pub fn authenticated(name: &str) -> Self {
        crate::memo::remembered(&SEEN, AUTHENTICATED_KEPT, name, || Self::authenticate(name))
    }

    fn authenticate(name: &str) -> Self {
        let mut groups = Vec::with_capacity(3);
        if name.starts_with(NODE_USER_PREFIX) {
            groups.push(Cow::Borrowed(NODES_GROUP));
        } else if let Some(rest) = name.strip_prefix(SERVICE_ACCOUNT_USER_PREFIX) {
            if let Some((namespace, _)) = rest.split_once(':') {
                groups.push(Cow::Borrowed(ALL_SERVICE_ACCOUNTS));
                // The controllers' namespace, spelled once (they make most requests).
                groups.push(match namespace {
                    "kube-system" => Cow::Borrowed("system:serviceaccounts:kube-system"),
                    _ => Cow::Owned(format!("{ALL_SERVICE_ACCOUNTS}:{namespace}")),
                });
            }
        }
        groups.push(Cow::Borrowed(ALL_AUTHENTICATED));
        UserInfo { name: name.into(), groups: groups.into() }
    }

    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

impl From<&str> for UserInfo {
    fn from(name: &str) -> Self {
        UserInfo::authenticated(name)
    }
}

impl From<&String> for UserInfo {
    fn from(name: &String) -> Self {
        UserInfo::authenticated(name)
    }
}

impl From<&UserInfo> for UserInfo {
    fn from(user: &UserInfo) -> Self {
        user.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication_gives_the_groups_of_the_credential() {
        assert_eq!(*UserInfo::from("system:node:node-1").groups, ["system:nodes", "system:authenticated"]);
        assert_eq!(
            *UserInfo::from("system:serviceaccount:kube-system:default").groups,
            ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]
        );
        let admin = UserInfo::from("kubectl");
        assert_eq!((&*admin.name, &*admin.groups), ("kubectl", &[Cow::Borrowed("system:authenticated")][..]));
        assert!(UserInfo::new("x", ["g"]).in_group("g"));
        // A second request of the same user shares the first's.
        let again = UserInfo::from("system:node:node-1");
        assert!(Arc::ptr_eq(&again.name, &UserInfo::from("system:node:node-1").name));
        assert_eq!(again, UserInfo::authenticate("system:node:node-1"));
        // However many names a script makes up, the table keeps a bounded number.
        for i in 0..AUTHENTICATED_KEPT + 10 {
            let _ = UserInfo::authenticated(&format!("user-{i}"));
        }
        assert!(SEEN.with(|seen| seen.borrow().len()) <= AUTHENTICATED_KEPT);
    }
}
