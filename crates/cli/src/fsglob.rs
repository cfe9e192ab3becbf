//! Expands a path pattern with `*` and `?` in any component against the filesystem, sorted
//! as glob(3) returns them (for ssh_config `Include`).

use std::path::{Path, PathBuf};

use burrow_keyfiles::pattern::match_pattern_exact;

/// Most paths one pattern may expand to.
pub const MAX_MATCHES: usize = 1024;

/// The existing paths matching `pattern` (absolute), sorted; a pattern without wildcards
/// gives itself if it exists. Names starting with `.` match only a pattern starting with `.`.
pub fn expand(pattern: &str) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::from("/")];
    for component in pattern.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        for dir in &found {
            if !component.contains(['*', '?']) {
                let p = dir.join(component);
                if p.exists() {
                    next.push(p);
                }
                continue;
            }
            next.extend(matching_entries(dir, component));
            if next.len() > MAX_MATCHES {
                next.truncate(MAX_MATCHES);
                break;
            }
        }
        next.sort();
        found = next;
    }
    if found.len() == 1 && found.first().is_some_and(|p| p == Path::new("/")) {
        return Vec::new();
    }
    found
}

fn matching_entries(dir: &Path, component: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let hidden_ok = !name.starts_with('.') || component.starts_with('.');
            (hidden_ok && match_pattern_exact(component, &name)).then(|| dir.join(name))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_in_the_last_and_middle_components() {
        let base = std::env::temp_dir().join(format!("burrow-glob-{}", std::process::id()));
        for d in ["a1", "a2", "b1"] {
            std::fs::create_dir_all(base.join(d)).unwrap();
            std::fs::write(base.join(d).join("x.conf"), "").unwrap();
        }
        std::fs::write(base.join("a1").join(".hidden.conf"), "").unwrap();
        let b = base.display().to_string();
        let got = expand(&format!("{b}/a?/*.conf"));
        assert_eq!(got, [base.join("a1/x.conf"), base.join("a2/x.conf")]);
        assert_eq!(expand(&format!("{b}/b1/x.conf")), [base.join("b1/x.conf")]);
        assert!(expand(&format!("{b}/c*/x.conf")).is_empty());
        assert!(expand(&format!("{b}/nope")).is_empty());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
