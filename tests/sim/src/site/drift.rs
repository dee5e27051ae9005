//! Items deleted while a client pages (the paging-drift fault): a list skips them, lookups
//! by id and the catalog no longer see them.

use super::Site;

/// The list index of the `pos`-th item still there, given the sorted removed indices.
pub(crate) fn live_index(pos: usize, removed: &[usize]) -> usize {
    let mut i = pos;
    for &r in removed {
        if r <= i {
            i += 1;
        } else {
            break;
        }
    }
    i
}

impl Site {
    /// Sorted list indices removed from list `key` ("workbooks", "users", ...).
    pub fn removed_indices(&self, key: &str) -> Vec<usize> {
        self.read_store(|s| s.removed.by_list.get(key).cloned().unwrap_or_default())
    }

    /// Delete these items (list indices and ids) of list `key`.
    pub fn remove(&self, key: &str, indices: &[usize], ids: impl IntoIterator<Item = String>) {
        self.with_store(|s| {
            let list = s.removed.by_list.entry(key.to_string()).or_default();
            list.extend_from_slice(indices);
            list.sort_unstable();
            list.dedup();
            s.removed.ids.extend(ids);
        })
    }

    pub fn is_removed(&self, id: &str) -> bool {
        self.read_store(|s| s.removed.ids.contains(id))
    }

    /// Every id the drift fault deleted, sorted.
    pub fn removed_ids(&self) -> Vec<String> {
        let mut v: Vec<String> = self.read_store(|s| s.removed.ids.iter().cloned().collect());
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::live_index;

    #[test]
    fn live_indices_skip_removed() {
        let removed = [0, 2, 5];
        let live: Vec<usize> = (0..5).map(|p| live_index(p, &removed)).collect();
        assert_eq!(live, [1, 3, 4, 6, 7]);
        assert_eq!(live_index(3, &[]), 3);
    }
}
