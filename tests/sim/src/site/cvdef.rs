//! Custom view definitions (`GET /api/exp/sites/{site}/customviews/{id}/content`): the JSON
//! array Tableau returns, one entry per view of the workbook, the custom view's own view
//! first (`isSourceView`) with a filter that differs per custom view.

use base64::Engine;

use super::model::{ContentKind, CustomView, ViewRef};
use super::Site;
use crate::api::format::escape_xml;
use crate::util::mix;

fn attr(s: &str) -> String {
    let mut out = String::new();
    escape_xml(s, true, &mut out);
    out.replace('\'', "&apos;")
}

const REGIONS: &[&str] = &["Europe", "Asia", "Amérique du Sud", "東京", "O'Hare \"North\""];

fn tcv(view: &ViewRef, filter: Option<(&str, u64)>) -> String {
    let name = attr(&view.name);
    let body = match filter {
        Some((id, hv)) => {
            let region = attr(REGIONS[(hv % REGIONS.len() as u64) as usize]);
            format!(
                "  <datasources>\n    <datasource name='federated.{hv:016x}'>\n      \
                 <column datatype='string' name='[Region]' role='dimension' type='nominal' />\n    \
                 </datasource>\n  </datasources>\n  <worksheet name='{name}'>\n    \
                 <filter class='categorical' column='[federated.{hv:016x}].[none:Region:nk]'>\n      \
                 <groupfilter function='member' level='[none:Region:nk]' member='&quot;{region}&quot;' \
                 user:ui-domain='database' user:ui-enumeration='inclusive' />\n    </filter>\n  \
                 </worksheet>\n  <!-- custom view {id} -->\n"
            )
        }
        None => String::new(),
    };
    let xml = format!(
        "<?xml version='1.0' encoding='utf-8' ?>\n\n<customized-view dashboard='{name}' \
         source-build='2024.2.0 (20242.24.0716.1944)' version='18.1' \
         xmlns:user='http://www.tableausoftware.com/xml/user'>\n  <active id='1' />\n{body}</customized-view>\n"
    );
    base64::engine::general_purpose::URL_SAFE.encode(xml)
}

/// The download body of a custom view's definition.
pub(crate) fn definition(site: &Site, cv: &CustomView) -> Vec<u8> {
    if let Some(b) = site.overlay(|o| o.cv_definitions.get(&cv.id).cloned()) {
        return b.to_vec();
    }
    let hv = mix(site.seed ^ mix(cv.id.bytes().fold(0u64, |a, b| a.wrapping_mul(31) ^ b as u64)));
    let views = site
        .content_by_id(ContentKind::Workbook, &cv.workbook_id)
        .map(|w| w.views)
        .unwrap_or_default();
    let mut entries = vec![serde_json::json!({
        "isSourceView": true,
        "viewName": cv.view.name,
        "tcv": tcv(&cv.view, Some((&cv.id, hv))),
    })];
    for v in views.iter().filter(|v| v.id != cv.view.id) {
        entries.push(serde_json::json!({"isSourceView": false, "viewName": v.name, "tcv": tcv(v, None)}));
    }
    serde_json::to_vec(&entries).unwrap_or_default()
}
