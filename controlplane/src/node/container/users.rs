//! A container's users and groups as its image's `/etc/passwd` and `/etc/group` list them:
//! the names `ls -l`, `id` and `ps` print, and what the runtime makes of a user id.

use super::Fs;

/// The lines of `file`, each split at its colons.
fn entries(fs: &Fs, file: &str) -> Vec<Vec<String>> {
    let Ok(data) = fs.read(file) else { return Vec::new() };
    String::from_utf8_lossy(&data).lines().map(|l| l.split(':').map(str::to_string).collect()).collect()
}

/// The name `file` (`/etc/passwd` or `/etc/group`) gives id `id`, if any.
pub fn name(fs: &Fs, file: &str, id: u32) -> Option<String> {
    entries(fs, file)
        .into_iter()
        .find(|f| f.get(2).and_then(|v| v.parse::<u32>().ok()) == Some(id))
        .map(|f| f[0].clone())
}

/// User `uid`'s name and primary group, if `/etc/passwd` has it.
pub fn user(fs: &Fs, uid: u32) -> Option<(String, u32)> {
    let f =
        entries(fs, "/etc/passwd").into_iter().find(|f| f.get(2).and_then(|v| v.parse::<u32>().ok()) == Some(uid))?;
    Some((f[0].clone(), f.get(3)?.parse().ok()?))
}

/// The groups `/etc/group` lists user `name` as a member of.
pub fn groups_of(fs: &Fs, name: &str) -> Vec<u32> {
    entries(fs, "/etc/group")
        .into_iter()
        .filter(|f| f.get(3).is_some_and(|members| members.split(',').any(|m| m == name)))
        .filter_map(|f| f.get(2)?.parse().ok())
        .collect()
}
