//! Custom views: each stored definition published again (`POST customviews`,
//! API `exp`) onto the restored workbook, under its name, shared or not, owned
//! by its mapped owner. The definition is checked against the manifest first.

use http::Method;
use serde_json::{json, Value};

use super::publish::{multipart, part};
use super::Restore;
use crate::host::Reader;
use crate::tableau::json::string_at;
use crate::tableau_backup::backup::restore_types::RestoreAction;

/// Definitions are small JSON files; larger ones are refused.
const MAX_DEFINITION_BYTES: u64 = 16 << 20;

impl Restore<'_> {
    /// Re-creates the custom views of the workbooks this restore published.
    pub async fn custom_views(&mut self) {
        let definitions = self.source.manifest.custom_view_definitions.clone();
        for d in definitions {
            let Some(workbook) = self.published.get(&d.workbook_id).cloned() else {
                continue;
            };
            let meta = self
                .source
                .by_id("custom_views", &d.id)
                .await
                .unwrap_or(Value::Null);
            if self.dry_run {
                self.report
                    .entry("custom-view", &d.id, "", &d.name, RestoreAction::Created, "");
                continue;
            }
            let key = self.source.key(&d.key);
            let bytes = match read_checked(&key, d.size, &d.sha256).await {
                Ok(b) => b,
                Err(e) => {
                    self.report
                        .entry("custom-view", &d.id, "", &d.name, RestoreAction::Failed, e);
                    continue;
                }
            };
            let mut cv = json!({"name": d.name, "workbook": {"id": workbook}});
            if let Some(shared) = meta.get("shared") {
                cv["shared"] = Value::Bool(shared == &Value::Bool(true) || shared == "true");
            }
            let owner = string_at(&meta, &["owner", "id"]);
            if !owner.is_empty() {
                match self.user(&owner).await {
                    Some(u) => cv["owner"] = json!({"id": u}),
                    None => {
                        let name = self.user_name(&owner).await;
                        self.report.todo(
                            "custom-view",
                            &d.id,
                            &d.name,
                            format!("owner {name} is not on the target: owned by the restoring user"),
                        );
                    }
                }
            }
            let payload = serde_json::to_vec(&json!({"customView": cv})).unwrap_or_default();
            let body = multipart(|out| {
                part(out, "request_payload", None, "application/json", &payload);
                part(
                    out,
                    "tableau_customview",
                    Some("customview.json"),
                    "application/octet-stream",
                    &bytes,
                );
            });
            match self
                .client
                .write_exp("POST customviews", Method::POST, "customviews", &body, false)
                .await
            {
                Ok(resp) => {
                    let id = string_at(&resp, &["customView", "id"]);
                    self.report
                        .entry("custom-view", &d.id, &id, &d.name, RestoreAction::Created, "");
                }
                Err(e) => self.report.entry(
                    "custom-view",
                    &d.id,
                    "",
                    &d.name,
                    RestoreAction::Failed,
                    e.to_string(),
                ),
            }
        }
    }
}

/// The whole object, if it is what the manifest says.
async fn read_checked(key: &str, size: u64, sha256: &str) -> Result<Vec<u8>, String> {
    let mut reader = Reader::open(key).map_err(|e| format!("cannot open {key}: {e}"))?;
    let bytes = reader
        .read_rest(size.min(MAX_DEFINITION_BYTES))
        .await
        .map_err(|e| e.to_string())?;
    let (n, hash) = reader.finish();
    if n != size || hash != sha256 {
        return Err(format!(
            "the stored definition {key} does not match the manifest ({n} bytes, SHA-256 {hash}): not published"
        ));
    }
    Ok(bytes)
}
