//! Custom view definitions: `GET customviews/{id}/content` (API 3.21+), stored
//! as Tableau sent them, one file each under `custom_view_definitions/`, so a
//! restore can publish them back.

use futures::StreamExt;

use super::fetch::{self, DownloadError};
use super::found::Found;
use super::metadata::{file, MetaError};
use super::names;
use super::Ctx;
use crate::host;
use crate::host::StoreErr;
use tableau_backup_model::manifest;
use tableau_backup_model::Kind;

/// The folder of the definition files.
pub const FOLDER: &str = "custom_view_definitions";

/// What the definitions phase stored and missed.
#[derive(Default)]
pub struct Stored {
    pub definitions: Vec<manifest::Definition>,
    pub failures: Vec<manifest::Failure>,
    pub vanished: Vec<manifest::Vanished>,
}

/// Downloads the definition of every custom view.
pub async fn back_up(ctx: &Ctx<'_>, found: &mut Found) -> Result<Stored, MetaError> {
    let views = found.custom_views(ctx).await?;
    let mut out = Stored::default();
    let client = ctx.client;
    let mut downloads = futures::stream::iter(views.into_iter().filter(|v| !v.id.is_empty()))
        .map(|cv| async move {
            let endpoint = "GET customviews/{id}/content";
            let path = format!("customviews/{}/content", crate::tableau::path_segment(&cv.id));
            let key = format!("{FOLDER}/{}.json", names::safe_id(&cv.id));
            let what = format!("custom view {}", cv.id);
            let result = fetch::to_store(client, endpoint, &path, &what, &|_, _| key.clone()).await;
            (cv, result)
        })
        .buffer_unordered(ctx.concurrency);
    while let Some((cv, result)) = downloads.next().await {
        match result {
            Ok(got) => {
                host::stored(Kind::CustomViewDefinitions, &cv.id, &cv.name, &got.key, got.size);
                out.definitions.push(manifest::Definition {
                    id: cv.id,
                    name: cv.name,
                    view_id: cv.view_id,
                    workbook_id: cv.workbook_id,
                    key: got.key,
                    size: got.size,
                    sha256: got.sha256,
                });
            }
            Err(DownloadError::Fatal(m)) => return Err(MetaError::Store(StoreErr::Backend(m))),
            Err(DownloadError::Missing(error)) => {
                // Deleted since it was listed.
                out.vanished.push(manifest::Vanished {
                    kind: file(Kind::CustomViews),
                    id: cv.id,
                    name: cv.name,
                    part: "definition".to_string(),
                    reason: error,
                });
            }
            Err(DownloadError::Item(error)) => out.failures.push(manifest::Failure {
                kind: file(Kind::CustomViewDefinitions),
                id: cv.id,
                name: cv.name,
                error,
            }),
        }
    }
    Ok(out)
}
