//! Views across the site: where each view is (workbook index and sheet), and lookups by id.

use super::generator::K_VIEW;
use super::model::{ContentItem, ContentKind, ListKind};
use super::Site;
use crate::util::luid_parts;

impl Site {
    /// Views of workbook `wb` (without building it when the source knows).
    pub fn view_count(&self, wb: usize) -> usize {
        let n = self.base.count(ListKind::Workbooks);
        if wb < n && self.read_store(|s| s.overrides.is_empty()) {
            return self.base.view_count(wb);
        }
        self.content(ContentKind::Workbook, wb).views.len()
    }

    /// `(workbook index, sheet)` of every view of the site, in list order (views of
    /// workbooks the drift fault deleted are gone too).
    pub fn view_index(&self) -> Vec<(usize, usize)> {
        let removed = self.removed_indices("workbooks");
        (0..self.count(ListKind::Workbooks))
            .filter(|i| removed.binary_search(i).is_err())
            .flat_map(|wb| (0..self.view_count(wb)).map(move |s| (wb, s)))
            .collect()
    }

    /// A view by id: its workbook's index, the workbook, and the sheet number.
    pub fn view_by_id(&self, id: &str) -> Option<(usize, ContentItem, usize)> {
        if self.is_removed(id) {
            return None;
        }
        let n = self.count(ListKind::Workbooks);
        let by_luid = luid_parts(self.seed, id)
            .filter(|(k, _)| *k == K_VIEW)
            .map(|(_, idx)| ((idx / 256) as usize, (idx % 256) as usize))
            .filter(|(wb, _)| *wb < n);
        let candidates = by_luid
            .into_iter()
            .chain((self.base.count(ListKind::Workbooks)..n).map(|wb| (wb, usize::MAX)));
        for (wb, sheet) in candidates {
            let item = self.content(ContentKind::Workbook, wb);
            if self.is_removed(&item.id) {
                continue;
            }
            let found = if sheet == usize::MAX {
                item.views.iter().position(|v| v.id == id)
            } else {
                item.views.get(sheet).filter(|v| v.id == id).map(|_| sheet)
            };
            if let Some(s) = found {
                return Some((wb, item, s));
            }
        }
        None
    }
}
